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
		{"a cancelled row is not a success", change.BatchProcessing, counts(ok, cancelled), change.BatchProcessedWithErrors, true},
		{"failed and cancelled, nothing changed", change.BatchProcessing, counts(apiFailed, cancelled), change.BatchError, true},
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

// A request that ends with rows changed and others cancelled says so, in every word idswap
// uses for it: never "all changed", and the cancellations named as cancellations.
func TestDescribeProcessedAndCancelled(t *testing.T) {
	var c change.Counts
	c.Add(change.StatusProcessed, 27)
	c.Add(change.StatusCancelled, 173)
	final, ok := c.Outcome(change.BatchProcessing)
	if !ok {
		t.Fatal("a batch with no open row is not final")
	}
	o := change.Describe(final, c)
	if o.Status != change.BatchProcessedWithErrors || o.Words != "partly changed" || o.Tone != "warn" ||
		o.Headline != "Partly changed: 27 of 200 changed, 173 cancelled" {
		t.Fatalf("Describe = %+v", o)
	}
	if got := change.ResultSubject(7, c); got != "Bulk change 7: 27 of 200 changed, 173 cancelled" {
		t.Fatalf("subject %q", got)
	}
}

func TestCountsSummary(t *testing.T) {
	c := change.Counts{Total: 10, New: 2, Processing: 3, Processed: 3, APIFailed: 1, Error: 1}
	if got, want := c.Summary(), "3 of 10 changed, 2 failed; 3 waiting for the carrier, 2 not yet sent"; got != want {
		t.Fatalf("Summary = %q, want %q", got, want)
	}
	for _, s := range change.Statuses {
		if w := s.Words(); w == "" || w == string(s) {
			t.Errorf("%s has no words", s)
		}
	}
	for _, s := range change.BatchStatuses {
		if w := s.Words(); w == "" || w == string(s) {
			t.Errorf("%s has no words", s)
		}
	}
}
