package web

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/idswap/idswap/static"
)

// routes is the one place that lists every route and the middleware, in the order it runs:
// recover, request id, secure headers, logging, timeout, session, user, CSRF.
func (s *Server) routes(secure bool) {
	e := s.e
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: 301}))
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(secureHeaders(secure))
	e.Use(s.logRequests)
	// Streaming exports end their own way; everything else gets 30 s.
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: 30 * time.Second,
		Skipper: func(c echo.Context) bool {
			return c.Request().Header.Get("Accept") == "text/csv" || c.QueryParam("format") == "csv"
		}}))

	// No session: health, static files.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	// The carrier's callbacks: no session and no CSRF token; the secret in the path is the
	// credential (web/callback.go).
	e.POST("/thingspace/callbacks/:secret", s.thingspaceCallback)

	// The portal: session, user, CSRF.
	portal := e.Group("", s.sessions.middleware, s.loadUser, s.csrf)
	portal.GET("/login", s.loginForm)
	portal.POST("/login", s.login)
	portal.POST("/logout", s.logout)

	signedIn := portal.Group("", s.requireUser)
	signedIn.GET("/", s.home)
	signedIn.GET("/devices", s.devices)
	signedIn.POST("/bulk-changes/:id/retry", s.retryBulkChange, requireAdmin)

	admin := signedIn.Group("/admin", requireAdmin)
	admin.GET("/outbox", s.outbox)
	admin.GET("/outbox/:id", s.outboxMessage)
	admin.GET("/outbox/:id/html", s.outboxHTML)
	admin.GET("/outbox/:id/attachments/:name", s.outboxAttachment)
	admin.GET("/outbox/:id/eml", s.outboxEML)
}
