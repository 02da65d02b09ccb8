package store

import (
	"context"
	"time"
)

// HistoryEntry is one row of DeviceIdentifierChangeHistory.
type HistoryEntry struct {
	ID           int64     `db:"Id"`
	DeviceID     int64     `db:"DeviceId"`
	TenantID     int64     `db:"TenantId"`
	OldICCID     string    `db:"OldICCID"`
	NewICCID     string    `db:"NewICCID"`
	OldIMEI      string    `db:"OldIMEI"`
	NewIMEI      string    `db:"NewIMEI"`
	ChangeReason string    `db:"ChangeReason"`
	ChangedBy    string    `db:"ChangedBy"`
	ChangeDate   time.Time `db:"ChangeDate"`
	BulkChangeID *int64    `db:"BulkChangeId"`
	ChangeID     *int64    `db:"M2MDeviceChangeId"`
}

// IdentifierHistory lists a device's identifier changes, newest first; tenantID 0 means any.
func (db *DB) IdentifierHistory(ctx context.Context, tenantID, deviceID int64) ([]HistoryEntry, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q := `SELECT Id, DeviceId, TenantId, COALESCE(OldICCID, '') AS OldICCID, COALESCE(NewICCID, '') AS NewICCID,
		COALESCE(OldIMEI, '') AS OldIMEI, COALESCE(NewIMEI, '') AS NewIMEI, ChangeReason, ChangedBy, ChangeDate,
		BulkChangeId, M2MDeviceChangeId
		FROM DeviceIdentifierChangeHistory WHERE DeviceId = ?`
	args := []any{deviceID}
	if tenantID != 0 {
		q += ` AND TenantId = ?`
		args = append(args, tenantID)
	}
	var hs []HistoryEntry
	err = t.sel(ctx, &hs, q+` ORDER BY ChangeDate DESC, Id DESC`, args...)
	return hs, err
}
