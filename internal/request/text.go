package request

import (
	"fmt"
	"unicode"
)

// CheckFreeText refuses text with control characters (NUL, escape, …; tab and line breaks are
// kept) or bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a
// reason or a name read differently from what is stored: "‮gnp.exe" shows as "exe.png". It
// returns a message naming field, or "" when s is fine.
func CheckFreeText(field, s string) string {
	i := 0
	for _, r := range s {
		i++
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case unicode.IsControl(r):
			return fmt.Sprintf("%s contains a control character (U+%04X) at position %d; remove it and type the text again.", field, r, i)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E || r == 0x200F || r == 0x061C:
			return fmt.Sprintf("%s contains an invisible text-direction character (U+%04X) at position %d; remove it and type the text again.", field, r, i)
		}
	}
	return ""
}
