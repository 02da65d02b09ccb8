package web

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
)

// retryBulkChange is an admin's retry of a bulk change that failed as a whole (no credentials,
// login refused, writes disabled): POST /bulk-changes/{id}/retry. Its unsent rows are queued
// again and it goes from ERROR back to PROCESSING.
func (s *Server) retryBulkChange(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	u := currentUser(c)
	n, err := s.store.RetryBulkChange(c.Request().Context(), 0, id, u.Email, c.RealIP())
	if err != nil {
		return backToRequest(c, id, err)
	}
	if err := setFlash(c, "ok", fmt.Sprintf("Bulk change %d is running again: %d rows were queued.", id, n)); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(id))
}

// backToRequest answers an action on a request that cannot run now (it is running, it has
// nothing to retry) by going back to the request's page with the reason, instead of an error
// page. Other errors, and htmx calls (which show the error in place), are returned as they are.
func backToRequest(c echo.Context, id int64, err error) error {
	if isHTMX(c) || !(apperr.Is(err, apperr.Conflict) || apperr.Is(err, apperr.Invalid)) {
		return err
	}
	var e *apperr.Error
	msg := err.Error()
	if errors.As(err, &e) {
		msg = e.Message
	}
	if ferr := setFlash(c, "warn", msg); ferr != nil {
		return ferr
	}
	return redirect(c, paths.BulkChange(id))
}
