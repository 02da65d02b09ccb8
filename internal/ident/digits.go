package ident

import "strings"

// Digits keeps only the ASCII digits of s: what a search term or a typed identifier holds
// once its spaces, dashes and wrapping are ignored.
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
