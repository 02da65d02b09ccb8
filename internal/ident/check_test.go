package ident_test

import (
	"testing"

	"github.com/idswap/idswap/internal/ident"
)

func TestLuhnDigit(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{name: "textbook example", body: "7992739871", want: 3},
		{name: "IMEI body", body: "49015420323751", want: 8},
		{name: "19-digit ICCID body", body: "891480000008425900", want: 7},
		{name: "20-digit ICCID body", body: "8914139078080078425", want: 9},
		{name: "empty body", body: "", want: 0},
		{name: "single zero", body: "0", want: 0},
		{name: "single nine doubles to nine", body: "9", want: 1},
		{name: "letter", body: "49015A", want: -1},
		{name: "space", body: "4901 5", want: -1},
		{name: "non-ASCII digit", body: "4901\u0665", want: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ident.LuhnDigit(tc.body); got != tc.want {
				t.Errorf("LuhnDigit(%q) = %d, want %d", tc.body, got, tc.want)
			}
		})
	}
}

func TestLuhnValid(t *testing.T) {
	tests := []struct {
		name   string
		digits string
		want   bool
	}{
		{name: "textbook valid", digits: "79927398713", want: true},
		{name: "textbook wrong check digit", digits: "79927398710", want: false},
		{name: "IMEI fixture", digits: "490154203237518", want: true},
		{name: "ICCID fixture", digits: "89148000000842590078", want: true},
		{name: "verizon doc IMEI", digits: "990013907835573", want: false},
		{name: "verizon doc ICCID", digits: "89148000000800139708", want: false},
		{name: "two zeros", digits: "00", want: true},
		{name: "one digit checks nothing", digits: "0", want: false},
		{name: "empty", digits: "", want: false},
		{name: "letter as check digit", digits: "49015420323751A", want: false},
		{name: "letter in body", digits: "4901542032375l8", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ident.LuhnValid(tc.digits); got != tc.want {
				t.Errorf("LuhnValid(%q) = %v, want %v", tc.digits, got, tc.want)
			}
		})
	}
}

func TestAppendLuhn(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "textbook", body: "7992739871", want: "79927398713"},
		{name: "IMEI", body: "49015420323751", want: "490154203237518"},
		{name: "ICCID", body: "8914800000084259007", want: "89148000000842590078"},
		{name: "not digits", body: "49015A", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ident.AppendLuhn(tc.body); got != tc.want {
				t.Errorf("AppendLuhn(%q) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}

func TestEIDCheckDigits(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "GSMA SGP.29 sample", body: "890490321234512345123456789012", want: "35"},
		{name: "second sample", body: "890010120123412340123456789012", want: "24"},
		{name: "no 89 prefix", body: "123456789012345678901234567890", want: "39"},
		{name: "body of zeros", body: "000000000000000000000000000000", want: "98"},
		{name: "29 digits", body: "89049032123451234512345678901", want: ""},
		{name: "31 digits", body: "8904903212345123451234567890123", want: ""},
		{name: "letter", body: "89049032123451234512345678901A", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ident.EIDCheckDigits(tc.body)
			if got != tc.want {
				t.Fatalf("EIDCheckDigits(%q) = %q, want %q", tc.body, got, tc.want)
			}
			if got == "" {
				return
			}
			if v, err := ident.ParseEID(tc.body + got); err != nil || v != tc.body+got {
				t.Errorf("ParseEID of body + check digits = %q, %v; want it accepted", v, err)
			}
		})
	}
}

func TestTAC(t *testing.T) {
	tests := []struct {
		name string
		imei string
		want string
	}{
		{name: "IMEI", imei: "490154203237518", want: "49015420"},
		{name: "IMEISV is not an IMEI", imei: "4901542032375101", want: ""},
		{name: "14 digits", imei: "49015420323751", want: ""},
		{name: "letter", imei: "49015420323751A", want: ""},
		{name: "empty", imei: "", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ident.TAC(tc.imei); got != tc.want {
				t.Errorf("TAC(%q) = %q, want %q", tc.imei, got, tc.want)
			}
		})
	}
}
