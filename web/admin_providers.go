package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// adminProviders lists the service providers.
func (s *Server) adminProviders(c echo.Context) error {
	ctx := c.Request().Context()
	ps, err := s.store.Providers(ctx)
	if err != nil {
		return err
	}
	m := views.ProvidersPageModel{Layout: layout(c, "Providers", "admin")}
	for _, p := range ps {
		st, err := s.onboard.Provider(ctx, p.ID)
		if err != nil {
			return err
		}
		m.Rows = append(m.Rows, views.ProviderRow{ID: p.ID, Name: p.Name, BaseURL: st.BaseURL, Account: st.AccountName,
			Writes: st.WriteIsEnabled, EditURL: paths.Provider(p.ID), PlansURL: paths.Plans(p.ID), InvURL: paths.Inventory(p.ID)})
	}
	return render(c, http.StatusOK, views.ProvidersPage(m))
}

// newProvider is the empty provider form.
func (s *Server) newProvider(c echo.Context) error {
	return render(c, http.StatusOK, views.ProviderPage(views.ProviderPageModel{Layout: layout(c, "New provider", "admin"),
		Action: paths.AdminProviders, Form: views.ProviderForm{Callbacks: true}}))
}

// providerPage is a provider's settings form; secrets are shown as set or not, never shown.
func (s *Server) providerPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	st, err := s.onboard.Provider(c.Request().Context(), id)
	if err != nil {
		return err
	}
	m := views.ProviderPageModel{Layout: layout(c, st.Name, "admin"), ID: id, Action: paths.Provider(id),
		Form: views.ProviderForm{Name: st.Name, BaseURL: st.BaseURL, Account: st.AccountName, ClientID: st.ClientID,
			UWSUser: st.Username, NotificationEmail: st.NotificationEmail, Callbacks: st.RegisterCallback, Writes: st.WriteIsEnabled},
		HasSecret: st.HasClientSecret, HasPassword: st.HasPassword, WritesWereOn: st.WriteIsEnabled}
	return render(c, http.StatusOK, views.ProviderPage(m))
}
