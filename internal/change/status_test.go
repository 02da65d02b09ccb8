package change_test

import (
	"testing"

	"github.com/idswap/idswap/internal/change"
)

func TestCountsOutcome(t *testing.T) {
	counts := func(rows ...change.Status) change.Counts {
		var c change.Counts
		for _, s := range rows {
			c.Add(s, 1)
		}
		return c
	}
	ok, apiFailed, rowErr, cancelled, open := change.StatusProcessed, change.StatusAPIFailed, change.StatusError,
		change.StatusCancelled, change.StatusProcessing
	tests := []struct {
		name  string
		from  change.BatchStatus
		rows  change.Counts
		want  change.BatchStatus
		final bool
	}{
		{"a row still open", change.BatchProcessing, counts(ok, open), "", false},
		{"every row succeeded", change.BatchProcessing, counts(ok, ok), change.BatchProcessed, true},
		{"cancelled rows count neither way", change.BatchProcessing, counts(ok, cancelled), change.BatchProcessed, true},
		{"every row cancelled", change.BatchProcessing, counts(cancelled, cancelled), change.BatchCancelled, true},
		{"every row failed", change.BatchProcessing, counts(apiFailed, rowErr), change.BatchError, true},
		{"some failed", change.BatchProcessing, counts(ok, rowErr), change.BatchProcessedWithErrors, true},
		{"a batch that failed as a whole stays ERROR", change.BatchError, counts(ok, ok), change.BatchError, true},
		{"ERROR still waits for open rows", change.BatchError, counts(ok, open), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, final := tt.rows.Outcome(tt.from)
			if got != tt.want || final != tt.final {
				t.Fatalf("Outcome(%s) of %+v = %q, %v; want %q, %v", tt.from, tt.rows, got, final, tt.want, tt.final)
			}
		})
	}
}
