package process_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// BenchmarkKilledAt1s measures recovery from a crash: a 200-row batch, the process killed 1 s
// after the batch was stored (its transport cut, its database handle closed, its leases left to
// run out, as kill -9 leaves them), and a new process started at once. It reports the time from
// the restart until every row is final. The engine runs with the production waits (callback
// wait 3m, checks from 1m, horizon 24h, 50 requests/s) and serve's queue lease (15s); the carrier
// calls back at once and redelivers a refused callback after 5 s (the real one: reportedly 5
// minutes). Before issue 11 the rows claimed but not sent waited for the whole check schedule.
//
//	go test -run='^$' -bench=KilledAt1s -benchtime=1x ./internal/process
func BenchmarkKilledAt1s(b *testing.B) {
	const rows = 200
	for b.Loop() {
		r := newRig(b, rows, tssim.Config{CallbackRetryInterval: 5 * time.Second})
		production := func(e *process.Config, q *queue.Config) {
			e.CallbackWait, e.CheckInterval, e.ConfirmHorizon, e.CarrierRate = 3*time.Minute, time.Minute, 24*time.Hour, 50
			*q = queue.Config{Store: q.Store, Logger: q.Logger, Lease: 15 * time.Second}
		}
		first := r.open(b)
		cut := &killSwitch{}
		rn := r.start(first, func(e *process.Config, q *queue.Config) {
			production(e, q)
			e.HTTPClient = &http.Client{Transport: cut}
		})
		id := r.batch(change.ChangeICCID, rows)
		time.Sleep(time.Second)
		cut.dead.Store(true)
		r.current.Store(nil)
		rn.cancel()
		if err := first.Close(); err != nil {
			b.Fatal(err)
		}
		<-rn.done
		before, _ := r.db.BulkChange(b.Context(), 0, id)

		restarted := time.Now()
		r.start(r.open(b), production)
		bc := r.waitFinal(id)
		took := time.Since(restarted)
		if bc.Status != change.BatchProcessed {
			b.Fatalf("batch %s %+v", bc.Status, bc.Counts)
		}
		r.checkNothingSentTwice(rows)
		r.checkInventoryMatchesCarrier()
		b.ReportMetric(took.Seconds(), "s-to-final-after-restart")
		b.ReportMetric(float64(before.Counts.Processed), "rows-final-at-kill")
	}
}
