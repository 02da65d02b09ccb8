package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// adminTenants lists the tenants with their forms.
func (s *Server) adminTenants(c echo.Context) error {
	return s.renderTenants(c, http.StatusOK, views.TenantsPageModel{})
}

func (s *Server) renderTenants(c echo.Context, status int, m views.TenantsPageModel) error {
	return s.renderTenantsPosted(c, status, m, nil)
}

// renderTenantsPosted renders the page with the schedule form of m.ScheduleFor showing what
// was posted (posted) rather than what is stored.
func (s *Server) renderTenantsPosted(c echo.Context, status int, m views.TenantsPageModel, posted *store.TenantSchedule) error {
	ts, err := s.onboard.Tenants(c.Request().Context())
	if err != nil {
		return err
	}
	m.Layout = layout(c, "Tenants", "admin")
	for _, t := range ts {
		m.Rows = append(m.Rows, views.TenantRow{ID: t.ID, Name: t.Name, Active: t.IsActive, Devices: t.Devices, Users: t.Users,
			RenameURL: paths.TenantRename(t.ID), ActiveURL: paths.TenantActive(t.ID),
			ManagersMayMarkUrgent: t.ManagersMayMarkUrgent, UrgentURL: paths.TenantUrgent(t.ID)})
		sc, err := s.store.TenantSchedule(c.Request().Context(), t.ID)
		if err != nil {
			return err
		}
		if m.ScheduleFor == t.ID && posted != nil {
			sc = *posted // what was posted, with its error
		}
		m.Schedules = append(m.Schedules, scheduleRow(t.ID, t.Name, sc))
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

// scheduleRow is a tenant's time zone and maintenance window form.
func scheduleRow(id int64, name string, sc store.TenantSchedule) views.TenantScheduleRow {
	r := views.TenantScheduleRow{ID: id, Name: name, URL: paths.TenantSchedule(id), TimeZone: sc.TimeZone,
		Window: sc.Window.String()}
	for d, n := range change.DayNames {
		r.Days = append(r.Days, views.Option{Value: strconv.Itoa(d), Label: n, Selected: sc.Window.Days&(1<<d) != 0})
	}
	for h := 0; h <= 24; h++ {
		v := strconv.Itoa(h)
		label := fmt.Sprintf("%02d:00", h)
		if h < 24 {
			r.Opens = append(r.Opens, views.Option{Value: v, Label: label, Selected: h == sc.Window.Start})
		}
		if h > 0 {
			r.Closes = append(r.Closes, views.Option{Value: v, Label: label, Selected: h == sc.Window.End || (h == 24 && sc.Window.End == 0)})
		}
	}
	return r
}

// setTenantSchedule sets a tenant's time zone and maintenance window. A zone that is not an
// IANA name, or hours out of range, are answered next to the form (422) and change nothing.
func (s *Server) setTenantSchedule(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	sc := store.TenantSchedule{TimeZone: strings.TrimSpace(form.Get("time_zone"))}
	for _, d := range form["days"] {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 && n < 7 {
			sc.Window.Days |= 1 << n
		}
	}
	sc.Window.Start, _ = strconv.Atoi(form.Get("opens"))
	sc.Window.End, _ = strconv.Atoi(form.Get("closes"))
	if err := s.store.SetTenantSchedule(c.Request().Context(), id, sc, actor(c)); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderTenantsPosted(c, http.StatusUnprocessableEntity, views.TenantsPageModel{ScheduleError: msg, ScheduleFor: id}, &sc)
		}
		return err
	}
	return done(c, paths.AdminTenants, "Time zone and maintenance window saved: "+sc.TimeZone+", "+sc.Window.String()+".")
}
