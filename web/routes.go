package web

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/idswap/idswap/static"
)

// routes is the one place that lists every route and the middleware, in the order it runs:
// recover, request id, compression, secure headers, logging, timeout, session, user, body limit, CSRF.
func (s *Server) routes(secure bool) {
	e := s.e
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: 301}))
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(compress())
	e.Use(secureHeaders(secure))
	e.Use(s.logRequests)
	// Streaming exports end their own way; everything else gets 30 s.
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: 30 * time.Second,
		Skipper: func(c echo.Context) bool {
			return c.Request().Header.Get("Accept") == "text/csv" || c.QueryParam("format") == "csv"
		}}))

	// No session: health, metrics, static files, and the carrier's callbacks, where the secret
	// in the path is the credential (callback.go).
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.metrics))
	}
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	e.POST("/thingspace/callbacks/:secret", s.thingspaceCallback)

	// The JSON API: bearer tokens, no session, no CSRF (api.go).
	api := e.Group("/api/v1", s.apiAuth)
	api.POST("/bulk-changes", s.apiCreateBulkChange)
	api.GET("/bulk-changes", s.apiBulkChanges)
	api.GET("/bulk-changes/:id", s.apiBulkChange)

	// The portal: session, user, CSRF. A body past 16 MB is refused before the CSRF check
	// reads the form (limitBody).
	portal := e.Group("", s.sessions.middleware, s.loadUser, limitBody(16<<20), s.csrf)
	portal.GET("/login", s.loginForm)
	portal.POST("/login", s.login)
	portal.POST("/logout", s.logout)

	signedIn := portal.Group("", s.requireUser)
	signedIn.GET("/", s.dashboard)

	// The inventory, and a device by any identifier it ever had.
	signedIn.GET("/devices", s.devices)
	signedIn.GET("/devices/lookup", s.deviceLookup)
	signedIn.GET("/devices/:id", s.devicePage)

	// A new change request: the wizard (?retry=ID pre-fills a request's failed rows), the live
	// row check (htmx), inventory search, the CSV template, and submit.
	signedIn.GET("/bulk-changes/new", s.newChange)
	signedIn.POST("/bulk-changes/new", s.changeStep)
	signedIn.POST("/bulk-changes/new/check", s.changeCheck)
	signedIn.GET("/bulk-changes/new/search", s.changeSearch)
	signedIn.GET("/bulk-changes/template.csv", s.changeTemplate)
	signedIn.POST("/bulk-changes", s.submitChange)

	// Requests: the list, the live page with its polled status region, row logs, the CSV of
	// every row, cancelling rows not yet sent, and an admin's retry of a failed request.
	signedIn.GET("/bulk-changes", s.bulkChanges)
	signedIn.GET("/bulk-changes/:id", s.bulkChangePage)
	signedIn.GET("/bulk-changes/:id/status", s.bulkChangeStatus)
	signedIn.GET("/bulk-changes/:id/rows.csv", s.bulkChangeCSV)
	signedIn.GET("/bulk-changes/:id/rows/:rowID/log", s.bulkChangeRowLog)
	signedIn.POST("/bulk-changes/:id/cancel", s.cancelBulkChange)
	signedIn.POST("/bulk-changes/:id/retry", s.retryBulkChange, requireAdmin)

	// Admins: the audit search (?format=csv streams the whole result; the timeout above skips
	// it) and the outbox of result e-mails.
	admin := signedIn.Group("/admin", requireAdmin)
	admin.GET("/audit", s.audit)
	admin.GET("/outbox", s.outbox)
	admin.GET("/outbox/:id", s.outboxMessage)
	admin.GET("/outbox/:id/html", s.outboxHTML)
	admin.GET("/outbox/:id/attachments/:name", s.outboxAttachment)
	admin.GET("/outbox/:id/eml", s.outboxEML)
}

// compress gzips answers of 1 KiB and more for clients that accept it: pages, CSS, JS, JSON,
// and the streamed CSV exports, whose Flush flushes the gzip stream too so rows still arrive
// as they are written. The carrier's callbacks answer a few bytes to a machine, and /metrics
// compresses itself (promhttp), so both are left alone.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		MinLength: 1024,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/metrics" || strings.HasPrefix(p, "/thingspace/callbacks/")
		},
	})
}
