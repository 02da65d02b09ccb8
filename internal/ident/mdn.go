package ident

import "strings"

// ParseMDN parses a North American (NANP) phone number and returns its 10 digits. It accepts the
// forms people write: 5555550100, 555-555-0100, (555) 555-0100, 1 555 555 0100, +1 555 555 0100.
// The area code (NPA) and exchange code (NXX) must each start with 2–9.
func ParseMDN(s string) (string, error) { return result(parseMDN(s)) }

func parseMDN(s string) (string, *Error) {
	c, e := prepare(MDN, s)
	if e != nil {
		return "", e
	}
	plus := strings.HasPrefix(c, "+")
	d, e := digitsOf(MDN, s, c, func(i int, r rune) bool { return r == '(' || r == ')' || (i == 0 && r == '+') })
	if e != nil {
		return "", e
	}
	switch {
	case plus && d == "":
		return "", fail(MDN, s, c, ReasonLength, 0, "no digits after the +, an MDN has 10")
	case plus && d[0] != '1':
		return "", fail(MDN, s, c, ReasonPrefix, digitPos(c, 0), "only North American numbers (country code +1) are accepted")
	case plus && len(d) != 11:
		return "", fail(MDN, s, c, ReasonLength, 0, "%d digits after the country code +1, an MDN has 10", len(d)-1)
	case len(d) == 11 && d[0] != '1':
		return "", fail(MDN, s, c, ReasonPrefix, digitPos(c, 0),
			"11 digits but does not start with the country code 1; an MDN has 10 digits")
	case len(d) != 10 && len(d) != 11:
		return "", fail(MDN, s, c, ReasonLength, 0, "%d digits, an MDN has 10 (or 11 starting with the country code 1)", len(d))
	}
	cc := len(d) - 10 // 1 if the country code was given
	n := d[cc:]
	if n[0] < '2' {
		return "", fail(MDN, s, c, ReasonAreaCode, digitPos(c, cc),
			"area code %s starts with %c; North American area codes start with 2–9", n[:3], n[0])
	}
	if n[3] < '2' {
		return "", fail(MDN, s, c, ReasonExchangeCode, digitPos(c, cc+3),
			"exchange code %s (digits 4–6 of the number) starts with %c; it must start with 2–9", n[3:6], n[3])
	}
	return n, nil
}
