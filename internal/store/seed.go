package store

import (
	"context"
	"fmt"

	"github.com/idswap/idswap/internal/apperr"
)

// SeedData is a whole starting data set — tenants, users, one provider with its credentials,
// plans, device models and devices — written by Seed in one transaction: the fixture of the
// engine's, request's and store's tests. The demo is not seeded; it is built through
// onboarding and a sync (internal/demo Setup).
type SeedData struct {
	Tenants     []string
	Users       []SeedUser
	Provider    Provider
	Credentials Credentials // ServiceProviderID is filled in by Seed
	Plans       []SeedPlan
	Models      []SeedModel
	Devices     []SeedDevice
}

// SeedUser is a user of SeedData; TenantName is empty for admins.
type SeedUser struct {
	Email, DisplayName, Role, TenantName, PasswordHash string
}

// SeedPlan is a carrier plan of SeedData.
type SeedPlan struct {
	Code, Name, ShortName, CarrierServicePlanCode string
	PlanMB, MonthlyRate                           float64
	NetworkTypes                                  []string
}

// SeedModel is a TAC range of SeedData.
type SeedModel struct {
	Manufacturer, Model, FromIMEI, ToIMEI, DeviceType, NetworkType, MarketingName string
}

// SeedDevice is a device of SeedData.
type SeedDevice struct {
	TenantName               string
	ICCID, IMEI, MSISDN, EID string
	StatusID                 int
	PlanCode                 string
	Description              string
}

// Seed writes data unless a tenant of the same name already exists, all in one transaction, so
// that a restart never seeds twice and a crash mid-seed leaves nothing half-written. It returns
// whether it wrote anything, and the provider's id either way.
func (db *DB) Seed(ctx context.Context, data SeedData, by string) (bool, int64, error) { //nolint:gocognit // one transaction writing each table in foreign-key order; each loop is an insert and its error check
	t, err := db.begin(ctx)
	if err != nil {
		return false, 0, err
	}
	defer t.Rollback()
	if len(data.Tenants) == 0 {
		return false, 0, apperr.E(apperr.Invalid, "seed data has no tenant")
	}
	var n int
	if err := t.get(ctx, &n, `SELECT COUNT(*) FROM Tenant WHERE Name = ?`, data.Tenants[0]); err != nil {
		return false, 0, err
	}
	if n > 0 {
		var pid int64
		err := t.get(ctx, &pid, `SELECT Id FROM ServiceProvider WHERE Name = ? AND IsDeleted = 0`, data.Provider.Name)
		return false, pid, notFound(err, "the seeded provider %q is gone", data.Provider.Name)
	}

	tenants := map[string]int64{}
	for _, name := range data.Tenants {
		id, err := t.insert(ctx, "Tenant", []string{"Name", "CreatedBy", "CreatedDate"}, name, by, t.now)
		if err != nil {
			return false, 0, err
		}
		tenants[name] = id
	}
	for _, u := range data.Users {
		var tid *int64
		if u.TenantName != "" {
			id, ok := tenants[u.TenantName]
			if !ok {
				return false, 0, fmt.Errorf("store: seed user %s: unknown tenant %q", u.Email, u.TenantName)
			}
			tid = &id
		}
		if _, err := createUser(ctx, t, NewUser{TenantID: tid, Email: u.Email, DisplayName: u.DisplayName,
			PasswordHash: u.PasswordHash, Role: u.Role}, by); err != nil {
			return false, 0, err
		}
	}
	pid, err := createProvider(ctx, t, data.Provider, by)
	if err != nil {
		return false, 0, err
	}
	creds := data.Credentials
	creds.ServiceProviderID = pid
	if err := putCredentials(ctx, t, creds, by); err != nil {
		return false, 0, err
	}

	plans := map[string]int64{}
	for _, p := range data.Plans {
		id, err := t.insert(ctx, "ThingSpaceCarrierRatePlan",
			[]string{"ServiceProviderId", "RatePlanCode", "RatePlanName", "RatePlanShortName", "CarrierServicePlanCode",
				"PlanMB", "BaseRate", "CreatedBy", "CreatedDate"},
			pid, p.Code, p.Name, p.ShortName, p.CarrierServicePlanCode, p.PlanMB, p.MonthlyRate, by, t.now)
		if err != nil {
			return false, 0, err
		}
		plans[p.Code] = id
		for _, nt := range p.NetworkTypes {
			if _, err := t.exec(ctx, `INSERT INTO CarrierRatePlanNetworkType (CarrierRatePlanId, NetworkType) VALUES (?, ?)`, id, nt); err != nil {
				return false, 0, err
			}
		}
	}

	var models [][]any
	for _, m := range data.Models {
		models = append(models, []any{m.Manufacturer, m.Model, m.FromIMEI, m.ToIMEI, m.DeviceType, m.MarketingName,
			m.MarketingName, m.NetworkType, pid, by, t.now})
	}
	if err := insertMany(ctx, t, "IMEI_DeviceType_CarrierRatePlan",
		[]string{"Manufacturer", "Model", "FromIMEI", "ToIMEI", "DeviceType", "DeviceCommonName", "DeviceMarketingName",
			"NetworkType", "ServiceProviderId", "CreatedBy", "CreatedDate"}, models); err != nil {
		return false, 0, err
	}

	var devices, tsDevices [][]any
	for _, d := range data.Devices {
		tid, ok := tenants[d.TenantName]
		if !ok {
			return false, 0, fmt.Errorf("store: seed device %s: unknown tenant %q", d.ICCID, d.TenantName)
		}
		var planID any
		if d.PlanCode != "" {
			id, ok := plans[d.PlanCode]
			if !ok {
				return false, 0, fmt.Errorf("store: seed device %s: unknown plan %q", d.ICCID, d.PlanCode)
			}
			planID = id
		}
		status := deviceStatusName(d.StatusID)
		devices = append(devices, []any{pid, tid, d.ICCID, d.IMEI, d.MSISDN, nullIfEmpty(d.EID), d.StatusID, status,
			planID, nullIfEmpty(d.PlanCode), d.Description, by, t.now})
		tsDevices = append(tsDevices, []any{pid, d.ICCID, d.IMEI, d.MSISDN, status, nullIfEmpty(d.PlanCode), d.StatusID,
			creds.AccountNumber, by, t.now})
	}
	if err := insertMany(ctx, t, "Device",
		[]string{"ServiceProviderId", "TenantId", "ICCID", "IMEI", "MSISDN", "EID", "DeviceStatusId", "Status",
			"CarrierRatePlanId", "RatePlan", "DeviceDescription", "CreatedBy", "CreatedDate"}, devices); err != nil {
		return false, 0, err
	}
	if err := insertMany(ctx, t, "ThingSpaceDevice",
		[]string{"ServiceProviderId", "ICCID", "IMEI", "MSISDN", "Status", "RatePlan", "DeviceStatusId", "AccountNumber",
			"CreatedBy", "CreatedDate"}, tsDevices); err != nil {
		return false, 0, err
	}
	if err := insertAudit(ctx, t, AuditEvent{Actor: by, Action: ActionSeed, EntityType: "Tenant",
		Details: SeedDetails{Tenants: len(data.Tenants), Devices: len(data.Devices)}}); err != nil {
		return false, 0, err
	}
	return true, pid, t.Commit()
}

// deviceStatusName is the carrier's word for a DeviceStatus id, kept in Device.Status.
func deviceStatusName(id int) string {
	switch id {
	case DeviceStatusActive:
		return "active"
	case DeviceStatusSuspended:
		return "suspend"
	case DeviceStatusDeactive:
		return "deactive"
	case DeviceStatusPreActive:
		return "pre-active"
	case DeviceStatusPendingAct:
		return "pending activation"
	}
	return "unknown"
}
