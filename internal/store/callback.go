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
		[]string{"RequestId", "APIStatus", "APIResponse", "ServiceProviderId", "ICCID", "CallbackCount", "CallbackDate", "CreatedDate"},
		nullIfEmpty(c.RequestID), nullIfEmpty(c.Status), c.Body, c.ServiceProviderID, nullIfEmpty(c.ICCID), nullIfZero(int64(c.Count)), t.now, t.now)
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
}

// Callbacks lists the stored callbacks of one provider, oldest first.
func (db *DB) Callbacks(ctx context.Context, providerID int64) ([]CallbackLog, error) {
	var out []CallbackLog
	err := db.db.SelectContext(ctx, &out, db.dialect.rebind(`SELECT Id, COALESCE(RequestId, '') AS RequestId,
		COALESCE(APIStatus, '') AS APIStatus, APIResponse, M2MDeviceChangeId, CallbackDate, ProcessedDate
		FROM ThingSpaceCallBackResponseLog WHERE ServiceProviderId = ? ORDER BY Id`), providerID)
	return out, err
}

// ChangeForCallback finds the row a callback is about: the row of the provider's requests that
// the carrier knows by requestID, or else the row, sent and not yet acknowledged with a
// requestId, of the line with these identifiers (the ICCID or IMEI the callback names the line
// by, as it was before the change). A callback can overtake the answer to the request it reports
// on, or that answer can be lost; the line's identifiers then say which row it is. At most one
// row per device is open at a time. All are looked for in one statement (each part an index
// seek), so that a requestId recorded between two lookups cannot hide the row from both. An
// open row comes before a finished one: a finished row with the requestId makes the callback a
// duplicate, unless an open row has the same requestId (a carrier that hands out an id twice,
// as the demo's simulator did after a restart).
func (db *DB) ChangeForCallback(ctx context.Context, providerID int64, requestID, iccid, imei string) (*DeviceChange, error) {
	provider := ` AND EXISTS (SELECT 1 FROM DeviceBulkChange b WHERE b.Id = M2M_DeviceChange.BulkChangeId AND b.ServiceProviderId = ?)`
	unconfirmed := ` AND RequestId IS NULL AND Status = ? AND SubmittedDate IS NOT NULL` + provider
	open := string(change.StatusProcessing)
	// A requestId longer than the column was stored cut to it (RecordSent); look for it so.
	requestID = clipColumn("M2M_DeviceChange", "RequestId", requestID)
	var cs []DeviceChange
	err := db.db.SelectContext(ctx, &cs, db.dialect.rebind(`SELECT * FROM (
		`+deviceChangeSelect+` WHERE RequestId = ?`+provider+`
		UNION ALL `+deviceChangeSelect+` WHERE ICCID = ?`+unconfirmed+`
		UNION ALL `+deviceChangeSelect+` WHERE IMEI = ?`+unconfirmed+`) m
		ORDER BY CASE WHEN RequestId = ? AND Status = ? THEN 0 WHEN RequestId = '' THEN 1 ELSE 2 END, Id DESC`),
		nullIfEmpty(requestID), providerID, nullIfEmpty(iccid), open, providerID, nullIfEmpty(imei), open, providerID,
		requestID, open)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, apperr.E(apperr.NotFound, "no change for request %s", requestID)
	}
	return &cs[0], nil
}
