package store

import (
	"context"
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
}

// enqueue adds a job inside the caller's transaction: the job exists exactly when the work it
// stands for was committed. The DB's OnEnqueue hook fires after that commit.
func enqueue(ctx context.Context, t *tx, jobs ...NewJob) error {
	rows := make([][]any, 0, len(jobs))
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
		rows = append(rows, []any{j.Kind, string(payload), JobQueued, 0, j.MaxAttempts, j.RunAt, t.now})
	}
	if err := insertMany(ctx, t, "Job",
		[]string{"Kind", "Payload", "Status", "Attempts", "MaxAttempts", "RunAt", "CreatedDate"}, rows); err != nil {
		return err
	}
	t.enqueued = true
	return nil
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
