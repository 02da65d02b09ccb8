package store

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/ident"
)

// Assignment rule kinds (TenantAssignmentRule.RuleKind).
const (
	RuleGroup       = "group"        // the line is in the ThingSpace device group FieldValue
	RuleCustomField = "custom_field" // the line's custom field FieldName holds FieldValue
	RuleDefault     = "default"      // every line no other rule places
)

// AssignmentRule places the lines of a provider in a tenant.
type AssignmentRule struct {
	ID         int64  `db:"Id"`
	ProviderID int64  `db:"ServiceProviderId"`
	Kind       string `db:"RuleKind"`
	FieldName  string `db:"FieldName"`
	FieldValue string `db:"FieldValue"`
	TenantID   int64  `db:"TenantId"`
	TenantName string `db:"TenantName"`
	Priority   int    `db:"Priority"`
}

// AssignmentRules lists a provider's rules in the order they are tried.
func (db *DB) AssignmentRules(ctx context.Context, providerID int64) ([]AssignmentRule, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []AssignmentRule
	err = t.sel(ctx, &out, `SELECT r.Id, r.ServiceProviderId, r.RuleKind, r.FieldName, r.FieldValue, r.TenantId,
		tn.Name AS TenantName, r.Priority
		FROM TenantAssignmentRule r JOIN Tenant tn ON tn.Id = r.TenantId
		WHERE r.ServiceProviderId = ? AND r.IsDeleted = 0 AND tn.IsActive = 1
		ORDER BY CASE WHEN r.RuleKind = 'default' THEN 1 ELSE 0 END, r.Priority, r.Id`, providerID)
	return out, err
}

// AddAssignmentRule stores a rule. The same kind, field and value twice is a Conflict.
func (db *DB) AddAssignmentRule(ctx context.Context, r AssignmentRule, a Actor) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var n int
	if err := t.get(ctx, &n, `SELECT COUNT(*) FROM TenantAssignmentRule WHERE ServiceProviderId = ? AND RuleKind = ?
		AND FieldName = ? AND FieldValue = ? AND IsDeleted = 0`, r.ProviderID, r.Kind, r.FieldName, r.FieldValue); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, apperr.E(apperr.Conflict, "provider %d already has a %s rule for %q", r.ProviderID, r.Kind, strings.Trim(r.FieldName+"="+r.FieldValue, "="))
	}
	id, err := t.insert(ctx, "TenantAssignmentRule",
		[]string{"ServiceProviderId", "RuleKind", "FieldName", "FieldValue", "TenantId", "Priority", "CreatedBy", "CreatedDate"},
		r.ProviderID, r.Kind, r.FieldName, r.FieldValue, r.TenantID, r.Priority, a.Name, t.now)
	if err != nil {
		return 0, err
	}
	if err := a.audit(ctx, t, ActionAssignmentRule, "TenantAssignmentRule", id, &r.TenantID,
		RuleDetails{Kind: r.Kind, Field: r.FieldName, Value: r.FieldValue, Tenant: r.TenantID}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// DeleteAssignmentRule removes a rule (soft delete). Lines it placed stay where they are.
func (db *DB) DeleteAssignmentRule(ctx context.Context, id int64, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var r AssignmentRule
	if err := t.get(ctx, &r, `SELECT Id, ServiceProviderId, RuleKind, FieldName, FieldValue, TenantId, '' AS TenantName, Priority
		FROM TenantAssignmentRule WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
		return notFound(err, "no assignment rule %d", id)
	}
	if _, err := t.exec(ctx, `UPDATE TenantAssignmentRule SET IsDeleted = 1 WHERE Id = ?`, id); err != nil {
		return err
	}
	if err := a.audit(ctx, t, ActionAssignmentRule, "TenantAssignmentRule", id, &r.TenantID,
		RuleDetails{Kind: r.Kind, Field: r.FieldName, Value: r.FieldValue, Tenant: r.TenantID, Deleted: true}); err != nil {
		return err
	}
	return t.Commit()
}

// CarrierLineRow is a carrier line as the admin's inventory pages list it.
type CarrierLineRow struct {
	CarrierID  int64  `db:"Id"`
	ICCID      string `db:"ICCID"`
	IMEI       string `db:"IMEI"`
	MSISDN     string `db:"MSISDN"`
	State      string `db:"Status"`
	RatePlan   string `db:"RatePlan"`
	GroupNames string `db:"GroupNames"`
	DeviceID   int64  `db:"DeviceId"`
	TenantID   int64  `db:"TenantId"`
	TenantName string `db:"TenantName"`
	Gone       bool   `db:"Gone"`
}

// LineFilter selects carrier lines of a provider.
type LineFilter struct {
	ProviderID     int64
	UnassignedOnly bool
	Query          string // digits: a prefix of ICCID, IMEI or MSISDN
	Group          string // a ThingSpace device group the line is in
	IDs            []int64
	Limit          int
}

// CarrierLines lists a provider's carrier lines with the tenant each is in (none: unassigned).
func (db *DB) CarrierLines(ctx context.Context, f LineFilter) ([]CarrierLineRow, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	return carrierLines(ctx, t, f)
}

func carrierLines(ctx context.Context, t *tx, f LineFilter) ([]CarrierLineRow, error) {
	q := `SELECT c.Id, COALESCE(c.ICCID, '') AS ICCID, COALESCE(c.IMEI, '') AS IMEI, COALESCE(c.MSISDN, '') AS MSISDN,
		c.Status, COALESCE(c.RatePlan, '') AS RatePlan, COALESCE(c.GroupNames, '') AS GroupNames,
		COALESCE(d.Id, 0) AS DeviceId, COALESCE(d.TenantId, 0) AS TenantId, COALESCE(tn.Name, '') AS TenantName,
		CASE WHEN c.GoneDate IS NULL THEN 0 ELSE 1 END AS Gone
		FROM ThingSpaceDevice c
		LEFT JOIN Device d ON d.ServiceProviderId = c.ServiceProviderId AND d.ICCID = c.ICCID AND d.IsDeleted = 0
		LEFT JOIN Tenant tn ON tn.Id = d.TenantId
		WHERE c.ServiceProviderId = ? AND c.IsDeleted = 0`
	args := []any{f.ProviderID}
	if f.UnassignedOnly {
		q += ` AND d.Id IS NULL`
	}
	if f.Query != "" {
		q += ` AND (c.ICCID LIKE ? OR c.IMEI LIKE ? OR c.MSISDN LIKE ?)`
		p := ident.Digits(f.Query) + "%"
		args = append(args, p, p, p)
	}
	if f.Group != "" {
		// GroupNames is comma-separated; wrap it so a whole name matches, not a part of one.
		q += ` AND (',' || COALESCE(c.GroupNames, '') || ',') LIKE ?`
		if t.db.dialect.name == "sqlserver" {
			q = strings.Replace(q, `(',' || COALESCE(c.GroupNames, '') || ',')`, `(',' + COALESCE(c.GroupNames, '') + ',')`, 1)
		}
		args = append(args, "%,"+f.Group+",%")
	}
	if len(f.IDs) > 0 {
		q += ` AND c.Id IN (` + idList(f.IDs) + `)`
	}
	q += ` ORDER BY c.Id`
	if f.Limit > 0 {
		clause, pargs := t.db.dialect.page(f.Limit, 0)
		q += " " + clause
		args = append(args, pargs...)
	}
	var out []CarrierLineRow
	err := t.sel(ctx, &out, q, args...)
	return out, err
}

// AssignLines puts carrier lines in a tenant: an unassigned line gets a Device in it, a line in
// another tenant moves. A line another tenant has an open change on is refused, and then no
// line moves. It returns how many lines were placed and how many moved.
func (db *DB) AssignLines(ctx context.Context, providerID, tenantID int64, carrierIDs []int64, a Actor) (placed, moved int, err error) {
	if len(carrierIDs) == 0 {
		return 0, 0, apperr.E(apperr.Invalid, "no line to assign")
	}
	t, err := db.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer t.Rollback()
	if placed, moved, err = assignLines(ctx, t, providerID, tenantID, carrierIDs, a); err != nil {
		return 0, 0, err
	}
	return placed, moved, t.Commit()
}

// AssignLinesByTenant is AssignLines for several tenants at once (an assignment CSV), in one
// transaction: every line is assigned, or none is.
func (db *DB) AssignLinesByTenant(ctx context.Context, providerID int64, byTenant map[int64][]int64, a Actor) (placed, moved int, err error) {
	if len(byTenant) == 0 {
		return 0, 0, apperr.E(apperr.Invalid, "no line to assign")
	}
	t, err := db.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer t.Rollback()
	tenants := slices.Sorted(maps.Keys(byTenant)) // one order, so two uploads lock alike
	for _, tenantID := range tenants {
		p, m, err := assignLines(ctx, t, providerID, tenantID, byTenant[tenantID], a)
		if err != nil {
			return 0, 0, err
		}
		placed, moved = placed+p, moved+m
	}
	return placed, moved, t.Commit()
}

func assignLines(ctx context.Context, t *tx, providerID, tenantID int64, carrierIDs []int64, a Actor) (placed, moved int, err error) {
	if len(carrierIDs) == 0 {
		return 0, 0, apperr.E(apperr.Invalid, "no line to assign")
	}
	var active bool
	if err := t.get(ctx, &active, `SELECT IsActive FROM Tenant WHERE Id = ? AND IsDeleted = 0`, tenantID); err != nil {
		return 0, 0, notFound(err, "no tenant %d", tenantID)
	}
	if !active {
		return 0, 0, apperr.E(apperr.Invalid, "tenant %d is deactivated", tenantID)
	}
	plans, err := planIDs(ctx, t, providerID)
	if err != nil {
		return 0, 0, err
	}
	var lines []CarrierLineRow
	for start := 0; start < len(carrierIDs); start += inChunk {
		chunk, err := carrierLines(ctx, t, LineFilter{ProviderID: providerID, IDs: carrierIDs[start:min(start+inChunk, len(carrierIDs))]})
		if err != nil {
			return 0, 0, err
		}
		lines = append(lines, chunk...)
	}
	if len(lines) != len(dedupIDs(carrierIDs)) {
		return 0, 0, apperr.E(apperr.NotFound, "%d of the %d lines are not lines of provider %d", len(dedupIDs(carrierIDs))-len(lines), len(dedupIDs(carrierIDs)), providerID)
	}
	var moving []int64
	for _, l := range lines {
		if l.DeviceID != 0 && l.TenantID != tenantID {
			moving = append(moving, l.DeviceID)
		}
	}
	if len(moving) > 0 {
		var open []struct {
			DeviceID int64  `db:"DeviceId"`
			Bulk     int64  `db:"BulkChangeId"`
			Tenant   string `db:"TenantName"`
		}
		if err := selectIn(ctx, t, &open, `SELECT r.DeviceId, r.BulkChangeId, tn.Name AS TenantName FROM M2M_DeviceChange r
			JOIN DeviceBulkChange bc ON bc.Id = r.BulkChangeId JOIN Tenant tn ON tn.Id = bc.TenantId
			WHERE r.Status IN (`+openStatuses+`) AND r.DeviceId IN (?)`, nil, anySlice(moving)); err != nil {
			return 0, 0, err
		}
		if len(open) > 0 {
			return 0, 0, apperr.E(apperr.Conflict, "%d line(s) have an open change of another tenant (device %d in bulk change %d of %s); nothing was assigned",
				len(open), open[0].DeviceID, open[0].Bulk, open[0].Tenant)
		}
		if _, err := t.exec(ctx, `UPDATE Device SET TenantId = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id IN (`+idList(moving)+`)`,
			tenantID, a.Name, t.now); err != nil {
			return 0, 0, err
		}
	}
	var rows [][]any
	for _, l := range lines {
		if l.DeviceID != 0 {
			continue
		}
		var plan any
		if id, ok := plans[l.RatePlan]; ok {
			plan = id
		}
		rows = append(rows, []any{providerID, tenantID, nullIfEmpty(l.ICCID), nullIfEmpty(l.IMEI), nullIfEmpty(l.MSISDN),
			statusID(l.State), l.State, plan, nullIfEmpty(l.RatePlan), a.Name, t.now})
	}
	if err := insertMany(ctx, t, "Device", []string{"ServiceProviderId", "TenantId", "ICCID", "IMEI", "MSISDN", "DeviceStatusId",
		"Status", "CarrierRatePlanId", "RatePlan", "CreatedBy", "CreatedDate"}, rows); err != nil {
		return 0, 0, err
	}
	if err := a.audit(ctx, t, ActionInventoryAssign, "Tenant", tenantID, &tenantID,
		AssignDetails{Provider: providerID, Lines: len(rows), Moved: len(moving)}); err != nil {
		return 0, 0, err
	}
	return len(rows), len(moving), nil
}

func dedupIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
