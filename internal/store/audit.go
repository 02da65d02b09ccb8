package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idswap/idswap/internal/change"
)

// AuditEvent records who did what, from where (table AuditEvent).
type AuditEvent struct {
	ID         int64
	TenantID   *int64
	UserID     *int64
	Actor      string
	Action     AuditAction
	EntityType string
	EntityID   string
	// Details is one of the *Details types below, or nil; the store writes it as JSON, so
	// the column's shape is decided by a type and not by a format string at each call.
	Details     any
	RemoteAddr  string
	CreatedDate time.Time
}

// AuditAction names what an audit event records.
type AuditAction string

// The actions idswap records.
const (
	ActionUserLogin          AuditAction = "user.login"
	ActionTokenCreate        AuditAction = "token.create"
	ActionBulkChangeCreate   AuditAction = "bulkchange.create"
	ActionBulkChangeComplete AuditAction = "bulkchange.complete"
	ActionBulkChangeRetry    AuditAction = "bulkchange.retry"
	ActionBulkChangeCancel   AuditAction = "bulkchange.cancel"
	ActionJobRequeue         AuditAction = "job.requeue"
	ActionProviderWriteGate  AuditAction = "provider.write_gate"
	// ActionProviderCallback: the callback listener's secret and credentials were rotated.
	ActionProviderCallback AuditAction = "provider.callback_rotate"
	// ActionChangeCorrected: the carrier's later word changed a finished row.
	ActionChangeCorrected AuditAction = "change.corrected"
	// ActionChangeSettled: an admin took a row off the "needs attention" list.
	ActionChangeSettled AuditAction = "change.settled"
	// ActionBulkChangeUndo is recorded on the request undone, naming the undo request.
	ActionBulkChangeUndo AuditAction = "bulkchange.undo"
	ActionSeed           AuditAction = "seed"
)

// BulkChangeCreateDetails are the details of ActionBulkChangeCreate.
type BulkChangeCreateDetails struct {
	Type     change.Type `json:"type"`
	Rows     int         `json:"rows"`
	Provider int64       `json:"provider"`
	// UndoOf is the request this one undoes.
	UndoOf int64 `json:"undo_of,omitempty"`
}

// UndoDetails are the details of ActionBulkChangeUndo: the undo request and its row count.
type UndoDetails struct {
	Undo int64 `json:"undo"`
	Rows int   `json:"rows"`
}

// BulkChangeCompleteDetails are the details of ActionBulkChangeComplete.
type BulkChangeCompleteDetails struct {
	Status    change.BatchStatus `json:"status"`
	Total     int                `json:"total"`
	Processed int                `json:"processed"`
	Failed    int                `json:"failed"`
	Cancelled int                `json:"cancelled"`
}

// RowsDetails are the details of ActionBulkChangeRetry and ActionBulkChangeCancel: how many
// rows the action moved.
type RowsDetails struct {
	Rows int64 `json:"rows"`
}

// WriteGateDetails are the details of ActionProviderWriteGate.
type WriteGateDetails struct {
	WriteIsEnabled bool `json:"WriteIsEnabled"`
}

// SeedDetails are the details of ActionSeed.
type SeedDetails struct {
	Tenants int `json:"tenants"`
	Devices int `json:"devices"`
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
	if ev.Details != nil {
		b, err := json.Marshal(ev.Details)
		if err != nil {
			return fmt.Errorf("store: audit details of %s: %w", ev.Action, err)
		}
		details = string(b)
	}
	_, err := t.insert(ctx, "AuditEvent",
		[]string{"TenantId", "AppUserId", "Actor", "Action", "EntityType", "EntityId", "Details", "RemoteAddr", "CreatedDate"},
		ev.TenantID, ev.UserID, ev.Actor, string(ev.Action), ev.EntityType, ev.EntityID, details, ev.RemoteAddr, ev.CreatedDate)
	return err
}
