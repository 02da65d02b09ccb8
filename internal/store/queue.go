package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// Job is a job a worker has claimed: it runs under the worker's lease until it is completed,
// retried, buried or released.
type Job struct {
	ID          int64     `db:"Id"`
	Kind        string    `db:"Kind"`
	Payload     string    `db:"Payload"`  // JSON
	Attempts    int       `db:"Attempts"` // counting this one
	MaxAttempts int       `db:"MaxAttempts"`
	RunAt       time.Time `db:"RunAt"`
	CreatedDate time.Time `db:"CreatedDate"`
	// Token names this claim of the job: the worker reports the outcome with it, and a report
	// from an earlier claim (one whose lease ran out) finds the job no longer held.
	Token string `db:"ClaimToken"`
	// Priority and Turn place a job of the fair lane (NewJob.Fair); both are NULL in the plain
	// lane.
	Priority sql.NullInt64 `db:"Priority"`
	Turn     sql.NullInt64 `db:"Turn"`
}

// Last reports whether this is the job's last attempt: a failure now buries it.
func (j Job) Last() bool { return j.Attempts >= j.MaxAttempts }

// ClaimJobs takes up to limit jobs that are due — queued with RunAt passed, or running under a
// lease that has run out — for worker, leasing them until now + lease. Each claim counts as an
// attempt. Several workers (goroutines or processes, on SQLite or SQL Server) may claim at once;
// none gets a job another holds.
func (db *DB) ClaimJobs(ctx context.Context, worker string, lease time.Duration, limit int) ([]Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	t, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	token, err := newClaimToken()
	if err != nil {
		return nil, err
	}
	stmts, args := db.dialect.claimJobs(worker, token, t.now, lease, limit)
	var jobs []Job
	for i, q := range stmts {
		if len(jobs) >= limit {
			break
		}
		var more []Job
		if err := t.selRendered(ctx, &more, q, setLimit(db.dialect, args, limit-len(jobs))...); err != nil {
			return nil, fmt.Errorf("store: claim jobs (%s): %w", claimNames[i], err)
		}
		// The order each statement chose, which RETURNING and OUTPUT do not keep.
		sort.SliceStable(more, func(a, b int) bool {
			x, y := more[a], more[b]
			if x.Priority != y.Priority {
				return x.Priority.Int64 < y.Priority.Int64
			}
			if x.Turn != y.Turn {
				return x.Turn.Int64 < y.Turn.Int64
			}
			if !x.RunAt.Equal(y.RunAt) && !x.Turn.Valid {
				return x.RunAt.Before(y.RunAt)
			}
			return x.ID < y.ID
		})
		jobs = append(jobs, more...)
	}
	return jobs, t.Commit()
}

// claimNames name claimJobs' statements in errors.
var claimNames = []string{"due, plain lane", "due, fair lane", "expired leases"}

// setLimit replaces the row limit in claimJobs' arguments: first on SQL Server (TOP), last on
// SQLite (LIMIT).
func setLimit(d dialect, args []any, limit int) []any {
	args = append([]any(nil), args...)
	if d.name == "sqlserver" {
		args[0] = limit
	} else {
		args[len(args)-1] = limit
	}
	return args
}

// newClaimToken is 128 random bits, in hex: unique per claim.
func newClaimToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: claim token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// errLeaseLost is returned when a worker reports on a job it no longer holds: its lease ran out
// and another worker took the job over.
var errLeaseLost = errors.New("store: the job's lease was lost to another worker")

// IsLeaseLost reports whether err says the worker no longer held the job.
func IsLeaseLost(err error) bool { return errors.Is(err, errLeaseLost) }

// finishJob updates a job the claim named by token still holds.
func (db *DB) finishJob(ctx context.Context, id int64, token, set string, args ...any) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	args = append(args, t.now, id, token)
	res, err := t.exec(ctx, `UPDATE Job SET `+set+`, ClaimToken = NULL, ModifiedDate = ?
		WHERE Id = ? AND ClaimToken = ? AND Status = '`+JobRunning+`'`, args...)
	if err != nil {
		return fmt.Errorf("store: update job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errLeaseLost
	}
	return t.Commit()
}

// CompleteJob marks a job done. token is the claim's (Job.Token), as for RetryJob, BuryJob and
// ReleaseJob.
func (db *DB) CompleteJob(ctx context.Context, id int64, token string) error {
	return db.finishJob(ctx, id, token, `Status = '`+JobDone+`', LockedBy = NULL, LockedUntil = NULL, CompletedDate = ?`, db.Now())
}

// RetryJob puts a failed job back in the queue to run again at runAt.
func (db *DB) RetryJob(ctx context.Context, id int64, token string, runAt time.Time, lastErr string) error {
	// A retry leaves the fair lane (Turn NULL): it is not due now, and the fair lane holds
	// only due jobs (see claimJobs); the row had its turn, and runs when its RunAt comes.
	return db.finishJob(ctx, id, token, `Status = '`+JobQueued+`', LockedBy = NULL, LockedUntil = NULL, RunAt = ?, LastError = ?,
		Priority = NULL, Turn = NULL`,
		runAt.UTC().Truncate(time.Millisecond), lastErr)
}

// BuryJob dead-letters a job that failed its last attempt. It stays in the table, visible, until
// someone requeues it (RequeueJob).
func (db *DB) BuryJob(ctx context.Context, id int64, token, lastErr string) error {
	return db.finishJob(ctx, id, token, `Status = '`+JobDead+`', LockedBy = NULL, LockedUntil = NULL, LastError = ?, CompletedDate = ?`,
		lastErr, db.Now())
}

// ReleaseJob gives a job back unfinished (the worker is shutting down): it is due again at once
// and the attempt does not count.
func (db *DB) ReleaseJob(ctx context.Context, id int64, token string) error {
	return db.finishJob(ctx, id, token, `Status = '`+JobQueued+`', LockedBy = NULL, LockedUntil = NULL, RunAt = ?,
		Attempts = CASE WHEN Attempts > 0 THEN Attempts - 1 ELSE 0 END`, db.Now())
}

// ExtendLeases renews the lease of every job worker is running, so that a long job is not taken
// over while its worker is alive. It returns how many jobs it renewed.
func (db *DB) ExtendLeases(ctx context.Context, worker string, lease time.Duration) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	until, arg := db.dialect.leaseEnd(t.now, lease)
	res, err := t.exec(ctx, `UPDATE Job SET LockedUntil = `+until+` WHERE LockedBy = ? AND Status = '`+JobRunning+`'`,
		arg, worker)
	if err != nil {
		return 0, fmt.Errorf("store: extend leases: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, t.Commit()
}

// NextJobAt is the earliest time a job becomes due: the RunAt of the next queued job or the
// LockedUntil of a running one (a dead worker's job is due when its lease ends). ok is false
// when there is no job to wait for.
func (db *DB) NextJobAt(ctx context.Context) (at time.Time, ok bool, err error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	defer t.Rollback()
	var next struct {
		Queued  dbTime `db:"Queued"`
		Running dbTime `db:"Running"`
	}
	err = t.get(ctx, &next, `SELECT
		(SELECT MIN(RunAt) FROM Job WHERE Status = '`+JobQueued+`') AS Queued,
		(SELECT MIN(LockedUntil) FROM Job WHERE Status = '`+JobRunning+`') AS Running`)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next job: %w", err)
	}
	for _, t := range []dbTime{next.Queued, next.Running} {
		if t.Valid && (!ok || t.Time.Before(at)) {
			at, ok = t.Time, true
		}
	}
	return at, ok, nil
}

// JobInfo is a job as an admin sees it.
type JobInfo struct {
	ID            int64      `db:"Id"`
	Kind          string     `db:"Kind"`
	Payload       string     `db:"Payload"`
	Status        string     `db:"Status"`
	Attempts      int        `db:"Attempts"`
	MaxAttempts   int        `db:"MaxAttempts"`
	RunAt         time.Time  `db:"RunAt"`
	LockedBy      string     `db:"LockedBy"`
	LastError     string     `db:"LastError"`
	CreatedDate   time.Time  `db:"CreatedDate"`
	CompletedDate *time.Time `db:"CompletedDate"`
}

// Jobs lists jobs in a status (JobQueued, JobRunning, JobDone, JobDead), newest first.
func (db *DB) Jobs(ctx context.Context, status string, limit, offset int) ([]JobInfo, int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer t.Rollback()
	var total int
	if err := t.get(ctx, &total, `SELECT COUNT(*) FROM Job WHERE Status = ?`, status); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	clause, pargs := db.dialect.page(limit, offset)
	var jobs []JobInfo
	err = t.sel(ctx, &jobs, `SELECT Id, Kind, Payload, Status, Attempts, MaxAttempts, RunAt, COALESCE(LockedBy, '') AS LockedBy,
		COALESCE(LastError, '') AS LastError, CreatedDate, CompletedDate
		FROM Job WHERE Status = ? ORDER BY Id DESC `+clause, append([]any{status}, pargs...)...)
	return jobs, total, err
}

// RequeueJob gives a dead job a fresh set of attempts, due now.
func (db *DB) RequeueJob(ctx context.Context, id int64, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE Job SET Status = '`+JobQueued+`', Attempts = 0, RunAt = ?, LastError = NULL, Priority = NULL, Turn = NULL,
		CompletedDate = NULL, ModifiedDate = ? WHERE Id = ? AND Status = '`+JobDead+`'`, t.now, t.now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "no dead job %d", id)
	}
	if err := insertAudit(ctx, t, AuditEvent{Actor: by, Action: ActionJobRequeue, EntityType: "Job", EntityID: fmt.Sprint(id)}); err != nil {
		return err
	}
	t.enqueued = true
	return t.Commit()
}

// QueueStats is the shape of the queue, for metrics and health pages.
type QueueStats struct {
	Queued, Running, Dead int
	// OldestDue is the RunAt of the longest-waiting due job; zero when none is due.
	OldestDue time.Time
}

// QueueStats counts jobs by status and finds the oldest job that is due and not yet taken.
func (db *DB) QueueStats(ctx context.Context) (QueueStats, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return QueueStats{}, err
	}
	defer t.Rollback()
	var s struct {
		Queued  int    `db:"Queued"`
		Running int    `db:"Running"`
		Dead    int    `db:"Dead"`
		Oldest  dbTime `db:"Oldest"`
	}
	err = t.get(ctx, &s, `SELECT
		(SELECT COUNT(*) FROM Job WHERE Status = '`+JobQueued+`') AS Queued,
		(SELECT COUNT(*) FROM Job WHERE Status = '`+JobRunning+`') AS Running,
		(SELECT COUNT(*) FROM Job WHERE Status = '`+JobDead+`') AS Dead,
		(SELECT MIN(RunAt) FROM Job WHERE Status = '`+JobQueued+`' AND RunAt <= ?) AS Oldest`, db.Now())
	if err != nil {
		return QueueStats{}, fmt.Errorf("store: queue stats: %w", err)
	}
	out := QueueStats{Queued: s.Queued, Running: s.Running, Dead: s.Dead}
	if s.Oldest.Valid {
		out.OldestDue = s.Oldest.Time
	}
	return out, nil
}

// PurgeJobs deletes jobs that finished (done) before the given time; dead jobs are kept for
// people to look at. It returns how many it deleted.
//
// It deletes purgeBatch jobs per transaction, oldest first (IX_Job_Done), until none is left:
// one DELETE of a week of jobs would lock far more than SQL Server's escalation threshold, and
// the table lock would stop every claim, enqueue and completion until it ended.
func (db *DB) PurgeJobs(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := db.purgeSomeJobs(ctx, before.UTC())
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

const purgeBatch = 1000

func (db *DB) purgeSomeJobs(ctx context.Context, before time.Time) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, alt(`DELETE FROM Job WHERE Id IN (SELECT Id FROM Job WHERE Status = '`+JobDone+`' AND CompletedDate < ?
		ORDER BY CompletedDate LIMIT ?)`, `DELETE TOP (?) FROM Job WHERE Status = '`+JobDone+`' AND CompletedDate < ?`),
		db.dialect.purgeArgs(before, purgeBatch)...)
	if err != nil {
		return 0, fmt.Errorf("store: purge jobs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, t.Commit()
}
