package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// renameTenant renames a tenant.
func (s *Server) renameTenant(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	if err := s.onboard.RenameTenant(c.Request().Context(), actor(c), id, name); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderTenants(c, http.StatusUnprocessableEntity, views.TenantsPageModel{Error: msg, ErrorFor: id})
		}
		return err
	}
	return done(c, paths.AdminTenants, "Tenant renamed to "+name+".")
}

// setTenantActive deactivates or reactivates a tenant.
func (s *Server) setTenantActive(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	active := c.FormValue("active") == "true"
	if err := s.onboard.SetTenantActive(c.Request().Context(), actor(c), id, active); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderTenants(c, http.StatusUnprocessableEntity, views.TenantsPageModel{Error: msg, ErrorFor: id})
		}
		return err
	}
	if active {
		return done(c, paths.AdminTenants, "Tenant reactivated.")
	}
	return done(c, paths.AdminTenants, "Tenant deactivated: it leaves the lists and takes no new users or lines; disable its managers on the Users page.")
}

// setTenantUrgent says whether a tenant's managers may mark their requests urgent (issue 15,
// item 2: urgent rows go to the carrier before every normal row, so it is an admin's call).
func (s *Server) setTenantUrgent(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	allowed := c.FormValue("allowed") == "true"
	if err := s.store.SetManagersMayMarkUrgent(c.Request().Context(), id, allowed, actor(c)); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderTenants(c, http.StatusUnprocessableEntity, views.TenantsPageModel{Error: msg, ErrorFor: id})
		}
		return err
	}
	if allowed {
		return done(c, paths.AdminTenants, "The tenant's managers may now mark requests urgent.")
	}
	return done(c, paths.AdminTenants, "Only admins may now mark the tenant's requests urgent.")
}
