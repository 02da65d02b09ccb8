package change_test

import (
	"testing"

	"github.com/idswap/idswap/internal/change"
)

// A row's Details column puts what an admin must know first, and says for changed rows only
// whether the device has been seen online since.
func TestRowNotesWords(t *testing.T) {
	for _, tc := range []struct {
		n    change.RowNotes
		want string
	}{
		{change.RowNotes{Status: change.StatusProcessing, Details: "Waiting for the carrier to confirm"}, "Waiting for the carrier to confirm"},
		{change.RowNotes{Status: change.StatusProcessed, Details: "Changed"}, "Changed · Not seen online yet"},
		{change.RowNotes{Status: change.StatusProcessed, Details: "Changed", OnlineSince: "2026-03-01 14:05 UTC"},
			"Changed · Online with the new identifiers since 2026-03-01 14:05 UTC"},
		{change.RowNotes{Status: change.StatusProcessed, Details: "Changed", Corrected: "2026-03-01 14:00 UTC", OnlineSince: "2026-03-01 14:05 UTC"},
			"Corrected by the carrier at 2026-03-01 14:00 UTC: Changed · Online with the new identifiers since 2026-03-01 14:05 UTC"},
		{change.RowNotes{Status: change.StatusAPIFailed, Details: "Refused", Attention: "the carrier said both"},
			"Needs attention: the carrier said both. Refused"},
	} {
		if got := tc.n.Words(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.n, got, tc.want)
		}
	}
}

// A correction's subject is the result subject, marked, and only it reads as a correction.
func TestCorrectionSubject(t *testing.T) {
	c := change.Counts{Total: 2, Processed: 2}
	s := change.CorrectionSubject(7, c)
	if want := "Correction: " + change.ResultSubject(7, c); s != want {
		t.Fatalf("subject %q, want %q", s, want)
	}
	if !change.IsCorrection(s) || change.IsCorrection(change.ResultSubject(7, c)) {
		t.Fatalf("change.IsCorrection(%q) = %v, change.IsCorrection(result) = %v", s, change.IsCorrection(s), change.IsCorrection(change.ResultSubject(7, c)))
	}
}
