package store

import (
	"context"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// RowLogEntry is one M2MDeviceBulkChangeLog row: a step of a bulk change, of one of its rows
// (ChangeID set) or of the whole batch (ChangeID nil). ErrorCode holds the carrier's errorCode
// or gateway faultcode when the step failed at the carrier.
type RowLogEntry struct {
	ID             int64     `db:"Id"`
	BulkChangeID   int64     `db:"BulkChangeId"`
	ChangeID       *int64    `db:"M2MDeviceChangeId"`
	Description    string    `db:"LogEntryDescription"`
	RequestText    string    `db:"RequestText"`
	ResponseText   string    `db:"ResponseText"`
	ResponseStatus string    `db:"ResponseStatus"`
	HasErrors      bool      `db:"HasErrors"`
	ErrorText      string    `db:"ErrorText"`
	ErrorCode      string    `db:"ErrorCode"`
	ProcessedBy    string    `db:"ProcessedBy"`
	ProcessedDate  time.Time `db:"ProcessedDate"`
}

const rowLogSelect = `SELECT l.Id, l.BulkChangeId, l.M2MDeviceChangeId, l.LogEntryDescription,
	COALESCE(l.RequestText, '') AS RequestText, COALESCE(l.ResponseText, '') AS ResponseText, l.ResponseStatus,
	l.HasErrors, COALESCE(l.ErrorText, '') AS ErrorText, COALESCE(l.ErrorCode, '') AS ErrorCode,
	l.ProcessedBy, l.ProcessedDate
FROM M2MDeviceBulkChangeLog l`

// RowLog lists the log entries of one row of a bulk change, oldest first. tenantID 0 means any
// tenant (admins). A row that is not in that bulk change, or a bulk change of another tenant, is
// NotFound — the same answer as a row that does not exist.
func (db *DB) RowLog(ctx context.Context, tenantID, bulkChangeID, changeID int64) ([]RowLogEntry, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q := `SELECT COUNT(*) FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Id = ? AND c.BulkChangeId = ? AND b.IsDeleted = 0`
	args := []any{changeID, bulkChangeID}
	if tenantID != 0 {
		q, args = q+` AND b.TenantId = ?`, append(args, tenantID)
	}
	var n int
	if err := t.get(ctx, &n, q, args...); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, apperr.E(apperr.NotFound, "no row %d in bulk change %d", changeID, bulkChangeID)
	}
	var es []RowLogEntry
	err = t.sel(ctx, &es, rowLogSelect+` WHERE l.M2MDeviceChangeId = ? ORDER BY l.ProcessedDate, l.Id`, changeID)
	return es, err
}

// BatchLog lists the entries of a bulk change that belong to no single row (carrier login,
// write gate, completion), oldest first. The caller has checked the bulk change's tenant.
func (db *DB) BatchLog(ctx context.Context, bulkChangeID int64) ([]RowLogEntry, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var es []RowLogEntry
	err = t.sel(ctx, &es, rowLogSelect+` WHERE l.BulkChangeId = ? AND l.M2MDeviceChangeId IS NULL
		ORDER BY l.ProcessedDate, l.Id`, bulkChangeID)
	return es, err
}

// EachDeviceChange calls fn with every row of a bulk change in order, as the rows are read from
// the database, so that a 10,000-row export never sits in memory. An error from fn stops it.
// The caller has checked that the bulk change belongs to the user's tenant (BulkChange).
func (db *DB) EachDeviceChange(ctx context.Context, bulkChangeID int64, fn func(DeviceChange) error) error {
	t, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	rows, err := t.QueryxContext(ctx, t.db.dialect.rebind(deviceChangeSelect+` WHERE BulkChangeId = ? ORDER BY Id`), bulkChangeID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c DeviceChange
		if err := rows.StructScan(&c); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
