package ident_test

import (
	"testing"

	"github.com/idswap/idswap/internal/ident"
)

func TestDigits(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"8914 8000-0042":          "891480000042",
		`="89148000004200000373"`: "89148000004200000373",
		"(512) 555-0100":          "5125550100",
		"no digits":               "",
		"٣٤٥ 12":                  "12", // other scripts' digits are not identifier digits
	} {
		if got := ident.Digits(in); got != want {
			t.Errorf("Digits(%q) = %q, want %q", in, got, want)
		}
	}
}
