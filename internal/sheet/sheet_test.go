package sheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/sheet"
)

var hostile = []string{`=HYPERLINK("http://evil.example","x")`, "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"}

// Every format the one writer writes neutralises formulas the same way and keeps
// identifiers' digits, and Unmark takes the marks off again.
func TestWritersNeutraliseAndKeepIdentifiers(t *testing.T) {
	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			w := sheet.New(f, &b)
			row := append(sheet.Texts(hostile...), sheet.ID("89148000004200000373"), sheet.ID("8914-x"), sheet.Int(42))
			if err := w.Write(row...); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var got []string
			if f == sheet.CSV {
				recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
				if err != nil || len(recs) != 1 {
					t.Fatalf("%v %v", recs, err)
				}
				got = recs[0]
			} else {
				rows, err := sheet.ReadXLSX(&b)
				if err != nil || len(rows) != 1 {
					t.Fatalf("%v %v", rows, err)
				}
				got = rows[0]
			}
			for i, h := range hostile {
				if got[i] != "'"+h {
					t.Errorf("cell %d = %q, want it neutralised", i, got[i])
				}
			}
			id := got[len(hostile)]
			if sheet.Unmark(id) != "89148000004200000373" || (f == sheet.CSV && id != "'89148000004200000373") {
				t.Errorf("identifier %q", id)
			}
			if got[len(hostile)+1] != "8914-x" || got[len(hostile)+2] != "42" {
				t.Errorf("cells %q", got[len(hostile)+1:])
			}
		})
	}
}

func TestUnmark(t *testing.T) {
	for in, want := range map[string]string{"'8914": "8914", `="8914"`: "8914", "8914": "8914", " '8914 ": "8914", `=SUM(1)`: `=SUM(1)`} {
		if got := sheet.Unmark(in); got != want {
			t.Errorf("Unmark(%q) = %q, want %q", in, got, want)
		}
	}
}
