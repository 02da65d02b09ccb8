package store

import (
	"context"
)

// EachDeviceChange calls fn with every row of a bulk change in order, as the rows are read from
// the database, so that a 10,000-row export never sits in memory. An error from fn stops it.
// The caller has checked that the bulk change belongs to the user's tenant (BulkChange).
func (db *DB) EachDeviceChange(ctx context.Context, bulkChangeID int64, fn func(DeviceChange) error) error {
	t, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	rows, err := t.query(ctx, deviceChangeSelect+` WHERE BulkChangeId = ? ORDER BY Id`, bulkChangeID)
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
