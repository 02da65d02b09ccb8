package process_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Callbacks without "status" (the carrier's callback has no published model) are stored and
// the rows are settled by asking the carrier about each line: the changes the carrier made
// finish PROCESSED, the one it refused finishes API_FAILED by the check, never by the callback.
func TestCallbacksWithoutStatusAreSettledByTheLine(t *testing.T) {
	r := newRig(t, 6, tssim.Config{CallbacksWithoutStatus: true})
	r.sim.InjectFault(r.lines[0].SpareICCID, tssim.Fault{Code: codeInUse})
	// Long enough for every callback to arrive before the first check asks about its line.
	// The refused row is given up at the horizon: short, so the test does not wait for it.
	r.start(nil, func(e *process.Config, _ *queue.Config) {
		e.CallbackWait, e.ConfirmHorizon = 2*time.Second, 4*time.Second
	})
	id := r.batch(change.ChangeICCID, 6)
	b := r.waitFinal(id)
	if b.Counts.Processed != 5 || b.Counts.APIFailed != 1 {
		t.Fatalf("batch %s %+v, want 5 processed and 1 failed", b.Status, b.Counts)
	}
	for _, row := range r.rows(id) {
		failed := row.Status == change.StatusAPIFailed
		if failed != (row.NewICCID == r.lines[0].SpareICCID) {
			t.Errorf("row %d (%s): %s %q", row.ID, row.NewICCID, row.Status, row.StatusDetails)
		}
		if failed && !strings.Contains(row.StatusDetails, "did not confirm") {
			t.Errorf("failed row %d: %q, want the check's reason", row.ID, row.StatusDetails)
		}
	}
	if codes := r.logCodes(id); codes[process.CodeNotConfirmed] != 1 || codes[codeInUse] != 0 {
		t.Errorf("log codes %v", codes)
	}
	cbs, err := r.db.Callbacks(context.Background(), r.provider)
	if err != nil || len(cbs) != 6 {
		t.Fatalf("%d callbacks stored (%v), want 6", len(cbs), err)
	}
	for _, cb := range cbs {
		if cb.Status != "" || strings.Contains(cb.Body, `"status"`) {
			t.Errorf("callback %d has a status: %s", cb.ID, cb.Body)
		}
	}
	if n := r.logCount(id, store.LogCallback); n != 6 {
		t.Errorf("%d callback log entries, want 6 (each noted as unclear)", n)
	}
	r.checkNothingSentTwice(6)
	r.checkInventoryMatchesCarrier()
}
