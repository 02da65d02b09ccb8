package web

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/views"
)

// render writes a component with a status code.
func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// layout builds the Layout of a page for the current request, taking the pending flash.
func layout(c echo.Context, title, nav string) views.Layout {
	l := views.Layout{Title: title, Nav: nav, CSRF: csrfToken(c)}
	if u := currentUser(c); u != nil {
		l.User = &views.User{Name: u.DisplayName, Email: u.Email, Tenant: u.TenantName, IsAdmin: u.IsAdmin()}
	}
	sess := session(c)
	if msg, ok := sess.Values[keyFlashMsg].(string); ok && msg != "" {
		kind, _ := sess.Values[keyFlashKind].(string)
		l.Flash = &views.Flash{Kind: kind, Message: msg}
		delete(sess.Values, keyFlashMsg)
		delete(sess.Values, keyFlashKind)
		_ = saveSession(c) // losing a flash is harmless; the page must still render
	}
	return l
}
