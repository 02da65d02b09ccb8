package store

import (
	"context"
	"fmt"
)

// IdentifierUpdate is one confirmed change to write into the inventory.
type IdentifierUpdate struct {
	ServiceProviderID int64
	DeviceID          int64
	OldICCID, OldIMEI string
	NewICCID, NewIMEI string // "" leaves that identifier as it is
	ProcessedBy       string
	Reason            string
	BulkChangeID      int64 // 0 when the change did not come from a bulk change
	ChangeID          int64 // M2M_DeviceChange.Id, 0 likewise
}

// UpdateIdentifier applies one confirmed change on its own (see updateIdentifier).
func (db *DB) UpdateIdentifier(ctx context.Context, u IdentifierUpdate) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	n, err := updateIdentifier(ctx, t, u)
	if err != nil {
		return 0, err
	}
	return n, t.Commit()
}

// updateIdentifier swaps the identifiers on Device and ThingSpaceDevice and writes the
// DeviceIdentifierChangeHistory row: usp_UpdateIdentifierForThingSpace on SQL Server, the same
// three statements here on SQLite. It returns the number of Device rows changed: 0 when the
// device no longer has the old identifiers (already finalised, or changed by someone else), in
// which case nothing at all is written.
func updateIdentifier(ctx context.Context, t *tx, u IdentifierUpdate) (int64, error) {
	bulk, change := nullIfZero(u.BulkChangeID), nullIfZero(u.ChangeID)
	const exec = `EXEC usp_UpdateIdentifierForThingSpace @ServiceProviderId = ?,
			@DeviceId = ?, @OldICCID = ?, @OldIMEI = ?, @NewICCID = ?, @NewIMEI = ?,
			@ProcessedBy = ?, @ChangeReason = ?, @BulkChangeId = ?, @M2MDeviceChangeId = ?, @ChangeDate = ?`
	if t.db.dialect.name != "sqlserver" {
		recordSQLServerOnly(exec)
	} else {
		var n int64
		err := t.queryRow(ctx, exec,
			u.ServiceProviderID, u.DeviceID, nullIfEmpty(u.OldICCID), nullIfEmpty(u.OldIMEI), nullIfEmpty(u.NewICCID),
			nullIfEmpty(u.NewIMEI), u.ProcessedBy, u.Reason, bulk, change, t.now).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("store: usp_UpdateIdentifierForThingSpace: %w", err)
		}
		return n, nil
	}

	res, err := t.exec(ctx, `UPDATE Device SET ICCID = COALESCE(?, ICCID), IMEI = COALESCE(?, IMEI),
		ModifiedBy = ?, ModifiedDate = ?
		WHERE Id = ? AND ServiceProviderId = ? AND IsDeleted = 0
		  AND ((? IS NULL AND ICCID IS NULL) OR ICCID = ?)
		  AND ((? IS NULL AND IMEI IS NULL) OR IMEI = ?)`,
		nullIfEmpty(u.NewICCID), nullIfEmpty(u.NewIMEI), u.ProcessedBy, t.now, u.DeviceID, u.ServiceProviderID,
		nullIfEmpty(u.OldICCID), nullIfEmpty(u.OldICCID), nullIfEmpty(u.OldIMEI), nullIfEmpty(u.OldIMEI))
	if err != nil {
		return 0, fmt.Errorf("store: update Device identifiers: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return 0, err
	}
	if _, err := t.exec(ctx, `UPDATE ThingSpaceDevice SET ICCID = COALESCE(?, ICCID), IMEI = COALESCE(?, IMEI),
		ModifiedBy = ?, ModifiedDate = ? WHERE ServiceProviderId = ? AND ICCID = ? AND IsDeleted = 0`,
		nullIfEmpty(u.NewICCID), nullIfEmpty(u.NewIMEI), u.ProcessedBy, t.now, u.ServiceProviderID, u.OldICCID); err != nil {
		return 0, fmt.Errorf("store: update ThingSpaceDevice identifiers: %w", err)
	}
	newICCID, newIMEI := u.NewICCID, u.NewIMEI
	if newICCID == "" {
		newICCID = u.OldICCID
	}
	if newIMEI == "" {
		newIMEI = u.OldIMEI
	}
	if _, err := t.exec(ctx, `INSERT INTO DeviceIdentifierChangeHistory
		(DeviceId, TenantId, ServiceProviderId, OldICCID, NewICCID, OldIMEI, NewIMEI, ChangeReason, ChangedBy,
		 ChangeDate, BulkChangeId, M2MDeviceChangeId)
		SELECT Id, TenantId, ServiceProviderId, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM Device WHERE Id = ?`,
		nullIfEmpty(u.OldICCID), nullIfEmpty(newICCID), nullIfEmpty(u.OldIMEI), nullIfEmpty(newIMEI), u.Reason,
		u.ProcessedBy, t.now, bulk, change, u.DeviceID); err != nil {
		return 0, fmt.Errorf("store: write identifier history: %w", err)
	}
	return n, nil
}
