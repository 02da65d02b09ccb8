package web

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
)

// cancelBulkChange withdraws the rows of a request that have not been sent yet. Rows already
// with the carrier are not touched: they end as the carrier decides.
func (s *Server) cancelBulkChange(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	u := currentUser(c)
	n, err := s.store.CancelOpenRows(c.Request().Context(), scopeOf(u), id, u.Email)
	if err != nil {
		return backToRequest(c, id, err)
	}
	kind := "ok"
	if n == 0 {
		kind = "info"
	}
	msg := cancelMessage(n)
	if err := setFlash(c, kind, msg); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(id))
}

// cancelMessage says what a cancel did, on the page and in the API.
func cancelMessage(n int) string {
	if n == 0 {
		return "No row was waiting to be sent: every row is with the carrier or finished already."
	}
	return fmt.Sprintf("%d rows not yet sent were cancelled; rows already with the carrier finish as it decides.", n)
}
