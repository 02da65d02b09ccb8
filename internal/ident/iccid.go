package ident

import (
	"strings"
	"unicode/utf8"
)

// ParseICCID parses a SIM's ICCID and returns its digits: 19 or 20 digits starting 89 (the telecom
// industry prefix) whose last digit is the Luhn check digit. A single trailing F or f, the padding
// SIM files add to odd-length ICCIDs, is removed first.
func ParseICCID(s string) (string, error) { return result(parseICCID(s)) }

func parseICCID(s string) (string, *Error) {
	c, e := prepare(ICCID, s)
	if e != nil {
		return "", e
	}
	last := utf8.RuneCountInString(c) - 1
	d, e := digitsOf(ICCID, s, c, func(i int, r rune) bool { return i == last && (r == 'F' || r == 'f') })
	if e != nil {
		return "", e
	}
	if len(d) != 19 && len(d) != 20 {
		return "", fail(ICCID, s, c, ReasonLength, 0, "%d digits, an ICCID has 19 or 20", len(d))
	}
	if !strings.HasPrefix(d, "89") {
		return "", fail(ICCID, s, c, ReasonPrefix, 1, "must start with 89 (the telecom industry prefix), starts with %s", d[:2])
	}
	if e := luhnError(ICCID, s, c, d); e != nil {
		return "", e
	}
	return d, nil
}
