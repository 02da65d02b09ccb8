package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/views"
)

// changeCheck is the live check of the rows as they are typed or pasted: it answers with the
// results region only (and the steps, out of band), so the text box being typed in stays put.
func (s *Server) changeCheck(c echo.Context) error {
	in, err := s.readChangeInput(c)
	if err != nil {
		return err
	}
	res, err := s.requests.Check(c.Request().Context(), in.draft())
	if err != nil {
		return err
	}
	f, err := s.changeForm(c, in, res, formState{live: true})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ChangeRequestResultsRegion(f.Results, f.Errors), views.ChangeRequestStepsRegion(f.Steps, true))
}
