package store

import (
	"context"
)

// Tenant is a customer organisation.
type Tenant struct {
	ID       int64  `db:"Id"`
	Name     string `db:"Name"`
	TimeZone string `db:"TimeZone"`
}

// Tenants lists the active tenants by name.
func (db *DB) Tenants(ctx context.Context) ([]Tenant, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var ts []Tenant
	err = t.sel(ctx, &ts, `SELECT Id, Name, TimeZone FROM Tenant WHERE IsDeleted = 0 AND IsActive = 1 ORDER BY Name`)
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
	if err := t.get(ctx, &tn, `SELECT Id, Name, TimeZone FROM Tenant WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
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
