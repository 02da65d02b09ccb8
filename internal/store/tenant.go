package store

import (
	"context"

	"github.com/idswap/idswap/internal/apperr"
)

// Tenant is a customer organisation.
type Tenant struct {
	ID       int64  `db:"Id"`
	Name     string `db:"Name"`
	TimeZone string `db:"TimeZone"`
	// ManagersMayMarkUrgent lets the tenant's managers mark their requests urgent (admins
	// always may); an admin sets it on the tenants page.
	ManagersMayMarkUrgent bool `db:"ManagersMayMarkUrgent"`
}

// Tenants lists the active tenants by name.
func (db *DB) Tenants(ctx context.Context) ([]Tenant, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var ts []Tenant
	err = t.sel(ctx, &ts, `SELECT Id, Name, TimeZone, ManagersMayMarkUrgent FROM Tenant WHERE IsDeleted = 0 AND IsActive = 1 ORDER BY Name`)
	return ts, err
}

// TenantByID finds a tenant.
func (db *DB) TenantByID(ctx context.Context, id int64) (*Tenant, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var tn Tenant
	if err := t.get(ctx, &tn, `SELECT Id, Name, TimeZone, ManagersMayMarkUrgent FROM Tenant WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
		return nil, notFound(err, "no tenant %d", id)
	}
	return &tn, nil
}

// CreateTenant adds a tenant.
func (db *DB) CreateTenant(ctx context.Context, name, by string) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	id, err := t.insert(ctx, "Tenant", []string{"Name", "CreatedBy", "CreatedDate"}, name, by, t.now)
	if err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// ActionTenantUrgentPolicy: an admin let a tenant's managers mark requests urgent, or stopped
// them.
const ActionTenantUrgentPolicy AuditAction = "tenant.urgent_policy"

// SetManagersMayMarkUrgent says whether a tenant's managers may mark their requests urgent.
func (db *DB) SetManagersMayMarkUrgent(ctx context.Context, id int64, allowed bool, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE Tenant SET ManagersMayMarkUrgent = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ? AND IsDeleted = 0`,
		allowed, a.Name, t.now, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.E(apperr.NotFound, "no tenant %d", id)
	}
	if err := a.audit(ctx, t, ActionTenantUrgentPolicy, "Tenant", id, &id, UrgentPolicyDetails{ManagersMayMarkUrgent: allowed}); err != nil {
		return err
	}
	return t.Commit()
}

// UrgentPolicyDetails are the details of ActionTenantUrgentPolicy.
type UrgentPolicyDetails struct {
	ManagersMayMarkUrgent bool `json:"managers_may_mark_urgent"`
}
