package ident

import (
	"strings"
	"unicode/utf8"
)

// Detect guesses the kind of a "current device" identifier a user typed, which may be any of the
// four, and returns the kind and the normalised value. It goes by shape alone, because the kinds'
// lengths do not overlap:
//
//   - 19 or 20 digits, or digits ending in the F pad → ICCID
//   - 15 digits → IMEI (14 and 16 too, to explain the missing check digit or the IMEISV)
//   - 32 digits → EID
//   - 10 digits, 11 starting with 1, or a number written with "+" or parentheses → MDN
//
// Once placed, the value must pass that kind's parser; the *Error then has that Kind, so an ICCID
// starting 42 is told it must start with 89. An input it cannot place gets an *Error with Kind 0
// saying which lengths are accepted. On any error the returned Kind is 0.
func Detect(s string) (Kind, string, error) {
	k, v, e := detect(s)
	if e != nil {
		return 0, "", e
	}
	return k, v, nil
}

func detect(s string) (Kind, string, *Error) {
	c, e := prepare(0, s)
	if e != nil {
		return 0, "", e
	}
	if strings.HasPrefix(c, "+") || strings.ContainsAny(c, "()") {
		v, e := parseMDN(s)
		return MDN, v, e
	}
	last := utf8.RuneCountInString(c) - 1
	d, e := digitsOf(0, s, c, func(i int, r rune) bool { return i == last && (r == 'F' || r == 'f') })
	if e != nil {
		return 0, "", e
	}
	padded := len(d) != len(c) // c is ASCII here: digits and perhaps the F
	switch n := len(d); {
	case padded || n == 19 || n == 20:
		v, e := parseICCID(s)
		return ICCID, v, e
	case n >= 14 && n <= 16:
		v, e := parseIMEI(s)
		return IMEI, v, e
	case n == 32:
		v, e := parseEID(s)
		return EID, v, e
	case n == 10 || (n == 11 && d[0] == '1'):
		v, e := parseMDN(s)
		return MDN, v, e
	}
	return 0, "", fail(0, s, c, ReasonLength, 0,
		"%d digits is not the length of any identifier accepted here: an ICCID has 19 or 20 digits starting 89, "+
			"an IMEI 15, an EID 32, an MDN 10 (or 11 starting with the country code 1)", len(d))
}
