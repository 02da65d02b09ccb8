package ident

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean removes the formatting people and spreadsheets wrap around an identifier:
//
//   - invisible format characters anywhere (Unicode category Cf: the UTF-8 byte-order mark,
//     zero-width spaces, the direction marks Windows and phones put around pasted numbers);
//   - surrounding whitespace and quotes (" ' ` and the typographic ones), repeatedly, including
//     Excel's leading apostrophe and the "=" of a ="..." text formula;
//   - inner spaces, tabs, no-break spaces and other horizontal spaces;
//   - dashes of every kind, and dots used as separators (490154.203237.518).
//
// Line breaks inside the value are kept, so two identifiers pasted into one cell are refused rather
// than run together. A value that looks like a number a spreadsheet produced (8.91E+19,
// 490154203237518.0, 1,234,567) keeps its dots and commas, so the parsers can recognise and refuse
// it instead of reading altered digits. Clean does not validate: the result may still be wrong.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = unwrap(s)
	s = strings.Map(func(r rune) rune {
		if isHorizontalSpace(r) || isDash(r) {
			return -1
		}
		return r
	}, s)
	if numberLike(s) != "" {
		return s
	}
	return strings.ReplaceAll(s, ".", "")
}

// unwrap trims whitespace, quotes and a text formula's "=" until none is left at either end,
// because exports nest them: ="'8914…'" and " "8914…" " both occur.
func unwrap(s string) string {
	for {
		t := strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isQuote(r) })
		if rest, ok := strings.CutPrefix(t, "="); ok {
			if q, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(rest, unicode.IsSpace)); isQuote(q) {
				t = rest
			}
		}
		if t == s {
			return s
		}
		s = t
	}
}

func isQuote(r rune) bool {
	switch r {
	case '"', '\'', '`',
		'\u2018', '\u2019', '\u201A', '\u201B', // ‘ ’ ‚ ‛
		'\u201C', '\u201D', '\u201E', '\u201F', // “ ” „ ‟
		'\u00AB', '\u00BB', '\u2039', '\u203A', // « » ‹ ›
		'\u2032', '\u2033', // ′ ″ (what some fonts and OCR turn quotes into)
		'\uFF02', '\uFF07': // fullwidth " '
		return true
	}
	return false
}

// isHorizontalSpace is true for the spaces that separate digit groups; line breaks are not among them.
func isHorizontalSpace(r rune) bool {
	return r == ' ' || r == '\t' || unicode.Is(unicode.Zs, r) // Zs includes NBSP U+00A0 and U+202F
}

// isDash covers the hyphen-minus and the look-alikes word processors substitute for it.
func isDash(r rune) bool {
	return unicode.Is(unicode.Pd, r) || r == '\u2212' // Pd: - ‐ ‑ ‒ – — ― and fullwidth; U+2212 minus sign
}

var (
	// Spreadsheets show numbers of more than 11 or 15 digits normalised: one digit before the point.
	// Requiring that keeps a typo such as 49015420323751E8 a plain "not a digit" error.
	scientific = regexp.MustCompile(`^\+?[0-9]([.,][0-9]*)?[eE]\+?[0-9]{1,3}$`)
	// A decimal part of zeros, with or without thousands separators, from a number-formatted column
	// or a float written out by an export. Dot-grouped digits without a decimal comma are left
	// alone: 555.555.0100 is a legitimate way to write a number.
	decimal = regexp.MustCompile(`^(?:[0-9]+[.,]0+|[0-9]{1,3}(?:,[0-9]{3})+(?:\.0+)?|[0-9]{1,3}(?:\.[0-9]{3})+,0+)$`)
)

// numberLike returns the reason code if s looks like a number a spreadsheet formatted, "" otherwise.
func numberLike(s string) string {
	if !strings.ContainsAny(s, ".,eE") { // most values: skip the regular expressions
		return ""
	}
	switch {
	case scientific.MatchString(s):
		return ReasonScientific
	case decimal.MatchString(s):
		return ReasonNumberFormat
	}
	return ""
}
