package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/report"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// dailyStore is what the daily summary's settings read and write.
type dailyStore interface {
	DailyScheduleOf(ctx context.Context, tenantID int64) (*store.DailySchedule, error)
	PutDailySchedule(ctx context.Context, tenantID int64, sendAt, recipients string, active bool, by string) error
}

// dailyTenant is whose summary the request is about: a manager's own tenant; for an admin the
// tenant named (0: the admins' summary of every tenant).
func dailyTenant(u *store.User, raw string) int64 {
	if !u.IsAdmin() {
		return scopeOf(u)
	}
	n, _ := strconv.ParseInt(raw, 10, 64)
	return n
}

// dailySummary is the settings page of a daily summary.
func (s *Server) dailySummary(c echo.Context) error {
	return s.renderDaily(c, http.StatusOK, dailyTenant(currentUser(c), c.QueryParam("tenant")), nil)
}

// saveDailySummary stores a summary's time and recipients.
func (s *Server) saveDailySummary(c echo.Context) error {
	u := currentUser(c)
	tenantID := dailyTenant(u, c.FormValue("tenant"))
	if tenantID != 0 {
		if _, err := s.store.TenantByID(c.Request().Context(), tenantID); err != nil {
			return err
		}
	}
	recipients, err := report.CheckSchedule(c.FormValue("send_at"), c.FormValue("recipients"))
	if apperr.CodeOf(err) == apperr.Invalid {
		return s.renderDaily(c, http.StatusUnprocessableEntity, tenantID, &views.DailySummarySettings{SendAt: c.FormValue("send_at"),
			Recipients: c.FormValue("recipients"), Active: c.FormValue("active") != "", Error: apperr.MessageOf(err)})
	}
	if err != nil {
		return err
	}
	if err := s.store.PutDailySchedule(c.Request().Context(), tenantID, c.FormValue("send_at"), recipients, c.FormValue("active") != "", u.Email); err != nil {
		return err
	}
	if err := setFlash(c, "ok", "The daily summary is saved."); err != nil {
		return err
	}
	to := paths.DailySummary
	if u.IsAdmin() {
		to += "?tenant=" + strconv.FormatInt(tenantID, 10)
	}
	return redirect(c, to)
}

func (s *Server) renderDaily(c echo.Context, status int, tenantID int64, form *views.DailySummarySettings) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	p := views.DailySummarySettings{SendAt: "07:00", TimeZone: "UTC", Active: true, Scope: "every tenant", AdminsToo: tenantID == 0}
	if tenantID != 0 {
		t, err := s.store.TenantByID(ctx, tenantID)
		if err != nil {
			return err
		}
		p.Scope, p.TimeZone = t.Name, t.TimeZone
	}
	sch, err := s.store.DailyScheduleOf(ctx, tenantID)
	if err != nil {
		return err
	}
	if sch != nil {
		p.SendAt, p.Recipients, p.Active, p.LastSent = sch.SendAt, sch.Recipients, sch.IsActive, sch.LastSentDay
	} else if tenantID != 0 {
		p.Recipients = u.Email
	}
	if form != nil {
		p.SendAt, p.Recipients, p.Active, p.Error = form.SendAt, form.Recipients, form.Active, form.Error
	}
	if u.IsAdmin() {
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		p.Tenants = append([]views.Option{{Value: "0", Label: "Every tenant (to the admins)", Selected: tenantID == 0}}, ts.options(tenantID)...)
	}
	p.TenantID = strconv.FormatInt(tenantID, 10)
	p.Layout = layout(c, "Daily summary", "reports")
	return render(c, status, views.DailySummaryPage(p))
}
