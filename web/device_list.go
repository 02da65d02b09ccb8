package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const devicePageSize = 50

// devices is the inventory: the user's tenant's devices (an admin's: every tenant's, or one),
// searched by any identifier, a page at a time.
func (s *Server) devices(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	page := max(1, atoiDefault(c.QueryParam("page"), 1))
	f := store.DeviceFilter{Query: q, Limit: devicePageSize, Offset: (page - 1) * devicePageSize}
	var tenantID int64
	tenantNames := map[int64]string{}
	var tenantOpts []views.Option
	if u.IsAdmin() {
		tenantID = int64(atoiDefault(c.QueryParam("tenant"), 0))
		f.TenantID, f.AllTenants = tenantID, tenantID == 0
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		tenantNames, tenantOpts = ts.names(), ts.options(tenantID)
	} else {
		f.TenantID = scopeOf(u)
	}
	ds, total, err := s.store.Devices(ctx, f)
	if err != nil {
		return err
	}
	res := views.DeviceResults{Query: q, Pager: pager(c.Request().URL, page, devicePageSize, total)}
	for _, d := range ds {
		res.Rows = append(res.Rows, deviceRow(d, tenantNames[d.TenantID]))
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.DevicesTableRegion(res, u.IsAdmin()))
	}
	return render(c, http.StatusOK, views.DevicesPage(views.DevicesPageModel{Layout: layout(c, "Devices", "devices"),
		Query: q, TenantID: tenantID, Tenants: tenantOpts, ShowTenant: u.IsAdmin(), Results: res}))
}

func deviceRow(d store.Device, tenant string) views.DeviceRow {
	return views.DeviceRow{ID: d.ID, URL: paths.Device(d.ID), ICCID: d.ICCID, IMEI: d.IMEI, MDN: d.MSISDN,
		EID: d.EID, Status: d.StatusName, StatusClass: strings.ToLower(d.StatusName), Plan: d.RatePlan,
		PlanName: d.RatePlanName, Description: d.Description, Tenant: tenant}
}
