package ident

// LuhnDigit returns the Luhn (ISO/IEC 7812-1) check digit that completes body, a string of ASCII
// digits. Given anything else it returns -1 rather than panicking; callers pass only digits, so -1
// signals a programming error. The empty body gets 0.
func LuhnDigit(body string) int {
	sum := 0
	double := true // the digit next to the check digit is doubled
	for i := len(body) - 1; i >= 0; i-- {
		c := body[i]
		if c < '0' || c > '9' {
			return -1
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// LuhnValid reports whether digits, ASCII digits ending in a check digit, passes the Luhn check.
// Fewer than two digits is false: a check digit alone checks nothing.
func LuhnValid(digits string) bool {
	n := len(digits)
	if n < 2 {
		return false
	}
	last := digits[n-1]
	return last >= '0' && last <= '9' && LuhnDigit(digits[:n-1]) == int(last-'0')
}

// AppendLuhn returns body followed by its Luhn check digit, or "" if body is not all ASCII digits.
// Demo data generators use it to make identifiers that pass validation.
func AppendLuhn(body string) string {
	d := LuhnDigit(body)
	if d < 0 {
		return ""
	}
	return body + string(rune('0'+d))
}

// luhnError checks the last digit of d, the digits of cleaned that start at its first character.
func luhnError(k Kind, input, cleaned, d string) *Error {
	n := len(d)
	want := LuhnDigit(d[:n-1])
	if int(d[n-1]-'0') == want {
		return nil
	}
	hint := ""
	if n > 15 && allZeros(d[15:]) {
		// Spreadsheets keep 15 significant digits of a number and fill the rest with zeros.
		hint = "; every digit after the 15th is 0, which is what a spreadsheet leaves when it stores " +
			"the value as a number: format the column as text and enter the full digits again"
	}
	return fail(k, input, cleaned, ReasonCheckDigit, n, "check digit is %c but should be %d%s", d[n-1], want, hint)
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
