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

// Benchmark settings: a carrier that answers in 50 ms and allows 100 requests a second.
const (
	benchRows    = 2000
	benchRate    = 100.0
	benchLatency = 50 * time.Millisecond
	// benchWorkers keeps latency × rate = 5 requests in flight with room for the database work
	// around each one.
	benchWorkers = 16
)

// BenchmarkEngineThroughput runs 2,000 ICCID changes through the engine against the simulator
// (50 ms latency, 100 requests/s, enforced with 429s) and reports the time until every row is
// final and its ratio to the ideal (rows ÷ limit = 20 s); then the same with one worker, the
// one-row-at-a-time loop of the legacy system, in the same run. The target is at least 80% of
// the carrier's limit: ideal/actual ≥ 0.8.
//
//	go test -run='^$' -bench=EngineThroughput -benchtime=1x -timeout=30m ./internal/process
func BenchmarkEngineThroughput(b *testing.B) {
	for b.Loop() {
		ideal := float64(benchRows) / benchRate
		pool := runBatch(b, benchWorkers)
		one := runBatch(b, 1)
		b.ReportMetric(pool.Seconds(), "s-to-final")
		b.ReportMetric(ideal/pool.Seconds(), "share-of-limit")
		b.ReportMetric(float64(benchRows)/pool.Seconds(), "rows/s")
		b.ReportMetric(one.Seconds(), "s-to-final-one-at-a-time")
		b.ReportMetric(ideal/one.Seconds(), "share-of-limit-one-at-a-time")
		b.Logf("%d rows, carrier limit %.0f/s, latency %s: ideal %.1fs; %d workers %.1fs (%.0f%% of the limit); one at a time %.1fs (%.0f%%)",
			benchRows, benchRate, benchLatency, ideal, benchWorkers, pool.Seconds(), 100*ideal/pool.Seconds(),
			one.Seconds(), 100*ideal/one.Seconds())
	}
}

// runBatch creates a 2,000-row request in a fresh world, starts an engine with the given
// number of workers, and returns how long it took until every row was final.
func runBatch(b *testing.B, workers int) time.Duration {
	b.Helper()
	r := newRig(b, benchRows, tssim.Config{Latency: tssim.Latency{Mean: benchLatency}, RateLimit: benchRate})
	id := r.batch(change.ChangeICCID, benchRows)
	start := time.Now()
	r.start(nil, func(e *process.Config, q *queue.Config) {
		e.CarrierRate = benchRate
		e.CallbackWait = time.Hour // results come by callback; no check competes for the limit
		e.Logger = nil
		q.Workers = workers
		q.Logger = nil
	})
	ctx := context.Background()
	for {
		bc, err := r.db.BulkChange(ctx, 0, id)
		if err != nil {
			b.Fatal(err)
		}
		if bc.Status.Final() {
			took := time.Since(start)
			if bc.Status != change.BatchProcessed {
				b.Fatalf("batch %s %+v", bc.Status, bc.Counts)
			}
			r.checkNothingSentTwice(benchRows)
			st := r.sim.Stats()
			b.Logf("%d workers: %d throttled (429) answers", workers, st.Call(tssim.KindChangeIdentifier, 429))
			return took
		}
		time.Sleep(50 * time.Millisecond)
	}
}
