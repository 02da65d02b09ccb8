package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// unassignedShown is how many unassigned lines the page lists; "assign all matching" reaches
// the rest.
const unassignedShown = 200

// adminInventory lists a provider's unassigned lines (?provider, ?q, ?group) and its rules.
func (s *Server) adminInventory(c echo.Context) error {
	return s.renderInventory(c, http.StatusOK, views.InventoryAdminPageModel{Provider: formID(c, "provider"),
		Query: c.FormValue("q"), Group: c.FormValue("group"), Rule: views.RuleForm{Kind: "group", Priority: "100"}})
}

func (s *Server) renderInventory(c echo.Context, status int, m views.InventoryAdminPageModel) error {
	ctx := c.Request().Context()
	var err error
	if m.Providers, m.Provider, err = s.providerOptions(c, m.Provider); err != nil {
		return err
	}
	m.Layout, m.CSVHeader = layout(c, "Inventory", "admin"), inventory.AssignCSVHeader
	if m.Provider == 0 {
		return render(c, status, views.InventoryAdminPage(m))
	}
	ts, err := s.tenants(ctx)
	if err != nil {
		return err
	}
	m.Tenants = ts.options(0)
	lines, err := s.inventory.Unassigned(ctx, store.LineFilter{ProviderID: m.Provider, Query: m.Query, Group: m.Group, Limit: unassignedShown + 1})
	if err != nil {
		return err
	}
	if len(lines) > unassignedShown {
		lines, m.More = lines[:unassignedShown], true
	}
	for _, l := range lines {
		m.Lines = append(m.Lines, views.LineRow{ID: l.CarrierID, ICCID: l.ICCID, IMEI: l.IMEI, MSISDN: l.MSISDN, State: l.State,
			Plan: l.RatePlan, Groups: l.GroupNames})
	}
	rules, err := s.inventory.Rules(ctx, m.Provider)
	if err != nil {
		return err
	}
	for _, r := range rules {
		m.Rules = append(m.Rules, views.RuleRow{Kind: r.Kind, Field: r.FieldName, Value: r.FieldValue, Tenant: r.TenantName,
			Priority: r.Priority, DeleteURL: paths.RuleDelete(r.ID)})
	}
	return render(c, status, views.InventoryAdminPage(m))
}
