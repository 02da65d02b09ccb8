package ident_test

import (
	"testing"

	"github.com/idswap/idswap/internal/ident"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "already clean", in: "490154203237518", want: "490154203237518"},
		{name: "empty", in: "", want: ""},
		{name: "byte-order mark and spaces", in: "\uFEFF 8914 8000 0008 4259 0078 ", want: "89148000000842590078"},
		{name: "text formula", in: `="89148000000842590078"`, want: "89148000000842590078"},
		{name: "text formula with space after equals", in: `= "490154203237518"`, want: "490154203237518"},
		{name: "equals without quotes is kept", in: "=490154203237518", want: "=490154203237518"},
		{name: "excel apostrophe", in: "'490154203237518", want: "490154203237518"},
		{name: "nested quotes and spaces", in: ` " '490154203237518' " `, want: "490154203237518"},
		{name: "typographic single quotes", in: "\u2018490154203237518\u2019", want: "490154203237518"},
		{name: "low double quote", in: "\u201E490154203237518\u201C", want: "490154203237518"},
		{name: "backticks from chat", in: "`490154203237518`", want: "490154203237518"},
		{name: "inner quote is kept", in: `4901542"03237518`, want: `4901542"03237518`},
		{name: "dashes and minus sign", in: "490154-203237\u2212518", want: "490154203237518"},
		{name: "em dash and non-breaking hyphen", in: "490154\u2014203237\u2011518", want: "490154203237518"},
		{name: "tabs and no-break spaces", in: "4901\u00A05420\u202F3237\t518", want: "490154203237518"},
		{name: "ideographic space", in: "4901\u30005420", want: "49015420"},
		{name: "dots as separators", in: "490154.203237.518", want: "490154203237518"},
		{name: "trailing full stop from a sentence", in: "490154203237518.", want: "490154203237518"},
		{name: "soft hyphen and zero-width joiner", in: "4901\u00AD5420\u200D3237", want: "490154203237"},
		{name: "inner line break is kept", in: " 4901\r\n5420 ", want: "4901\r\n5420"},
		{name: "parentheses are kept for MDN", in: " (555) 555-0100 ", want: "(555)5550100"},
		{name: "plus is kept", in: "\u202A+1 555 555 0100\u202C", want: "+15555550100"},
		{name: "letters are kept", in: "4901 542A", want: "4901542A"},
		{name: "scientific notation kept whole", in: " 8.91480000001E+19 ", want: "8.91480000001E+19"},
		{name: "scientific notation decimal comma kept whole", in: "8,91480000001E+19", want: "8,91480000001E+19"},
		{name: "negative scientific notation loses only the dash", in: "-8.9148E19", want: "8.9148E19"},
		{name: "decimal part kept whole", in: "490154203237518.0", want: "490154203237518.0"},
		{name: "space thousands with decimal comma", in: "490 154 203 237 518,00", want: "490154203237518,00"},
		{name: "comma thousands kept whole", in: "89,148,000,000,842,600,000", want: "89,148,000,000,842,600,000"},
		{name: "dot groups of three are separators", in: "490.154.203.237.518", want: "490154203237518"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ident.Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
