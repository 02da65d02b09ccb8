package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// adminTenants lists the tenants with their forms.
func (s *Server) adminTenants(c echo.Context) error {
	return s.renderTenants(c, http.StatusOK, views.TenantsPageModel{})
}

func (s *Server) renderTenants(c echo.Context, status int, m views.TenantsPageModel) error {
	ts, err := s.onboard.Tenants(c.Request().Context())
	if err != nil {
		return err
	}
	m.Layout = layout(c, "Tenants", "admin")
	for _, t := range ts {
		m.Rows = append(m.Rows, views.TenantRow{ID: t.ID, Name: t.Name, Active: t.IsActive, Devices: t.Devices, Users: t.Users,
			RenameURL: paths.TenantRename(t.ID), ActiveURL: paths.TenantActive(t.ID),
			ManagersMayMarkUrgent: t.ManagersMayMarkUrgent, UrgentURL: paths.TenantUrgent(t.ID)})
	}
	return render(c, status, views.TenantsPage(m))
}

// createTenant adds a tenant; a name taken (in any letter case) is answered next to the form.
func (s *Server) createTenant(c echo.Context) error {
	name := c.FormValue("name")
	if _, err := s.onboard.CreateTenant(c.Request().Context(), actor(c), name); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderTenants(c, http.StatusUnprocessableEntity, views.TenantsPageModel{NewName: name, Error: msg})
		}
		return err
	}
	return done(c, paths.AdminTenants, "Tenant "+name+" created.")
}
