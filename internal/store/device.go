package store

import (
	"context"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/ident"
)

// Device is a line in the inventory (table Device), with its status and plan names joined in.
type Device struct {
	ID                int64      `db:"Id"`
	ServiceProviderID int64      `db:"ServiceProviderId"`
	TenantID          int64      `db:"TenantId"`
	ICCID             string     `db:"ICCID"`
	IMEI              string     `db:"IMEI"`
	MSISDN            string     `db:"MSISDN"`
	EID               string     `db:"EID"`
	DeviceStatusID    int        `db:"DeviceStatusId"`
	StatusName        string     `db:"StatusName"` // DeviceStatus.DisplayName
	IsActiveStatus    bool       `db:"IsActiveStatus"`
	CarrierRatePlanID *int64     `db:"CarrierRatePlanId"`
	RatePlan          string     `db:"RatePlan"` // carrier plan code
	RatePlanName      string     `db:"RatePlanName"`
	MonthlyRate       float64    `db:"MonthlyRate"`
	Description       string     `db:"DeviceDescription"`
	ModifiedDate      *time.Time `db:"ModifiedDate"`
	CreatedDate       time.Time  `db:"CreatedDate"`
}

// Device statuses (DeviceStatus.Id) seeded by the first migration.
const (
	DeviceStatusActive     = 8
	DeviceStatusSuspended  = 9
	DeviceStatusDeactive   = 10
	DeviceStatusPreActive  = 11
	DeviceStatusPendingAct = 15
)

const deviceSelect = `SELECT d.Id, d.ServiceProviderId, d.TenantId, COALESCE(d.ICCID, '') AS ICCID,
	COALESCE(d.IMEI, '') AS IMEI, COALESCE(d.MSISDN, '') AS MSISDN, COALESCE(d.EID, '') AS EID,
	d.DeviceStatusId, s.DisplayName AS StatusName, s.IsActiveStatus, d.CarrierRatePlanId,
	COALESCE(d.RatePlan, '') AS RatePlan, COALESCE(p.RatePlanName, '') AS RatePlanName,
	COALESCE(p.BaseRate, 0) AS MonthlyRate, d.DeviceDescription, d.ModifiedDate, d.CreatedDate
FROM Device d
JOIN DeviceStatus s ON s.Id = d.DeviceStatusId
LEFT JOIN ThingSpaceCarrierRatePlan p ON p.Id = d.CarrierRatePlanId`

// DeviceFilter selects devices. TenantID is required unless AllTenants is set (admins).
type DeviceFilter struct {
	TenantID          int64
	AllTenants        bool
	ServiceProviderID int64  // 0: any
	Query             string // digits of any identifier: a prefix of ICCID, IMEI, MSISDN or EID, or an ICCID/IMEI suffix
	StatusID          int    // 0: any
	Limit, Offset     int
}

// Devices returns one page of devices matching f, newest identifiers first by id, and the
// number of devices that match in all.
func (db *DB) Devices(ctx context.Context, f DeviceFilter) ([]Device, int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer t.Rollback()
	where, args := deviceWhere(f)
	var total int
	if err := t.get(ctx, &total, `SELECT COUNT(*) FROM Device d WHERE `+where, args...); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	clause, pargs := t.db.dialect.page(f.Limit, f.Offset)
	var ds []Device
	err = t.sel(ctx, &ds, deviceSelect+` WHERE `+where+` ORDER BY d.Id `+clause, append(args, pargs...)...)
	return ds, total, err
}

func deviceWhere(f DeviceFilter) (string, []any) {
	conds := []string{"d.IsDeleted = 0"}
	var args []any
	if !f.AllTenants {
		conds = append(conds, "d.TenantId = ?")
		args = append(args, f.TenantID)
	}
	if f.ServiceProviderID != 0 {
		conds = append(conds, "d.ServiceProviderId = ?")
		args = append(args, f.ServiceProviderID)
	}
	if f.StatusID != 0 {
		conds = append(conds, "d.DeviceStatusId = ?")
		args = append(args, f.StatusID)
	}
	if q := ident.Digits(f.Query); q != "" {
		// A prefix is a range over the index (prefixCond). A suffix (the last digits printed
		// on a SIM) has to scan the tenant's devices, which the Tenant index keeps small.
		var parts []string
		for _, c := range []string{"d.ICCID", "d.IMEI", "d.MSISDN", "d.EID"} {
			cond, cargs := prefixCond(c, q)
			parts = append(parts, cond)
			args = append(args, cargs...)
		}
		conds = append(conds, "("+strings.Join(parts, " OR ")+` OR d.ICCID LIKE ? OR d.IMEI LIKE ?)`)
		args = append(args, "%"+q, "%"+q)
	}
	return strings.Join(conds, " AND "), args
}

// prefixCond matches the values of col that start with p, as a range over col's index.
//
// The bound must hold under SQL Server's collations as well as SQLite's byte order: NVARCHAR
// compares by Unicode rules, where punctuation such as ':' sorts before the digits, so the
// old bound "last digit + 1" ("8919" → "891:") made every prefix ending in 9 find nothing
// there. A bound made of digits only (drop the trailing 9s, add one to the last digit:
// "8919" → "892") orders the same under every collation. A prefix of all 9s has no such
// bound; it, and any prefix that is not all digits, matches with LIKE, escaped, after the same
// lower bound, which keeps the seek.
func prefixCond(col, p string) (string, []any) {
	if hi, ok := digitPrefixUpperBound(p); ok {
		return "(" + col + " >= ? AND " + col + " < ?)", []any{p, hi}
	}
	return "(" + col + " >= ? AND " + col + ` LIKE ? ESCAPE '\')`, []any{p, likeEscape(p) + "%"}
}

// digitPrefixUpperBound is the smallest digit string greater than every string that starts
// with the digits p; ok is false when p is not all digits or is all 9s.
func digitPrefixUpperBound(p string) (string, bool) {
	for _, r := range p {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	b := []byte(strings.TrimRight(p, "9"))
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// likeEscape escapes LIKE's wildcards (and the escape character) for LIKE … ESCAPE '\'. SQL
// Server also treats [ as a wildcard.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `[`, `\[`).Replace(s)
}

// DeviceByID finds a device of a tenant; tenantID 0 means any tenant (admins).
func (db *DB) DeviceByID(ctx context.Context, tenantID, id int64) (*Device, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q := deviceSelect + ` WHERE d.Id = ? AND d.IsDeleted = 0`
	args := []any{id}
	if tenantID != 0 {
		q += ` AND d.TenantId = ?`
		args = append(args, tenantID)
	}
	var d Device
	if err := t.get(ctx, &d, q, args...); err != nil {
		return nil, notFound(err, "no device %d", id)
	}
	return &d, nil
}
