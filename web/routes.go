package web

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/idswap/idswap/static"
)

// routes is the one place that lists every route and the middleware, in the order it runs:
// recover, request id, secure headers, logging, timeout, session, user, body limit, CSRF.
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

	// The portal: session, user, CSRF.
	// A body past 16 MB is refused before the CSRF check reads the form (limitBody).
	portal := e.Group("", s.sessions.middleware, s.loadUser, limitBody(16<<20), s.csrf)
	portal.GET("/login", s.loginForm)
	portal.POST("/login", s.login)
	portal.POST("/logout", s.logout)

	signedIn := portal.Group("", s.requireUser)
	signedIn.GET("/devices", s.devices)

	// Watching and finding: the dashboard, the bulk change list and page with its live status
	// fragment, row logs and CSV, the device page and lookup by any identifier a device ever
	// had, the admin audit search (?format=csv streams the whole result, and the timeout above
	// skips it), and /metrics for Prometheus, outside the session. The page's actions post to
	// /bulk-changes/:id/cancel and /bulk-changes/:id/retry, which the engine's routes serve.
	if s.metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.metrics))
	}
	signedIn.GET("/", s.dashboard)
	signedIn.GET("/bulk-changes", s.bulkChanges)
	signedIn.GET("/bulk-changes/:id", s.bulkChangePage)
	signedIn.GET("/bulk-changes/:id/status", s.bulkChangeStatus)
	signedIn.GET("/bulk-changes/:id/rows.csv", s.bulkChangeCSV)
	signedIn.GET("/bulk-changes/:id/rows/:rowID/log", s.bulkChangeRowLog)
	signedIn.GET("/devices/lookup", s.deviceLookup)
	signedIn.GET("/devices/:id", s.devicePage)
	signedIn.GET("/admin/audit", s.audit, requireAdmin)
	// Issue 4 — the change request (portal), its CSV template, submit, and the JSON API.
	signedIn.GET("/bulk-changes/new", s.newChange) // ?retry=ID pre-fills a request's failed rows
	signedIn.POST("/bulk-changes/new", s.changeStep)
	signedIn.POST("/bulk-changes/new/check", s.changeCheck) // live check of the rows (htmx)
	signedIn.GET("/bulk-changes/new/search", s.changeSearch)
	signedIn.GET("/bulk-changes/template.csv", s.changeTemplate)
	signedIn.POST("/bulk-changes", s.submitChange)
	// The JSON API: bearer tokens, no session, no CSRF.
	api := e.Group("/api/v1", s.apiAuth)
	api.POST("/bulk-changes", s.apiCreateBulkChange)
	api.GET("/bulk-changes", s.apiBulkChanges)
	api.GET("/bulk-changes/:id", s.apiBulkChange)
}
