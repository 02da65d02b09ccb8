package store

import (
	"context"
	"fmt"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// CallbackRecord is a CarrierService callback as it arrived.
type CallbackRecord struct {
	ServiceProviderID int64
	RequestID         string // "" when the body had none
	Status            string // the callback's status ("Success", "Failed")
	Body              string // the raw body, exactly as received
	ICCID             string // the line's ICCID named in the body, if any
	Count             int    // callbackCount: the carrier's delivery attempt
	// Rejected, when set, is why the callback was refused (its echoed credentials did not
	// match the listener's); it is kept and decides nothing.
	Rejected string
}

// LogCallback stores a callback raw in ThingSpaceCallBackResponseLog before anything is decided
// from it, and returns its Id.
func (db *DB) LogCallback(ctx context.Context, c CallbackRecord) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	id, err := t.insert(ctx, "ThingSpaceCallBackResponseLog",
		[]string{"RequestId", "APIStatus", "APIResponse", "ServiceProviderId", "ICCID", "CallbackCount", "CallbackDate", "CreatedDate", "RejectedReason"},
		nullIfEmpty(c.RequestID), nullIfEmpty(c.Status), c.Body, c.ServiceProviderID, nullIfEmpty(c.ICCID), nullIfZero(int64(c.Count)), t.now, t.now,
		nullIfEmpty(c.Rejected))
	if err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// stampCallback links a stored callback to the row it decided.
func stampCallback(ctx context.Context, t *tx, logID, bulkID, changeID int64) error {
	_, err := t.exec(ctx, `UPDATE ThingSpaceCallBackResponseLog SET ProcessedDate = ?, BulkChangeId = ?, M2MDeviceChangeId = ?,
		TenantId = (SELECT TenantId FROM DeviceBulkChange WHERE Id = ?) WHERE Id = ?`, t.now, bulkID, changeID, bulkID, logID)
	if err != nil {
		return fmt.Errorf("store: link callback %d: %w", logID, err)
	}
	return nil
}

// LinkCallback links a stored callback to its row without deciding anything (a duplicate, or a
// result for a row that has already finished).
func (db *DB) LinkCallback(ctx context.Context, logID, bulkID, changeID int64) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := stampCallback(ctx, t, logID, bulkID, changeID); err != nil {
		return err
	}
	return t.Commit()
}

// CallbackLog is a stored callback.
type CallbackLog struct {
	ID           int64      `db:"Id"`
	RequestID    string     `db:"RequestId"`
	Status       string     `db:"APIStatus"`
	Body         string     `db:"APIResponse"`
	ChangeID     *int64     `db:"M2MDeviceChangeId"`
	CallbackDate time.Time  `db:"CallbackDate"`
	Processed    *time.Time `db:"ProcessedDate"`
	Rejected     string     `db:"RejectedReason"`
}

// Callbacks lists the stored callbacks of one provider, oldest first.
func (db *DB) Callbacks(ctx context.Context, providerID int64) ([]CallbackLog, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []CallbackLog
	err = t.sel(ctx, &out, `SELECT Id, COALESCE(RequestId, '') AS RequestId,
		COALESCE(APIStatus, '') AS APIStatus, APIResponse, M2MDeviceChangeId, CallbackDate, ProcessedDate,
		COALESCE(RejectedReason, '') AS RejectedReason FROM ThingSpaceCallBackResponseLog WHERE ServiceProviderId = ? ORDER BY Id`, providerID)
	return out, err
}

// ChangeForCallback finds the row a callback is about. A callback with a requestId belongs to
// the row that owns that requestId and to no other, whatever that row's status: a replay of a
// finished request's callback finds its finished row and changes nothing else. Only when no row
// owns the requestId is the line looked for: the ICCID or IMEI the callback names the line by
// (as it was before the change), among the provider's rows that were sent, got no answer (no
// requestId yet) and are still PROCESSING — and only rows sent before the callback arrived
// (logID's CallbackDate), so a callback stored before a row was sent never settles it. A
// callback can overtake the answer to the request it reports on, or that answer can be lost; the
// line then says which row it is. byLine reports which way the row was found. All are looked
// for in one statement (each part an index seek), so that a requestId recorded between two
// lookups cannot hide the row from both. Of several rows owning one requestId (a carrier that
// handed out an id twice, as the demo's simulator did after a restart) the open one wins.
func (db *DB) ChangeForCallback(ctx context.Context, providerID, logID int64, requestID, iccid, imei string) (row *DeviceChange, byLine bool, err error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, false, err
	}
	defer t.Rollback()
	provider := ` AND EXISTS (SELECT 1 FROM DeviceBulkChange b WHERE b.Id = M2M_DeviceChange.BulkChangeId AND b.ServiceProviderId = ?)`
	unconfirmed := ` AND RequestId IS NULL AND Status = ? AND SubmittedDate IS NOT NULL
		AND SubmittedDate < (SELECT CallbackDate FROM ThingSpaceCallBackResponseLog WHERE Id = ?)` + provider
	open := string(change.StatusProcessing)
	// A requestId longer than the column was stored cut to it (RecordSent); look for it so.
	requestID = clipChangeColumn("RequestId", requestID)
	var cs []DeviceChange
	err = t.sel(ctx, &cs, `SELECT * FROM (
		`+deviceChangeSelect+` WHERE RequestId = ?`+provider+`
		UNION ALL `+deviceChangeSelect+` WHERE ICCID = ?`+unconfirmed+`
		UNION ALL `+deviceChangeSelect+` WHERE IMEI = ?`+unconfirmed+`) m
		ORDER BY CASE WHEN RequestId = ? AND Status = ? THEN 0 WHEN RequestId = ? THEN 1 ELSE 2 END, Id DESC`,
		nullIfEmpty(requestID), providerID, nullIfEmpty(iccid), open, logID, providerID, nullIfEmpty(imei), open, logID, providerID,
		requestID, open, requestID)
	if err != nil {
		return nil, false, err
	}
	if len(cs) == 0 {
		return nil, false, apperr.E(apperr.NotFound, "no change for request %s", requestID)
	}
	return &cs[0], requestID == "" || cs[0].RequestID != requestID, nil
}
