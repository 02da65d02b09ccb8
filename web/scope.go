package web

import (
	"context"
	"strconv"

	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// scopeOf is the tenant a user's reads and writes are limited to: theirs, or 0 (every tenant)
// for admins. The store gives every manager a tenant; a user who is neither still gets a scope
// that matches nothing (noTenant), never 0 and never a nil dereference.
func scopeOf(u *store.User) int64 {
	switch {
	case u.IsAdmin():
		return 0
	case u.TenantID == nil:
		return noTenant
	}
	return *u.TenantID
}

// noTenant is a tenant id no row has.
const noTenant = -1

// tenantList is every tenant, read once for an admin's tenant select and tenant columns.
type tenantList []store.Tenant

func (s *Server) tenants(ctx context.Context) (tenantList, error) {
	ts, err := s.store.Tenants(ctx)
	return tenantList(ts), err
}

// options is the tenant select, with the chosen tenant selected (0: none).
func (ts tenantList) options(selected int64) []views.Option {
	out := make([]views.Option, 0, len(ts))
	for _, t := range ts {
		out = append(out, views.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name, Selected: t.ID == selected})
	}
	return out
}

// names maps each tenant's id to its name.
func (ts tenantList) names() map[int64]string {
	out := make(map[int64]string, len(ts))
	for _, t := range ts {
		out[t.ID] = t.Name
	}
	return out
}
