package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// TestDailySummarySettings: a manager sets their tenant's time and recipients (only theirs,
// whatever the form says); a bad address comes back with its error and nothing saved; an admin
// sets the all-tenants summary.
func TestDailySummarySettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme, globex := e.tenantID(demo.TenantAcme), e.tenantID(demo.TenantGlobex)
	m := e.signIn(demo.AcmeManager)
	if res, body := m.get(paths.DailySummary); res.StatusCode != http.StatusOK || !strings.Contains(body, "Summary of "+demo.TenantAcme) {
		t.Fatalf("page: %d", res.StatusCode)
	}
	res, body := m.postForm(paths.DailySummary, url.Values{"tenant": {fmt.Sprint(globex)}, "send_at": {"06:45"}, "recipients": {"ops@acme.example, not an address"}, "active": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "is not an e-mail address") {
		t.Fatalf("bad recipients: %d", res.StatusCode)
	}
	if s, _ := e.db.DailyScheduleOf(ctx, acme); s != nil {
		t.Fatal("a refused form was saved")
	}
	res, _ = m.postForm(paths.DailySummary, url.Values{"tenant": {fmt.Sprint(globex)}, "send_at": {"06:45"}, "recipients": {"ops@acme.example\nboss@acme.example"}, "active": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	s, err := e.db.DailyScheduleOf(ctx, acme)
	if err != nil || s == nil || s.SendAt != "06:45" || s.Recipients != "ops@acme.example, boss@acme.example" || !s.IsActive {
		t.Fatalf("saved: %+v %v", s, err)
	}
	if g, _ := e.db.DailyScheduleOf(ctx, globex); g != nil {
		t.Fatal("a manager set another tenant's summary")
	}

	a := e.signIn(demo.AdminEmail)
	if res, _ := a.postForm(paths.DailySummary, url.Values{"tenant": {"0"}, "send_at": {"05:30"}, "recipients": {""}, "active": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin save: %d", res.StatusCode)
	}
	if all, _ := e.db.DailyScheduleOf(ctx, 0); all == nil || all.SendAt != "05:30" {
		t.Fatalf("all tenants: %+v", all)
	}
	if _, body := a.get(paths.DailySummary + "?tenant=0"); !strings.Contains(body, "Every admin gets this summary too") {
		t.Fatal("the admins' summary does not say it goes to the admins")
	}
}
