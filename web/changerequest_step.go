package web

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/views"
)

// changeStep applies one step — check, add a device, apply fixes, drop rows, upload a file,
// choose plans — and shows the form again.
func (s *Server) changeStep(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := s.readChangeInput(c)
	if err != nil {
		return err
	}
	st := formState{}
	in.rows, st = applyEdits(c, in.rows, st)
	res, err := s.requests.Check(ctx, in.draft())
	if err != nil {
		return err
	}
	if in.action == "drop-invalid" && res.Invalid > 0 {
		kept := make([]change.Row, 0, len(in.rows))
		for _, r := range res.Rows {
			if r.OK() {
				kept = append(kept, in.rows[r.Index])
			}
		}
		st.notices = append(st.notices, fmt.Sprintf("Dropped the %s with problems.", views.CountNoun(len(in.rows)-len(kept), "row", "rows")))
		in.rows = kept
		if res, err = s.requests.Check(ctx, in.draft()); err != nil {
			return err
		}
	}
	return s.renderChange(c, in, res, st)
}
