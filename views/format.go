package views

import (
	"fmt"
	"strings"
)

// CountNoun says "1 row" or "12 rows", with thousands separated: "10,000 rows". It is the one
// count formatter of the portal: templates use it, and so do the handlers' notices.
func CountNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// thousands writes a count with its thousands separated: 10,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Plural picks the word for a count, without the count.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// arrow is a sorted column's direction as an arrow.
func arrow(dir string) string {
	if dir == "descending" {
		return "↓"
	}
	return "↑"
}

// changedFirst orders identifier changes: those with a new value first, the rest after.
func changedFirst(cs []IdentChange) []IdentChange {
	out := make([]IdentChange, 0, len(cs))
	for _, c := range cs {
		if c.New != "" {
			out = append(out, c)
		}
	}
	for _, c := range cs {
		if c.New == "" {
			out = append(out, c)
		}
	}
	return out
}

// ChangesText is identifier changes as one plain line, for a title.
func ChangesText(cs []IdentChange) string {
	var parts []string
	for _, c := range changedFirst(cs) {
		if c.New != "" {
			parts = append(parts, c.Kind+" "+c.Old+" → "+c.New)
		} else {
			parts = append(parts, c.Kind+" "+c.Old)
		}
	}
	return strings.Join(parts, " · ")
}
