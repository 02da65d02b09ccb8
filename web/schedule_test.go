package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// An admin sets a tenant's time zone and window on the tenants page; a zone that is not one is
// answered next to its form and changes nothing.
func TestTenantScheduleForm(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(demo.AdminEmail)
	acme := e.tenantID(demo.TenantAcme)
	res, body := admin.postForm(paths.TenantSchedule(acme), url.Values{"time_zone": {"Mars/Olympus"}, "days": {"1"}, "opens": {"22"}, "closes": {"4"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(find(t, body, `[data-testid="form-error"]`), `"Mars/Olympus" is not a time zone name`) {
		t.Fatalf("bad zone: %d %q", res.StatusCode, find(t, body, `[data-testid="form-error"]`))
	}
	if sc, _ := e.db.TenantSchedule(context.Background(), acme); sc.TimeZone != "UTC" || sc.Window.Open() {
		t.Fatalf("a refused form changed the tenant: %+v", sc)
	}
	form := url.Values{"time_zone": {"Europe/Paris"}, "opens": {"22"}, "closes": {"4"}}
	for d := time.Monday; d <= time.Friday; d++ {
		form.Add("days", fmt.Sprint(int(d)))
	}
	if res, _ := admin.postForm(paths.TenantSchedule(acme), form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if _, body = admin.get(paths.AdminTenants); !strings.Contains(body, "Europe/Paris, Mon, Tue, Wed, Thu, Fri 22:00–04:00") {
		t.Fatal("the saved window is not confirmed on the page")
	}
	// The manager's wizard asks for the start in the tenant's zone.
	m := e.signIn(demo.AcmeManager)
	if _, body = m.get(paths.NewBulkChange); !strings.Contains(find(t, body, `label[for="run_at"]`), "Europe/Paris") {
		t.Fatalf("the start field does not name the zone: %q", find(t, body, `label[for="run_at"]`))
	}
}

// A scheduled request's page and the list show it SCHEDULED with its start in the tenant's
// zone; its page pauses and resumes it.
func TestScheduledRequestPageAndPauseButtons(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.tenantID(demo.TenantAcme)
	if err := e.db.SetTenantSchedule(ctx, acme, storeSchedule("America/New_York"), storeActor()); err != nil {
		t.Fatal(err)
	}
	api := e.apiClient(demo.AcmeManager)
	d := e.activeDevices(demo.TenantAcme, 1)
	body := e.apiRequest(false, map[string]string{"current": d[0].ICCID, "new_iccid": e.spareSIM(0)})
	ny, _ := time.LoadLocation("America/New_York")
	runAt := time.Now().In(ny).Add(48 * time.Hour).Truncate(time.Hour)
	body["run_at"] = runAt.Format(time.RFC3339)
	status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(body))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, out)
	}
	id := int64(out["id"].(float64))

	m := e.signIn(demo.AcmeManager)
	_, page := m.get(paths.BulkChange(id))
	want := runAt.Format("Mon 2 Jan 2006 15:04 MST") + " (America/New_York)"
	if got := find(t, page, `[data-testid="bulk-status-badge"]`); got != change.BatchScheduled.Words() {
		t.Fatalf("badge %q", got)
	}
	if got := find(t, page, `[data-testid="bulk-starts-at"]`); !strings.Contains(got, want) {
		t.Fatalf("start %q, want %q", got, want)
	}
	if _, list := m.get(paths.BulkChanges); !strings.Contains(find(t, list, `[data-testid="list-starts-at"]`), want) {
		t.Fatalf("the list does not show the start: %q", find(t, list, `[data-testid="list-starts-at"]`))
	}
	if res, _ := m.postForm(paths.BulkChangePause(id), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pause: %d", res.StatusCode)
	}
	_, page = m.get(paths.BulkChange(id))
	if find(t, page, `[data-testid="bulk-status-badge"]`) != "paused" || find(t, page, `[data-testid="resume"]`) != "Resume" ||
		!strings.Contains(page, "Paused: rows not yet sent wait") {
		t.Fatalf("after pause: badge %q", find(t, page, `[data-testid="bulk-status-badge"]`))
	}
	// Pausing again is refused with the reason, on the page.
	if res, _ := m.postForm(paths.BulkChangePause(id), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pause again: %d", res.StatusCode)
	}
	if _, page = m.get(paths.BulkChange(id)); !strings.Contains(page, "only a scheduled or running bulk change can be paused") {
		t.Fatal("a second pause was not answered")
	}
	if res, _ := m.postForm(paths.BulkChangeResume(id), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d", res.StatusCode)
	}
	if _, page = m.get(paths.BulkChange(id)); find(t, page, `[data-testid="bulk-status-badge"]`) != "scheduled" ||
		find(t, page, `[data-testid="pause"]`) != "Pause" {
		t.Fatalf("after resume: %q", find(t, page, `[data-testid="bulk-status-badge"]`))
	}
	// Another tenant's manager cannot pause it: 404.
	g := e.signIn(demo.GlobexManager)
	if res, _ := g.postForm(paths.BulkChangePause(id), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another tenant paused it: %d", res.StatusCode)
	}
}

func storeSchedule(zone string) store.TenantSchedule { return store.TenantSchedule{TimeZone: zone} }

func storeActor() store.Actor { return store.Actor{Name: demo.AdminEmail} }
