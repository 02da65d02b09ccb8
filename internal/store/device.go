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
	LastSeen          *time.Time `db:"LastUsageDate"` // the carrier's last usage of the line
	Manufacturer      string     `db:"Manufacturer"`  // from the IMEI's range; empty when none fits
	Model             string     `db:"Model"`
	NetworkType       string     `db:"NetworkType"`
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
	COALESCE(p.BaseRate, 0) AS MonthlyRate, d.DeviceDescription, d.ModifiedDate, d.CreatedDate, d.LastUsageDate
FROM Device d
JOIN DeviceStatus s ON s.Id = d.DeviceStatusId
LEFT JOIN ThingSpaceCarrierRatePlan p ON p.Id = d.CarrierRatePlanId`

// inventorySelect is deviceSelect with the make, model and network type of each device's IMEI
// range: the inventory's columns and filters. The request checks (10,000 rows at a time) use
// deviceSelect and find models their own way, so they pay nothing for the join.
var inventorySelect = strings.Replace(deviceSelect, "\nFROM Device d", `, COALESCE(m.Manufacturer, '') AS Manufacturer,
	COALESCE(m.Model, '') AS Model, COALESCE(m.NetworkType, '') AS NetworkType
FROM Device d`, 1) + deviceModelJoin

// deviceModelJoin finds a device's make, model and network type by its IMEI's range; the
// ranges do not overlap (DeviceModelByIMEI), so a device joins at most one.
const deviceModelJoin = `
LEFT JOIN IMEI_DeviceType_CarrierRatePlan m ON m.IsActive = 1 AND d.IMEI >= m.FromIMEI AND d.IMEI <= m.ToIMEI`

// DeviceFilter selects devices. TenantID is required unless AllTenants is set (admins).
type DeviceFilter struct {
	TenantID          int64
	AllTenants        bool
	ServiceProviderID int64  // 0: any
	Query             string // digits of any identifier: a prefix of ICCID, IMEI, MSISDN or EID, or an ICCID/IMEI suffix
	StatusID          int    // 0: any
	Plan              string // a carrier plan code; "": any
	NetworkType       string // of the IMEI's range; "": any
	Model             string // "Manufacturer|Model" of the IMEI's range; "": any
	// SeenSince keeps lines the carrier saw at or after it; NotSeenSince those it did not
	// (including never). Zero: no bound.
	SeenSince, NotSeenSince time.Time
	IDs                     []int64 // when set, only these devices (still within the tenant)
	Sort                    string  // a DeviceSorts key; "": by id
	Desc                    bool
	Limit, Offset           int
}

// DeviceSorts are the columns the inventory sorts by, each with its id as the tie-break so a
// page boundary never splits or repeats a device.
var DeviceSorts = map[string]string{
	"iccid":  "d.ICCID",
	"imei":   "d.IMEI",
	"mdn":    "d.MSISDN",
	"status": "s.DisplayName",
	"plan":   "d.RatePlan",
	"model":  "m.Model",
	"seen":   "d.LastUsageDate",
}

func deviceOrder(f DeviceFilter) string {
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	if col, ok := DeviceSorts[f.Sort]; ok {
		return col + dir + ", d.Id" + dir
	}
	return "d.Id" + dir
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
	if err := t.get(ctx, &total, `SELECT COUNT(*) FROM Device d JOIN DeviceStatus s ON s.Id = d.DeviceStatusId`+deviceModelJoin+` WHERE `+where, args...); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	clause, pargs := t.db.dialect.page(f.Limit, f.Offset)
	var ds []Device
	err = t.sel(ctx, &ds, inventorySelect+` WHERE `+where+` ORDER BY `+deviceOrder(f)+` `+clause, append(args, pargs...)...)
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
	if f.Plan != "" {
		conds = append(conds, "d.RatePlan = ?")
		args = append(args, f.Plan)
	}
	if f.NetworkType != "" {
		conds = append(conds, "m.NetworkType = ?")
		args = append(args, f.NetworkType)
	}
	if f.Model != "" {
		mk, md, _ := strings.Cut(f.Model, "|")
		conds = append(conds, "m.Manufacturer = ? AND m.Model = ?")
		args = append(args, mk, md)
	}
	if !f.SeenSince.IsZero() {
		conds = append(conds, "d.LastUsageDate >= ?")
		args = append(args, f.SeenSince.UTC())
	}
	if !f.NotSeenSince.IsZero() {
		conds = append(conds, "(d.LastUsageDate IS NULL OR d.LastUsageDate < ?)")
		args = append(args, f.NotSeenSince.UTC())
	}
	if len(f.IDs) > 0 {
		conds = append(conds, "d.Id IN (?"+strings.Repeat(", ?", len(f.IDs)-1)+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
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

// DeviceFacet is one kind of line a tenant has: the values the inventory's filters offer.
type DeviceFacet struct {
	StatusID     int    `db:"DeviceStatusId"`
	Status       string `db:"StatusName"`
	Plan         string `db:"RatePlan"`
	NetworkType  string `db:"NetworkType"`
	Manufacturer string `db:"Manufacturer"`
	Model        string `db:"Model"`
}

// DeviceFacets lists the distinct statuses, plans and models of the devices f's tenant
// scope holds (its other conditions are ignored), for the inventory's filters.
func (db *DB) DeviceFacets(ctx context.Context, f DeviceFilter) ([]DeviceFacet, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	where, args := deviceWhere(DeviceFilter{TenantID: f.TenantID, AllTenants: f.AllTenants, ServiceProviderID: f.ServiceProviderID})
	var fs []DeviceFacet
	err = t.sel(ctx, &fs, `SELECT DISTINCT d.DeviceStatusId, s.DisplayName AS StatusName, COALESCE(d.RatePlan, '') AS RatePlan,
		COALESCE(m.NetworkType, '') AS NetworkType, COALESCE(m.Manufacturer, '') AS Manufacturer, COALESCE(m.Model, '') AS Model
		FROM Device d JOIN DeviceStatus s ON s.Id = d.DeviceStatusId`+deviceModelJoin+` WHERE `+where, args...)
	return fs, err
}
