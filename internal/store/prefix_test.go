package store

import (
	"strings"
	"testing"
)

// windowsLess orders strings the way SQL Server's NVARCHAR comparison does for the characters
// that matter here: punctuation before digits, digits in order (the review's finding 1). Only
// the primary weights of this small alphabet are modelled.
func windowsLess(a, b string) bool {
	weight := func(c byte) int {
		if c >= '0' && c <= '9' {
			return 100 + int(c-'0')
		}
		return int(c) // ':', ';', '%' … sort before every digit
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if wa, wb := weight(a[i]), weight(b[i]); wa != wb {
			return wa < wb
		}
	}
	return len(a) < len(b)
}

// TestPrefixBoundHoldsUnderBothCollations checks the range prefixCond builds against byte
// order (SQLite) and a Windows-collation order (SQL Server): every value that starts with the
// prefix is inside [lo, hi), every other value outside.
func TestPrefixBoundHoldsUnderBothCollations(t *testing.T) {
	values := []string{"8914", "89140", "8914809", "89148090", "89148099", "891481", "8914810", "8915", "8919",
		"89190", "89199", "892", "8920", "9", "99", "999", "9990", "9999", "99999", "1000"}
	for _, prefix := range []string{"8914", "8914809", "8919", "89199", "9", "99", "999", "9999"} {
		hi, ok := digitPrefixUpperBound(prefix)
		allNines := strings.Trim(prefix, "9") == ""
		if ok == allNines {
			t.Fatalf("prefix %q: bound ok=%v", prefix, ok)
		}
		for _, less := range map[string]func(a, b string) bool{
			"binary":  func(a, b string) bool { return a < b },
			"windows": windowsLess,
		} {
			for _, v := range values {
				in := !less(v, prefix) && (!ok || less(v, hi))
				if !ok {
					in = in && strings.HasPrefix(v, prefix) // the LIKE half
				}
				if in != strings.HasPrefix(v, prefix) {
					t.Errorf("prefix %q, bound %q: value %q matched=%v", prefix, hi, v, in)
				}
			}
		}
	}
	if hi, _ := digitPrefixUpperBound("8914809"); hi != "891481" {
		t.Fatalf("bound of 8914809 = %q", hi)
	}
}
