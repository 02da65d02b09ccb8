package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// assignLines puts the selected lines (scope=selected) or every unassigned line the filter
// matches (scope=filter) in a tenant. A line another tenant has an open change on refuses the
// whole assignment, which the page says.
func (s *Server) assignLines(c echo.Context) error {
	ctx := c.Request().Context()
	provider, tenant := formID(c, "provider"), formID(c, "tenant")
	q, group := c.FormValue("q"), c.FormValue("group")
	var (
		placed, moved int
		err           error
	)
	if c.FormValue("scope") == "filter" {
		placed, err = s.inventory.AssignMatching(ctx, actor(c), store.LineFilter{ProviderID: provider, Query: q, Group: group}, tenant)
	} else {
		form, ferr := c.FormParams()
		if ferr != nil {
			return apperr.Wrap(ferr, apperr.Invalid, "The form could not be read.")
		}
		var ids []int64
		for _, v := range form["line"] {
			if id, perr := strconv.ParseInt(v, 10, 64); perr == nil {
				ids = append(ids, id)
			}
		}
		placed, moved, err = s.inventory.Assign(ctx, actor(c), provider, tenant, ids)
	}
	if err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderInventory(c, http.StatusUnprocessableEntity, views.InventoryAdminPageModel{Provider: provider, Query: q,
				Group: group, Error: msg, Rule: views.RuleForm{Kind: "group", Priority: "100"}})
		}
		return err
	}
	return done(c, paths.InventoryFiltered(provider, q, group), fmt.Sprintf("%d line(s) assigned, %d moved from another tenant.", placed, moved))
}

// addRule stores an assignment rule of a provider.
func (s *Server) addRule(c echo.Context) error {
	provider := formID(c, "provider")
	form := views.RuleForm{Kind: c.FormValue("kind"), Field: c.FormValue("field"), Value: c.FormValue("value"), Priority: c.FormValue("priority")}
	prio, perr := strconv.Atoi(form.Priority)
	var err error
	if perr != nil {
		err = apperr.E(apperr.Invalid, "the priority %q is not a whole number", form.Priority)
	} else {
		_, err = s.inventory.AddRule(c.Request().Context(), actor(c), store.AssignmentRule{ProviderID: provider, Kind: form.Kind,
			FieldName: form.Field, FieldValue: form.Value, TenantID: formID(c, "tenant"), Priority: prio})
	}
	if err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderInventory(c, http.StatusUnprocessableEntity, views.InventoryAdminPageModel{Provider: provider, RuleError: msg, Rule: form})
		}
		return err
	}
	return done(c, paths.Inventory(provider), "Rule added: the next sync places the unassigned lines it matches.")
}

// deleteRule removes an assignment rule.
func (s *Server) deleteRule(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.inventory.DeleteRule(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return done(c, paths.Inventory(formID(c, "provider")), "Rule deleted; the lines it placed stay where they are.")
}
