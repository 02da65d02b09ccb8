package ident

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reason codes of an Error, stable for programs to branch on and count by.
const (
	ReasonEmpty             = "empty"               // nothing left after cleaning
	ReasonScientific        = "scientific_notation" // a spreadsheet wrote the value as 8.91E+19
	ReasonNumberFormat      = "number_format"       // a spreadsheet or export wrote it as 490154203237518.0 or 1,234,567
	ReasonNonDigit          = "non_digit"           // a character that is not a digit (Pos says which)
	ReasonLength            = "length"              // wrong number of digits
	ReasonPrefix            = "prefix"              // ICCID not starting 89, or a country code other than 1
	ReasonCheckDigit        = "check_digit"         // Luhn or MOD 97-10 check failed
	ReasonMissingCheckDigit = "missing_check_digit" // a 14-digit IMEI: the check digit was left off
	ReasonIMEISV            = "imeisv"              // a 16-digit IMEISV given where the IMEI is needed
	ReasonAreaCode          = "area_code"           // MDN area code (NPA) starts with 0 or 1
	ReasonExchangeCode      = "exchange_code"       // MDN exchange code (NXX) starts with 0 or 1
	ReasonUnknownKind       = "unknown_kind"        // Parse was given a Kind it does not know
)

// Error says what is wrong with one value. Message is written for an account manager.
type Error struct {
	Kind   Kind   // what the value was parsed as (0 if unknown)
	Input  string // the raw input as given
	Reason string // short machine-friendly reason code, one of the Reason constants
	Pos    int    // 1-based character position in Clean(Input) the message points at, 0 if none
	msg    string
}

// Error returns the message for an account manager, for example
// `IMEI 49015420323751A: character 15 "A" is not a digit`.
func (e *Error) Error() string {
	if e.msg != "" {
		return e.msg
	}
	// An Error built outside this package has no message; still say something useful.
	return fmt.Sprintf("%s %s: invalid (%s)", label(e.Kind), shown(Clean(e.Input)), e.Reason)
}

// fail builds an Error whose message names the kind and the cleaned value before saying what is wrong,
// so a message copied out of a list of hundreds still identifies its row.
func fail(k Kind, input, cleaned, reason string, pos int, format string, args ...any) *Error {
	return &Error{
		Kind:   k,
		Input:  input,
		Reason: reason,
		Pos:    pos,
		msg:    label(k) + " " + shown(cleaned) + ": " + fmt.Sprintf(format, args...),
	}
}

func emptyError(k Kind, input string) *Error {
	return &Error{Kind: k, Input: input, Reason: ReasonEmpty, msg: label(k) + ": the value is empty"}
}

func label(k Kind) string {
	if k == 0 {
		return "identifier"
	}
	return k.String()
}

// maxShown keeps messages readable when someone pastes a paragraph into one cell.
const maxShown = 40

// shown returns v as it may appear in a message: control characters made visible, long values cut.
func shown(v string) string {
	v = strings.Map(func(r rune) rune {
		if !unicode.IsGraphic(r) {
			return '\uFFFD'
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) <= maxShown {
		return v
	}
	return string([]rune(v)[:maxShown]) + "…"
}

// nonDigit reports the first character of cleaned that is not a digit.
// i is its 0-based rune index; the hint guesses the slip behind the most common mistakes.
func nonDigit(k Kind, input, cleaned string, i int, r rune) *Error {
	hint := ""
	switch {
	case r == 'O' || r == 'o':
		hint = " (the letter O, not the digit 0?)"
	case r == 'I' || r == 'l':
		hint = " (a letter, not the digit 1?)"
	case k == ICCID && (r == 'F' || r == 'f'):
		hint = " (only one F, at the very end, is allowed as padding)"
	case unicode.IsDigit(r):
		hint = " (a digit from another script; type it as 0–9)"
	}
	return fail(k, input, cleaned, ReasonNonDigit, i+1, "character %d %q is not a digit%s", i+1, string(r), hint)
}
