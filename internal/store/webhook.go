package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/jobs"
)

// The events a tenant's webhook endpoint can subscribe to.
const (
	EventBulkChangeCompleted        = "bulk_change.completed"
	EventBulkChangeRowFailed        = "bulk_change.row_failed"
	EventBulkChangeScheduledStarted = "bulk_change.scheduled_started"
)

// WebhookEvents lists every event, in the order pages and the API show them.
var WebhookEvents = []string{EventBulkChangeCompleted, EventBulkChangeRowFailed, EventBulkChangeScheduledStarted}

// Webhook delivery statuses.
const (
	DeliveryQueued    = "queued"    // waiting for its first or next attempt
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryFailed    = "failed"    // the last attempt failed; "send again" queues it anew
)

// deliveryAttempts is how many times a delivery is tried before it is failed: with the queue's
// backoff that spans about an hour.
const deliveryAttempts = 8

// WebhookEndpoint is a tenant's registered endpoint. The secret is not in it: it is shown once
// at creation and read only by the delivery (WebhookSecret).
type WebhookEndpoint struct {
	ID          int64     `db:"Id"`
	TenantID    int64     `db:"TenantId"`
	URL         string    `db:"Url"`
	EventList   string    `db:"Events"` // comma-separated
	IsActive    bool      `db:"IsActive"`
	CreatedBy   string    `db:"CreatedBy"`
	CreatedDate time.Time `db:"CreatedDate"`
}

// Events is the endpoint's subscribed events.
func (w WebhookEndpoint) Events() []string { return strings.Split(w.EventList, ",") }

// WebhookDelivery is one event for one endpoint and how its attempts went.
type WebhookDelivery struct {
	ID            int64      `db:"Id"`
	EndpointID    int64      `db:"EndpointId"`
	Event         string     `db:"Event"`
	Payload       string     `db:"Payload"`
	Status        string     `db:"Status"`
	Attempts      int        `db:"Attempts"`
	ResponseCode  *int       `db:"ResponseCode"`
	LastError     string     `db:"LastError"`
	CreatedDate   time.Time  `db:"CreatedDate"`
	DeliveredDate *time.Time `db:"DeliveredDate"`
}

// NewWebhookEndpoint registers an endpoint; the caller has checked the URL and the events.
type NewWebhookEndpoint struct {
	TenantID int64
	URL      string
	Events   []string
	Secret   string
	By       string
}

// CreateWebhookEndpoint stores an endpoint with its secret sealed, and an audit event.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, n NewWebhookEndpoint) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	id, err := t.insert(ctx, "WebhookEndpoint", []string{"TenantId", "Url", "Events", "Secret", "IsActive", "CreatedBy", "CreatedDate"},
		n.TenantID, n.URL, strings.Join(n.Events, ","), db.sealer.seal(n.Secret), true, n.By, t.now)
	if err != nil {
		return 0, err
	}
	tenant := n.TenantID
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: n.By, Action: "webhook.create", EntityType: "WebhookEndpoint",
		EntityID: fmt.Sprint(id), Details: map[string]any{"url": n.URL, "events": n.Events}}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

const webhookSelect = `SELECT Id, TenantId, Url, Events, IsActive, CreatedBy, CreatedDate FROM WebhookEndpoint`

// WebhookEndpoints lists a tenant's endpoints (tenantID 0: every tenant's), newest first.
func (db *DB) WebhookEndpoints(ctx context.Context, tenantID int64) ([]WebhookEndpoint, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []WebhookEndpoint
	return out, t.sel(ctx, &out, webhookSelect+` WHERE (? = 0 OR TenantId = ?) ORDER BY Id DESC`, tenantID, tenantID)
}

// WebhookEndpointByID finds an endpoint within a tenant (0: any); another tenant's is NotFound.
func (db *DB) WebhookEndpointByID(ctx context.Context, tenantID, id int64) (*WebhookEndpoint, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var w WebhookEndpoint
	if err := t.get(ctx, &w, webhookSelect+` WHERE Id = ? AND (? = 0 OR TenantId = ?)`, id, tenantID, tenantID); err != nil {
		return nil, notFound(err, "There is no webhook %d.", id)
	}
	return &w, nil
}

const deliverySelect = `SELECT Id, EndpointId, Event, Payload, Status, Attempts, ResponseCode, COALESCE(LastError, '') AS LastError,
	CreatedDate, DeliveredDate FROM WebhookDelivery`

// WebhookDeliveries lists an endpoint's deliveries, newest first, at most limit.
func (db *DB) WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	clause, args := db.dialect.page(limit, 0)
	var out []WebhookDelivery
	return out, t.sel(ctx, &out, deliverySelect+` WHERE EndpointId = ? ORDER BY Id DESC `+clause, append([]any{endpointID}, args...)...)
}

// WebhookDelivery reads one delivery with its endpoint's URL and opened secret, for sending.
func (db *DB) WebhookDelivery(ctx context.Context, id int64) (*WebhookDelivery, *WebhookEndpoint, string, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	defer t.Rollback()
	var d WebhookDelivery
	if err := t.get(ctx, &d, deliverySelect+` WHERE Id = ?`, id); err != nil {
		return nil, nil, "", notFound(err, "There is no webhook delivery %d.", id)
	}
	var w struct {
		WebhookEndpoint
		Secret string `db:"Secret"`
	}
	if err := t.get(ctx, &w, `SELECT Id, TenantId, Url, Events, IsActive, CreatedBy, CreatedDate, Secret FROM WebhookEndpoint WHERE Id = ?`, d.EndpointID); err != nil {
		return nil, nil, "", notFound(err, "There is no webhook %d.", d.EndpointID)
	}
	secret, err := db.sealer.open(w.Secret)
	if err != nil {
		return nil, nil, "", fmt.Errorf("store: webhook %d secret: %w", w.ID, err)
	}
	return &d, &w.WebhookEndpoint, secret, nil
}

// RecordWebhookAttempt writes down one attempt: the endpoint's answer code (0: no answer),
// the error, and whether it was delivered or, on the last attempt, failed for good.
func (db *DB) RecordWebhookAttempt(ctx context.Context, id int64, code int, errText string, delivered, final bool) error {
	status := DeliveryQueued
	switch {
	case delivered:
		status = DeliveryDelivered
	case final:
		status = DeliveryFailed
	}
	var codeArg any
	if code != 0 {
		codeArg = code
	}
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var deliveredAt any
	if delivered {
		deliveredAt = t.now
	}
	if _, err := t.exec(ctx, `UPDATE WebhookDelivery SET Status = ?, Attempts = Attempts + 1, ResponseCode = ?, LastError = ?,
		DeliveredDate = COALESCE(DeliveredDate, ?), ModifiedDate = ? WHERE Id = ?`,
		status, codeArg, nullIfEmpty(errText), deliveredAt, t.now, id); err != nil {
		return fmt.Errorf("store: webhook delivery %d: %w", id, err)
	}
	return t.Commit()
}

// RedeliverWebhook queues a delivery again ("send again"), within a tenant (0: any).
func (db *DB) RedeliverWebhook(ctx context.Context, tenantID, endpointID, deliveryID int64, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE WebhookDelivery SET Status = ?, ModifiedDate = ? WHERE Id = ? AND EndpointId = ?
		AND EndpointId IN (SELECT Id FROM WebhookEndpoint WHERE ? = 0 OR TenantId = ?)`,
		DeliveryQueued, t.now, deliveryID, endpointID, tenantID, tenantID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "There is no webhook delivery %d.", deliveryID)
	}
	if err := enqueue(ctx, t, NewJob{Kind: jobs.KindDeliverWebhook, Payload: jobs.DeliverWebhook{DeliveryID: deliveryID},
		MaxAttempts: deliveryAttempts}); err != nil {
		return err
	}
	if err := insertAudit(ctx, t, AuditEvent{TenantID: nonZero(tenantID), Actor: by, Action: "webhook.redeliver", EntityType: "WebhookDelivery",
		EntityID: fmt.Sprint(deliveryID)}); err != nil {
		return err
	}
	return t.Commit()
}

// WebhookEvent is the body every delivery posts.
type WebhookEvent struct {
	Event      string          `json:"event"`
	DeliveryID int64           `json:"delivery_id"` // the same on every attempt: receivers drop repeats by it
	OccurredAt time.Time       `json:"occurred_at"`
	TenantID   int64           `json:"tenant_id"`
	Data       json.RawMessage `json:"data"`
}

// enqueueWebhooks writes one delivery, and the job that sends it, for every active endpoint of
// the tenant subscribed to event, inside the caller's transaction: the event is announced
// exactly when what it announces was committed.
func enqueueWebhooks(ctx context.Context, t *tx, tenantID int64, event string, data any) error {
	var eps []WebhookEndpoint
	if err := t.sel(ctx, &eps, webhookSelect+` WHERE TenantId = ? AND IsActive = 1`, tenantID); err != nil {
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		subscribed := false
		for _, e := range ep.Events() {
			subscribed = subscribed || e == event
		}
		if !subscribed {
			continue
		}
		id, err := t.insert(ctx, "WebhookDelivery", []string{"EndpointId", "Event", "Payload", "Status", "CreatedDate"},
			ep.ID, event, "", DeliveryQueued, t.now)
		if err != nil {
			return err
		}
		body, err := json.Marshal(WebhookEvent{Event: event, DeliveryID: id, OccurredAt: t.now, TenantID: tenantID, Data: raw})
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE WebhookDelivery SET Payload = ? WHERE Id = ?`, string(body), id); err != nil {
			return err
		}
		if err := enqueue(ctx, t, NewJob{Kind: jobs.KindDeliverWebhook, Payload: jobs.DeliverWebhook{DeliveryID: id},
			MaxAttempts: deliveryAttempts}); err != nil {
			return err
		}
	}
	return nil
}

// BulkChangeEvent is the data of the bulk_change.* events.
type BulkChangeEvent struct {
	BulkChangeID int64  `json:"bulk_change_id"`
	Status       string `json:"status"`
	Total        int    `json:"total,omitempty"`
	Processed    int    `json:"processed,omitempty"`
	Failed       int    `json:"failed,omitempty"`
	Cancelled    int    `json:"cancelled,omitempty"`
	// For bulk_change.row_failed: the row, its identifiers, the carrier's words.
	RowID    int64  `json:"row_id,omitempty"`
	ICCID    string `json:"iccid,omitempty"`
	IMEI     string `json:"imei,omitempty"`
	NewICCID string `json:"new_iccid,omitempty"`
	NewIMEI  string `json:"new_imei,omitempty"`
	Details  string `json:"details,omitempty"`
}

// rowFailedWebhooks announces a row the engine ended as failed (bulk_change.row_failed). Rows
// failed together because the whole request could not run are announced by the request's
// bulk_change.completed (status ERROR) instead of one event each.
func rowFailedWebhooks(ctx context.Context, t *tx, row DeviceChange, to string, details string) error {
	var tenantID int64
	if err := t.get(ctx, &tenantID, `SELECT TenantId FROM DeviceBulkChange WHERE Id = ?`, row.BulkChangeID); err != nil {
		return err
	}
	return enqueueWebhooks(ctx, t, tenantID, EventBulkChangeRowFailed, BulkChangeEvent{BulkChangeID: row.BulkChangeID, Status: to,
		RowID: row.ID, ICCID: row.ICCID, IMEI: row.IMEI, NewICCID: row.NewICCID, NewIMEI: row.NewIMEI, Details: details})
}

// AnnounceEvent queues an event for the tenant's subscribed endpoints in a transaction of its
// own. Code that announces something it commits in the same transaction uses enqueueWebhooks
// there instead (a scheduled request starting, say, once scheduling lands).
func (db *DB) AnnounceEvent(ctx context.Context, tenantID int64, event string, data any) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := enqueueWebhooks(ctx, t, tenantID, event, data); err != nil {
		return err
	}
	return t.Commit()
}
