package queue_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// mustDB opens a migrated SQLite database; more handles on the same file come from openAgain.
func mustDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue.db")
	db := openAgain(t, path)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func openAgain(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// start runs q until the test ends (or stop is called) and returns stop, which waits for Run.
func start(t *testing.T, q *queue.Queue) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForProgress polls progress until it says done, and fails only when the count it reports
// has not moved for a generous while: slow is allowed, stuck is not.
func waitForProgress(t *testing.T, what string, progress func() (n int, done bool)) {
	t.Helper()
	const stall = 20 * time.Second
	last, deadline := -1, time.Time{}
	for {
		n, done := progress()
		if done {
			return
		}
		if n != last {
			last, deadline = n, time.Now().Add(stall)
		} else if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: stuck at %d for %s", what, n, stall)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countIn is how many jobs are in a status.
func countIn(t *testing.T, db *store.DB, status string) int {
	t.Helper()
	_, total, err := db.Jobs(context.Background(), status, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func jobsIn(t *testing.T, db *store.DB, status string) []store.JobInfo {
	t.Helper()
	js, _, err := db.Jobs(context.Background(), status, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func fast(db *store.DB) queue.Config {
	return queue.Config{Store: db, Workers: 4, Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond,
		Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Grace: 5 * time.Second}
}

func TestEnqueueWakesAWorkerWithoutPolling(t *testing.T) {
	db, _ := mustDB(t)
	cfg := fast(db)
	cfg.Poll = time.Hour // only the wake-up can start the job in time
	q := queue.New(cfg)
	ran := make(chan string, 1)
	q.Handle("hello", func(ctx context.Context, j store.Job) error { ran <- j.Payload; return nil })
	db.OnEnqueue = q.Wake
	start(t, q)
	time.Sleep(50 * time.Millisecond) // let the dispatcher go to sleep on its hour-long poll
	if err := db.Enqueue(context.Background(), store.NewJob{Kind: "hello", Payload: "world"}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-ran:
		if p != `"world"` {
			t.Fatalf("payload %s", p)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the job did not run: the wake-up did not reach the dispatcher")
	}
	waitFor(t, "the job to be done", func() bool { return len(jobsIn(t, db, store.JobDone)) == 1 })
}

func TestFailuresAreRetriedThenBuried(t *testing.T) {
	db, _ := mustDB(t)
	q := queue.New(fast(db))
	var mu sync.Mutex
	attempts := map[string][]int{}
	lastSeen := map[string]bool{}
	q.Handle("flaky", func(ctx context.Context, j store.Job) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[j.Payload] = append(attempts[j.Payload], j.Attempts)
		if len(attempts[j.Payload]) < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	q.Handle("broken", func(ctx context.Context, j store.Job) error {
		mu.Lock()
		defer mu.Unlock()
		lastSeen[j.Payload] = j.Last()
		if j.Attempts == 1 {
			panic("a bad job")
		}
		return fmt.Errorf("attempt %d failed", j.Attempts)
	})
	db.OnEnqueue = q.Wake
	start(t, q)
	if err := db.Enqueue(context.Background(),
		store.NewJob{Kind: "flaky", Payload: "f", MaxAttempts: 5},
		store.NewJob{Kind: "broken", Payload: "b", MaxAttempts: 3},
		store.NewJob{Kind: "unknown", Payload: "u", MaxAttempts: 5}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one done and two dead jobs", func() bool {
		return len(jobsIn(t, db, store.JobDone)) == 1 && len(jobsIn(t, db, store.JobDead)) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(attempts[`"f"`]) != "[1 2 3]" {
		t.Errorf("flaky job attempts %v", attempts[`"f"`])
	}
	if !lastSeen[`"b"`] {
		t.Error("the broken job's last attempt did not say it was the last")
	}
	for _, j := range jobsIn(t, db, store.JobDead) {
		switch j.Kind {
		case "broken":
			if j.Attempts != 3 || j.LastError != "attempt 3 failed" {
				t.Errorf("buried job %+v", j)
			}
		case "unknown":
			if j.Attempts != 1 || j.LastError == "" {
				t.Errorf("a job without a handler %+v", j)
			}
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	db, _ := mustDB(t)
	q := queue.New(fast(db))
	calls := make(chan int, 10)
	q.Handle("throttled", func(ctx context.Context, j store.Job) error {
		calls <- j.Attempts
		return jobs.Later(errors.New("429"), time.Hour)
	})
	db.OnEnqueue = q.Wake
	start(t, q)
	if err := db.Enqueue(context.Background(), store.NewJob{Kind: "throttled", Payload: 1}); err != nil {
		t.Fatal(err)
	}
	<-calls
	var js []store.JobInfo
	waitFor(t, "the job back in the queue", func() bool { js = jobsIn(t, db, store.JobQueued); return len(js) == 1 })
	if wait := time.Until(js[0].RunAt); wait < 59*time.Minute {
		t.Fatalf("the retry is due in %s, want the hour the handler asked for", wait)
	}
}

func TestADeadWorkersJobIsTakenOverAndRunOnce(t *testing.T) {
	db, _ := mustDB(t)
	ctx := context.Background()
	if err := db.Enqueue(ctx, store.NewJob{Kind: "k", Payload: 1}); err != nil {
		t.Fatal(err)
	}
	// A worker claims the job and dies without a word: nothing renews its lease, which runs out
	// at once, on purpose (the dispatcher waits for it to end if it has not yet).
	dead, err := db.ClaimJobs(ctx, "dead-worker", time.Millisecond, 1)
	if err != nil || len(dead) != 1 {
		t.Fatalf("claim: %v %v", dead, err)
	}
	// The live worker's lease is far longer than the test can run, so the only way the job can
	// run twice is a claim handing out a job that a live lease holds: a timing-independent
	// check. (A 300 ms lease once stood here; under -race on a loaded machine a SQLite write
	// waits longer than that for the one write lock, the heartbeat came too late, and the live
	// worker's own dispatcher rightly took the job over again: what the lease is for, not a bug.)
	cfg := fast(db)
	cfg.Lease = time.Minute
	q := queue.New(cfg)
	ran := make(chan int, 10)
	q.Handle("k", func(ctx context.Context, j store.Job) error { ran <- j.Attempts; return nil })
	stop := start(t, q)
	select {
	case n := <-ran:
		if n != 2 {
			t.Fatalf("taken over at attempt %d, want 2", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the dead worker's job was never taken over")
	}
	waitFor(t, "the job to be done", func() bool { return len(jobsIn(t, db, store.JobDone)) == 1 })
	stop() // every claim the queue made has been reported: nothing more can run
	if len(ran) != 0 {
		t.Fatal("the job ran twice")
	}
	// The dead worker comes back to life and reports: its claim token no longer holds the job,
	// so it cannot undo or repeat the live worker's outcome.
	if err := db.CompleteJob(ctx, dead[0].ID, dead[0].Token); !store.IsLeaseLost(err) {
		t.Fatalf("the dead worker's late report: %v, want the lease lost", err)
	}
	if err := db.RetryJob(ctx, dead[0].ID, dead[0].Token, time.Now(), "late"); !store.IsLeaseLost(err) {
		t.Fatalf("the dead worker's late retry: %v, want the lease lost", err)
	}
	if done := jobsIn(t, db, store.JobDone); len(done) != 1 || done[0].Attempts != 2 || done[0].LastError != "" {
		t.Fatalf("after the late reports: %+v", done)
	}
}

func TestSeveralProcessesShareTheWorkAndNeverRunAJobTwice(t *testing.T) {
	db, path := mustDB(t)
	const n = 300
	jobs := make([]store.NewJob, n)
	for i := range jobs {
		jobs[i] = store.NewJob{Kind: "count", Payload: i}
	}
	if err := db.Enqueue(context.Background(), jobs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := map[int64]int{}
	byWorker := map[string]int{}
	for w := range 3 {
		// Each "process" has its own connection pool on the same database file.
		cfg := fast(openAgain(t, path))
		// A lease far longer than the test runs, so that no live worker loses one however long
		// three processes queue for SQLite's one writer: this test is about claims, not
		// take-overs (TestADeadWorkersJobIsTakenOverAndRunOnce covers those).
		cfg.Lease = 10 * time.Minute
		cfg.WorkerID = fmt.Sprint("process-", w)
		q := queue.New(cfg)
		q.Handle("count", func(ctx context.Context, j store.Job) error {
			time.Sleep(time.Millisecond)
			mu.Lock()
			runs[j.ID]++
			byWorker[cfg.WorkerID]++
			mu.Unlock()
			return nil
		})
		start(t, q)
	}
	// Under -race every SQLite write costs tens of milliseconds and the three processes take
	// turns at the one write lock, so how long 300 jobs take depends on the machine's load;
	// what must not happen is that the work stops. Fail when no job has finished for a while.
	waitForProgress(t, "every job done", func() (int, bool) {
		c := countIn(t, db, store.JobDone)
		return c, c == n
	})
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != n {
		t.Fatalf("%d distinct jobs ran, want %d", len(runs), n)
	}
	for id, c := range runs {
		if c != 1 {
			t.Errorf("job %d ran %d times", id, c)
		}
	}
	if len(byWorker) < 2 {
		t.Errorf("one process did all the work: %v", byWorker)
	}
}

func TestShutdownLetsJobsFinishOrReleasesThem(t *testing.T) {
	db, _ := mustDB(t)
	cfg := fast(db)
	cfg.Grace = 200 * time.Millisecond
	q := queue.New(cfg)
	started := make(chan string, 2)
	release := make(chan struct{})
	q.Handle("quick", func(ctx context.Context, j store.Job) error {
		started <- "quick"
		<-release // finishes as soon as shutdown begins
		return nil
	})
	q.Handle("stuck", func(ctx context.Context, j store.Job) error {
		started <- "stuck"
		<-ctx.Done() // only the end of the grace period stops it
		return ctx.Err()
	})
	db.OnEnqueue = q.Wake
	stop := start(t, q)
	if err := db.Enqueue(context.Background(), store.NewJob{Kind: "quick", Payload: 1}, store.NewJob{Kind: "stuck", Payload: 2}); err != nil {
		t.Fatal(err)
	}
	<-started
	<-started
	close(release)
	stop()
	done, queued := jobsIn(t, db, store.JobDone), jobsIn(t, db, store.JobQueued)
	if len(done) != 1 || done[0].Kind != "quick" {
		t.Fatalf("done after shutdown: %+v", done)
	}
	if len(queued) != 1 || queued[0].Kind != "stuck" || queued[0].Attempts != 0 || queued[0].LockedBy != "" {
		t.Fatalf("the cut-off job was not released: %+v", queued)
	}
	// Nothing was claimed after the shutdown began.
	if running := jobsIn(t, db, store.JobRunning); len(running) != 0 {
		t.Fatalf("jobs left running: %+v", running)
	}
}

// TestDecode: the adapter hands the handler its payload decoded, and a payload that does not
// decode is an error naming the job, without running the handler on a zero payload.
func TestDecode(t *testing.T) {
	var got jobs.SubmitChange
	calls := 0
	h := queue.Decode(func(_ context.Context, j store.Job, p jobs.SubmitChange) error {
		calls++
		got = p
		return nil
	})
	if err := h(context.Background(), store.Job{ID: 7, Kind: jobs.KindSubmitChange, Payload: `{"bulk_change_id":3,"change_id":11,"resend":2}`}); err != nil {
		t.Fatal(err)
	}
	if want := (jobs.SubmitChange{BulkChangeID: 3, ChangeID: 11, Resend: 2}); got != want || calls != 1 {
		t.Fatalf("decoded %+v in %d calls, want %+v in 1", got, calls, want)
	}
	err := h(context.Background(), store.Job{ID: 8, Kind: jobs.KindSubmitChange, Payload: `{"change_id":"eleven"}`})
	if err == nil || calls != 1 {
		t.Fatalf("bad payload: err %v, %d calls; want an error and no call", err, calls)
	}
	for _, part := range []string{"job 8", jobs.KindSubmitChange, `"eleven"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not name %s", err, part)
		}
	}
}
