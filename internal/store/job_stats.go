package store

import (
	"context"
	"time"
)

// JobStats is the state of the job queue, for monitoring.
type JobStats struct {
	Queued  int // waiting for a worker, due now or scheduled for a later retry
	Running int // claimed by a worker
	// OldestDue is the RunAt of the queued job that has been due the longest, nil when no queued
	// job is due: now minus it is how far the workers are behind.
	OldestDue *time.Time
}

// JobStats reads the queue's depth and lag as of now. Both queries are seeks on the Job
// table's (Status, RunAt) index, so a scrape stays cheap however many finished jobs it holds.
func (db *DB) JobStats(ctx context.Context, now time.Time) (JobStats, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return JobStats{}, err
	}
	defer t.Rollback()
	var counts []struct {
		Status string `db:"Status"`
		N      int    `db:"N"`
	}
	if err := t.sel(ctx, &counts, `SELECT Status, COUNT(*) AS N FROM Job WHERE Status IN (?, ?) GROUP BY Status`,
		JobQueued, JobRunning); err != nil {
		return JobStats{}, err
	}
	var s JobStats
	for _, c := range counts {
		if c.Status == JobQueued {
			s.Queued = c.N
		} else {
			s.Running = c.N
		}
	}
	var oldest dbTime
	if err := t.get(ctx, &oldest, `SELECT MIN(RunAt) FROM Job WHERE Status = ? AND RunAt <= ?`, JobQueued, now.UTC()); err != nil {
		return JobStats{}, err
	}
	s.OldestDue = oldest.ptr()
	return s, nil
}
