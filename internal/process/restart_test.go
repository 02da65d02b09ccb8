package process_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// TestKilledAtAnyMomentAndRestarted kills the engine in the middle of a batch — at each crash
// point in turn, and at no point in particular — and starts a new one on the same database and
// carrier. A killed engine writes nothing more (its database handle is closed), sends nothing
// more (its transport is cut) and keeps its leases until they run out, as a dead process would.
// After the restart every row must end PROCESSED, every line must have had one change request,
// and the inventory must match the carrier.
func TestKilledAtAnyMomentAndRestarted(t *testing.T) {
	for _, point := range []string{process.HookClaimed, process.HookSent, process.HookFinish, "anywhere"} {
		t.Run(point, func(t *testing.T) {
			const rows = 20
			r := newRig(t, rows, tssim.Config{CallbackRetryInterval: 50 * time.Millisecond})
			first := r.open(t)
			cut := &killSwitch{}
			var killed atomic.Bool
			var rn *running
			kill := func() {
				if killed.Swap(true) {
					return
				}
				cut.dead.Store(true)
				r.current.Store(nil) // callbacks find nobody home until the restart
				rn.cancel()
				_ = first.Close() // the kill itself: what the close reports is not what this test is about
			}
			var hits atomic.Int32
			rn = r.start(first, func(e *process.Config, q *queue.Config) {
				// The jobs the killed engine holds are taken over when its leases run out:
				// keep them short (the rig's default outlasts the test).
				q.Lease = time.Second
				e.HTTPClient = &http.Client{Transport: cut}
				e.Hook = func(ctx context.Context, p string, changeID int64) error {
					if killed.Load() {
						return errKilled
					}
					if p == point && hits.Add(1) == 5 {
						kill()
						return errKilled
					}
					return nil
				}
			})
			id := r.batch(change.ChangeICCID, rows)
			r.waitFor("the engine to die", func() bool {
				if point == "anywhere" {
					b, err := r.db.BulkChange(context.Background(), 0, id)
					if err == nil && b.Counts.Processed >= 7 {
						kill()
					}
				}
				return killed.Load()
			})
			<-rn.done

			// A new process on the same database and carrier.
			r.start(r.open(t), nil)
			b := r.waitFinal(id)
			if b.Status != change.BatchProcessed || b.Counts.Processed != rows {
				t.Fatalf("batch %s %+v", b.Status, b.Counts)
			}
			r.checkNothingSentTwice(rows)
			r.checkInventoryMatchesCarrier()
			for _, l := range r.lines[:rows] {
				hist, err := r.db.IdentifierHistory(context.Background(), r.tenant, l.DeviceID)
				if err != nil || len(hist) != 1 {
					t.Errorf("line %s: %d history rows (%v)", l.MDN, len(hist), err)
				}
			}
			if n := len(r.mail.Messages()); n != 1 {
				t.Errorf("%d e-mails", n)
			}
		})
	}
}

func TestStoppedGracefullyAndRestarted(t *testing.T) {
	const rows = 30
	r := newRig(t, rows, tssim.Config{Latency: tssim.Latency{Mean: 5 * time.Millisecond}})
	rn := r.start(nil, nil)
	id := r.batch(change.ChangeICCID, rows)
	r.waitFor("some rows to finish", func() bool {
		b, err := r.db.BulkChange(context.Background(), 0, id)
		return err == nil && b.Counts.Processed >= 5
	})
	rn.stop()
	b, _ := r.db.BulkChange(context.Background(), 0, id)
	if b.Status.Final() {
		t.Skip("the batch finished before the stop; nothing to prove")
	}
	r.start(nil, nil)
	b = r.waitFinal(id)
	if b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.checkNothingSentTwice(rows)
	r.checkInventoryMatchesCarrier()
}
