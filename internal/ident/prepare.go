package ident

import "strings"

// prepare cleans s and refuses what no parser may read: nothing at all, or a number a spreadsheet
// formatted, whose digits may already be lost. Guessing them back would put a wrong SIM or device
// on a customer's line, so these are refused outright.
func prepare(k Kind, s string) (string, *Error) {
	c := Clean(s)
	if c == "" {
		return "", emptyError(k, s)
	}
	switch numberLike(c) {
	case ReasonScientific:
		return "", fail(k, s, c, ReasonScientific, 0,
			"a spreadsheet converted this value to a number in scientific notation and digits were lost; "+
				"format the column as text and enter the full digits again")
	case ReasonNumberFormat:
		return "", fail(k, s, c, ReasonNumberFormat, 0,
			"a spreadsheet or export formatted this value as a number (decimal part or thousands separators), "+
				"so digits may have been changed; format the column as text and enter the full digits again")
	}
	return c, nil
}

// digitsOf returns the ASCII digits of cleaned in order. Any other character is refused with its
// position unless skip, given its 0-based character index, allows it.
func digitsOf(k Kind, input, cleaned string, skip func(i int, r rune) bool) (string, *Error) {
	if allDigits(cleaned) {
		return cleaned, nil // the usual case: no copy
	}
	var b strings.Builder
	b.Grow(len(cleaned))
	i := 0
	for _, r := range cleaned {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case skip != nil && skip(i, r):
		default:
			return "", nonDigit(k, input, cleaned, i, r)
		}
		i++
	}
	return b.String(), nil
}

// digitPos returns the 1-based character position in cleaned of its n-th (0-based) ASCII digit,
// so a message about a digit points at it even when parentheses or "+1" come before it.
func digitPos(cleaned string, n int) int {
	i := 0
	for _, r := range cleaned {
		i++
		if '0' <= r && r <= '9' {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// result turns an internal (value, *Error) pair into (value, error) without the trap of a nil
// *Error becoming a non-nil error.
func result(v string, e *Error) (string, error) {
	if e != nil {
		return "", e
	}
	return v, nil
}
