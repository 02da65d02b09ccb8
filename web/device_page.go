package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// devicePage is one device: its identifiers and plan now, its identifier history (who, when,
// which request, old → new) and every request row that named it. Another tenant's device is
// NotFound.
func (s *Server) devicePage(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no device %q.", c.Param("id"))
	}
	tenant := scopeOf(u)
	d, err := s.store.DeviceByID(ctx, tenant, id)
	if err != nil {
		return err
	}
	hist, err := s.store.IdentifierHistory(ctx, tenant, id)
	if err != nil {
		return err
	}
	rows, err := s.store.DeviceRows(ctx, tenant, id)
	if err != nil {
		return err
	}
	tenantName := u.TenantName
	if u.IsAdmin() {
		t, err := s.store.TenantByID(ctx, d.TenantID)
		if err != nil {
			return err
		}
		tenantName = t.Name
	}
	p := views.DevicePageModel{Layout: layout(c, "Device "+d.ICCID, "devices"), ID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MDN: d.MSISDN,
		EID: d.EID, Status: d.StatusName, StatusClass: strings.ToLower(d.StatusName), Plan: d.RatePlan, PlanName: d.RatePlanName,
		MonthlyRate: fmtDollars(d.MonthlyRate), Tenant: tenantName, Description: d.Description, Modified: fmtTimePtr(d.ModifiedDate)}
	if via := c.QueryParam("via"); via != "" && via != d.ICCID && via != d.IMEI && via != d.MSISDN && via != d.EID {
		p.FoundBy = fmt.Sprintf("Found by %s, which this device had before; it has other identifiers now.", via)
	}
	for _, h := range hist {
		r := views.HistoryRow{When: fmtTime(h.ChangeDate), By: h.ChangedBy, Reason: h.ChangeReason,
			Changes: historyChanges(h.OldICCID, h.NewICCID, h.OldIMEI, h.NewIMEI)}
		if h.BulkChangeID != nil {
			r.BatchURL, r.BatchLabel = paths.BulkChange(*h.BulkChangeID), fmt.Sprintf("#%d", *h.BulkChangeID)
		}
		p.History = append(p.History, r)
	}
	for _, r := range rows {
		p.Rows = append(p.Rows, views.DeviceChangeRow{BatchURL: paths.BulkChange(r.BulkChangeID),
			BatchLabel: fmt.Sprintf("#%d", r.BulkChangeID), Type: r.Type.Label(), Status: string(r.Status), StatusClass: string(r.Status),
			Details: r.StatusDetails, RequestedBy: r.RequestedBy, Created: fmtTime(r.CreatedDate), Processed: fmtTimePtr(r.ProcessedDate),
			Changes: historyChanges(r.ICCID, r.NewICCID, r.IMEI, r.NewIMEI)})
	}
	return render(c, http.StatusOK, views.DevicePage(p))
}
