package change_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
)

func TestParseRows(t *testing.T) {
	for name, tc := range map[string]struct {
		text     string
		want     []change.Row
		header   bool
		examples int
	}{
		"commas": {
			text: "89148000004200000371,89148000004200099996\n5125550100,,866957041000071\n",
			want: []change.Row{{Current: "89148000004200000371", NewICCID: "89148000004200099996"},
				{Current: "5125550100", NewIMEI: "866957041000071"}},
		},
		"semicolons and CRLF": {
			text: "a;b;c\r\nd;e;f\r\n",
			want: []change.Row{{Current: "a", NewICCID: "b", NewIMEI: "c"}, {Current: "d", NewICCID: "e", NewIMEI: "f"}},
		},
		"tabs from a spreadsheet, spaces kept inside cells": {
			text: "8914 8000 0042\t8914 8000 0043\t\n",
			want: []change.Row{{Current: "8914 8000 0042", NewICCID: "8914 8000 0043"}},
		},
		"separator decided per line": {
			text: "a,b\nc;d\ne\tf\n",
			want: []change.Row{{Current: "a", NewICCID: "b"}, {Current: "c", NewICCID: "d"}, {Current: "e", NewICCID: "f"}},
		},
		"header with columns in another order, BOM": {
			text:   "\uFEFFNew IMEI,Current Device\n866957041000071,5125550100\n",
			header: true,
			want:   []change.Row{{Current: "5125550100", NewIMEI: "866957041000071"}},
		},
		"header names with underscores": {
			text:   "current,new_iccid,new_imei\nx,y,z\n",
			header: true,
			want:   []change.Row{{Current: "x", NewICCID: "y", NewIMEI: "z"}},
		},
		"a first line with digits is data": {
			text: "8914,current\n",
			want: []change.Row{{Current: "8914", NewICCID: "current"}},
		},
		"quoted cells and spreadsheet text formulas": {
			text: "\"8914, 8000\",=\"89148000004200099996\"\n",
			want: []change.Row{{Current: "8914, 8000", NewICCID: `="89148000004200099996"`}},
		},
		"blank lines and empty cells skipped": {
			text: "\n  \n,,\na,b\n\n",
			want: []change.Row{{Current: "a", NewICCID: "b"}},
		},
		"note column and too many columns": {
			text: "a,b,c,my note,extra1,,extra2\n",
			want: []change.Row{{Current: "a", NewICCID: "b", NewIMEI: "c", Note: "my note", Extra: []string{"extra1", "extra2"}}},
		},
		"unknown header column becomes extra": {
			text:   "current,new_iccid,colour\na,b,red\n",
			header: true,
			want:   []change.Row{{Current: "a", NewICCID: "b", Extra: []string{"red"}}},
		},
		"template example rows are skipped and counted": {
			text:     "current,new_iccid,new_imei,note\n=\"1\",=\"2\",,Example: replace me\nreal,row\n",
			header:   true,
			examples: 1,
			want:     []change.Row{{Current: "real", NewICCID: "row"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := change.ParseRows(tc.text)
			if !reflect.DeepEqual(p.Rows, tc.want) || p.Header != tc.header || p.Examples != tc.examples {
				t.Fatalf("got %+v header=%v examples=%d\nwant %+v header=%v examples=%d", p.Rows, p.Header, p.Examples, tc.want, tc.header, tc.examples)
			}
		})
	}
}

func TestFormatRowsRoundTrips(t *testing.T) {
	rows := []change.Row{
		{Current: "89148000004200000371", NewICCID: "89148000004200099996"},
		{Current: "5125550100", NewIMEI: "866957041000071"},
		{Current: "1,234", NewICCID: `="8914"`, NewIMEI: "x"},
		{Current: "a", Note: "kept"},
		{Current: "b", Extra: []string{"c", "d"}},
		{NewICCID: "only new"},
	}
	text := change.FormatRows(rows)
	if !strings.HasPrefix(text, "89148000004200000371,89148000004200099996\n5125550100,,866957041000071\n") {
		t.Fatalf("not the plain form: %q", text)
	}
	if got := change.ParseRows(text).Rows; !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip:\n%q\ngot  %+v\nwant %+v", text, got, rows)
	}
}

func TestDuplicates(t *testing.T) {
	got := change.Duplicates([]string{"a", "b", "a", "", "", "a", "c"})
	want := map[int][]int{0: {3, 6}, 2: {1, 6}, 5: {1, 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestRowList(t *testing.T) {
	for rows, want := range map[string]string{
		"2":         "row 2",
		"2,7":       "rows 2 and 7",
		"2,7,9":     "rows 2, 7 and 9",
		"2,7,9,1,5": "rows 2, 7, 9 and 2 more",
	} {
		var ns []int
		for _, s := range strings.Split(rows, ",") {
			n := 0
			for _, r := range s {
				n = n*10 + int(r-'0')
			}
			ns = append(ns, n)
		}
		if got := change.RowList(ns); got != want {
			t.Errorf("%v: %q, want %q", ns, got, want)
		}
	}
}
