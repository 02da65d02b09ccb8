package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// adminPlans is a provider's plan catalogue (?provider=ID; the first provider by default).
func (s *Server) adminPlans(c echo.Context) error {
	return s.renderPlans(c, http.StatusOK, views.PlansPageModel{Provider: formID(c, "provider")})
}

func (s *Server) renderPlans(c echo.Context, status int, m views.PlansPageModel) error {
	ctx := c.Request().Context()
	var err error
	if m.Providers, m.Provider, err = s.providerOptions(c, m.Provider); err != nil {
		return err
	}
	m.Layout = layout(c, "Plans", "admin")
	if m.Provider != 0 {
		plans, err := s.onboard.Plans(ctx, m.Provider)
		if err != nil {
			return err
		}
		for _, p := range plans {
			r := views.PlanRow{ID: p.ID, Code: p.Code, Name: p.Name, MB: strconv.FormatFloat(p.PlanMB, 'f', -1, 64),
				Monthly: fmt.Sprintf("%.2f", p.MonthlyRate), URL: paths.Plan(p.ID)}
			for _, n := range change.NetworkTypes {
				r.Networks = append(r.Networks, views.PlanNetwork{Name: n, Checked: slices.Contains(p.NetworkTypes, n)})
			}
			m.Rows = append(m.Rows, r)
		}
	}
	return render(c, status, views.PlansPage(m))
}

// providerOptions is the provider select of a page, with the chosen provider (the first one
// when none is chosen). chosen is 0 only when there is no provider.
func (s *Server) providerOptions(c echo.Context, want int64) ([]views.Option, int64, error) {
	ps, err := s.store.Providers(c.Request().Context())
	if err != nil {
		return nil, 0, err
	}
	if len(ps) == 0 {
		return nil, 0, nil
	}
	chosen := ps[0].ID
	for _, p := range ps {
		if p.ID == want {
			chosen = want
		}
	}
	out := make([]views.Option, 0, len(ps))
	for _, p := range ps {
		out = append(out, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name, Selected: p.ID == chosen})
	}
	return out, chosen, nil
}

// importPlans reads the carrier's plan catalogue into the provider's plans.
func (s *Server) importPlans(c echo.Context) error {
	provider := formID(c, "provider")
	added, updated, err := s.onboard.ImportPlans(c.Request().Context(), actor(c), provider)
	if err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderPlans(c, http.StatusUnprocessableEntity, views.PlansPageModel{Provider: provider, Error: msg})
		}
		return err
	}
	return done(c, paths.Plans(provider), fmt.Sprintf("Plans imported from the carrier: %d new, %d updated.", added, updated))
}

// setPlan sets a plan's monthly price and network types.
func (s *Server) setPlan(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	provider := formID(c, "provider")
	form, err := c.FormParams()
	if err != nil {
		return apperr.Wrap(err, apperr.Invalid, "The form could not be read.")
	}
	monthly, perr := strconv.ParseFloat(c.FormValue("monthly"), 64)
	if perr != nil {
		err = apperr.E(apperr.Invalid, "the monthly price %q is not a number", c.FormValue("monthly"))
	} else {
		err = s.onboard.SetPlanPricing(c.Request().Context(), actor(c), id, monthly, form["network"])
	}
	if err != nil {
		if msg, ok := formFailure(err); ok {
			return s.renderPlans(c, http.StatusUnprocessableEntity, views.PlansPageModel{Provider: provider, Error: msg, ErrorFor: id})
		}
		return err
	}
	return done(c, paths.Plans(provider), "Plan saved.")
}
