package store

import (
	"context"
	"time"
)

// AuditEvent records who did what, from where (table AuditEvent).
type AuditEvent struct {
	ID          int64     `db:"Id"`
	TenantID    *int64    `db:"TenantId"`
	UserID      *int64    `db:"AppUserId"`
	Actor       string    `db:"Actor"`
	Action      string    `db:"Action"` // e.g. "user.login", "bulkchange.create"
	EntityType  string    `db:"EntityType"`
	EntityID    string    `db:"EntityId"`
	Details     string    `db:"Details"` // JSON
	RemoteAddr  string    `db:"RemoteAddr"`
	CreatedDate time.Time `db:"CreatedDate"`
}

// RecordAudit writes one audit event on its own.
func (db *DB) RecordAudit(ctx context.Context, ev AuditEvent) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := insertAudit(ctx, t, ev); err != nil {
		return err
	}
	return t.Commit()
}

// insertAudit writes an audit event inside the transaction of the action it records, so that
// an action and its record are stored together or not at all.
func insertAudit(ctx context.Context, t *tx, ev AuditEvent) error {
	if ev.CreatedDate.IsZero() {
		ev.CreatedDate = t.now
	}
	var details any
	if ev.Details != "" {
		details = ev.Details
	}
	_, err := t.insert(ctx, "AuditEvent",
		[]string{"TenantId", "AppUserId", "Actor", "Action", "EntityType", "EntityId", "Details", "RemoteAddr", "CreatedDate"},
		ev.TenantID, ev.UserID, ev.Actor, ev.Action, ev.EntityType, ev.EntityID, details, ev.RemoteAddr, ev.CreatedDate)
	return err
}
