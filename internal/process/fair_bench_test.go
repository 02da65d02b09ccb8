package process_test

import (
	"context"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Settings of the fairness benchmark (issue 15, item 2).
const (
	fairBigRows   = 2000
	fairSmallRows = 5
	fairRate      = 100.0 // the simulator's --rate-limit and IDSWAP_CARRIER_RATE
	fairSmallAt   = 2 * time.Second
)

// BenchmarkFairShare runs a 2,000-row request of one tenant through the engine against the
// simulator over HTTP (50 ms latency, 100 requests a second enforced with 429s, the engine's
// carrier rate 100) on SQLite, stores a 5-row request of another tenant 2 s in, and reports the
// time from storing the small request until its 5 rows are final (target under 5 s; behind the
// big one in arrival order it would wait about 18 s), the time until the big one is final, and
// the simulator's 429 answers (want none).
//
//	go test -run='^$' -bench=FairShare -benchtime=1x -timeout=30m ./internal/process
func BenchmarkFairShare(b *testing.B) {
	for b.Loop() {
		r := newRigOf(b, fairBigRows+fairSmallRows, fairSmallRows, tssim.Config{Latency: tssim.Latency{Mean: benchLatency},
			RateLimit: fairRate, CallbackDelay: 200 * time.Millisecond})
		big := r.batchOf(r.tenant, r.user, change.ChangeICCID, r.lines[:fairBigRows], change.PriorityNormal, nil)
		start := time.Now()
		r.start(nil, func(e *process.Config, q *queue.Config) {
			e.CarrierRate = fairRate
			e.CallbackWait = time.Hour // results come by callback; no check competes for the limit
			e.Logger = nil
			q.Workers = benchWorkers
			q.Logger = nil
		})
		time.Sleep(fairSmallAt)
		small := r.batchOf(r.other, r.otherUser, change.ChangeICCID, r.lines[fairBigRows:], change.PriorityNormal, nil)
		stored := time.Now()
		smallTook := waitFinal(b, r, small, fairSmallRows)
		bigTook := waitFinal(b, r, big, fairBigRows) + stored.Sub(start)
		st := r.sim.Stats()
		throttled := 0
		for _, byStatus := range st.Calls {
			throttled += byStatus["429"]
		}
		b.ReportMetric(smallTook.Seconds(), "s-small-to-final")
		b.ReportMetric(bigTook.Seconds(), "s-big-to-final")
		b.ReportMetric(float64(throttled), "429s")
		b.Logf("%d-row request at %.0f/s; a %d-row request of another tenant stored %s in was final %.1fs later (target < 5s); the big one took %.1fs; %d answers 429",
			fairBigRows, fairRate, fairSmallRows, fairSmallAt, smallTook.Seconds(), bigTook.Seconds(), throttled)
	}
}

// waitFinal polls a request until it is final, checks that every row changed, and returns how
// long that took from the call.
func waitFinal(b *testing.B, r *rig, id int64, rows int) time.Duration {
	b.Helper()
	began := time.Now()
	for {
		bc, err := r.db.BulkChange(context.Background(), 0, id)
		if err != nil {
			b.Fatal(err)
		}
		if bc.Status.Final() {
			if bc.Status != change.BatchProcessed || bc.Counts.Processed != rows {
				b.Fatalf("request %d: %s %+v", id, bc.Status, bc.Counts)
			}
			return time.Since(began)
		}
		if time.Since(began) > 10*time.Minute {
			b.Fatalf("request %d not final after 10 minutes: %+v", id, bc.Counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
