package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/change"
)

// DevicesByIdentifier finds the devices that have or ever had an identifier: a current ICCID,
// IMEI, MDN or EID on Device, or an old or new ICCID or IMEI in DeviceIdentifierChangeHistory.
// value is a normalised identifier (see ident.Detect). tenantID 0 means any tenant. A SIM that
// moved between two devices finds both, so the result may hold more than one device; none is
// an empty list, not an error.
func (db *DB) DevicesByIdentifier(ctx context.Context, tenantID int64, value string) ([]Device, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	ids, err := deviceIDsByIdentifier(ctx, t, identMatch{value: value}, 0)
	if err != nil {
		return nil, err
	}
	return devicesByIDs(ctx, t, tenantID, ids)
}

// identMatch is an identifier to look for: the whole value, or (prefix) every value that starts
// with it.
type identMatch struct {
	value  string
	prefix bool
}

// cond returns the SQL that matches the identifier in each of cols, OR-ed, and its arguments.
// A prefix is a range over each column's index, like the inventory search. guard, when not
// empty, is AND-ed to each column's term: it lets the planner use a partial index whose WHERE
// it repeats.
func (m identMatch) cond(guard string, cols ...string) (string, []any) {
	var parts []string
	var args []any
	if guard != "" {
		guard += " AND "
	}
	for _, c := range cols {
		if m.prefix {
			cond, cargs := prefixCond(c, m.value)
			parts = append(parts, "("+guard+cond+")")
			args = append(args, cargs...)
		} else {
			parts = append(parts, "("+guard+c+" = ?)")
			args = append(args, m.value)
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// deviceIDsByIdentifier returns the ids of the devices that have or had the identifier, at most
// limit+1 of them when limit > 0 (so the caller can tell "more than limit"), in id order.
func deviceIDsByIdentifier(ctx context.Context, t *tx, m identMatch, limit int) ([]int64, error) {
	// Live devices only: their ICCID and IMEI indexes are partial (IsDeleted = 0), and a deleted
	// device's identifiers are still found through the history and the rows that named them.
	dc, dargs := m.cond("IsDeleted = 0", "ICCID", "IMEI", "MSISDN", "EID")
	hc, hargs := m.cond("", "OldICCID", "NewICCID", "OldIMEI", "NewIMEI")
	q := `SELECT Id FROM Device WHERE ` + dc + ` UNION SELECT DeviceId FROM DeviceIdentifierChangeHistory WHERE ` + hc
	var ids []int64
	if err := t.sel(ctx, &ids, q, append(dargs, hargs...)...); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit+1 {
		ids = ids[:limit+1]
	}
	return ids, nil
}

// devicesByIDs reads devices (live ones) by id, in id order, keeping those of the tenant
// (0: any).
func devicesByIDs(ctx context.Context, t *tx, tenantID int64, ids []int64) ([]Device, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	set, arg := t.db.dialect.idSet(ids, "INT")
	q, args := deviceSelect+` WHERE d.IsDeleted = 0 AND d.Id IN (`+set+`)`, []any{arg}
	if tenantID != 0 {
		q, args = q+` AND d.TenantId = ?`, append(args, tenantID)
	}
	var ds []Device
	err := t.sel(ctx, &ds, q+` ORDER BY d.Id`, args...)
	return ds, err
}

// DeviceRow is one bulk change row of a device, as its page lists them: what was asked, what
// became of it, and the batch it belongs to.
type DeviceRow struct {
	ChangeID      int64              `db:"Id"`
	BulkChangeID  int64              `db:"BulkChangeId"`
	TypeID        int                `db:"ChangeRequestTypeId"`
	Type          change.Type        `db:"-"`
	BatchStatus   change.BatchStatus `db:"BatchStatus"`
	Status        change.Status      `db:"Status"`
	StatusDetails string             `db:"StatusDetails"`
	ICCID         string             `db:"ICCID"`
	IMEI          string             `db:"IMEI"`
	NewICCID      string             `db:"NewICCID"`
	NewIMEI       string             `db:"NewIMEI"`
	RequestedBy   string             `db:"CreatedBy"`
	CreatedDate   time.Time          `db:"CreatedDate"`
	ProcessedDate *time.Time         `db:"ProcessedDate"`
}

// DeviceRows lists every bulk change row made for a device, newest first — failed and cancelled
// ones too, which the identifier history (successes only) does not show. tenantID 0 means any.
func (db *DB) DeviceRows(ctx context.Context, tenantID, deviceID int64) ([]DeviceRow, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q := `SELECT c.Id, c.BulkChangeId, b.ChangeRequestTypeId, b.Status AS BatchStatus, c.Status,
		COALESCE(c.StatusDetails, '') AS StatusDetails, COALESCE(c.ICCID, '') AS ICCID, COALESCE(c.IMEI, '') AS IMEI,
		COALESCE(c.NewICCID, '') AS NewICCID, COALESCE(c.NewIMEI, '') AS NewIMEI, b.CreatedBy, c.CreatedDate, c.ProcessedDate
		FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.DeviceId = ? AND b.IsDeleted = 0`
	args := []any{deviceID}
	if tenantID != 0 {
		q, args = q+` AND b.TenantId = ?`, append(args, tenantID)
	}
	var rs []DeviceRow
	if err := t.sel(ctx, &rs, q+` ORDER BY c.CreatedDate DESC, c.Id DESC`, args...); err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].Type, err = change.TypeByID(rs[i].TypeID); err != nil {
			return nil, err
		}
	}
	return rs, nil
}
