package ident

// ParseIMEI parses a device's IMEI and returns its 15 digits, the last being the Luhn check digit.
// A 16-digit IMEISV or a 14-digit IMEI without its check digit is refused with a message that gives
// the 15-digit IMEI it corresponds to, so the account manager can confirm it with the customer.
func ParseIMEI(s string) (string, error) { return result(parseIMEI(s)) }

func parseIMEI(s string) (string, *Error) {
	c, e := prepare(IMEI, s)
	if e != nil {
		return "", e
	}
	d, e := digitsOf(IMEI, s, c, nil)
	if e != nil {
		return "", e
	}
	switch len(d) {
	case 15:
		if e := luhnError(IMEI, s, c, d); e != nil {
			return "", e
		}
		return d, nil
	case 16:
		// An IMEISV is TAC + serial + 2-digit software version; its IMEI is TAC + serial + check digit.
		return "", fail(IMEI, s, c, ReasonIMEISV, 0,
			"16 digits is an IMEISV (a software version instead of the check digit); the 15-digit IMEI is needed, "+
				"which for this IMEISV is %s", AppendLuhn(d[:14]))
	case 14:
		return "", fail(IMEI, s, c, ReasonMissingCheckDigit, 0,
			"14 digits, the check digit is missing: it would be %d, making the IMEI %s", LuhnDigit(d), AppendLuhn(d))
	}
	return "", fail(IMEI, s, c, ReasonLength, 0, "%d digits, an IMEI has 15", len(d))
}

// TAC returns the Type Allocation Code, the first 8 digits, of a 15-digit IMEI as ParseIMEI returns
// it. The TAC names the device make and model. Anything other than 15 ASCII digits gives "".
func TAC(imei string) string {
	if len(imei) != 15 || !allDigits(imei) {
		return ""
	}
	return imei[:8]
}
