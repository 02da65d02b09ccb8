// Package jobs names the engine's job kinds and their payloads. It is a leaf: store enqueues
// these jobs inside the transactions that make them due, and process handles them, so neither
// has to own the other's vocabulary.
package jobs

import (
	"errors"
	"time"
)

// The engine's job kinds.
const (
	// KindSubmitChange sends one row to the carrier; its payload is SubmitChange.
	KindSubmitChange = "change.submit"
	// KindCheckChange asks the carrier about a sent row whose callback has not come; its
	// payload is CheckChange.
	KindCheckChange = "change.check"
	// KindSendEmail sends one EmailOutbox message; its payload is SendEmail.
	KindSendEmail = "email.send"
	// KindInventorySync lists a provider's whole account and brings the inventory in line
	// (internal/inventory); its payload is InventorySync.
	KindInventorySync = "inventory.sync"
	// KindWatchOnline looks whether a finished request's changed devices have connected with
	// their new identifiers; its payload is WatchOnline.
	KindWatchOnline = "change.watch_online"
	// KindEvaluateAlerts checks the watched conditions, opens and clears incidents and tells
	// admins (internal/alerting); it schedules its own next run. No payload.
	KindEvaluateAlerts = "alerts.evaluate"
	// KindDeliverWebhook posts one event to one tenant endpoint (internal/webhook); its payload
	// is DeliverWebhook.
	KindDeliverWebhook = "webhook.deliver"
	// KindDailySummary sends the daily summaries that are due (internal/report); it schedules
	// its own next run. No payload.
	KindDailySummary = "report.daily"
)

// DeliverWebhook is the payload of a KindDeliverWebhook job.
type DeliverWebhook struct {
	DeliveryID int64 `json:"delivery_id"`
}

// InventorySync is the payload of a KindInventorySync job.
type InventorySync struct {
	ProviderID      int64  `json:"provider_id"`
	DefaultTenantID int64  `json:"default_tenant_id,omitempty"`
	By              string `json:"by"`
}

// WatchOnline is the payload of a KindWatchOnline job.
type WatchOnline struct {
	BulkChangeID int64 `json:"bulk_change_id"`
	Round        int   `json:"round"` // 1 for the first look
}

// SubmitChange is the payload of a KindSubmitChange job.
type SubmitChange struct {
	BulkChangeID int64 `json:"bulk_change_id"`
	ChangeID     int64 `json:"change_id"`
	// Resend counts how many times the row was sent again after the carrier showed that an
	// earlier send had not made the change (see process); 0 for the first send.
	Resend int `json:"resend,omitempty"`
}

// CheckChange is the payload of a KindCheckChange job. A check belongs to one send attempt,
// named by the SubmittedDate that attempt recorded: when the row was sent again since, or has
// finished, the check has nothing to do.
type CheckChange struct {
	BulkChangeID int64     `json:"bulk_change_id"`
	ChangeID     int64     `json:"change_id"`
	SubmittedAt  time.Time `json:"submitted_at"`
	Check        int       `json:"check"`            // 1 for the first check of the attempt
	Resend       int       `json:"resend,omitempty"` // how many times the row was sent again before
}

// SendEmail is the payload of a KindSendEmail job.
type SendEmail struct {
	OutboxID int64 `json:"outbox_id"`
	// Correction: the e-mail reports a correction of a finished request rather than its result
	// (it chooses the subject when the job addresses the e-mail).
	Correction bool `json:"correction,omitempty"`
}

// Later wraps err so that the queue retries the job no sooner than after (its backoff still
// applies when that is longer): the carrier's Retry-After, say.
func Later(err error, after time.Duration) error { return &laterError{err: err, after: after} }

// RetryAfter is the wait that err, or an error it wraps, asked for with Later; 0 when none did.
func RetryAfter(err error) time.Duration {
	var l *laterError
	if errors.As(err, &l) {
		return l.after
	}
	return 0
}

// laterError asks for a retry no sooner than after.
type laterError struct {
	err   error
	after time.Duration
}

func (e *laterError) Error() string { return e.err.Error() }
func (e *laterError) Unwrap() error { return e.err }

// KindStartBulkChange releases the rows of a SCHEDULED request at its start time; its payload
// is StartBulkChange.
const KindStartBulkChange = "bulkchange.start"

// StartBulkChange is the payload of a KindStartBulkChange job.
type StartBulkChange struct {
	BulkChangeID int64 `json:"bulk_change_id"`
}
