package store

import (
	"context"
	"fmt"
	"time"
)

// AuditVolume describes a synthetic audit trail for tests and the audit search benchmark: every
// device changes its SIM ChangesPerDevice times, each change is a bulk change row with
// LogsPerChange log entries and one identifier history row, RowsPerBatch rows to a batch, the
// batches spread evenly over Span from Start.
type AuditVolume struct {
	ProviderID       int64
	TenantIDs        []int64
	Devices          int
	ChangesPerDevice int
	LogsPerChange    int
	RowsPerBatch     int // must divide Devices
	Start            time.Time
	Span             time.Duration
}

// VolumeICCID is the ICCID device k has after g changes.
func VolumeICCID(k, g int) string { return fmt.Sprintf("891481%02d%012d", g, k) }

// VolumeIMEI is device k's IMEI.
func VolumeIMEI(k int) string { return fmt.Sprintf("35%013d", k) }

// VolumeTenant is the index in TenantIDs of device k's tenant.
func (v AuditVolume) VolumeTenant(k int) int { return (k / v.RowsPerBatch) % len(v.TenantIDs) }

// Batches is the number of bulk changes the volume makes.
func (v AuditVolume) Batches() int { return v.Devices * v.ChangesPerDevice / v.RowsPerBatch }

// BatchTime is when batch i was made.
func (v AuditVolume) BatchTime(i int) time.Time {
	return v.Start.Add(time.Duration(int64(v.Span) / int64(v.Batches()) * int64(i))).UTC().Truncate(time.Millisecond)
}

// LoadAuditVolume writes the volume in one transaction with multi-row inserts. It returns the
// id of the first device it made (device k is that id + k) and of the first batch.
func (db *DB) LoadAuditVolume(ctx context.Context, v AuditVolume) (firstDevice, firstBatch int64, err error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer t.Rollback()
	var maxDevice, maxBatch, maxChange int64
	if err := t.get(ctx, &maxDevice, `SELECT COALESCE(MAX(Id), 0) FROM Device`); err != nil {
		return 0, 0, err
	}
	if err := t.get(ctx, &maxBatch, `SELECT COALESCE(MAX(Id), 0) FROM DeviceBulkChange`); err != nil {
		return 0, 0, err
	}
	if err := t.get(ctx, &maxChange, `SELECT COALESCE(MAX(Id), 0) FROM M2M_DeviceChange`); err != nil {
		return 0, 0, err
	}
	const by = "volume@example.com"
	// Rows go in by chunks so that a million log rows never sit in memory at once.
	flush := func(table string, cols []string, rows *[][]any, force bool) error {
		if len(*rows) < 20000 && !force {
			return nil
		}
		err := insertMany(ctx, t, table, cols, *rows)
		*rows = (*rows)[:0]
		return err
	}
	deviceCols := []string{"Id", "ServiceProviderId", "TenantId", "ICCID", "IMEI", "MSISDN", "DeviceStatusId", "Status",
		"CreatedBy", "CreatedDate"}
	var rows [][]any
	for k := range v.Devices {
		rows = append(rows, []any{maxDevice + 1 + int64(k), v.ProviderID, v.TenantIDs[v.VolumeTenant(k)],
			VolumeICCID(k, v.ChangesPerDevice), VolumeIMEI(k), fmt.Sprintf("555%07d", k), DeviceStatusActive, "active", by, v.Start})
		if err := flush("Device", deviceCols, &rows, false); err != nil {
			return 0, 0, err
		}
	}
	if err := flush("Device", deviceCols, &rows, true); err != nil {
		return 0, 0, err
	}

	batchCols := []string{"Id", "TenantId", "ChangeRequestTypeId", "ServiceProviderId", "Status", "Reason", "CreatedBy",
		"CreatedDate", "ProcessedBy", "ProcessedDate"}
	auditCols := []string{"TenantId", "Actor", "Action", "EntityType", "EntityId", "Details", "CreatedDate"}
	var audits [][]any
	perGen := v.Devices / v.RowsPerBatch
	for i := range v.Batches() {
		k0 := (i % perGen) * v.RowsPerBatch
		tenant := v.TenantIDs[v.VolumeTenant(k0)]
		at := v.BatchTime(i)
		id := maxBatch + 1 + int64(i)
		rows = append(rows, []any{id, tenant, 1, v.ProviderID, "PROCESSED", "SIM replacement", by, at, "engine", at.Add(time.Hour)})
		audits = append(audits, []any{tenant, by, "bulkchange.create", "DeviceBulkChange", fmt.Sprint(id),
			fmt.Sprintf(`{"rows":%d}`, v.RowsPerBatch), at})
		if err := flush("DeviceBulkChange", batchCols, &rows, false); err != nil {
			return 0, 0, err
		}
	}
	if err := flush("DeviceBulkChange", batchCols, &rows, true); err != nil {
		return 0, 0, err
	}
	if err := flush("AuditEvent", auditCols, &audits, true); err != nil {
		return 0, 0, err
	}

	changeCols := []string{"Id", "BulkChangeId", "DeviceId", "ICCID", "IMEI", "MSISDN", "NewICCID", "Status", "IsProcessed",
		"ChangeRequest", "RequestId", "SubmittedDate", "ProcessedDate", "CreatedBy", "CreatedDate"}
	logCols := []string{"BulkChangeId", "M2MDeviceChangeId", "LogEntryDescription", "RequestText", "ResponseText",
		"ResponseStatus", "HasErrors", "ErrorText", "ErrorCode", "ProcessedBy", "ProcessedDate"}
	histCols := []string{"DeviceId", "TenantId", "ServiceProviderId", "OldICCID", "NewICCID", "OldIMEI", "NewIMEI",
		"ChangeReason", "ChangedBy", "ChangeDate", "BulkChangeId", "M2MDeviceChangeId"}
	var logs, hist [][]any
	for g := range v.ChangesPerDevice {
		for k := range v.Devices {
			c := g*v.Devices + k
			batch := c / v.RowsPerBatch
			bid, cid, did := maxBatch+1+int64(batch), maxChange+1+int64(c), maxDevice+1+int64(k)
			at := v.BatchTime(batch).Add(time.Duration(c%v.RowsPerBatch) * time.Second)
			old, nw := VolumeICCID(k, g), VolumeICCID(k, g+1)
			rows = append(rows, []any{cid, bid, did, old, VolumeIMEI(k), fmt.Sprintf("555%07d", k), nw, "PROCESSED", true,
				`{"Request":{"Change4gOption":"ChangeICCID"}}`, fmt.Sprintf("req-%d", c), at, at.Add(time.Minute), by, at})
			for e := range v.LogsPerChange {
				when := at.Add(time.Duration(e) * 100 * time.Millisecond)
				desc, req, resp, status, hasErr, errText, code := "ThingSpace: change identifier", `{"deviceIds":[{"kind":"iccid","id":"`+old+`"}]}`,
					`{"requestId":"req"}`, "OK", false, any(nil), any(nil)
				switch {
				case e == v.LogsPerChange-1:
					desc, req, resp = "Inventory updated", "", ""
				case e > 0 && c%10 == 0 && e == 1:
					desc, status, hasErr, errText, code = "ThingSpace: change identifier", "ERROR", true, "throttled", "900800"
				case e > 0:
					desc, req, resp = "Waiting for the carrier", "", ""
				}
				logs = append(logs, []any{bid, cid, desc, nullIfEmpty(req), nullIfEmpty(resp), status, hasErr, errText, code, "engine", when})
			}
			hist = append(hist, []any{did, v.TenantIDs[v.VolumeTenant(k)], v.ProviderID, old, nw, VolumeIMEI(k), VolumeIMEI(k),
				"SIM replacement", "engine", at.Add(time.Minute), bid, cid})
			if err := flush("M2M_DeviceChange", changeCols, &rows, false); err != nil {
				return 0, 0, err
			}
			if len(logs) >= 20000 {
				// Log rows reference change rows: write the rows first.
				if err := flush("M2M_DeviceChange", changeCols, &rows, true); err != nil {
					return 0, 0, err
				}
				if err := flush("DeviceIdentifierChangeHistory", histCols, &hist, true); err != nil {
					return 0, 0, err
				}
				if err := flush("M2MDeviceBulkChangeLog", logCols, &logs, true); err != nil {
					return 0, 0, err
				}
			}
		}
	}
	for _, step := range []struct {
		table string
		cols  []string
		rows  *[][]any
	}{{"M2M_DeviceChange", changeCols, &rows}, {"DeviceIdentifierChangeHistory", histCols, &hist}, {"M2MDeviceBulkChangeLog", logCols, &logs}} {
		if err := flush(step.table, step.cols, step.rows, true); err != nil {
			return 0, 0, err
		}
	}
	return maxDevice + 1, maxBatch + 1, t.Commit()
}
