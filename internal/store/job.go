package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Job statuses (Job.Status).
const (
	JobQueued  = "queued"  // waiting for RunAt and a worker
	JobRunning = "running" // claimed; LockedBy holds it until LockedUntil
	JobDone    = "done"
	JobDead    = "dead" // failed its last attempt; kept for people to see and retry
)

// NewJob is a job to enqueue.
type NewJob struct {
	Kind        string
	Payload     any // marshalled to JSON
	RunAt       time.Time
	MaxAttempts int
	// Fair puts the job in the fair lane: a request's carrier work, one job per row, where
	// requests take turns (see Turns). Urgent sends it before every normal job of the lane.
	// A job not due as it is queued (RunAt later) stays in the plain lane, so that every job
	// of the fair lane is due and its claim stops at the batch size.
	Fair, Urgent bool
}

// Job priorities of the fair lane (Job.Priority): lower is claimed first.
const (
	JobPriorityUrgent = 0
	JobPriorityNormal = 1
)

// enqueue adds a job inside the caller's transaction: the job exists exactly when the work it
// stands for was committed. The DB's OnEnqueue hook fires after that commit.
func enqueue(ctx context.Context, t *tx, jobs ...NewJob) error {
	rows := make([][]any, 0, len(jobs))
	turns := map[int]int64{} // the next turn to give, by priority
	for _, j := range jobs {
		payload, err := json.Marshal(j.Payload)
		if err != nil {
			return fmt.Errorf("store: job payload: %w", err)
		}
		if j.RunAt.IsZero() {
			j.RunAt = t.now
		}
		if j.MaxAttempts <= 0 {
			j.MaxAttempts = 8
		}
		var priority, turn any // NULL: the plain lane
		if j.Fair && !j.RunAt.After(t.now) {
			p := JobPriorityNormal
			if j.Urgent {
				p = JobPriorityUrgent
			}
			next, ok := turns[p]
			if !ok {
				if next, err = currentTurn(ctx, t, p); err != nil {
					return err
				}
			}
			turns[p] = next + 1
			priority, turn = p, next
		}
		rows = append(rows, []any{j.Kind, string(payload), JobQueued, 0, j.MaxAttempts, j.RunAt, t.now, priority, turn})
	}
	if err := insertMany(ctx, t, "Job",
		[]string{"Kind", "Payload", "Status", "Attempts", "MaxAttempts", "RunAt", "CreatedDate", "Priority", "Turn"}, rows); err != nil {
		return err
	}
	t.enqueued = true
	return nil
}

// currentTurn is the round the fair lane of a priority is at: the lowest turn still queued, or
// 0 when none is. The rows of a request stored now take turns from there on, one a round: row k
// gets turn current + k - 1, so it goes after the requests already queued have had k - 1 more
// rows sent each, and neither waits for the whole of the other. (Counting from 0 for every
// request instead would let a new large request take every turn until it caught up with an old
// one.) One seek of IX_Job_Fair.
func currentTurn(ctx context.Context, t *tx, priority int) (int64, error) {
	var low sql.NullInt64
	if err := t.get(ctx, &low, `SELECT MIN(Turn) FROM Job WHERE Status = '`+JobQueued+`' AND Turn IS NOT NULL AND Priority = ?`, priority); err != nil {
		return 0, fmt.Errorf("store: the fair lane's current turn: %w", err)
	}
	return low.Int64, nil
}

// Enqueue adds jobs in a transaction of their own.
func (db *DB) Enqueue(ctx context.Context, jobs ...NewJob) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := enqueue(ctx, t, jobs...); err != nil {
		return err
	}
	return t.Commit()
}
