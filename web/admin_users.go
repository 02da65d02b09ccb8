package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// adminUsers lists the users with the create form.
func (s *Server) adminUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, views.UsersPageModel{}, 0)
}

func (s *Server) renderUsers(c echo.Context, status int, m views.UsersPageModel, tenant int64) error {
	ctx := c.Request().Context()
	us, err := s.onboard.Users(ctx)
	if err != nil {
		return err
	}
	ts, err := s.tenants(ctx)
	if err != nil {
		return err
	}
	me := currentUser(c)
	m.Layout, m.Tenants = layout(c, "Users", "admin"), ts.options(tenant)
	for _, u := range us {
		last := "never"
		if u.LastLoginDate != nil {
			last = stamp(u.LastLoginDate)
		}
		m.Rows = append(m.Rows, views.UserRow{ID: u.ID, Email: u.Email, Name: u.DisplayName, Role: u.Role, Tenant: u.TenantName,
			Active: u.IsActive, LastLogin: last, ActiveURL: paths.UserActive(u.ID), PasswordURL: paths.UserPassword(u.ID),
			Self: me != nil && me.ID == u.ID})
	}
	return render(c, status, views.UsersPage(m))
}

// createUser adds an admin or a manager; an e-mail address taken is answered next to the form.
func (s *Server) createUser(c echo.Context) error {
	nu := onboard.NewUser{Email: c.FormValue("email"), DisplayName: c.FormValue("display_name"), Role: c.FormValue("role"),
		Password: c.FormValue("password"), TenantID: formID(c, "tenant")}
	if _, err := s.onboard.CreateUser(c.Request().Context(), actor(c), nu); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderUsers(c, http.StatusUnprocessableEntity, views.UsersPageModel{Error: msg,
				New: views.NewUserForm{Email: nu.Email, DisplayName: nu.DisplayName, Role: nu.Role}}, nu.TenantID)
		}
		return err
	}
	return done(c, paths.AdminUsers, "User "+nu.Email+" created as "+nu.Role+".")
}

// setUserActive disables or re-enables a user.
func (s *Server) setUserActive(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	active := c.FormValue("active") == "true"
	if err := s.onboard.SetUserActive(c.Request().Context(), actor(c), id, active); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderUsers(c, http.StatusUnprocessableEntity, views.UsersPageModel{Error: msg, ErrorFor: id}, 0)
		}
		return err
	}
	word := "disabled"
	if active {
		word = "enabled"
	}
	return done(c, paths.AdminUsers, "User "+strconv.FormatInt(id, 10)+" "+word+".")
}

// resetPassword sets a user's password as an admin.
func (s *Server) resetPassword(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.onboard.ResetPassword(c.Request().Context(), actor(c), id, c.FormValue("password")); err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderUsers(c, http.StatusUnprocessableEntity, views.UsersPageModel{Error: msg, ErrorFor: id}, 0)
		}
		return err
	}
	return done(c, paths.AdminUsers, "Password of user "+strconv.FormatInt(id, 10)+" reset.")
}
