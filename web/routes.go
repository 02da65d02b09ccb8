package web

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/idswap/idswap/internal/paths"
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
	e.GET(paths.Healthz, s.healthz)
	e.GET(paths.Readyz, s.readyz)
	if s.metrics != nil {
		e.GET(paths.Metrics, echo.WrapHandler(s.metrics))
	}
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	e.POST(paths.CallbackRoute, s.thingspaceCallback)

	// The JSON API: bearer tokens, no session, no CSRF (api.go).
	api := e.Group(paths.APIv1, s.apiAuth)
	api.POST(under(paths.APIv1, paths.APIBulkChanges), s.apiCreateBulkChange)
	api.GET(under(paths.APIv1, paths.APIBulkChanges), s.apiBulkChanges)
	api.GET(under(paths.APIv1, paths.APIBulkChangeRoute), s.apiBulkChange)

	// The portal: session, user, CSRF. A body past 16 MB is refused before the CSRF check
	// reads the form (limitBody).
	portal := e.Group("", s.sessions.middleware, s.loadUser, limitBody(16<<20), s.csrf)
	portal.GET(paths.Login, s.loginForm)
	portal.POST(paths.Login, s.login)
	portal.POST(paths.Logout, s.logout)

	signedIn := portal.Group("", s.requireUser)
	signedIn.GET(paths.Dashboard, s.dashboard)
	signedIn.GET(paths.AccountPassword, s.passwordForm)
	signedIn.POST(paths.AccountPassword, s.changePassword)

	// The inventory, and a device by any identifier it ever had.
	signedIn.GET(paths.Devices, s.devices)
	signedIn.GET(paths.DeviceLookup, s.deviceLookup)
	signedIn.GET(paths.DeviceRoute, s.devicePage)

	// A new change request: the wizard (?retry=ID pre-fills a request's failed rows), the live
	// row check (htmx), inventory search, the CSV template, and submit.
	signedIn.GET(paths.NewBulkChange, s.newChange)
	signedIn.POST(paths.NewBulkChange, s.changeStep)
	signedIn.POST(paths.NewBulkChangeChk, s.changeCheck)
	signedIn.GET(paths.NewBulkChangeFind, s.changeSearch)
	signedIn.GET(paths.ChangeTemplateCSV, s.changeTemplate)
	signedIn.POST(paths.BulkChanges, s.submitChange)

	// Requests: the list, the live page with its polled status region, row logs, the CSV of
	// every row, cancelling rows not yet sent, and an admin's retry of a failed request.
	signedIn.GET(paths.BulkChanges, s.bulkChanges)
	signedIn.GET(paths.BulkChangeRoute, s.bulkChangePage)
	signedIn.GET(paths.BulkChangeStatusRoute, s.bulkChangeStatus)
	signedIn.GET(paths.BulkChangeRowsRoute, s.bulkChangeCSV)
	signedIn.GET(paths.BulkChangeRowLogRoute, s.bulkChangeRowLog)
	signedIn.POST(paths.BulkChangeCancelRoute, s.cancelBulkChange)
	signedIn.POST(paths.BulkChangeRetryRoute, s.retryBulkChange, requireAdmin)

	// Admins: the audit search (?format=csv streams the whole result; the timeout above skips
	// it) and the outbox of result e-mails.
	admin := signedIn.Group(paths.Admin, requireAdmin)
	admin.GET(under(paths.Admin, paths.AdminAudit), s.audit)
	admin.GET(under(paths.Admin, paths.AdminOutbox), s.outbox)
	admin.GET(under(paths.Admin, paths.OutboxMessageRoute), s.outboxMessage)
	admin.GET(under(paths.Admin, paths.OutboxHTMLRoute), s.outboxHTML)
	admin.GET(under(paths.Admin, paths.OutboxAttachmentRoute), s.outboxAttachment)
	admin.GET(under(paths.Admin, paths.OutboxEMLRoute), s.outboxEML)

	// The admin console (admin_*.go): set-up and administration, every form audited.
	admin.GET("", s.adminIndex)
	admin.GET(under(paths.Admin, paths.AdminTenants), s.adminTenants)
	admin.POST(under(paths.Admin, paths.AdminTenants), s.createTenant)
	admin.POST(under(paths.Admin, paths.TenantRenameRoute), s.renameTenant)
	admin.POST(under(paths.Admin, paths.TenantActiveRoute), s.setTenantActive)
	admin.GET(under(paths.Admin, paths.AdminUsers), s.adminUsers)
	admin.POST(under(paths.Admin, paths.AdminUsers), s.createUser)
	admin.POST(under(paths.Admin, paths.UserActiveRoute), s.setUserActive)
	admin.POST(under(paths.Admin, paths.UserPasswordRoute), s.resetPassword)
	admin.GET(under(paths.Admin, paths.AdminProviders), s.adminProviders)
	admin.POST(under(paths.Admin, paths.AdminProviders), s.saveProvider)
	admin.GET(under(paths.Admin, paths.AdminNewProvider), s.newProvider)
	admin.GET(under(paths.Admin, paths.ProviderRoute), s.providerPage)
	admin.POST(under(paths.Admin, paths.ProviderRoute), s.saveProvider)
	admin.GET(under(paths.Admin, paths.AdminPlans), s.adminPlans)
	admin.POST(under(paths.Admin, paths.AdminPlansImport), s.importPlans)
	admin.POST(under(paths.Admin, paths.PlanRoute), s.setPlan)
	admin.GET(under(paths.Admin, paths.AdminDeviceModels), s.adminDeviceModels)
	admin.POST(under(paths.Admin, paths.AdminModelsCheck), s.previewDeviceModels)
	admin.POST(under(paths.Admin, paths.AdminDeviceModels), s.storeDeviceModels)
	admin.GET(under(paths.Admin, paths.AdminInventory), s.adminInventory)
	admin.POST(under(paths.Admin, paths.AdminAssign), s.assignLines)
	admin.POST(under(paths.Admin, paths.AdminRules), s.addRule)
	admin.POST(under(paths.Admin, paths.RuleDeleteRoute), s.deleteRule)
	admin.GET(under(paths.Admin, paths.AdminSync), s.adminSync)
	admin.GET(under(paths.Admin, paths.AdminSyncRuns), s.syncRunsRegion)
	admin.POST(under(paths.Admin, paths.SyncProviderRoute), s.syncNow)
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

// under is a route's path inside its group: a group adds its prefix, the paths package names
// the whole path.
func under(prefix, path string) string { return strings.TrimPrefix(path, prefix) }
