package ident_test

import (
	"errors"
	"testing"

	"github.com/idswap/idswap/internal/ident"
)

// parseCase is one row of a parser's table. An empty reason means the input must be accepted as want;
// otherwise it must be refused with that reason, pos and, when msg is set, exactly that message.
type parseCase struct {
	name   string
	in     string
	want   string
	reason string
	pos    int
	msg    string
}

// runParseCases runs cases through parse and through Parse(k, …), which must agree.
func runParseCases(t *testing.T, k ident.Kind, parse func(string) (string, error), cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.in)
			viaKind, errViaKind := ident.Parse(k, tc.in)
			if got != viaKind || (err == nil) != (errViaKind == nil) {
				t.Errorf("Parse(%v, %q) = %q, %v; the kind's own parser gave %q, %v", k, tc.in, viaKind, errViaKind, got, err)
			}
			if tc.reason == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q, nil", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, nil; want error %q", got, tc.reason)
			}
			if got != "" {
				t.Errorf("got value %q alongside the error; want \"\"", got)
			}
			assertError(t, err, k, tc.in, tc.reason, tc.pos, tc.msg)
		})
	}
}

// assertError checks that err is an *ident.Error with the given fields; msg "" skips the message.
func assertError(t *testing.T, err error, k ident.Kind, in, reason string, pos int, msg string) {
	t.Helper()
	var e *ident.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *ident.Error", err, err)
	}
	if e.Kind != k || e.Input != in || e.Reason != reason || e.Pos != pos {
		t.Errorf("error fields Kind=%v Input=%q Reason=%q Pos=%d; want Kind=%v Input=%q Reason=%q Pos=%d",
			e.Kind, e.Input, e.Reason, e.Pos, k, in, reason, pos)
	}
	if msg != "" && e.Error() != msg {
		t.Errorf("message\n got: %s\nwant: %s", e.Error(), msg)
	}
}

func TestParseICCID(t *testing.T) {
	const valid20 = "89148000000842590078"
	runParseCases(t, ident.ICCID, ident.ParseICCID, []parseCase{
		{name: "valid 20 digits", in: valid20, want: valid20},
		{name: "valid 20 digits second fixture", in: "89141390780800784259", want: "89141390780800784259"},
		{name: "valid 19 digits", in: "8914800000084259007", want: "8914800000084259007"},
		{name: "F pad removed", in: "8914800000084259007F", want: "8914800000084259007"},
		{name: "lower-case f pad removed", in: "8914800000084259007f", want: "8914800000084259007"},
		{name: "byte-order mark", in: "\uFEFF" + valid20, want: valid20},
		{name: "double quotes", in: `"` + valid20 + `"`, want: valid20},
		{name: "typographic quotes", in: "\u201C" + valid20 + "\u201D", want: valid20},
		{name: "excel leading apostrophe", in: "'" + valid20, want: valid20},
		{name: "excel text formula", in: `="` + valid20 + `"`, want: valid20},
		{name: "spaces between groups", in: " 8914 8000 0008 4259 0078 ", want: valid20},
		{name: "dashes", in: "8914-8000-0008-4259-0078", want: valid20},
		{name: "en dashes", in: "8914\u20138000\u20130008\u20134259\u20130078", want: valid20},
		{name: "tabs", in: "\t8914\t80000008425900 78\t", want: valid20},
		{name: "no-break spaces", in: "8914\u00A08000\u00A00008\u202F4259\u00A00078\u00A0", want: valid20},
		{name: "dots as separators", in: "8914.8000.0008.4259.0078", want: valid20},
		{name: "direction marks from a phone", in: "\u202A" + valid20 + "\u202C", want: valid20},
		{name: "zero-width space inside", in: "8914800000\u200B0842590078", want: valid20},

		{name: "empty", in: "", reason: "empty", msg: "ICCID: the value is empty"},
		{name: "only spaces", in: " \t\u00A0 ", reason: "empty"},
		{name: "only quotes", in: `""`, reason: "empty"},
		{name: "only byte-order mark", in: "\uFEFF", reason: "empty"},
		{name: "wrong check digit 19 digits", in: "8914800000084259002", reason: "check_digit", pos: 19,
			msg: "ICCID 8914800000084259002: check digit is 2 but should be 7"},
		{name: "verizon doc sample fails luhn", in: "89148000000800139708", reason: "check_digit", pos: 20,
			msg: "ICCID 89148000000800139708: check digit is 8 but should be 2"},
		{name: "check digit wrong after F pad", in: "8914800000084259002F", reason: "check_digit", pos: 19},
		{name: "trailing zeros from a spreadsheet", in: "8914800000084260000", reason: "check_digit", pos: 19,
			msg: "ICCID 8914800000084260000: check digit is 0 but should be 5; every digit after the 15th is 0, " +
				"which is what a spreadsheet leaves when it stores the value as a number: " +
				"format the column as text and enter the full digits again"},
		{name: "wrong prefix", in: "1214800000084259007", reason: "prefix", pos: 1,
			msg: "ICCID 1214800000084259007: must start with 89 (the telecom industry prefix), starts with 12"},
		{name: "verizon doc sample without 89", in: "42590078891480000008", reason: "prefix", pos: 1},
		{name: "18 digits", in: "891480000008425900", reason: "length",
			msg: "ICCID 891480000008425900: 18 digits, an ICCID has 19 or 20"},
		{name: "21 digits", in: "891480000008425900781", reason: "length",
			msg: "ICCID 891480000008425900781: 21 digits, an ICCID has 19 or 20"},
		{name: "only the F pad", in: "F", reason: "length", msg: "ICCID F: 0 digits, an ICCID has 19 or 20"},
		{name: "two F pads", in: "891480000008425900FF", reason: "non_digit", pos: 19,
			msg: `ICCID 891480000008425900FF: character 19 "F" is not a digit (only one F, at the very end, is allowed as padding)`},
		{name: "letter inside", in: "8914800000X842590078", reason: "non_digit", pos: 11,
			msg: `ICCID 8914800000X842590078: character 11 "X" is not a digit`},
		{name: "letter O for zero", in: "89148O0000842590078", reason: "non_digit", pos: 6,
			msg: `ICCID 89148O0000842590078: character 6 "O" is not a digit (the letter O, not the digit 0?)`},
		{name: "two values in one cell", in: "89148000000842590078\n89141390780800784259", reason: "non_digit", pos: 21},
		{name: "position counts cleaned characters", in: "8914 8000 0008 4259 007X", reason: "non_digit", pos: 20},
		{name: "scientific notation", in: "8.91480000001E+19", reason: "scientific_notation",
			msg: "ICCID 8.91480000001E+19: a spreadsheet converted this value to a number in scientific notation " +
				"and digits were lost; format the column as text and enter the full digits again"},
		{name: "scientific notation decimal comma", in: "8,91480000001E+19", reason: "scientific_notation"},
		{name: "scientific notation without plus", in: "8.9148E19", reason: "scientific_notation"},
		{name: "scientific notation lower-case e", in: "8.91480000001e+19", reason: "scientific_notation"},
		{name: "scientific notation three-digit exponent", in: "8.91480000001E+019", reason: "scientific_notation"},
		{name: "scientific notation quoted with spaces", in: ` "8.91480000001E+19" `, reason: "scientific_notation"},
		{name: "scientific notation in a text formula", in: `="8.9148E+19"`, reason: "scientific_notation"},
		{name: "thousands separators", in: "89,148,000,000,842,600,000", reason: "number_format"},
		{name: "decimal part", in: "89148000000842590078.00", reason: "number_format"},
	})
}

func TestParseIMEI(t *testing.T) {
	const valid = "490154203237518"
	runParseCases(t, ident.IMEI, ident.ParseIMEI, []parseCase{
		{name: "valid", in: valid, want: valid},
		{name: "valid grouped as on a box", in: "49-015420-323751-8", want: valid},
		{name: "valid with spaces and quotes", in: "'49 015420 323751 8'", want: valid},
		{name: "valid after byte-order mark", in: "\uFEFF" + valid, want: valid},
		{name: "valid between guillemets", in: "\u00AB" + valid + "\u00BB", want: valid},

		{name: "empty", in: "  ", reason: "empty", msg: "IMEI: the value is empty"},
		{name: "letter at the end", in: "49015420323751A", reason: "non_digit", pos: 15,
			msg: `IMEI 49015420323751A: character 15 "A" is not a digit`},
		{name: "F is not a pad for an IMEI", in: "49015420323751F", reason: "non_digit", pos: 15},
		{name: "full-width digit", in: "49015420323751\uFF18", reason: "non_digit", pos: 15,
			msg: `IMEI 49015420323751８: character 15 "８" is not a digit (a digit from another script; type it as 0–9)`},
		{name: "verizon doc sample fails luhn", in: "990013907835573", reason: "check_digit", pos: 15,
			msg: "IMEI 990013907835573: check digit is 3 but should be 8"},
		{name: "second verizon doc sample fails luhn", in: "990013907884259", reason: "check_digit", pos: 15,
			msg: "IMEI 990013907884259: check digit is 9 but should be 3"},
		{name: "IMEISV", in: "4901542032375101", reason: "imeisv",
			msg: "IMEI 4901542032375101: 16 digits is an IMEISV (a software version instead of the check digit); " +
				"the 15-digit IMEI is needed, which for this IMEISV is 490154203237518"},
		{name: "check digit missing", in: "49015420323751", reason: "missing_check_digit",
			msg: "IMEI 49015420323751: 14 digits, the check digit is missing: it would be 8, making the IMEI 490154203237518"},
		{name: "too short", in: "4901542", reason: "length", msg: "IMEI 4901542: 7 digits, an IMEI has 15"},
		{name: "too long", in: "49015420323751800", reason: "length", msg: "IMEI 49015420323751800: 17 digits, an IMEI has 15"},
		{name: "scientific notation", in: "4.90154203237518E+14", reason: "scientific_notation"},
		{name: "float written by an export", in: "490154203237518.0", reason: "number_format",
			msg: "IMEI 490154203237518.0: a spreadsheet or export formatted this value as a number " +
				"(decimal part or thousands separators), so digits may have been changed; " +
				"format the column as text and enter the full digits again"},
		{name: "decimal comma with spaces", in: "490 154 203 237 518,00", reason: "number_format"},
		{name: "german thousands and decimal comma", in: "490.154.203.237.518,00", reason: "number_format"},
	})
}

func TestParseEID(t *testing.T) {
	const valid = "89049032123451234512345678901235" // GSMA SGP.29 sample EID
	runParseCases(t, ident.EID, ident.ParseEID, []parseCase{
		{name: "valid", in: valid, want: valid},
		{name: "valid second sample", in: "89001012012341234012345678901224", want: "89001012012341234012345678901224"},
		{name: "valid grouped by four", in: "8904 9032 1234 5123 4512 3456 7890 1235", want: valid},
		{name: "valid without 89 prefix", in: "1234567890123456789012345678903" + "9", want: "12345678901234567890123456789039"},

		{name: "empty", in: "", reason: "empty", msg: "EID: the value is empty"},
		{name: "wrong check digits", in: "89049032123451234512345678901236", reason: "check_digit", pos: 31,
			msg: "EID 89049032123451234512345678901236: check digits are 36 but should be 35"},
		{name: "swapped digits", in: "89049032123451234512345678910235", reason: "check_digit", pos: 31},
		{name: "31 digits", in: "8904903212345123451234567890123", reason: "length",
			msg: "EID 8904903212345123451234567890123: 31 digits, an EID has 32"},
		{name: "letter", in: "8904903212345123451234567890123E", reason: "non_digit", pos: 32},
		{name: "scientific notation", in: "8.90490321234512E+31", reason: "scientific_notation"},
	})
}

func TestParseMDN(t *testing.T) {
	const valid = "5555550100"
	runParseCases(t, ident.MDN, ident.ParseMDN, []parseCase{
		{name: "ten digits", in: valid, want: valid},
		{name: "dashes", in: "555-555-0100", want: valid},
		{name: "parentheses", in: "(555) 555-0100", want: valid},
		{name: "dots", in: "555.555.0100", want: valid},
		{name: "plus one", in: "+1 555 555 0100", want: valid},
		{name: "plus one and parentheses", in: "+1 (555) 555-0100", want: valid},
		{name: "leading one", in: "1-555-555-0100", want: valid},
		{name: "eleven digits", in: "15555550100", want: valid},
		{name: "direction marks from outlook", in: "\u202A+1 555-555-0100\u202C", want: valid},

		{name: "empty", in: "\"\"", reason: "empty", msg: "MDN: the value is empty"},
		{name: "other country", in: "+44 20 7946 0958", reason: "prefix", pos: 2,
			msg: "MDN +442079460958: only North American numbers (country code +1) are accepted"},
		{name: "plus alone", in: "+", reason: "length", msg: "MDN +: no digits after the +, an MDN has 10"},
		{name: "other country in parentheses", in: "+(44) 20 7946 0958", reason: "prefix", pos: 3},
		{name: "short after plus one", in: "+1 555 555 010", reason: "length",
			msg: "MDN +1555555010: 9 digits after the country code +1, an MDN has 10"},
		{name: "eleven digits without country code", in: "25555550100", reason: "prefix", pos: 1,
			msg: "MDN 25555550100: 11 digits but does not start with the country code 1; an MDN has 10 digits"},
		{name: "nine digits", in: "555555010", reason: "length",
			msg: "MDN 555555010: 9 digits, an MDN has 10 (or 11 starting with the country code 1)"},
		{name: "area code starting with 1", in: "(155) 555-0100", reason: "area_code", pos: 2,
			msg: "MDN (155)5550100: area code 155 starts with 1; North American area codes start with 2–9"},
		{name: "area code starting with 0 after country code", in: "1 055 555 0100", reason: "area_code", pos: 2},
		{name: "exchange code starting with 0", in: "555-055-0100", reason: "exchange_code", pos: 4,
			msg: "MDN 5550550100: exchange code 055 (digits 4–6 of the number) starts with 0; it must start with 2–9"},
		{name: "exchange code position after plus one", in: "+1 555 155 0100", reason: "exchange_code", pos: 6},
		{name: "letter O", in: "555-555-O100", reason: "non_digit", pos: 7,
			msg: `MDN 555555O100: character 7 "O" is not a digit (the letter O, not the digit 0?)`},
		{name: "plus not at the start", in: "555+5550100", reason: "non_digit", pos: 4},
		{name: "scientific notation", in: "5.55555E+09", reason: "scientific_notation"},
	})
}

func TestParseUnknownKind(t *testing.T) {
	for _, k := range []ident.Kind{0, 5, -1} {
		t.Run(k.String(), func(t *testing.T) {
			v, err := ident.Parse(k, "490154203237518")
			if err == nil {
				t.Fatalf("Parse(%v) = %q, nil; want an error", k, v)
			}
			assertError(t, err, k, "490154203237518", "unknown_kind", 0, "")
		})
	}
}

func TestKindString(t *testing.T) {
	for _, tc := range []struct {
		k    ident.Kind
		want string
	}{
		{ident.ICCID, "ICCID"},
		{ident.IMEI, "IMEI"},
		{ident.EID, "EID"},
		{ident.MDN, "MDN"},
		{0, "Kind(0)"},
		{9, "Kind(9)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.k.String(); got != tc.want {
				t.Errorf("Kind(%d).String() = %q, want %q", int(tc.k), got, tc.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *ident.Error
		want string
	}{
		{name: "built outside the package", err: &ident.Error{Kind: ident.IMEI, Input: " 12 ", Reason: "length"},
			want: "IMEI 12: invalid (length)"},
		{name: "unknown kind built outside the package", err: &ident.Error{Input: "x", Reason: "non_digit"},
			want: "identifier x: invalid (non_digit)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorMessageShortensLongInput(t *testing.T) {
	in := "please swap 89148000000842590078 for the new SIM in the truck tomorrow morning"
	_, err := ident.ParseICCID(in)
	if err == nil {
		t.Fatal("a sentence was accepted as an ICCID")
	}
	want := `ICCID pleaseswap89148000000842590078forthenewS…: character 1 "p" is not a digit`
	if err.Error() != want {
		t.Errorf("message\n got: %s\nwant: %s", err.Error(), want)
	}
}

func TestErrorMessageShowsControlCharacters(t *testing.T) {
	_, err := ident.ParseIMEI("490154203\n237518")
	want := `IMEI 490154203` + "\uFFFD" + `237518: character 10 "\n" is not a digit`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
