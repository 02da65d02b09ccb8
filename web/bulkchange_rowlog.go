package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// bulkChangeRowLog is one row's log: a panel for htmx, a page otherwise.
func (s *Server) bulkChangeRowLog(c echo.Context) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	rowID, err := strconv.ParseInt(c.Param("rowID"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no row %q in bulk change %d.", c.Param("rowID"), b.ID)
	}
	es, err := s.store.BulkChangeLog(c.Request().Context(), store.LogFilter{TenantID: scopeOf(currentUser(c)), BulkChangeID: b.ID, ChangeID: rowID})
	if err != nil {
		return err
	}
	l := views.RowLog{Title: fmt.Sprintf("Log of row %d", rowID), Entries: logEntries(es)}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.RowLogRegion(l))
	}
	return render(c, http.StatusOK, views.RowLogPage(views.RowLogPageModel{
		Layout: layout(c, l.Title, "changes"), BackURL: paths.BulkChange(b.ID), Log: l}))
}
