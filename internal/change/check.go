package change

import (
	"fmt"
	"strings"

	"github.com/idswap/idswap/internal/ident"
)

// Checked is a row after the checks that need no data: its identifiers normalised, and what is
// wrong with it so far. A value that failed its check is left empty.
type Checked struct {
	CurrentKind ident.Kind // 0 when the current identifier could not be read
	Current     string
	NewICCID    string
	NewIMEI     string
	Problems    []Problem
}

// CheckRow runs the checks of row n (1-based) that need no data: every identifier has its
// format and check digit, and the columns given are those the change type needs — no more, no
// fewer. Each problem is its own message on the column it belongs to.
func CheckRow(t Type, n int, r Row) Checked {
	var c Checked
	add := func(col Column, format string, args ...any) {
		c.Problems = append(c.Problems, Problemf(n, col, format, args...))
	}
	if len(r.Extra) > 0 {
		add(ColumnRow, "%d value(s) after the known columns (%s); a row is current, new ICCID, new IMEI — check the separators",
			len(r.Extra), strings.Join(quoted(r.Extra, 3), ", "))
	}

	if strings.TrimSpace(r.Current) == "" {
		add(ColumnCurrent, "missing; give the device's ICCID, IMEI, MDN or EID")
	} else if k, v, err := ident.Detect(r.Current); err != nil {
		add(ColumnCurrent, "%v", err)
	} else {
		c.CurrentKind, c.Current = k, v
	}

	c.NewICCID = checkNew(t, r.NewICCID, r.NewIMEI, ident.ICCID, t.NeedsICCID(), ColumnNewICCID, add)
	c.NewIMEI = checkNew(t, r.NewIMEI, r.NewICCID, ident.IMEI, t.NeedsIMEI(), ColumnNewIMEI, add)
	return c
}

// checkNew checks one of the new-identifier columns against the change type and parses it.
func checkNew(t Type, value, other string, k ident.Kind, needed bool, col Column,
	add func(Column, string, ...any)) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "" && needed:
		hint := ""
		if otherLooksLike(other, k) {
			hint = fmt.Sprintf(" (the %s column holds what looks like %s: columns are current, new ICCID, new IMEI)",
				otherColumn(col).Label(), article(k))
		}
		add(col, "missing; %s needs the new %s%s", t, k, hint)
		return ""
	case value == "":
		return ""
	case !needed:
		hint := ""
		if looksLike(value, otherKind(k)) {
			hint = fmt.Sprintf("; it looks like %s — columns are current, new ICCID, new IMEI", article(otherKind(k)))
		}
		add(col, "%s keeps the %s, so leave this column empty (or choose %s)%s", t, verbObject(k), ChangeIMEIandICCID, hint)
		return ""
	}
	v, err := ident.Parse(k, value)
	if err != nil {
		add(col, "%v", err)
		return ""
	}
	return v
}

func otherKind(k ident.Kind) ident.Kind {
	if k == ident.ICCID {
		return ident.IMEI
	}
	return ident.ICCID
}

func otherColumn(c Column) Column {
	if c == ColumnNewICCID {
		return ColumnNewIMEI
	}
	return ColumnNewICCID
}

func verbObject(k ident.Kind) string {
	if k == ident.ICCID {
		return "SIM"
	}
	return "device"
}

func article(k ident.Kind) string {
	if k == ident.IMEI {
		return "an IMEI"
	}
	return "an ICCID"
}

// looksLike reports whether v has the shape of kind k, to explain a value in the wrong column.
func looksLike(v string, k ident.Kind) bool {
	got, _, err := ident.Detect(v)
	return err == nil && got == k
}

// otherLooksLike is looksLike for the other new-identifier column holding what this one needs.
func otherLooksLike(other string, k ident.Kind) bool {
	return strings.TrimSpace(other) != "" && looksLike(other, k)
}

func quoted(vs []string, most int) []string {
	out := make([]string, 0, min(len(vs), most)+1)
	for i, v := range vs {
		if i == most {
			out = append(out, "…")
			break
		}
		out = append(out, fmt.Sprintf("%q", v))
	}
	return out
}

// Duplicates finds values given more than once. keys[i] is the value of row i ("" for none);
// the answer maps each row whose value repeats to the 1-based numbers of the other rows with it.
func Duplicates(keys []string) map[int][]int {
	first := make(map[string][]int, len(keys))
	for i, k := range keys {
		if k != "" {
			first[k] = append(first[k], i)
		}
	}
	out := map[int][]int{}
	for _, idx := range first {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			others := make([]int, 0, len(idx)-1)
			for _, j := range idx {
				if j != i {
					others = append(others, j+1)
				}
			}
			out[i] = others
		}
	}
	return out
}

// RowList says a list of row numbers briefly: "rows 2, 7 and 9", or "rows 2, 7, 9 and 14 more".
func RowList(rows []int) string {
	const most = 3
	if len(rows) == 1 {
		return fmt.Sprintf("row %d", rows[0])
	}
	parts := make([]string, 0, most)
	for i, r := range rows {
		if i == most {
			return fmt.Sprintf("rows %s and %d more", strings.Join(parts, ", "), len(rows)-most)
		}
		parts = append(parts, fmt.Sprint(r))
	}
	return fmt.Sprintf("rows %s and %s", strings.Join(parts[:len(parts)-1], ", "), parts[len(parts)-1])
}
