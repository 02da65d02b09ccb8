package store

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
)

// TestEveryBoundedColumnIsCheckedAtItsWidth takes each of the SQL Server schema's bounded
// string columns: a value of exactly its width passes unchanged (in UTF-16 units for NVARCHAR,
// so emoji count twice), one unit more is refused with a message naming the column, or cut to
// the width for the columns that must store whatever arrives.
func TestEveryBoundedColumnIsCheckedAtItsWidth(t *testing.T) {
	widths, err := columnWidths()
	if err != nil {
		t.Fatal(err)
	}
	if len(widths) < 128 {
		t.Fatalf("%d bounded columns read from the SQL Server schema, want at least 128", len(widths))
	}
	for key, w := range widths {
		table, col, _ := strings.Cut(key, ".")
		fill := strings.Repeat("x", w.max)
		if w.unicode && w.max%2 == 0 {
			fill = strings.Repeat("😀", w.max/2) // two UTF-16 units each
		}
		got, err := checkWidths(table, []string{col}, []any{fill})
		if err != nil || got[0] != fill {
			t.Errorf("%s: a value of its width (%d) was not kept: %v", key, w.max, err)
			continue
		}
		over := fill + "y"
		got, err = checkWidths(table, []string{col}, []any{&over})
		if clippedColumns[key] {
			if err != nil || got[0] != fill {
				t.Errorf("%s: an over-long value was not cut to the width: %v %q", key, err, got)
			}
			continue
		}
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "too long") {
			t.Errorf("%s: an over-long value gave %v, want a clear Invalid error", key, err)
		}
	}
	// A cut never splits a character: one unit short of an emoji drops the whole emoji.
	w := columnWidth{max: 3, unicode: true}
	if got := w.clip("a😀😀"); got != "a😀" {
		t.Fatalf("clip: %q", got)
	}
}
