package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/idswap/idswap/internal/jobs"
)

// Deadlocks and lock timeouts. Every write transaction takes its locks in one order — the
// request (DeviceBulkChange, lockBatch) before its rows (M2M_DeviceChange) — so the engine's
// steps on one batch queue behind each other instead of deadlocking (review finding 2;
// TestWriteTransactionsLockTheBatchBeforeItsRows checks the order). SQL Server can still choose
// a deadlock victim for reasons outside that order (lock escalation, page splits, a DBA's
// query), and a session with a lock timeout gets 1222. Both roll the whole transaction back, so
// running it again from the start is always safe: withRetry does, a few times, with a short
// random pause. Errors of any other kind are returned at once.

const retryAttempts = 4

// retryable reports whether err is SQL Server's deadlock victim (1205) or lock timeout (1222).
func retryable(err error) bool {
	var me mssql.Error
	if errors.As(err, &me) {
		return me.Number == 1205 || me.Number == 1222
	}
	return false
}

// withRetry runs fn, one whole transaction, again while it fails with a retryable error.
func withRetry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || !retryable(err) || attempt == retryAttempts {
			return err
		}
		pause := time.Duration(attempt) * (10*time.Millisecond + rand.N(40*time.Millisecond))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// The engine's steps on a batch, each one transaction, retried by withRetry. Each does what
// its …Once function describes.

// ClaimChange: see claimChangeOnce.
func (db *DB) ClaimChange(ctx context.Context, changeID int64, by string, checkAfter time.Duration, resend int) (submittedAt time.Time, ok bool, err error) {
	err = withRetry(ctx, func() (e error) {
		submittedAt, ok, e = db.claimChangeOnce(ctx, changeID, by, checkAfter, resend)
		return e
	})
	return submittedAt, ok, err
}

// RecordSent: see recordSentOnce.
func (db *DB) RecordSent(ctx context.Context, changeID int64, requestID, by string, logs ...LogEntry) error {
	return withRetry(ctx, func() error { return db.recordSentOnce(ctx, changeID, requestID, by, logs...) })
}

// ReturnChange: see returnChangeOnce.
func (db *DB) ReturnChange(ctx context.Context, r ReturnedChange) (ok bool, err error) {
	err = withRetry(ctx, func() (e error) { ok, e = db.returnChangeOnce(ctx, r); return e })
	return ok, err
}

// ScheduleCheck: see scheduleCheckOnce.
func (db *DB) ScheduleCheck(ctx context.Context, c jobs.CheckChange, at time.Time, by, details string, logs ...LogEntry) error {
	return withRetry(ctx, func() error { return db.scheduleCheckOnce(ctx, c, at, by, details, logs...) })
}

// FinishChange: see finishChangeOnce.
func (db *DB) FinishChange(ctx context.Context, f FinishedChange) (out Finish, err error) {
	err = withRetry(ctx, func() (e error) { out, e = db.finishChangeOnce(ctx, f); return e })
	return out, err
}

// FailBulkChange: see failBulkChangeOnce.
func (db *DB) FailBulkChange(ctx context.Context, f BatchFailure) (out Failed, err error) {
	err = withRetry(ctx, func() (e error) { out, e = db.failBulkChangeOnce(ctx, f); return e })
	return out, err
}

// RetryBulkChange: see retryBulkChangeOnce.
func (db *DB) RetryBulkChange(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) (n int, err error) {
	err = withRetry(ctx, func() (e error) { n, e = db.retryBulkChangeOnce(ctx, tenantID, bulkID, by, remoteAddr); return e })
	return n, err
}

// CancelOpenRows: see cancelOpenRowsOnce.
func (db *DB) CancelOpenRows(ctx context.Context, tenantID, bulkChangeID int64, by string) (n int, err error) {
	err = withRetry(ctx, func() (e error) { n, e = db.cancelOpenRowsOnce(ctx, tenantID, bulkChangeID, by); return e })
	return n, err
}

// CorrectChange: see correctChangeOnce.
func (db *DB) CorrectChange(ctx context.Context, c CorrectedChange) (out Correction, err error) {
	err = withRetry(ctx, func() (e error) { out, e = db.correctChangeOnce(ctx, c); return e })
	return out, err
}

// FlagChange: see flagChangeOnce.
func (db *DB) FlagChange(ctx context.Context, changeID int64, reason string, callbackLogID int64, by string, logs ...LogEntry) error {
	return withRetry(ctx, func() error { return db.flagChangeOnce(ctx, changeID, reason, callbackLogID, by, logs...) })
}
