package web_test

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/store"
)

func TestTheDashboardCountsFromTheDatabase(t *testing.T) {
	e := newEnv(t)
	_, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 4, 0)
	e.drive(rows[0].ID, change.StatusProcessed)
	e.drive(rows[1].ID, change.StatusAPIFailed, store.LogEntry{Description: "Carrier refused", HasErrors: true,
		ErrorCode: "REQUEST_FAILED.UnknownICCID", ProcessedBy: "engine"})
	e.drive(rows[2].ID, change.StatusProcessing)
	e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 2, 10)

	_, body := e.signIn(demo.AcmeManager).get("/")
	d := mustDoc(t, body)
	for id, want := range map[string]string{"stat-week-requests": "1", "stat-week-rows": "4", "stat-week-processed": "1",
		"stat-week-failed": "1", "stat-waiting": "1"} {
		if got := text(d, "[data-testid="+id+"] .n"); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if d.Find("[data-testid=chart-bar]").Length() != 1 || !strings.Contains(d.Find("[data-testid=success-chart] figcaption").Text(), "1 of 2") {
		t.Errorf("chart: %d bars, %q", d.Find("[data-testid=chart-bar]").Length(), d.Find("[data-testid=success-chart] figcaption").Text())
	}
	if code := text(d, "[data-testid=failure-code] code"); code != "REQUEST_FAILED.UnknownICCID" {
		t.Errorf("failure codes: %q", code)
	}
	if d.Find("[data-testid=oldest-waiting-link]").Length() != 1 {
		t.Error("no link to the oldest waiting row")
	}
	_, body = e.signIn(demo.AdminEmail).get("/")
	if got := text(mustDoc(t, body), "[data-testid=stat-week-requests] .n"); got != "2" {
		t.Errorf("the admin's requests this week: %q", got)
	}
}
