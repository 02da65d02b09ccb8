package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/views"
)

// submitChange stores the request — or shows what stops it — and opens the bulk change page.
func (s *Server) submitChange(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	in, err := s.readChangeInput(c)
	if err != nil {
		return err
	}
	d := in.draft()
	if n := len(in.rows); n > change.ConfirmAbove && strings.TrimSpace(in.confirm) != strconv.Itoa(n) {
		res, err := s.requests.Check(ctx, d)
		if err != nil {
			return err
		}
		return s.renderChange(c, in, res, formState{submitting: true,
			confirmError: fmt.Sprintf("Type %d, the number of rows, to confirm a request of more than %d rows.", n, change.ConfirmAbove)})
	}
	sub, err := s.requests.Submit(ctx, d, request.Submitter{User: u, IdempotencyKey: in.key, RemoteAddr: c.RealIP()})
	if errors.Is(err, request.ErrNotReady) {
		return s.renderChange(c, in, sub.Result, formState{submitting: true})
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Bulk change %d was already submitted; here it is.", sub.ID)
	if sub.Created {
		msg = fmt.Sprintf("Bulk change %d is submitted: %s queued.", sub.ID, views.CountNoun(len(in.rows), "change", "changes"))
		if d.RunAt != nil && d.RunAt.After(time.Now()) {
			msg = fmt.Sprintf("Bulk change %d is scheduled: %s start %s.", sub.ID, views.CountNoun(len(in.rows), "change", "changes"),
				fmtZoned(*d.RunAt, in.zone))
		}
	}
	if err := setFlash(c, "ok", msg); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(sub.ID))
}
