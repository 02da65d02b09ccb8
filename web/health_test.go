package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/web"
)

// TestMetricsAreScrapedWithoutASession feeds the engine's hooks and reads them back from
// /metrics over HTTP, with no cookie.
func TestMetricsAreScrapedWithoutASession(t *testing.T) {
	var m *metrics.Metrics
	e := newEnv(t, func(cfg *web.Config) {
		m = metrics.New(metrics.Config{Queue: cfg.Store.(metrics.QueueStats)})
		cfg.Metrics = m.Handler()
	})
	e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0) // three jobs queued
	m.RowFinal(change.StatusProcessed, 4*time.Second)
	m.RowFinal(change.StatusAPIFailed, 2*time.Second)
	res, body := e.client().get(paths.Metrics)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	for _, line := range []string{`idswap_rows_final_total{status="PROCESSED"} 1`, `idswap_rows_final_total{status="API_FAILED"} 1`,
		`idswap_row_processing_seconds_count 2`, `idswap_queue_depth 3`} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics has no %q", line)
		}
	}
}
