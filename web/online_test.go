package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/web"
)

// The request page, the dashboard and /metrics say how many changed lines came back online with
// their new identifiers, each counted by the database in its own scope.
func TestOnlineCountsOnThePageTheDashboardAndMetrics(t *testing.T) {
	var m *metrics.Metrics
	e := newEnv(t, func(cfg *web.Config) {
		m = metrics.New(metrics.Config{Queue: cfg.Store.(metrics.QueueStats)})
		cfg.Metrics = m.Handler()
	})
	ctx := context.Background()
	acme, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 4, 0)
	e.drive(rows[0].ID, change.StatusProcessed)
	e.drive(rows[1].ID, change.StatusProcessed)
	e.drive(rows[2].ID, change.StatusProcessed)
	e.drive(rows[3].ID, change.StatusAPIFailed) // failed: neither online nor waiting to be
	if err := e.db.MarkOnline(ctx, rows[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, globex := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 1, 10)
	e.drive(globex[0].ID, change.StatusProcessed)
	untouched, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 4, 1, 20)

	manager := e.signIn(demo.AcmeManager)
	_, body := manager.get(paths.BulkChange(acme))
	if got := text(mustDoc(t, body), "[data-testid=bulk-online]"); got != "Changed lines: 1 online with the new identifiers, 2 not seen online yet." {
		t.Errorf("request page: %q", got)
	}
	_, body = manager.get(paths.BulkChange(untouched))
	if mustDoc(t, body).Find("[data-testid=bulk-online]").Length() != 0 {
		t.Error("a request with no changed row speaks of lines online")
	}

	_, body = manager.get(paths.Dashboard)
	d := mustDoc(t, body)
	if got := text(d, "[data-testid=stat-week-online] .n"); got != "1" {
		t.Errorf("manager's dashboard: %q online", got)
	}
	if got := text(d, "[data-testid=stat-week-online]"); !strings.Contains(got, "1 online with the new identifiers, 2 not seen online yet") {
		t.Errorf("manager's dashboard: %q", got)
	}
	_, body = e.signIn(demo.AdminEmail).get(paths.Dashboard)
	if got := text(mustDoc(t, body), "[data-testid=stat-week-online]"); !strings.Contains(got, "1 online with the new identifiers, 3 not seen online yet") {
		t.Errorf("admin's dashboard (every tenant): %q", got)
	}

	_, body = e.client().get(paths.Metrics)
	if !strings.Contains(body, "\nidswap_rows_not_seen_online 3\n") {
		t.Errorf("/metrics has no idswap_rows_not_seen_online 3:\n%s", grepLines(body, "idswap_rows_"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
