package web

import (
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
		return err
	}
	if err := setFlash(c, "ok", fmt.Sprintf("Bulk change %d is running again: %d rows were queued.", id, n)); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(id))
}
