package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/inventory"
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

// previewAssignCSV checks an uploaded assignment CSV (identifier → tenant name) and shows every
// row, with an error per bad row. It assigns nothing; a preview without errors offers to apply it.
func (s *Server) previewAssignCSV(c echo.Context) error {
	provider := formID(c, "provider")
	text, err := uploadedText(c, "file")
	if err == nil {
		var p *inventory.AssignPreview
		if p, err = s.inventory.PreviewAssignCSV(c.Request().Context(), provider, strings.NewReader(text)); err == nil {
			status := http.StatusOK
			if len(p.Errors) > 0 {
				status = http.StatusUnprocessableEntity
			}
			return s.renderInventory(c, status, views.InventoryAdminPageModel{Provider: provider, CSVPreview: assignPreview(p, text),
				Rule: views.RuleForm{Kind: "group", Priority: "100"}})
		}
	}
	if msg, ok := formFailure(err); ok {
		return s.renderInventory(c, http.StatusUnprocessableEntity, views.InventoryAdminPageModel{Provider: provider, CSVError: msg,
			Rule: views.RuleForm{Kind: "group", Priority: "100"}})
	}
	return err
}

// applyAssignCSV applies a previewed assignment CSV: it is checked again now, and applied only
// whole, in one transaction.
func (s *Server) applyAssignCSV(c echo.Context) error {
	ctx := c.Request().Context()
	provider, text := formID(c, "provider"), c.FormValue("csv")
	p, err := s.inventory.PreviewAssignCSV(ctx, provider, strings.NewReader(text))
	var placed, moved int
	if err == nil {
		placed, moved, err = s.inventory.ApplyAssignCSV(ctx, actor(c), p)
	}
	if err != nil {
		if msg, ok := formFailure(err); ok {
			m := views.InventoryAdminPageModel{Provider: provider, CSVError: msg, Rule: views.RuleForm{Kind: "group", Priority: "100"}}
			if p != nil {
				m.CSVPreview = assignPreview(p, text)
			}
			return s.renderInventory(c, http.StatusUnprocessableEntity, m)
		}
		return err
	}
	return done(c, paths.Inventory(provider), fmt.Sprintf("%d line(s) assigned, %d moved from another tenant.", placed, moved))
}

func assignPreview(p *inventory.AssignPreview, text string) *views.AssignPreview {
	v := &views.AssignPreview{Errors: p.Errors, CSV: text}
	for _, r := range p.Rows {
		v.Rows = append(v.Rows, views.AssignRow{Line: r.Line, Identifier: r.Identifier, From: r.From, To: r.TenantName})
	}
	return v
}
