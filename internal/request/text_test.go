package request_test

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/request"
)

// Finding 7: NUL and right-to-left overrides are refused in free text, with a message saying
// which character and where; ordinary text in any script, tabs and line breaks pass.
func TestCheckFreeText(t *testing.T) {
	for _, ok := range []string{"SIMs failed in the field", "Übergabe an Kunde — 2. Lieferung", "مرحبا", "line one\nline two\tend"} {
		if msg := request.CheckFreeText("The reason", ok); msg != "" {
			t.Errorf("%q refused: %s", ok, msg)
		}
	}
	for in, want := range map[string]string{
		"bad\x00reason":        "control character (U+0000) at position 4",
		"swap \u202egnp.exe":   "text-direction character (U+202E) at position 6",
		"é\u2066isolate\u2069": "text-direction character (U+2066) at position 2",
		"bell\x07":             "U+0007",
	} {
		msg := request.CheckFreeText("The reason", in)
		if !strings.Contains(msg, want) || !strings.HasPrefix(msg, "The reason") {
			t.Errorf("%q: %q, want it to name %q", in, msg, want)
		}
	}
}
