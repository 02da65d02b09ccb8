package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/store"
)

func TestClaimTakesDueJobsOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		later := db.Now().Add(time.Hour)
		if err := db.Enqueue(ctx,
			store.NewJob{Kind: "a", Payload: 1},
			store.NewJob{Kind: "b", Payload: 2, MaxAttempts: 3},
			store.NewJob{Kind: "later", Payload: 3, RunAt: later},
		); err != nil {
			t.Fatal(err)
		}
		jobs, err := db.ClaimJobs(ctx, "w1", time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 2 {
			t.Fatalf("claimed %d jobs, want the 2 that are due: %+v", len(jobs), jobs)
		}
		for _, j := range jobs {
			if j.Attempts != 1 || j.Kind == "later" || j.Payload == "" || j.CreatedDate.IsZero() {
				t.Errorf("claimed job %+v", j)
			}
		}
		again, err := db.ClaimJobs(ctx, "w2", time.Minute, 10)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second worker claimed %d held jobs (%v)", len(again), err)
		}
		next, ok, err := db.NextJobAt(ctx)
		if err != nil || !ok {
			t.Fatalf("next job: %v %v", ok, err)
		}
		// The running jobs' leases end in a minute, before the queued job's hour.
		if d := next.Sub(db.Now()); d <= 0 || d > time.Minute+time.Second {
			t.Fatalf("next job due in %s, want the lease end in about a minute", d)
		}
		stats, err := db.QueueStats(ctx)
		if err != nil || stats.Queued != 1 || stats.Running != 2 || stats.Dead != 0 || !stats.OldestDue.IsZero() {
			t.Fatalf("stats %+v %v", stats, err)
		}
	})
}

func TestJobOutcomes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Enqueue(ctx, store.NewJob{Kind: "k", Payload: "x", MaxAttempts: 2}); err != nil {
			t.Fatal(err)
		}
		claim := func(worker string) store.Job {
			t.Helper()
			jobs, err := db.ClaimJobs(ctx, worker, time.Minute, 1)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claim: %v %v", jobs, err)
			}
			return jobs[0]
		}
		j := claim("w1")
		if j.Last() {
			t.Fatal("the first of two attempts is not the last")
		}
		// A report without this claim's token is refused.
		if err := db.CompleteJob(ctx, j.ID, "w2"); !store.IsLeaseLost(err) {
			t.Fatalf("complete by a worker without the lease: %v", err)
		}
		if err := db.RetryJob(ctx, j.ID, j.Token, db.Now().Add(-time.Second), "boom"); err != nil {
			t.Fatal(err)
		}
		j = claim("w1")
		if j.Attempts != 2 || !j.Last() {
			t.Fatalf("second claim %+v", j)
		}
		// Released at shutdown: the attempt does not count.
		if err := db.ReleaseJob(ctx, j.ID, j.Token); err != nil {
			t.Fatal(err)
		}
		j = claim("w3")
		if j.Attempts != 2 {
			t.Fatalf("after a release the attempt is %d, want 2 again", j.Attempts)
		}
		if err := db.BuryJob(ctx, j.ID, j.Token, "gave up"); err != nil {
			t.Fatal(err)
		}
		dead, n, err := db.Jobs(ctx, store.JobDead, 10, 0)
		if err != nil || n != 1 || dead[0].LastError != "gave up" || dead[0].CompletedDate == nil {
			t.Fatalf("dead jobs: %+v %d %v", dead, n, err)
		}
		if err := db.RequeueJob(ctx, j.ID, "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		j = claim("w4")
		if j.Attempts != 1 {
			t.Fatalf("a requeued job starts again at attempt 1, got %d", j.Attempts)
		}
		if err := db.CompleteJob(ctx, j.ID, j.Token); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PurgeJobs(ctx, db.Now().Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if _, ok, err := db.NextJobAt(ctx); err != nil || ok {
			t.Fatalf("an empty queue has a next job: %v %v", ok, err)
		}
	})
}

func TestADeadWorkersJobIsTakenOver(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Enqueue(ctx, store.NewJob{Kind: "k", Payload: 1}); err != nil {
			t.Fatal(err)
		}
		first, err := db.ClaimJobs(ctx, "dies", time.Millisecond, 1)
		if err != nil || len(first) != 1 {
			t.Fatalf("claim: %v %v", first, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			jobs, err := db.ClaimJobs(ctx, "lives", time.Minute, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) == 1 {
				if jobs[0].Attempts != 2 {
					t.Fatalf("taken over at attempt %d, want 2", jobs[0].Attempts)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the expired lease was never taken over")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// The dead worker's late report is refused.
		if err := db.CompleteJob(ctx, 1, first[0].Token); !store.IsLeaseLost(err) {
			t.Fatalf("late completion by the dead worker: %v", err)
		}
	})
}

// TestAJobReclaimedByItsOwnWorkerRunsOnce: when a job's lease runs out while its own process
// still runs it (ExtendLeases blocked, a database blip), the same worker may claim it again.
// The claims have different tokens, so only the newer one can report the outcome.
func TestAJobReclaimedByItsOwnWorkerRunsOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Enqueue(ctx, store.NewJob{Kind: "k", Payload: 1}); err != nil {
			t.Fatal(err)
		}
		first, err := db.ClaimJobs(ctx, "host-1", time.Millisecond, 1)
		if err != nil || len(first) != 1 {
			t.Fatalf("first claim: %v %v", first, err)
		}
		var again []store.Job
		for deadline := time.Now().Add(5 * time.Second); len(again) == 0; time.Sleep(5 * time.Millisecond) {
			if again, err = db.ClaimJobs(ctx, "host-1", time.Minute, 1); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatal("the expired lease was never taken over")
			}
		}
		if again[0].ID != first[0].ID || again[0].Token == first[0].Token || again[0].Token == "" {
			t.Fatalf("reclaim: first %+v, again %+v", first[0], again[0])
		}
		if err := db.CompleteJob(ctx, first[0].ID, first[0].Token); !store.IsLeaseLost(err) {
			t.Fatalf("the stale claim completed the job: %v", err)
		}
		if err := db.CompleteJob(ctx, again[0].ID, again[0].Token); err != nil {
			t.Fatalf("the current claim: %v", err)
		}
		if err := db.CompleteJob(ctx, again[0].ID, again[0].Token); !store.IsLeaseLost(err) {
			t.Fatalf("a second completion of the same claim: %v", err)
		}
	})
}

func TestLeasesAreExtended(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Enqueue(ctx, store.NewJob{Kind: "k", Payload: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimJobs(ctx, "w1", 50*time.Millisecond, 1); err != nil {
			t.Fatal(err)
		}
		if n, err := db.ExtendLeases(ctx, "w1", time.Hour); err != nil || n != 1 {
			t.Fatalf("extend: %d %v", n, err)
		}
		time.Sleep(100 * time.Millisecond) // past the first lease; the extended one holds
		if jobs, err := db.ClaimJobs(ctx, "w2", time.Minute, 1); err != nil || len(jobs) != 0 {
			t.Fatalf("an extended lease was taken over: %v %v", jobs, err)
		}
	})
}

func TestConcurrentClaimsNeverShareAJob(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 200
		jobs := make([]store.NewJob, n)
		for i := range jobs {
			jobs[i] = store.NewJob{Kind: "k", Payload: i}
		}
		if err := db.Enqueue(ctx, jobs...); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker := fmt.Sprint("w", w)
				for {
					got, err := db.ClaimJobs(ctx, worker, time.Minute, 7)
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						if other, ok := seen[j.ID]; ok {
							errs <- fmt.Errorf("job %d claimed by %s and %s", j.ID, other, worker)
						}
						seen[j.ID] = worker
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if len(seen) != n {
			t.Fatalf("claimed %d distinct jobs, want %d", len(seen), n)
		}
	})
}
