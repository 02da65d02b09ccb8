package web

import (
	"context"

	"github.com/idswap/idswap/internal/store"
)

// pageStore is what the read-only pages read: the dashboard, the bulk change list and
// page, the device page and the admin audit search.
type pageStore interface {
	Providers(ctx context.Context) ([]store.Provider, error)
	TenantByID(ctx context.Context, id int64) (*store.Tenant, error)
	BulkChange(ctx context.Context, tenantID, id int64) (*store.BulkChange, error)
	BulkChanges(ctx context.Context, f store.BulkChangeFilter) ([]store.BulkChange, int, error)
	DeviceChanges(ctx context.Context, bulkChangeID int64, f store.DeviceChangeFilter) ([]store.DeviceChange, int, error)
	EachDeviceChange(ctx context.Context, bulkChangeID int64, fn func(store.DeviceChange) error) error
	FailureCodes(ctx context.Context, bulkChangeID int64) (map[int64]string, error)
	UnsentFailedRows(ctx context.Context, bulkID int64) (int, error)
	BulkChangeLog(ctx context.Context, f store.LogFilter) ([]store.LogEntry, error)
	DeviceByID(ctx context.Context, tenantID, id int64) (*store.Device, error)
	IdentifierHistory(ctx context.Context, tenantID, deviceID int64) ([]store.HistoryEntry, error)
	DeviceRows(ctx context.Context, tenantID, deviceID int64) ([]store.DeviceRow, error)
	DevicesByIdentifier(ctx context.Context, tenantID int64, value string) ([]store.Device, error)
	AuditSearch(ctx context.Context, f store.AuditFilter) (*store.AuditPage, error)
	AuditExport(ctx context.Context, f store.AuditFilter, fn func(store.AuditHit) error) error
	Dashboard(ctx context.Context, f store.DashboardFilter) (*store.Dashboard, error)
}
