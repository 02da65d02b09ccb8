package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/request"
)

// Issue 15, item 2: a request is normal or urgent. Urgent is refused (403) to a manager until an
// admin lets the tenant's managers mark requests urgent on the tenants page; then the API takes
// it and answers it, and the request's page and the list show it.
func TestUrgentRequestsAreForAdminsAndTheManagersATenantAllows(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	rows := []map[string]string{{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)}, {"current": acme[1].ICCID, "new_iccid": e.spareSIM(1)}}
	urgent := e.apiRequest(false, rows...)
	urgent["priority"] = "urgent"

	status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(urgent))
	if status != http.StatusForbidden || out["code"] != "forbidden" || out["error"] != request.UrgentRefused {
		t.Fatalf("a manager's urgent request: %d %v", status, out)
	}
	odd := e.apiRequest(false, rows...)
	odd["priority"] = "soon"
	if status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(odd)); status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		t.Fatalf("priority %q: %d %v", "soon", status, out)
	}
	if n := e.countBulkChanges(); n != 0 {
		t.Fatalf("%d requests stored from refused submits", n)
	}

	// The wizard offers urgent to the manager switched off, with why.
	m := e.signIn(demo.AcmeManager)
	_, page := m.get(paths.NewBulkChange)
	doc := mustDoc(t, page)
	if _, off := doc.Find(`#priority-urgent`).Attr("disabled"); !off {
		t.Fatal("the wizard lets the manager choose urgent")
	}

	// An admin allows it on the tenants page.
	admin := e.signIn(demo.AdminEmail)
	admin.get(paths.AdminTenants)
	if res, body := admin.postForm(paths.TenantUrgent(e.tenantID(demo.TenantAcme)), url.Values{"allowed": {"true"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("allow urgent: %d %s", res.StatusCode, body)
	}
	_, body := admin.get(paths.AdminTenants)
	if !strings.Contains(find(t, body, `[data-testid="tenants"]`), "Managers may mark requests urgent") {
		t.Fatal("the tenants page does not show the tenant's managers may mark requests urgent")
	}
	_, page = m.get(paths.NewBulkChange)
	if _, off := mustDoc(t, page).Find(`#priority-urgent`).Attr("disabled"); off {
		t.Fatal("the wizard still has urgent switched off for the manager")
	}

	status, out = api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(urgent))
	if status != http.StatusCreated || out["priority"] != "urgent" {
		t.Fatalf("urgent request once allowed: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	status, out = api.call(http.MethodGet, paths.APIBulkChange(id), "")
	if status != http.StatusOK || out["priority"] != "urgent" {
		t.Fatalf("read back: %d %v", status, out)
	}
	_, page = m.get(paths.BulkChange(id))
	if got := strings.TrimSpace(find(t, page, `[data-testid="bulk-change-priority"]`)); got != "urgent" {
		t.Fatalf("the request page says priority %q", got)
	}
	_, page = m.get(paths.BulkChanges)
	if n := mustDoc(t, page).Find(`[data-testid="urgent-badge"]`).Length(); n != 1 {
		t.Fatalf("the list shows %d urgent badges, want 1", n)
	}

	// A normal request (no priority given) says so.
	normal := e.apiRequest(false, map[string]string{"current": e.activeDevices(demo.TenantAcme, 3)[2].ICCID, "new_iccid": e.spareSIM(2)})
	status, out = api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(normal))
	if status != http.StatusCreated || out["priority"] != "normal" {
		t.Fatalf("normal request: %d %v", status, out)
	}
}
