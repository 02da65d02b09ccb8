package paths_test

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/paths"
)

func TestBuilders(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{paths.BulkChange(7), "/bulk-changes/7"},
		{paths.BulkChangeRowLog(7, 12), "/bulk-changes/7/rows/12/log"},
		{paths.BulkChangeFiltered(7, "API_FAILED"), "/bulk-changes/7?status=API_FAILED"},
		{paths.RetryFailedRows(3), "/bulk-changes/new?retry=3"},
		{paths.DeviceVia(5, "8914 00"), "/devices/5?via=8914+00"},
		{paths.LookupDevice("a&b"), "/devices/lookup?id=a%26b"},
		{paths.BulkChangeStatusAt(7, "PROCESSING.1.0"), "/bulk-changes/7/status?v=PROCESSING.1.0"},
		{paths.OutboxAttachment(4, "rows of #7.csv"), "/admin/outbox/4/attachments/rows%20of%20%237.csv"},
		{paths.OutboxEML(4), "/admin/outbox/4/eml"},
		{paths.InventoryFiltered(2, "8914", "Acme Logistics"), "/admin/inventory?group=Acme+Logistics&provider=2&q=8914"},
		{paths.InventoryFiltered(2, "", ""), "/admin/inventory?provider=2"},
		{paths.Absolute("https://x.example//", paths.BulkChange(1)), "https://x.example/bulk-changes/1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// Each builder fills in its route pattern: a route changed in one place changes the links too.
func TestBuildersFillTheirRoutes(t *testing.T) {
	for _, c := range []struct{ pattern, filled, built string }{
		{paths.BulkChangeRoute, "/bulk-changes/7", paths.BulkChange(7)},
		{paths.BulkChangeStatusRoute, "/bulk-changes/7/status", paths.BulkChangeStatus(7)},
		{paths.BulkChangeRowsRoute, "/bulk-changes/7/rows.csv", paths.BulkChangeRowsCSV(7)},
		{paths.BulkChangeRowLogRoute, "/bulk-changes/7/rows/9/log", paths.BulkChangeRowLog(7, 9)},
		{paths.BulkChangeCancelRoute, "/bulk-changes/7/cancel", paths.BulkChangeCancel(7)},
		{paths.BulkChangeRetryRoute, "/bulk-changes/7/retry", paths.BulkChangeRetry(7)},
		{paths.BulkChangePauseRoute, "/bulk-changes/7/pause", paths.BulkChangePause(7)},
		{paths.BulkChangeResumeRoute, "/bulk-changes/7/resume", paths.BulkChangeResume(7)},
		{paths.APIPauseRoute, "/api/v1/bulk-changes/7/pause", paths.APIBulkChangePause(7)},
		{paths.APIResumeRoute, "/api/v1/bulk-changes/7/resume", paths.APIBulkChangeResume(7)},
		{paths.TenantScheduleRoute, "/admin/tenants/7/schedule", paths.TenantSchedule(7)},
		{paths.BulkChangeUndoRoute, "/bulk-changes/7/undo", paths.BulkChangeUndo(7)},
		{paths.DeviceRoute, "/devices/7", paths.Device(7)},
		{paths.OutboxMessageRoute, "/admin/outbox/7", paths.OutboxMessage(7)},
		{paths.OutboxHTMLRoute, "/admin/outbox/7/html", paths.OutboxHTML(7)},
		{paths.OutboxAttachmentRoute, "/admin/outbox/7/attachments/a.csv", paths.OutboxAttachment(7, "a.csv")},
		{paths.OutboxEMLRoute, "/admin/outbox/7/eml", paths.OutboxEML(7)},
		{paths.APIBulkChangeRoute, "/api/v1/bulk-changes/7", paths.APIBulkChange(7)},
		{paths.APIUndoRoute, "/api/v1/bulk-changes/7/undo", paths.APIBulkChangeUndo(7)},
		{paths.CallbackRoute, "/thingspace/callbacks/s3cret", paths.Callback("s3cret")},
		{paths.AccountSessionEndRt, "/account/sessions/7/end", paths.AccountSessionEnd(7)},
		{paths.AccountTokenRevokeRt, "/account/tokens/7/revoke", paths.AccountTokenRevoke(7)},
		{paths.TenantRenameRoute, "/admin/tenants/7/rename", paths.TenantRename(7)},
		{paths.TenantActiveRoute, "/admin/tenants/7/active", paths.TenantActive(7)},
		{paths.TenantUrgentRoute, "/admin/tenants/7/urgent", paths.TenantUrgent(7)},
		{paths.UserActiveRoute, "/admin/users/7/active", paths.UserActive(7)},
		{paths.UserPasswordRoute, "/admin/users/7/password", paths.UserPassword(7)},
		{paths.ProviderRoute, "/admin/providers/7", paths.Provider(7)},
		{paths.PlanRoute, "/admin/plans/7", paths.Plan(7)},
		{paths.RuleDeleteRoute, "/admin/inventory/rules/7/delete", paths.RuleDelete(7)},
		{paths.SyncProviderRoute, "/admin/sync/7", paths.SyncProvider(7)},
		{paths.AttentionSettleRoute, "/admin/attention/7/settle", paths.AttentionSettle(7)},
	} {
		if c.built != c.filled {
			t.Errorf("builder of %s gives %q, want %q", c.pattern, c.built, c.filled)
		}
		if !matches(c.pattern, c.filled) {
			t.Errorf("%q does not match the route %s", c.filled, c.pattern)
		}
	}
}

// matches is echo's routing in small: a :name segment matches one non-empty segment.
func matches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}
