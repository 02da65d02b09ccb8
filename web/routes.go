package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/static"
)

// routes is the one place that lists every route and the middleware, in the order it runs:
// load shedding, recover, request id, compression, secure headers, logging, timeout, long
// writes, query bounds, session, user, body limit, CSRF.
func (s *Server) routes(secure bool) {
	e := s.e
	// Shedding comes first of all, so a refused request costs as little as possible.
	e.Pre(shedLoad(s.maxFlight))
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: 301}))
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(compress())
	e.Use(secureHeaders(secure))
	e.Use(s.logRequests)
	// Streaming exports end their own way; checking and submitting a change request gets
	// bulkTimeout; everything else gets 30 s.
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: 30 * time.Second,
		Skipper: func(c echo.Context) bool {
			return c.Request().Header.Get("Accept") == "text/csv" || c.QueryParam("format") == "csv" || bulkRequest(c)
		}}))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: bulkTimeout,
		Skipper: func(c echo.Context) bool { return !bulkRequest(c) }}))
	e.Use(longWrites)
	e.Use(boundQuery)

	// No session: health, metrics, static files, and the carrier's callbacks, where the secret
	// in the path is the credential (callback.go).
	e.GET(paths.Healthz, s.healthz)
	e.GET(paths.Readyz, s.readyz)
	if s.metrics != nil {
		e.GET(paths.Metrics, echo.WrapHandler(s.metrics)) // behind IDSWAP_METRICS_TOKEN when set
	}
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	e.POST(paths.CallbackRoute, s.thingspaceCallback)

	// The JSON API: bearer tokens, no session, no CSRF (api.go). Its OpenAPI document is
	// public: it describes the API, not anyone's data (openapi.go).
	e.GET(paths.APIOpenAPI, s.openAPI)
	api := e.Group(paths.APIv1, requireJSON, s.apiAuth)
	api.POST(under(paths.APIv1, paths.APIBulkChanges), s.apiCreateBulkChange)
	api.GET(under(paths.APIv1, paths.APIBulkChanges), s.apiBulkChanges)
	api.GET(under(paths.APIv1, paths.APIBulkChangeRoute), s.apiBulkChange)
	api.POST(under(paths.APIv1, paths.APICancelRoute), s.apiCancelBulkChange)
	api.POST(under(paths.APIv1, paths.APIPauseRoute), s.apiPauseBulkChange)
	api.POST(under(paths.APIv1, paths.APIResumeRoute), s.apiResumeBulkChange)
	api.POST(under(paths.APIv1, paths.APIUndoRoute), s.apiUndoBulkChange)
	api.POST(under(paths.APIv1, paths.APIWebhooks), s.apiCreateWebhook)
	api.GET(under(paths.APIv1, paths.APIWebhooks), s.apiWebhooks)

	// The portal: session, user, CSRF. A body past 16 MB is refused before the CSRF check
	// reads the form (limitBody).
	portal := e.Group("", s.sessions.middleware, s.loadUser, limitBody(16<<20), s.csrf)
	portal.GET(paths.Login, s.loginForm)
	portal.POST(paths.Login, s.login)
	portal.POST(paths.Logout, s.logout)

	signedIn := portal.Group("", s.requireUser, s.loadIncidents)
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
	sheetRoutes(signedIn, paths.ChangeTemplateCSV, paths.ChangeTemplateXLSX, s.writeTemplate)
	signedIn.POST(paths.BulkChanges, s.submitChange)

	// Requests: the list, the live page with its polled status region, row logs, the CSV of
	// every row, cancelling rows not yet sent, and an admin's retry of a failed request.
	signedIn.GET(paths.BulkChanges, s.bulkChanges)
	signedIn.GET(paths.BulkChangeRoute, s.bulkChangePage)
	signedIn.GET(paths.BulkChangeStatusRoute, s.bulkChangeStatus)
	sheetRoutes(signedIn, paths.BulkChangeRowsRoute, paths.BulkChangeXLSXRoute, s.bulkChangeSheet)
	signedIn.GET(paths.BulkChangeRowLogRoute, s.bulkChangeRowLog)
	signedIn.POST(paths.BulkChangeCancelRoute, s.cancelBulkChange)
	signedIn.POST(paths.BulkChangePauseRoute, s.pauseBulkChange)
	signedIn.POST(paths.BulkChangeResumeRoute, s.resumeBulkChange)
	signedIn.POST(paths.BulkChangeRetryRoute, s.retryBulkChange, requireAdmin)
	// Undo of a finished request: the confirmation page, and its form (undo.go).
	signedIn.GET(paths.BulkChangeUndoRoute, s.undoPage)
	signedIn.POST(paths.BulkChangeUndoRoute, s.undoBulkChange)

	// The user's own sessions and API tokens; admins see every token (account.go).
	signedIn.GET(paths.AccountSessions, s.accountSessions)
	signedIn.POST(paths.AccountSessionEndRt, s.endAccountSession)
	signedIn.GET(paths.AccountTokens, s.accountTokens)
	signedIn.POST(paths.AccountTokens, s.createAccountToken)
	signedIn.POST(paths.AccountTokenRevokeRt, s.revokeAccountToken)

	// The tenant's webhook endpoints, each with its delivery log and "send again" (webhook.go).
	signedIn.GET(paths.Webhooks, s.webhooks)
	signedIn.POST(paths.Webhooks, s.addWebhook)
	signedIn.GET(paths.WebhookRoute, s.webhookLog)
	signedIn.POST(paths.WebhookRedeliverRoute, s.redeliverWebhook)

	// The compliance report of a period (report_compliance.go); the file (CSV or .xlsx) is made
	// whole to hash it.
	signedIn.GET(paths.ComplianceReport, s.complianceReport)
	sheetRoutes(signedIn, paths.ComplianceReportCSV, paths.ComplianceReportXLSX, s.complianceDownload)
	// The daily summary e-mail's time and recipients (report_daily.go).
	signedIn.GET(paths.DailySummary, s.dailySummary)
	signedIn.POST(paths.DailySummary, s.saveDailySummary)

	// Admins: the audit search (?format=csv streams the whole result; the timeout above skips
	// it) and the outbox of result e-mails.
	admin := signedIn.Group(paths.Admin, requireAdmin)
	admin.GET(under(paths.Admin, paths.AdminAudit), s.audit)
	admin.GET(under(paths.Admin, paths.AdminOutbox), s.outbox)
	admin.GET(under(paths.Admin, paths.AdminTokens), s.adminTokens)
	admin.GET(under(paths.Admin, paths.OutboxMessageRoute), s.outboxMessage)
	admin.GET(under(paths.Admin, paths.OutboxHTMLRoute), s.outboxHTML)
	admin.GET(under(paths.Admin, paths.OutboxAttachmentRoute), s.outboxAttachment)
	admin.GET(under(paths.Admin, paths.OutboxEMLRoute), s.outboxEML)

	// The admin console (admin_*.go): set-up and administration, every form audited.
	admin.GET("", s.adminIndex)
	admin.GET(under(paths.Admin, paths.AdminAttention), s.adminAttention)
	admin.POST(under(paths.Admin, paths.AttentionSettleRoute), s.settleAttention)
	admin.GET(under(paths.Admin, paths.AdminTenants), s.adminTenants)
	admin.POST(under(paths.Admin, paths.AdminTenants), s.createTenant)
	admin.POST(under(paths.Admin, paths.TenantRenameRoute), s.renameTenant)
	admin.POST(under(paths.Admin, paths.TenantActiveRoute), s.setTenantActive)
	admin.POST(under(paths.Admin, paths.TenantScheduleRoute), s.setTenantSchedule)
	admin.POST(under(paths.Admin, paths.TenantUrgentRoute), s.setTenantUrgent)
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
	admin.POST(under(paths.Admin, paths.AdminAssignCheck), s.previewAssignCSV)
	admin.POST(under(paths.Admin, paths.AdminAssignCSV), s.applyAssignCSV)
	admin.POST(under(paths.Admin, paths.AdminRules), s.addRule)
	admin.POST(under(paths.Admin, paths.RuleDeleteRoute), s.deleteRule)
	admin.GET(under(paths.Admin, paths.AdminSync), s.adminSync)
	admin.GET(under(paths.Admin, paths.AdminSyncRuns), s.syncRunsRegion)
	admin.POST(under(paths.Admin, paths.SyncProviderRoute), s.syncNow)
}

// bulkTimeout bounds a request that checks or stores a whole change request: up to
// change.MaxRows rows, each looked up and (on submit) inserted with its job. Without -race that
// is well under a second on SQLite (BenchmarkCheck10kRowsAgainst100kDevices: 0.25 s a check),
// but a submit checks the rows again and then writes 10,000 rows and jobs in one transaction;
// measured under -race, the 10,000-row submit alone took about 12 s of CPU (the check another 4),
// so on a busy 2-core host it ran past 30 s and the person's request was refused after all that
// work. The SQL Server timing of the 10,000-row insert is unverified (docs/reviews/sqlserver.md,
// item 13). Two minutes matches the server's ReadTimeout for uploading the same 10,000 rows.
const bulkTimeout = 2 * time.Minute

// bulkRequest reports whether a request checks or submits a whole change request: the
// wizard's steps and live check, the submit, the API's create and an admin's retry — and an
// undo's page, form and API call, which also ask the carrier about every old SIM and device
// (one lookup each, under the carrier rate limit).
func bulkRequest(c echo.Context) bool {
	if p := c.Path(); p == paths.BulkChangeUndoRoute || p == paths.APIUndoRoute {
		return true
	}
	if c.Request().Method != http.MethodPost {
		return false
	}
	switch c.Path() {
	case paths.NewBulkChange, paths.NewBulkChangeChk, paths.BulkChanges, paths.APIBulkChanges, paths.BulkChangeRetryRoute:
		return true
	}
	return false
}

// compress gzips answers of 1 KiB and more for clients that accept it: pages, CSS, JS, JSON,
// and the streamed CSV exports, whose Flush flushes the gzip stream too so rows still arrive
// as they are written. The carrier's callbacks answer a few bytes to a machine, and /metrics
// compresses itself (promhttp), so both are left alone.
//
// A gzip compressor is the largest thing a request holds: about 800 KB (flate's hash tables
// and window), taken when the request starts and kept until its answer ends. Under a flood
// every request in flight held one, and the heap grew by hundreds of megabytes (make load).
// So at most maxCompressors answers are compressed at once; past that an answer goes out
// uncompressed, which every client understands and which costs nothing extra to send.
func compress() echo.MiddlewareFunc {
	return compressAtMost(maxCompressors)
}

// maxCompressors is how many answers are gzipped at once: compressing is CPU work, and two
// cores gain nothing from more in parallel than this.
const maxCompressors = 16

func compressAtMost(n int) echo.MiddlewareFunc {
	slots := make(chan struct{}, n)
	skip := func(c echo.Context) bool {
		p := c.Request().URL.Path
		return p == "/metrics" || strings.HasPrefix(p, "/thingspace/callbacks/")
	}
	gz := middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		zipped := gz(next)
		return func(c echo.Context) error {
			if skip(c) {
				return next(c)
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				return zipped(c)
			default:
				// The answer could have been compressed: a cache must still key on the header.
				c.Response().Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
				return next(c)
			}
		}
	}
}

// under is a route's path inside its group: a group adds its prefix, the paths package names
// the whole path.
func under(prefix, path string) string { return strings.TrimPrefix(path, prefix) }
