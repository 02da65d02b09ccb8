package web

import (
	"bytes"
	"fmt"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/views"
)

// render writes components, in order, with a status code. They are rendered into a buffer
// first: a template that fails half-way has then written nothing, so its error still reaches
// the error handler, which logs it and answers 500 instead of a truncated page with 200.
func render(c echo.Context, status int, comps ...templ.Component) error {
	var buf bytes.Buffer
	for _, comp := range comps {
		if err := comp.Render(c.Request().Context(), &buf); err != nil {
			return fmt.Errorf("rendering %s: %w", c.Request().URL.Path, err)
		}
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// layout builds the Layout of a page for the current request, taking the pending flash.
func layout(c echo.Context, title, nav string) views.Layout {
	l := views.Layout{Title: title, Nav: nav, CSRF: csrfToken(c)}
	if u := currentUser(c); u != nil {
		l.User = &views.User{Name: u.DisplayName, Email: u.Email, Tenant: u.TenantName, IsAdmin: u.IsAdmin()}
		l.Incidents = incidentsOf(c)
	}
	sess := session(c)
	if sess == nil {
		return l // a route outside the session (an error page of /healthz, say): no flash to take
	}
	if msg, ok := sess.Values[keyFlashMsg].(string); ok && msg != "" {
		kind, _ := sess.Values[keyFlashKind].(string)
		l.Flash = &views.Flash{Kind: kind, Message: msg}
		delete(sess.Values, keyFlashMsg)
		delete(sess.Values, keyFlashKind)
		_ = saveSession(c) // losing a flash is harmless; the page must still render
	}
	return l
}
