// Package queue runs idswap's durable jobs. Jobs live in the Job table (internal/store); a
// dispatcher claims due jobs under a lease and hands them to a fixed pool of worker goroutines.
// Enqueueing wakes the dispatcher at once through an in-process signal (Wake, hooked to
// store.DB.OnEnqueue); polling is only the fallback, for jobs that fall due later and for jobs
// other processes enqueue. A failed job is retried with exponential backoff and jitter, and
// after its last attempt it is dead-lettered (buried), where admins see it. A running job's
// lease is renewed while its worker lives; the job of a worker that died is taken over when its
// lease runs out. Several processes may share one database: the claim gives each job to one
// worker only.
//
// Shutdown (cancelling Run's context) stops claiming, gives the jobs in flight until the
// grace period ends to finish, then cancels them and releases what they still hold.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// Handler runs one job. A nil error completes it; an error retries it later, or buries it when
// the job was on its last attempt (store.Job.Last). A handler that wants a minimum wait before
// the retry returns an error with a RetryAfter() time.Duration method (see Later).
type Handler func(ctx context.Context, j store.Job) error

// Decode adapts a handler that takes its job's payload already decoded into a Handler: the one
// place a job's JSON payload becomes its type (internal/jobs). A payload that does not decode is
// an error naming the job and its kind, so it is retried and in the end buried where admins see
// it, never run with a zero payload.
func Decode[P any](fn func(ctx context.Context, j store.Job, p P) error) Handler {
	return func(ctx context.Context, j store.Job) error {
		var p P
		if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
			return fmt.Errorf("queue: job %d (%s): payload %s does not decode into %T: %w", j.ID, j.Kind, j.Payload, p, err)
		}
		return fn(ctx, j, p)
	}
}

// Store is the part of the database the queue uses.
type Store interface {
	ClaimJobs(ctx context.Context, worker string, lease time.Duration, limit int) ([]store.Job, error)
	CompleteJob(ctx context.Context, id int64, token string) error
	RetryJob(ctx context.Context, id int64, token string, runAt time.Time, lastErr string) error
	BuryJob(ctx context.Context, id int64, token, lastErr string) error
	ReleaseJob(ctx context.Context, id int64, token string) error
	ExtendLeases(ctx context.Context, worker string, lease time.Duration) (int64, error)
	NextJobAt(ctx context.Context) (time.Time, bool, error)
	PurgeJobs(ctx context.Context, before time.Time) (int64, error)
}

// Config sets up a queue; zero fields take the defaults below.
type Config struct {
	Store   Store
	Logger  *slog.Logger
	Workers int // goroutines running jobs; default 8
	// Lease is how long a claimed job is held; it is renewed every Lease/3 while its worker
	// lives, so it only bounds how long a dead worker's job waits to be taken over. Default 1m.
	Lease time.Duration
	// Poll is the longest the dispatcher sleeps without a wake-up. Default 2s.
	Poll time.Duration
	// Timeout bounds one run of a job. Default 2m.
	Timeout time.Duration
	// Backoff is the delay before the first retry; each further attempt doubles it, up to
	// MaxBackoff, and the delay actually used is drawn between half and all of it (jitter).
	// Defaults 2s and 5m.
	Backoff, MaxBackoff time.Duration
	// Grace is how long shutdown waits for jobs in flight before cancelling them. Default 20s.
	Grace time.Duration
	// KeepDone is how long finished jobs are kept before they are purged. Default 7 days.
	KeepDone time.Duration
	// WorkerID names this process in Job.LockedBy; default host-pid-random.
	WorkerID string
}

// Queue is a pool of workers over the Job table. Register handlers with Handle before Run.
type Queue struct {
	cfg      Config
	store    Store
	log      *slog.Logger
	handlers map[string]Handler
	wake     chan struct{}
	worker   string
}

// New builds a queue.
func New(cfg Config) *Queue {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 20 * time.Second
	}
	if cfg.KeepDone <= 0 {
		cfg.KeepDone = 7 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.WorkerID == "" {
		cfg.WorkerID = workerID()
	}
	return &Queue{cfg: cfg, store: cfg.Store, log: cfg.Logger, handlers: map[string]Handler{},
		wake: make(chan struct{}, 1), worker: cfg.WorkerID}
}

func workerID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// WorkerID is the name this queue's leases carry.
func (q *Queue) WorkerID() string { return q.worker }

// Handle registers the handler of a job kind. Call it before Run.
func (q *Queue) Handle(kind string, h Handler) { q.handlers[kind] = h }

// Wake tells the dispatcher that jobs were enqueued. It never blocks: one pending wake-up is
// enough, since the dispatcher claims everything that is due when it wakes.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until ctx ends, then shuts down as the package says and returns.
func (q *Queue) Run(ctx context.Context) error {
	// Jobs run under their own context, cancelled only when the grace period is over, so that
	// a shutdown lets them finish rather than cutting them off.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()

	work := make(chan store.Job)
	idle := make(chan struct{}, q.cfg.Workers) // one token per idle worker
	var workers sync.WaitGroup
	for range q.cfg.Workers {
		idle <- struct{}{}
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range work {
				q.run(runCtx, ctx, j)
				idle <- struct{}{}
			}
		}()
	}
	keeperDone := make(chan struct{})
	go func() {
		defer close(keeperDone)
		q.keepLeases(runCtx)
	}()

	q.dispatch(ctx, work, idle)
	close(work)

	drained := make(chan struct{})
	go func() { workers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(q.cfg.Grace):
		q.log.Warn("queue: jobs still running at the end of the grace period; cancelling them", "grace", q.cfg.Grace)
		cancelRuns()
		<-drained
	}
	cancelRuns()
	<-keeperDone
	return nil
}

// dispatch claims due jobs for idle workers until ctx ends.
func (q *Queue) dispatch(ctx context.Context, work chan<- store.Job, idle chan struct{}) {
	var lastPurge time.Time
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle:
		}
		free := 1
		for len(idle) > 0 {
			<-idle
			free++
		}
		jobs, err := q.store.ClaimJobs(ctx, q.worker, q.cfg.Lease, free)
		for _, j := range jobs {
			work <- j
		}
		for range free - len(jobs) {
			idle <- struct{}{}
		}
		if err == nil && len(jobs) > 0 {
			failures = 0
			continue // more may be due: claim again as soon as a worker is free
		}

		// Nothing is due, or the database failed: sleep until the next job falls due, a
		// wake-up, or the poll interval, whichever comes first.
		sleep := q.cfg.Poll
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			q.log.Error("queue: claim failed", "err", err)
			sleep = min(q.cfg.Poll*time.Duration(failures), 30*time.Second)
		} else {
			failures = 0
			if at, ok, err := q.store.NextJobAt(ctx); err == nil && ok {
				sleep = min(max(time.Until(at), time.Millisecond), q.cfg.Poll)
			}
			if time.Since(lastPurge) > time.Hour {
				lastPurge = time.Now()
				q.purge(ctx)
			}
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-q.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// purge deletes old finished jobs now and then; a failure is only logged.
func (q *Queue) purge(ctx context.Context) {
	if n, err := q.store.PurgeJobs(ctx, time.Now().Add(-q.cfg.KeepDone)); err != nil {
		q.log.Warn("queue: purging old jobs failed", "err", err)
	} else if n > 0 {
		q.log.Info("queue: purged finished jobs", "count", n)
	}
}

// keepLeases renews the leases of this worker's running jobs until ctx ends.
func (q *Queue) keepLeases(ctx context.Context) {
	tick := time.NewTicker(q.cfg.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := q.store.ExtendLeases(ctx, q.worker, q.cfg.Lease); err != nil && ctx.Err() == nil {
				q.log.Error("queue: renewing leases failed", "err", err)
			}
		}
	}
}

// run runs one job and records its outcome. stopping is the queue's own context: when it has
// ended and the job was cut off, the job is released instead of counted as failed.
func (q *Queue) run(runCtx, stopping context.Context, j store.Job) {
	log := q.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	h, ok := q.handlers[j.Kind]
	var err error
	if !ok {
		err = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		ctx, cancel := context.WithTimeout(runCtx, q.cfg.Timeout)
		err = safeRun(ctx, h, j)
		cancel()
	}
	// Record the outcome even when the job's context has ended.
	rec, cancel := context.WithTimeout(context.WithoutCancel(runCtx), 15*time.Second)
	defer cancel()
	var serr error
	switch {
	case err == nil:
		serr = q.store.CompleteJob(rec, j.ID, j.Token)
	case stopping.Err() != nil && runCtx.Err() != nil:
		log.Info("queue: job cut off by shutdown; released", "err", err)
		serr = q.store.ReleaseJob(rec, j.ID, j.Token)
	case j.Last() || !ok:
		log.Error("queue: job failed its last attempt; buried", "err", err)
		serr = q.store.BuryJob(rec, j.ID, j.Token, err.Error())
	default:
		delay := q.backoff(j.Attempts)
		if after := jobs.RetryAfter(err); after > delay {
			// The carrier said when (jobs.Later); add a little jitter so that the workers it
			// throttled do not all come back in the same instant.
			delay = after + time.Duration(mrand.Int64N(int64(after/4)+1))
		}
		log.Warn("queue: job failed; will retry", "err", err, "in", delay.Round(time.Millisecond))
		serr = q.store.RetryJob(rec, j.ID, j.Token, time.Now().Add(delay), err.Error())
	}
	if serr != nil {
		log.Error("queue: recording the job's outcome failed", "err", serr)
	}
}

// safeRun runs a handler, turning a panic into an error so that one bad job cannot take the
// worker down with it.
func safeRun(ctx context.Context, h Handler, j store.Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, j)
}

// backoff is the delay before the retry that follows attempt n (1-based): Backoff doubled for
// each attempt, capped at MaxBackoff, drawn between half and all of that.
func (q *Queue) backoff(n int) time.Duration {
	d := float64(q.cfg.Backoff) * math.Pow(2, float64(max(n-1, 0)))
	d = min(d, float64(q.cfg.MaxBackoff))
	half := d / 2
	return time.Duration(half + mrand.Float64()*half)
}
