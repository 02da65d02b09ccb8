package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
)

// EmailOutbox statuses.
const (
	EmailQueued = "queued" // written; the jobs.KindSendEmail job will send it
	EmailSent   = "sent"
	EmailFailed = "failed" // the last attempt failed; see LastError
)

// OutboxEmail is one e-mail of EmailOutbox. The body is not stored: it is rendered from the
// (finished, no longer changing) request when it is sent or shown.
type OutboxEmail struct {
	ID           int64      `db:"Id"`
	BulkChangeID *int64     `db:"BulkChangeId"`
	To           string     `db:"ToAddresses"` // comma-separated
	From         string     `db:"FromAddress"` // "" means the configured default sender
	Subject      string     `db:"Subject"`
	Status       string     `db:"Status"`
	Attempts     int        `db:"Attempts"`
	LastError    string     `db:"LastError"`
	MessageID    string     `db:"MessageId"`
	CreatedDate  time.Time  `db:"CreatedDate"`
	SentDate     *time.Time `db:"SentDate"`
	// BulkStatus is the request's status now ("" for an e-mail of no request).
	BulkStatus change.BatchStatus `db:"BulkStatus"`
}

// Addressed reports whether the e-mail has its recipients and subject: the send job gives them
// on its first attempt (see AddressEmail).
func (e OutboxEmail) Addressed() bool { return e.To != "" }

// insertOutbox writes a result e-mail that is due and the job that sends it, inside the caller's
// transaction: the e-mail exists exactly when the request's completion (or correction) was
// committed. The row holds only the fact: which request, and whether it reports a correction
// (in the job's payload). Who receives it and what its subject says are the e-mail job's
// policy (process.SendEmail), decided when it first runs and kept on the row by AddressEmail:
// the store does not choose them.
func insertOutbox(ctx context.Context, t *tx, bulkID int64, correction bool) (int64, error) {
	id, err := t.insert(ctx, "EmailOutbox", []string{"BulkChangeId", "ToAddresses", "FromAddress", "Subject", "Status", "CreatedDate"},
		nullIfZero(bulkID), "", "", "", EmailQueued, t.now)
	if err != nil {
		return 0, err
	}
	if err := enqueue(ctx, t, NewJob{Kind: jobs.KindSendEmail, Payload: jobs.SendEmail{OutboxID: id, Correction: correction},
		MaxAttempts: 10}); err != nil {
		return 0, err
	}
	return id, nil
}

// AddressEmail gives a due e-mail its recipients, sender ("" for the configured default) and
// subject, once: an e-mail already addressed keeps what it has, so that a send attempt after a
// crash sends the same message. It returns the e-mail as it now is.
func (db *DB) AddressEmail(ctx context.Context, id int64, to []string, from, subject string) (*OutboxEmail, error) {
	if len(to) == 0 {
		return nil, apperr.E(apperr.Invalid, "e-mail %d has no recipient", id)
	}
	t, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE EmailOutbox SET ToAddresses = ?, FromAddress = ?, Subject = ? WHERE Id = ? AND ToAddresses = ''`,
		strings.Join(to, ", "), from, subject, id); err != nil {
		return nil, fmt.Errorf("store: address e-mail %d: %w", id, err)
	}
	var e OutboxEmail
	if err := t.get(ctx, &e, outboxSelect+` WHERE o.Id = ?`, id); err != nil {
		return nil, notFound(err, "no e-mail %d in the outbox", id)
	}
	return &e, t.Commit()
}

// ResultParties are the people a request's result e-mail concerns: who asked for it and the
// provider's notification and sender addresses ("" when the provider has none).
type ResultParties struct {
	Requester string `db:"CreatedBy"`
	Notify    string `db:"NotificationEmail"`
	From      string `db:"FromEmail"`
}

// ResultParties reads the parties of a request's result e-mail.
func (db *DB) ResultParties(ctx context.Context, bulkID int64) (ResultParties, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return ResultParties{}, err
	}
	defer t.Rollback()
	var p ResultParties
	if err := t.get(ctx, &p, `SELECT b.CreatedBy, COALESCE(sp.NotificationEmail, '') AS NotificationEmail,
		COALESCE(sp.FromEmail, '') AS FromEmail
		FROM DeviceBulkChange b JOIN ServiceProvider sp ON sp.Id = b.ServiceProviderId WHERE b.Id = ?`, bulkID); err != nil {
		return ResultParties{}, notFound(err, "no bulk change %d", bulkID)
	}
	return p, nil
}

// outboxSelect reads e-mails with their request's outcome, which the outbox list shows.
const outboxSelect = `SELECT o.Id, o.BulkChangeId, o.ToAddresses, o.FromAddress, o.Subject, o.Status, o.Attempts,
	COALESCE(o.LastError, '') AS LastError, COALESCE(o.MessageId, '') AS MessageId, o.CreatedDate, o.SentDate,
	COALESCE(b.Status, '') AS BulkStatus
	FROM EmailOutbox o LEFT JOIN DeviceBulkChange b ON b.Id = o.BulkChangeId`

// OutboxEmail finds one e-mail.
func (db *DB) OutboxEmail(ctx context.Context, id int64) (*OutboxEmail, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var e OutboxEmail
	if err := t.get(ctx, &e, outboxSelect+` WHERE o.Id = ?`, id); err != nil {
		return nil, notFound(err, "no e-mail %d in the outbox", id)
	}
	return &e, nil
}

// OutboxEmails lists the outbox, newest first, and how many e-mails it holds.
func (db *DB) OutboxEmails(ctx context.Context, limit, offset int) ([]OutboxEmail, int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer t.Rollback()
	var total int
	if err := t.get(ctx, &total, `SELECT COUNT(*) FROM EmailOutbox`); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	clause, args := db.dialect.page(limit, offset)
	var out []OutboxEmail
	return out, total, t.sel(ctx, &out, outboxSelect+` ORDER BY o.Id DESC `+clause, args...)
}

// MarkEmailSent records that an e-mail went out.
func (db *DB) MarkEmailSent(ctx context.Context, id int64, messageID string) error {
	return db.updateOutbox(ctx, id, `Status = ?, Attempts = Attempts + 1, MessageId = ?, SentDate = ?, LastError = NULL`,
		EmailSent, messageID, db.Now())
}

// MarkEmailFailed records a failed attempt; final says it was the last one.
func (db *DB) MarkEmailFailed(ctx context.Context, id int64, cause string, final bool) error {
	status := EmailQueued
	if final {
		status = EmailFailed
	}
	return db.updateOutbox(ctx, id, `Status = ?, Attempts = Attempts + 1, LastError = ?`, status, cause)
}

func (db *DB) updateOutbox(ctx context.Context, id int64, set string, args ...any) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE EmailOutbox SET `+set+` WHERE Id = ?`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("store: update e-mail %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "no e-mail %d in the outbox", id)
	}
	return t.Commit()
}
