package ident

// ParseEID parses an eSIM's EID and returns its 32 digits. The whole number modulo 97 must be 1
// (ISO/IEC 7064 MOD 97-10, the last two digits being check digits). No prefix is required: SGP.02
// EIDs start with 89 but SGP.29 EIDs need not.
func ParseEID(s string) (string, error) { return result(parseEID(s)) }

func parseEID(s string) (string, *Error) {
	c, e := prepare(EID, s)
	if e != nil {
		return "", e
	}
	d, e := digitsOf(EID, s, c, nil)
	if e != nil {
		return "", e
	}
	if len(d) != 32 {
		return "", fail(EID, s, c, ReasonLength, 0, "%d digits, an EID has 32", len(d))
	}
	if mod97(d) != 1 {
		return "", fail(EID, s, c, ReasonCheckDigit, 31, "check digits are %s but should be %s", d[30:], EIDCheckDigits(d[:30]))
	}
	return d, nil
}

// EIDCheckDigits returns the 2 check digits that make body30, a 30-digit EID without its check
// digits, a valid EID, so generators can make valid EIDs. Anything other than 30 ASCII digits gives "".
func EIDCheckDigits(body30 string) string {
	if len(body30) != 30 || !allDigits(body30) {
		return ""
	}
	c := 98 - mod97(body30)*100%97 // ISO/IEC 7064: append 00, take 98 minus the remainder
	return string([]byte{byte('0' + c/10), byte('0' + c%10)})
}

// mod97 returns the ASCII digit string d, read as a decimal number, modulo 97 — digit by digit,
// because 32 digits overflow every integer type.
func mod97(d string) int {
	r := 0
	for i := 0; i < len(d); i++ {
		r = (r*10 + int(d[i]-'0')) % 97
	}
	return r
}
