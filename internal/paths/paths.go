// Package paths builds every URL path of the portal and the API, so that handlers, templates and
// e-mails name a page the same way and a route change is made in one place. It imports nothing
// of idswap: views, notify, process and web all use it.
package paths

import (
	"net/url"
	"strconv"
)

// Route patterns as echo declares them (web/routes.go). The builders below fill them in.
const (
	Dashboard = "/"
	Login     = "/login"
	Logout    = "/logout"

	Devices      = "/devices"
	DeviceLookup = "/devices/lookup"

	BulkChanges        = "/bulk-changes"
	NewBulkChange      = "/bulk-changes/new"
	NewBulkChangeChk   = "/bulk-changes/new/check"
	NewBulkChangeFind  = "/bulk-changes/new/search"
	ChangeTemplateCSV  = "/bulk-changes/template.csv"
	ChangeTemplateXLSX = "/bulk-changes/template.xlsx"

	Admin       = "/admin"
	AdminAudit  = Admin + "/audit"
	AdminOutbox = Admin + "/outbox"

	AdminTenants      = Admin + "/tenants"
	AdminUsers        = Admin + "/users"
	AdminProviders    = Admin + "/providers"
	AdminNewProvider  = AdminProviders + "/new"
	AdminPlans        = Admin + "/plans"
	AdminPlansImport  = AdminPlans + "/import"
	AdminDeviceModels = Admin + "/device-models"
	AdminModelsCheck  = AdminDeviceModels + "/preview"
	AdminInventory    = Admin + "/inventory"
	AdminAssign       = AdminInventory + "/assign"
	AdminAssignCSV    = AdminAssign + "/csv"
	AdminAssignCheck  = AdminAssignCSV + "/preview"
	AdminRules        = AdminInventory + "/rules"
	AdminSync         = Admin + "/sync"
	AdminSyncRuns     = AdminSync + "/runs"
	AdminAttention    = Admin + "/attention"

	// AccountPassword is where every signed-in user changes their own password.
	AccountPassword = "/account/password"

	APIv1          = "/api/v1"
	APIBulkChanges = APIv1 + "/bulk-changes"
	APIOpenAPI     = APIv1 + "/openapi.json"
	APIWebhooks    = APIv1 + "/webhooks"

	Webhooks = "/webhooks"

	ComplianceReport     = "/reports/compliance"
	ComplianceReportCSV  = "/reports/compliance.csv"
	ComplianceReportXLSX = "/reports/compliance.xlsx"
	DailySummary         = "/reports/daily"

	ThingSpaceCallback = "/thingspace/callbacks"

	Healthz   = "/healthz"
	Readyz    = "/readyz"
	Metrics   = "/metrics"
	APIPrefix = "/api/"
)

// Route patterns with parameters, as echo declares them (web/routes.go).
const (
	BulkChangeRoute       = BulkChanges + "/:id"
	BulkChangeStatusRoute = BulkChangeRoute + "/status"
	BulkChangeRowsRoute   = BulkChangeRoute + "/rows.csv"
	BulkChangeXLSXRoute   = BulkChangeRoute + "/rows.xlsx"
	BulkChangeRowLogRoute = BulkChangeRoute + "/rows/:rowID/log"
	BulkChangeCancelRoute = BulkChangeRoute + "/cancel"
	BulkChangeRetryRoute  = BulkChangeRoute + "/retry"
	BulkChangePauseRoute  = BulkChangeRoute + "/pause"
	BulkChangeResumeRoute = BulkChangeRoute + "/resume"
	BulkChangeUndoRoute   = BulkChangeRoute + "/undo"
	DeviceRoute           = Devices + "/:id"
	OutboxMessageRoute    = AdminOutbox + "/:id"
	OutboxHTMLRoute       = OutboxMessageRoute + "/html"
	OutboxAttachmentRoute = OutboxMessageRoute + "/attachments/:name"
	OutboxEMLRoute        = OutboxMessageRoute + "/eml"
	APIBulkChangeRoute    = APIBulkChanges + "/:id"
	APICancelRoute        = APIBulkChangeRoute + "/cancel"
	APIPauseRoute         = APIBulkChangeRoute + "/pause"
	APIResumeRoute        = APIBulkChangeRoute + "/resume"
	TenantScheduleRoute   = AdminTenants + "/:id/schedule"
	APIUndoRoute          = APIBulkChangeRoute + "/undo"
	TenantRenameRoute     = AdminTenants + "/:id/rename"
	TenantActiveRoute     = AdminTenants + "/:id/active"
	TenantUrgentRoute     = AdminTenants + "/:id/urgent"
	UserActiveRoute       = AdminUsers + "/:id/active"
	UserPasswordRoute     = AdminUsers + "/:id/password"
	ProviderRoute         = AdminProviders + "/:id"
	PlanRoute             = AdminPlans + "/:id"
	RuleDeleteRoute       = AdminRules + "/:id/delete"
	SyncProviderRoute     = AdminSync + "/:id"
	AttentionSettleRoute  = AdminAttention + "/:id/settle"
	CallbackRoute         = ThingSpaceCallback + "/:secret"
	WebhookRoute          = Webhooks + "/:id"
	WebhookRedeliverRoute = WebhookRoute + "/deliveries/:deliveryID/redeliver"
)

// Webhook is a webhook endpoint's page: its delivery log.
func Webhook(endpointID int64) string { return Webhooks + "/" + id(endpointID) }

// WebhookRedeliver sends one delivery of an endpoint again.
func WebhookRedeliver(endpointID, deliveryID int64) string {
	return Webhook(endpointID) + "/deliveries/" + id(deliveryID) + "/redeliver"
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// AttentionSettle takes a row (M2M_DeviceChange id) off the "needs attention" list.
func AttentionSettle(changeID int64) string { return AdminAttention + "/" + id(changeID) + "/settle" }

// BulkChange is a request's page.
func BulkChange(bulkChangeID int64) string { return BulkChanges + "/" + id(bulkChangeID) }

// BulkChangeStatus is the polled live region of a request's page.
func BulkChangeStatus(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/status" }

// BulkChangeRowsCSV is the download of every row of a request.
func BulkChangeRowsCSV(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/rows.csv" }

// BulkChangeRowsXLSX is the same download as an Excel workbook.
func BulkChangeRowsXLSX(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/rows.xlsx" }

// BulkChangeRowLog is the carrier log of one row.
func BulkChangeRowLog(bulkChangeID, rowID int64) string {
	return BulkChange(bulkChangeID) + "/rows/" + id(rowID) + "/log"
}

// BulkChangeCancel cancels a request's rows not yet sent.
func BulkChangeCancel(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/cancel" }

// BulkChangePause pauses a request: nothing more of it is sent until it is resumed.
func BulkChangePause(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/pause" }

// BulkChangeResume resumes a paused request.
func BulkChangeResume(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/resume" }

// BulkChangeUndo is the undo of a finished request: its confirmation page, and the form posting
// there.
func BulkChangeUndo(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/undo" }

// BulkChangeRetry is an admin's retry of a request that could not run.
func BulkChangeRetry(bulkChangeID int64) string { return BulkChange(bulkChangeID) + "/retry" }

// BulkChangeFiltered is a request's page showing only rows of one status.
func BulkChangeFiltered(bulkChangeID int64, status string) string {
	return BulkChange(bulkChangeID) + "?" + url.Values{"status": {status}}.Encode()
}

// RetryFailedRows opens the wizard pre-filled with a request's failed rows.
func RetryFailedRows(bulkChangeID int64) string {
	return NewBulkChange + "?" + url.Values{"retry": {id(bulkChangeID)}}.Encode()
}

// ChangeDevices opens the wizard with devices' current identifiers and the change type set
// (change.Type's value: ChangeICCID, ChangeIMEI, ChangeIMEIandICCID).
func ChangeDevices(changeType string, deviceIDs ...int64) string {
	v := url.Values{"type": {changeType}}
	for _, d := range deviceIDs {
		v.Add("device", id(d))
	}
	return NewBulkChange + "?" + v.Encode()
}

// Device is a device's page.
func Device(deviceID int64) string { return Devices + "/" + id(deviceID) }

// DeviceVia is a device's page reached through an identifier it had, which the page highlights.
func DeviceVia(deviceID int64, identifier string) string {
	return Device(deviceID) + "?" + url.Values{"via": {identifier}}.Encode()
}

// LookupDevice opens the device that has or ever had the identifier.
func LookupDevice(identifier string) string {
	return DeviceLookup + "?" + url.Values{"id": {identifier}}.Encode()
}

// DeviceSearch is the inventory filtered by a search term.
func DeviceSearch(q string) string { return Devices + "?" + url.Values{"q": {q}}.Encode() }

// AuditSearch is the audit search for a term.
func AuditSearch(q string) string { return AdminAudit + "?" + url.Values{"q": {q}}.Encode() }

// OutboxMessage is one result e-mail in the admin outbox.
func OutboxMessage(messageID int64) string { return AdminOutbox + "/" + id(messageID) }

// BulkChangeStatusAt is the status region's poll URL, carrying the state the browser shows.
func BulkChangeStatusAt(bulkChangeID int64, version string) string {
	return BulkChangeStatus(bulkChangeID) + "?" + url.Values{"v": {version}}.Encode()
}

// OutboxHTML is the HTML part of an outbox e-mail, shown alone.
func OutboxHTML(messageID int64) string { return OutboxMessage(messageID) + "/html" }

// OutboxAttachment is one attachment of an outbox e-mail.
func OutboxAttachment(messageID int64, name string) string {
	return OutboxMessage(messageID) + "/attachments/" + url.PathEscape(name)
}

// OutboxEML is an outbox e-mail as the .eml file demo mode wrote.
func OutboxEML(messageID int64) string { return OutboxMessage(messageID) + "/eml" }

// TenantRename renames a tenant.
func TenantRename(tenantID int64) string { return AdminTenants + "/" + id(tenantID) + "/rename" }

// TenantSchedule sets a tenant's time zone and maintenance window.
func TenantSchedule(tenantID int64) string { return AdminTenants + "/" + id(tenantID) + "/schedule" }

// TenantUrgent says whether a tenant's managers may mark requests urgent.
func TenantUrgent(tenantID int64) string { return AdminTenants + "/" + id(tenantID) + "/urgent" }

// TenantActive deactivates or reactivates a tenant.
func TenantActive(tenantID int64) string { return AdminTenants + "/" + id(tenantID) + "/active" }

// UserActive disables or re-enables a user.
func UserActive(userID int64) string { return AdminUsers + "/" + id(userID) + "/active" }

// UserPassword is an admin's reset of a user's password.
func UserPassword(userID int64) string { return AdminUsers + "/" + id(userID) + "/password" }

// Provider is a provider's settings page.
func Provider(providerID int64) string { return AdminProviders + "/" + id(providerID) }

// Plans is the plan catalogue of a provider.
func Plans(providerID int64) string {
	return AdminPlans + "?" + url.Values{"provider": {id(providerID)}}.Encode()
}

// Plan sets a plan's price and network types.
func Plan(planID int64) string { return AdminPlans + "/" + id(planID) }

// Inventory is the admin inventory of a provider.
func Inventory(providerID int64) string {
	return AdminInventory + "?" + url.Values{"provider": {id(providerID)}}.Encode()
}

// InventoryFiltered is the admin inventory of a provider with its line filter.
func InventoryFiltered(providerID int64, q, group string) string {
	v := url.Values{"provider": {id(providerID)}}
	if q != "" {
		v.Set("q", q)
	}
	if group != "" {
		v.Set("group", group)
	}
	return AdminInventory + "?" + v.Encode()
}

// RuleDelete deletes an assignment rule.
func RuleDelete(ruleID int64) string { return AdminRules + "/" + id(ruleID) + "/delete" }

// SyncProvider queues a sync of a provider ("Sync now").
func SyncProvider(providerID int64) string { return AdminSync + "/" + id(providerID) }

// Callback is the carrier's callback URL path of a provider, its secret being the credential.
func Callback(secret string) string { return ThingSpaceCallback + "/" + url.PathEscape(secret) }

// APIBulkChange is a request in the JSON API.
func APIBulkChange(bulkChangeID int64) string { return APIBulkChanges + "/" + id(bulkChangeID) }

// APIBulkChangeUndo undoes a finished request's processed rows, in the JSON API.
func APIBulkChangeUndo(bulkChangeID int64) string { return APIBulkChange(bulkChangeID) + "/undo" }

// APIBulkChangeCancel cancels a request's rows not yet sent, in the JSON API.
func APIBulkChangeCancel(bulkChangeID int64) string { return APIBulkChange(bulkChangeID) + "/cancel" }

// APIBulkChangePause pauses a request, in the JSON API.
func APIBulkChangePause(bulkChangeID int64) string { return APIBulkChange(bulkChangeID) + "/pause" }

// APIBulkChangeResume resumes a paused request, in the JSON API.
func APIBulkChangeResume(bulkChangeID int64) string { return APIBulkChange(bulkChangeID) + "/resume" }

// Absolute joins the public base URL (IDSWAP_PUBLIC_URL, no trailing slash needed) and a path,
// for links that leave the portal: e-mails, the carrier's callback URL.
func Absolute(base, path string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + path
}
