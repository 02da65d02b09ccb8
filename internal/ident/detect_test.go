package ident_test

import (
	"testing"

	"github.com/idswap/idswap/internal/ident"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		kind    ident.Kind
		want    string
		errKind ident.Kind // Kind of the *ident.Error when reason is set
		reason  string
		pos     int
		msg     string
	}{
		{name: "ICCID 20 digits", in: "89148000000842590078", kind: ident.ICCID, want: "89148000000842590078"},
		{name: "ICCID 19 digits", in: "8914800000084259007", kind: ident.ICCID, want: "8914800000084259007"},
		{name: "ICCID with F pad", in: "8914800000084259007F", kind: ident.ICCID, want: "8914800000084259007"},
		{name: "ICCID in a text formula", in: `="89141390780800784259"`, kind: ident.ICCID, want: "89141390780800784259"},
		{name: "IMEI", in: "490154203237518", kind: ident.IMEI, want: "490154203237518"},
		{name: "IMEI grouped", in: "49-015420-323751-8", kind: ident.IMEI, want: "490154203237518"},
		{name: "EID", in: "8904 9032 1234 5123 4512 3456 7890 1235", kind: ident.EID, want: "89049032123451234512345678901235"},
		{name: "MDN ten digits", in: "5555550100", kind: ident.MDN, want: "5555550100"},
		{name: "MDN with country code", in: "15555550100", kind: ident.MDN, want: "5555550100"},
		{name: "MDN with parentheses", in: "(555) 555-0100", kind: ident.MDN, want: "5555550100"},
		{name: "MDN with plus one", in: "+1 555 555 0100", kind: ident.MDN, want: "5555550100"},

		{name: "empty", in: " ", reason: "empty", msg: "identifier: the value is empty"},
		{name: "scientific notation", in: "8.91480000001E+19", reason: "scientific_notation"},
		{name: "letter", in: "49015420323751A", reason: "non_digit", pos: 15,
			msg: `identifier 49015420323751A: character 15 "A" is not a digit`},
		{name: "length no kind has", in: "12345", reason: "length",
			msg: "identifier 12345: 5 digits is not the length of any identifier accepted here: " +
				"an ICCID has 19 or 20 digits starting 89, an IMEI 15, an EID 32, an MDN 10 (or 11 starting with the country code 1)"},
		{name: "11 digits not starting with 1", in: "25555550100", reason: "length"},
		{name: "33 digits", in: "890490321234512345123456789012350", reason: "length"},
		{name: "ICCID-length without 89", in: "42590078891480000008", errKind: ident.ICCID, reason: "prefix", pos: 1},
		{name: "ICCID failing luhn", in: "89148000000800139708", errKind: ident.ICCID, reason: "check_digit", pos: 20},
		{name: "short value with F pad is an ICCID", in: "12345F", errKind: ident.ICCID, reason: "length"},
		{name: "IMEI failing luhn", in: "990013907835573", errKind: ident.IMEI, reason: "check_digit", pos: 15},
		{name: "IMEISV", in: "4901542032375101", errKind: ident.IMEI, reason: "imeisv"},
		{name: "IMEI missing check digit", in: "49015420323751", errKind: ident.IMEI, reason: "missing_check_digit"},
		{name: "EID failing mod 97", in: "89049032123451234512345678901236", errKind: ident.EID, reason: "check_digit", pos: 31},
		{name: "MDN with bad area code", in: "1555550100", errKind: ident.MDN, reason: "area_code", pos: 1},
		{name: "foreign number", in: "+44 20 7946 0958", errKind: ident.MDN, reason: "prefix", pos: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, got, err := ident.Detect(tc.in)
			if tc.reason == "" {
				if err != nil || k != tc.kind || got != tc.want {
					t.Fatalf("Detect(%q) = %v, %q, %v; want %v, %q, nil", tc.in, k, got, err, tc.kind, tc.want)
				}
				return
			}
			if err == nil || k != 0 || got != "" {
				t.Fatalf("Detect(%q) = %v, %q, %v; want 0, \"\", an error", tc.in, k, got, err)
			}
			assertError(t, err, tc.errKind, tc.in, tc.reason, tc.pos, tc.msg)
		})
	}
}

func BenchmarkDetect(b *testing.B) {
	inputs := []string{
		"89148000000842590078",             // clean ICCID, the common case
		" 8914 8000 0008 4259 0078 ",       // pasted with spaces
		"490154203237518",                  // IMEI
		"89049032123451234512345678901235", // EID
		"(555) 555-0100",                   // MDN
		"8.91480000001E+19",                // refused
	}
	for b.Loop() {
		for _, in := range inputs {
			_, _, _ = ident.Detect(in)
		}
	}
}
