package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// saveProvider creates (no :id) or updates a provider. The form's buttons: "Test connection"
// tests the entered settings and saves nothing; "Test and save" saves only when the carrier
// accepts them; "Save anyway", offered after a failed test, saves without the test (for
// credentials the carrier has not enabled yet). Turning the write gate on needs the
// confirmation box ticked.
func (s *Server) saveProvider(c echo.Context) error {
	ctx := c.Request().Context()
	var id int64
	m := views.ProviderPageModel{Action: paths.AdminProviders}
	in := onboard.ProviderInput{Name: c.FormValue("name"), BaseURL: c.FormValue("base_url"), AccountName: c.FormValue("account"),
		ClientID: c.FormValue("client_id"), ClientSecret: c.FormValue("client_secret"), UWSUser: c.FormValue("uws_user"),
		UWSPassword: c.FormValue("uws_password"), NotificationEmail: c.FormValue("notification_email"),
		RegisterCallbacks: c.FormValue("callbacks") == "on", WritesEnabled: c.FormValue("writes") == "on"}
	if c.Param("id") != "" {
		var err error
		if id, err = idParam(c); err != nil {
			return err
		}
		st, err := s.onboard.Provider(ctx, id)
		if err != nil {
			return err
		}
		// What the form does not show is kept as stored.
		in.FromEmail, in.ServiceType = st.FromEmail, st.ServiceType
		m.ID, m.Action, m.HasSecret, m.HasPassword, m.WritesWereOn = id, paths.Provider(id), st.HasClientSecret, st.HasPassword, st.WriteIsEnabled
	}
	m.Form = views.ProviderForm{Name: in.Name, BaseURL: in.BaseURL, Account: in.AccountName, ClientID: in.ClientID, UWSUser: in.UWSUser,
		NotificationEmail: in.NotificationEmail, Callbacks: in.RegisterCallbacks, Writes: in.WritesEnabled}
	again := func(status int) error {
		title := "New provider"
		if id != 0 {
			title = in.Name
		}
		m.Layout = layout(c, title, "admin")
		return render(c, status, views.ProviderPage(m))
	}
	if in.WritesEnabled && !m.WritesWereOn && c.FormValue("writes_confirm") != "on" {
		m.Error = "Turning writes on lets idswap change live lines at the carrier: tick the box that says you understand, or leave writes off."
		return again(http.StatusUnprocessableEntity)
	}
	action := c.FormValue("action")
	var answer string
	if action != "save-anyway" {
		res, err := s.onboard.CheckInput(ctx, id, in)
		if err != nil {
			if msg, ok := formFailure(err); ok {
				m.Error = msg
				return again(http.StatusUnprocessableEntity)
			}
			return err
		}
		m.Check = &views.ProviderCheck{OK: res.OK, Steps: res.Steps, Answer: res.Answer}
		if action == "test" {
			return again(http.StatusOK)
		}
		if !res.OK {
			m.CanSaveAnyway = true
			return again(http.StatusUnprocessableEntity)
		}
		answer = " The carrier accepted the credentials."
	}
	var err error
	if id == 0 {
		id, err = s.onboard.CreateProvider(ctx, actor(c), in)
	} else {
		err = s.onboard.UpdateProvider(ctx, actor(c), id, in)
	}
	if err != nil {
		if msg, ok := formFailure(err); ok {
			m.Error = msg
			return again(http.StatusUnprocessableEntity)
		}
		return err
	}
	return done(c, paths.Provider(id), "Provider "+in.Name+" saved."+answer)
}
