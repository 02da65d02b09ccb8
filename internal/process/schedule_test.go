package process_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// submissions counts the change requests the carrier got for lines [from, to).
func (r *rig) submissions(from, to int) int {
	st := r.sim.Stats()
	n := 0
	for _, l := range r.lines[from:to] {
		n += st.ChangeSubmissions[l.MDN]
	}
	return n
}

// pendingJobs counts queued and running jobs of a kind.
func (r *rig) pendingJobs(kind string) int {
	r.t.Helper()
	n := 0
	for _, status := range []string{store.JobQueued, store.JobRunning} {
		js, _, err := r.db.Jobs(context.Background(), status, 10000, 0)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, j := range js {
			if j.Kind == kind {
				n++
			}
		}
	}
	return n
}

// A scheduled request sends nothing to the carrier before its start time, while the engine runs
// other work, and everything once its time comes (the database's clock is moved on to it).
func TestScheduledRequestSendsNothingBeforeItsTime(t *testing.T) {
	r := newRig(t, 6, tssim.Config{})
	var offset atomic.Int64 // how far the database's clock runs ahead of the host's
	r.db.Now = func() time.Time {
		return time.Now().UTC().Add(time.Duration(offset.Load())).Truncate(time.Millisecond)
	}
	ctx := context.Background()
	runAt := r.db.Now().Add(time.Hour)
	scheduled := r.batchOf(r.tenant, r.user, change.ChangeICCID, r.lines[:3], "", &runAt)
	r.start(nil, nil)
	// Other work runs meanwhile: a request made after it, for other lines, finishes.
	now := r.batchOf(r.tenant, r.user, change.ChangeICCID, r.lines[3:], "", nil)
	if b := r.waitFinal(now); b.Status != change.BatchProcessed {
		t.Fatalf("the request made after: %s %+v", b.Status, b.Counts)
	}
	b, err := r.db.BulkChange(ctx, 0, scheduled)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != change.BatchScheduled || b.Counts.New != 3 || r.submissions(0, 3) != 0 {
		t.Fatalf("before its time: %s %+v, %d change requests at the carrier", b.Status, b.Counts, r.submissions(0, 3))
	}
	offset.Store(int64(time.Hour + time.Second))
	// (the queue polls: the start job is due on its next look)
	if b := r.waitFinal(scheduled); b.Status != change.BatchProcessed || b.StartedDate == nil || b.StartedDate.Before(runAt) {
		t.Fatalf("after its time: %s %+v started %v", b.Status, b.Counts, b.StartedDate)
	}
	r.checkNothingSentTwice(6)
	if n := r.logCount(scheduled, store.LogStarted); n != 1 {
		t.Fatalf("start log entries: %d", n)
	}
}

// Pause holds the rows not yet sent — also those whose submit jobs were queued before it —
// while the rows already sent finish; resume sends the held ones and the request ends with
// every row PROCESSED, each line changed once.
func TestPauseHoldsUnsentRowsAndResumeFinishesThem(t *testing.T) {
	const n = 20
	r := newRig(t, n, tssim.Config{})
	ctx := context.Background()
	// Every claimed row waits at the claim until the pause is in: the rows claimed by then are
	// the ones "already sent", and the rest must be held.
	gate := make(chan struct{})
	var claimed atomic.Int32
	r.start(nil, func(c *process.Config, q *queue.Config) {
		q.Workers = 2
		c.Hook = func(ctx context.Context, point string, _ int64) error {
			if point != process.HookClaimed {
				return nil
			}
			claimed.Add(1)
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
	})
	id := r.batch(change.ChangeICCID, n)
	r.waitFor("a row to be claimed", func() bool { return claimed.Load() > 0 })
	if err := r.db.PauseBulkChange(ctx, r.tenant, id, requester, ""); err != nil {
		t.Fatal(err)
	}
	close(gate)
	// Every submit job queued before the pause runs out: the claimed rows are sent and finish,
	// the others are held.
	r.waitFor("the paused request to settle", func() bool {
		b, err := r.db.BulkChange(ctx, 0, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.pendingJobs(jobs.KindSubmitChange) == 0 && b.Counts.Processing == 0
	})
	b, err := r.db.BulkChange(ctx, 0, id)
	if err != nil {
		t.Fatal(err)
	}
	sent := r.submissions(0, n)
	if b.Status != change.BatchPaused || b.Counts.New == 0 || b.Counts.Processed != sent || sent != int(claimed.Load()) {
		t.Fatalf("paused: %s %+v; %d claimed, %d change requests at the carrier", b.Status, b.Counts, claimed.Load(), sent)
	}
	held := 0
	for _, row := range r.rows(id) {
		if row.Status == change.StatusNew {
			held++
		}
	}
	if held != n-sent {
		t.Fatalf("%d rows held, want %d", held, n-sent)
	}
	if now, err := r.db.ResumeBulkChange(ctx, r.tenant, id, requester, ""); err != nil || now != change.BatchProcessing {
		t.Fatalf("resume: %s %v", now, err)
	}
	if b := r.waitFinal(id); b.Status != change.BatchProcessed || b.Counts.Processed != n {
		t.Fatalf("after resume: %s %+v", b.Status, b.Counts)
	}
	r.checkNothingSentTwice(n)
	r.checkInventoryMatchesCarrier()
}
