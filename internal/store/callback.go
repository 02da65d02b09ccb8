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

// ChangeByRequestID finds the row of a provider's request that the carrier knows by requestID.
func (db *DB) ChangeByRequestID(ctx context.Context, providerID int64, requestID string) (*DeviceChange, error) {
	var c DeviceChange
	err := db.db.GetContext(ctx, &c, db.dialect.rebind(deviceChangeSelect+` WHERE RequestId = ?
		AND BulkChangeId IN (SELECT Id FROM DeviceBulkChange WHERE ServiceProviderId = ?)`), requestID, providerID)
	if err != nil {
		return nil, notFound(err, "no change with request id %s", requestID)
	}
	return &c, nil
}

// UnconfirmedChange finds the row, sent and not yet acknowledged with a requestId, of the line
// that has these identifiers (ICCID first, then MDN, then IMEI). A callback can overtake the
// answer to the request it reports on, or the answer can be lost; the line's identifiers in the
// callback then say which row it is about. At most one row per device is open at a time.
func (db *DB) UnconfirmedChange(ctx context.Context, providerID int64, iccid, mdn, imei string) (*DeviceChange, error) {
	for _, by := range []struct{ col, v string }{{"ICCID", iccid}, {"MSISDN", mdn}, {"IMEI", imei}} {
		if by.v == "" {
			continue
		}
		var cs []DeviceChange
		err := db.db.SelectContext(ctx, &cs, db.dialect.rebind(deviceChangeSelect+` WHERE `+by.col+` = ? AND Status = ?
			AND RequestId IS NULL AND SubmittedDate IS NOT NULL
			AND BulkChangeId IN (SELECT Id FROM DeviceBulkChange WHERE ServiceProviderId = ?)`),
			by.v, string(change.StatusProcessing), providerID)
		if err != nil {
			return nil, err
		}
		if len(cs) == 1 {
			return &cs[0], nil
		}
	}
	return nil, apperr.E(apperr.NotFound, "no unconfirmed change for the line")
}
