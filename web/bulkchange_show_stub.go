package web

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/views"
)

// PLACEHOLDER (issue 4): a minimal bulk change page so that submitting a request lands
// somewhere real in tests. The bulk change page proper is built elsewhere; delete this file and
// its route in routes.go when that lands.
func (s *Server) showBulkChangeStub(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	b, err := s.store.BulkChange(c.Request().Context(), tenantScope(currentUser(c)), id)
	if err != nil {
		return err
	}
	body := templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := fmt.Fprintf(w, `<div class="panel" data-testid="bulk-change"><h1>Bulk change <span data-testid="bulk-change-id">%d</span></h1>`+
			`<dl class="facts"><dt>Status</dt><dd><span class="badge %[2]s" data-testid="bulk-change-status">%[2]s</span></dd>`+
			`<dt>Change</dt><dd>%s</dd><dt>Rows</dt><dd data-testid="bulk-change-rows">%d</dd><dt>Reason</dt><dd>%s</dd></dl></div>`,
			b.ID, html.EscapeString(string(b.Status)), html.EscapeString(string(b.Type)), b.Counts.Total, html.EscapeString(b.Reason))
		return err
	})
	l := layout(c, fmt.Sprintf("Bulk change %d", b.ID), "changes")
	ctx := templ.WithChildren(c.Request().Context(), body)
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return views.Page(l).Render(ctx, c.Response())
}
