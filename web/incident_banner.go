package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// IncidentSource lists the incidents not yet cleared (internal/alerting opens and clears
// them); *store.DB is one.
type IncidentSource interface {
	OpenIncidents(ctx context.Context) ([]store.Incident, error)
}

const ctxIncidents = "incidents"

// loadIncidents reads the open incidents for an admin's full pages, which show them in a banner
// above the content. Fragments (htmx) and other users skip the read. A read that fails shows no
// banner rather than no page; the log says why.
func (s *Server) loadIncidents(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if s.incidents == nil || u == nil || !u.IsAdmin() || isHTMX(c) || c.Request().Method != http.MethodGet {
			return next(c)
		}
		in, err := s.incidents.OpenIncidents(c.Request().Context())
		if err != nil {
			s.log.WarnContext(c.Request().Context(), "reading open incidents for the banner", "err", err)
			return next(c)
		}
		banner := make([]views.Incident, 0, len(in))
		for _, i := range in {
			banner = append(banner, views.Incident{Title: i.Title, Detail: i.Detail, Since: i.OpenedDate.UTC().Format("2006-01-02 15:04") + " UTC"})
		}
		c.Set(ctxIncidents, banner)
		return next(c)
	}
}

// incidentsOf is what loadIncidents found for this request; nil for anyone but an admin.
func incidentsOf(c echo.Context) []views.Incident {
	in, _ := c.Get(ctxIncidents).([]views.Incident)
	return in
}
