package change_test

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
)

// Identifiers that pass their checks.
const (
	goodICCID = "89148000004200000373"
	goodIMEI  = "866957041000070"
	goodMDN   = "5125550100"
)

func TestCheckRow(t *testing.T) {
	badICCID := goodICCID[:19] + "2" // wrong check digit
	for name, tc := range map[string]struct {
		typ  change.Type
		row  change.Row
		want []string // "column: fragment" per problem, in order
	}{
		"ICCID change, current by ICCID": {change.ChangeICCID, change.Row{Current: goodICCID, NewICCID: "8914800000420009999 5"}, nil},
		"IMEI change, current by MDN":    {change.ChangeIMEI, change.Row{Current: "+1 (512) 555-0100", NewIMEI: goodIMEI}, nil},
		"both, current by IMEI":          {change.ChangeIMEIandICCID, change.Row{Current: "866957041000088", NewICCID: goodICCID, NewIMEI: goodIMEI}, nil},
		"wrong check digit": {change.ChangeICCID, change.Row{Current: goodMDN, NewICCID: badICCID},
			[]string{"new_iccid: Row 1, new ICCID: ICCID " + badICCID + ": check digit is 2 but should be 3"}},
		"current missing": {change.ChangeICCID, change.Row{NewICCID: goodICCID},
			[]string{"current: Row 1, current device: missing"}},
		"current unreadable": {change.ChangeICCID, change.Row{Current: "12345", NewICCID: goodICCID},
			[]string{"current: 5 digits is not the length of any identifier"}},
		"new ICCID missing for ChangeICCID": {change.ChangeICCID, change.Row{Current: goodMDN},
			[]string{"new_iccid: missing; ChangeICCID needs the new ICCID"}},
		"IMEI in the ICCID column": {change.ChangeIMEI, change.Row{Current: goodMDN, NewICCID: goodIMEI},
			[]string{"new_iccid: ChangeIMEI keeps the SIM, so leave this column empty", "it looks like an IMEI",
				"new_imei: missing; ChangeIMEI needs the new IMEI (the new ICCID column holds what looks like an IMEI"}},
		"new IMEI given for ChangeICCID": {change.ChangeICCID, change.Row{Current: goodMDN, NewICCID: goodICCID, NewIMEI: goodIMEI},
			[]string{"new_imei: ChangeICCID keeps the device"}},
		"both needed, both missing": {change.ChangeIMEIandICCID, change.Row{Current: goodMDN},
			[]string{"new_iccid: missing", "new_imei: missing"}},
		"spreadsheet number": {change.ChangeICCID, change.Row{Current: goodMDN, NewICCID: "8.91480000042E+19"},
			[]string{"new_iccid: a spreadsheet converted this value"}},
		"extra columns": {change.ChangeICCID, change.Row{Current: goodMDN, NewICCID: goodICCID, Extra: []string{"x"}},
			[]string{"row: Row 1: 1 value(s) after the known columns (\"x\")"}},
	} {
		t.Run(name, func(t *testing.T) {
			c := change.CheckRow(tc.typ, 1, tc.row)
			var got []string
			for _, p := range c.Problems {
				got = append(got, string(p.Column)+": "+p.Message)
			}
			all := strings.Join(got, "\n")
			if len(tc.want) == 0 && len(got) > 0 {
				t.Fatalf("unexpected problems:\n%s", all)
			}
			for _, w := range tc.want {
				col, frag, _ := strings.Cut(w, ": ")
				found := false
				for _, p := range c.Problems {
					if string(p.Column) == col && strings.Contains(p.Message, frag) {
						found = true
					}
				}
				if !found && !strings.Contains(all, frag) {
					t.Errorf("no problem %q in:\n%s", w, all)
				}
			}
			if len(tc.want) > 0 && len(got) == 0 {
				t.Fatal("no problem found")
			}
		})
	}
}

func TestCheckRowNormalises(t *testing.T) {
	c := change.CheckRow(change.ChangeIMEIandICCID, 4, change.Row{Current: "(512) 555-0100", NewICCID: "8914 8000 0042 0000 0373", NewIMEI: "86-695704-100007-0"})
	if len(c.Problems) > 0 {
		t.Fatal(c.Problems)
	}
	if c.CurrentKind != ident.MDN || c.Current != goodMDN || c.NewICCID != goodICCID || c.NewIMEI != goodIMEI {
		t.Fatalf("%+v", c)
	}
}

func TestProblemNamesRowAndColumn(t *testing.T) {
	p := change.Problemf(12, change.ColumnNewIMEI, "is %s", "bad")
	if p.Message != "Row 12, new IMEI: is bad" || p.Column != change.ColumnNewIMEI {
		t.Fatalf("%+v", p)
	}
	if p := change.Problemf(3, change.ColumnRow, "x"); p.Message != "Row 3: x" {
		t.Fatalf("%+v", p)
	}
}
