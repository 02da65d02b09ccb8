package store

import (
	"context"
	"database/sql"
	"strings"
)

// CarrierPlan is a carrier rate plan (ThingSpaceCarrierRatePlan) with the network types it serves.
type CarrierPlan struct {
	ID                     int64    `db:"Id"`
	ServiceProviderID      int64    `db:"ServiceProviderId"`
	Code                   string   `db:"RatePlanCode"`
	Name                   string   `db:"RatePlanName"`
	ShortName              string   `db:"RatePlanShortName"`
	CarrierServicePlanCode string   `db:"CarrierServicePlanCode"`
	PlanMB                 float64  `db:"PlanMB"`
	MonthlyRate            float64  `db:"BaseRate"`
	NetworkTypesCSV        string   `db:"NetworkTypes"`
	NetworkTypes           []string `db:"-"`
}

// Serves reports whether the plan serves a network type.
func (p CarrierPlan) Serves(networkType string) bool {
	for _, n := range p.NetworkTypes {
		if n == networkType {
			return true
		}
	}
	return false
}

// CarrierPlans lists a provider's active plans, cheapest first.
func (db *DB) CarrierPlans(ctx context.Context, providerID int64) ([]CarrierPlan, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var ps []CarrierPlan
	err = t.sel(ctx, &ps, `SELECT Id, ServiceProviderId, RatePlanCode, RatePlanName, RatePlanShortName,
		CarrierServicePlanCode, PlanMB, BaseRate, '' AS NetworkTypes
		FROM ThingSpaceCarrierRatePlan WHERE ServiceProviderId = ? AND IsDeleted = 0 AND IsActive = 1
		ORDER BY BaseRate, RatePlanCode`, providerID)
	if err != nil {
		return nil, err
	}
	var links []struct {
		PlanID      int64  `db:"CarrierRatePlanId"`
		NetworkType string `db:"NetworkType"`
	}
	err = t.sel(ctx, &links, `SELECT n.CarrierRatePlanId, n.NetworkType FROM CarrierRatePlanNetworkType n
		JOIN ThingSpaceCarrierRatePlan p ON p.Id = n.CarrierRatePlanId WHERE p.ServiceProviderId = ?
		ORDER BY n.NetworkType`, providerID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*CarrierPlan{}
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	for _, l := range links {
		if p := byID[l.PlanID]; p != nil {
			p.NetworkTypes = append(p.NetworkTypes, l.NetworkType)
		}
	}
	for i := range ps {
		ps[i].NetworkTypesCSV = strings.Join(ps[i].NetworkTypes, ", ")
	}
	return ps, nil
}

// DeviceModel is one row of the TAC range table (IMEI_DeviceType_CarrierRatePlan).
type DeviceModel struct {
	ID           int64  `db:"Id"`
	Manufacturer string `db:"Manufacturer"`
	Model        string `db:"Model"`
	FromIMEI     string `db:"FromIMEI"`
	ToIMEI       string `db:"ToIMEI"`
	NetworkType  string `db:"NetworkType"`
}

// DeviceModels lists the TAC range table.
func (db *DB) DeviceModels(ctx context.Context) ([]DeviceModel, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var ms []DeviceModel
	err = t.sel(ctx, &ms, `SELECT Id, Manufacturer, Model, FromIMEI, ToIMEI, NetworkType
		FROM IMEI_DeviceType_CarrierRatePlan WHERE IsActive = 1 ORDER BY FromIMEI`)
	return ms, err
}

// DeviceModelByIMEI finds the make, model and network type of a 15-digit IMEI.
func (db *DB) DeviceModelByIMEI(ctx context.Context, imei string) (*DeviceModel, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var m DeviceModel
	// The ranges do not overlap, so the last range starting at or below the IMEI is the only
	// candidate: one index seek instead of a scan of every range.
	clause, pargs := t.db.dialect.page(1, 0)
	err = t.get(ctx, &m, `SELECT Id, Manufacturer, Model, FromIMEI, ToIMEI, NetworkType
		FROM IMEI_DeviceType_CarrierRatePlan WHERE FromIMEI <= ? AND IsActive = 1
		ORDER BY FromIMEI DESC `+clause, append([]any{imei}, pargs...)...)
	if err != nil || imei > m.ToIMEI {
		if err == nil {
			err = sql.ErrNoRows
		}
		return nil, notFound(err, "IMEI %s is in no known device range (TAC %s)", imei, tacOf(imei))
	}
	return &m, nil
}

func tacOf(imei string) string {
	if len(imei) >= 8 {
		return imei[:8]
	}
	return imei
}
