package metrics_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// scrape reads /metrics over HTTP and parses the exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// find returns the metric of a family whose labels include every pair given, or nil.
func find(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			ok := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					ok = true
				}
			}
			if !ok {
				continue next
			}
		}
		return m
	}
	return nil
}

// TestScrapeAfterTheHooks feeds the two engine hooks — real carrier exchanges from the
// ThingSpace client talking to the simulator, and row outcomes — and reads the numbers back
// over HTTP, with the queue gauges read from a real database.
func TestScrapeAfterTheHooks(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return base }
	// Two jobs due at base, one scheduled an hour later.
	if err := db.Enqueue(ctx, store.NewJob{Kind: "test", Payload: 1}, store.NewJob{Kind: "test", Payload: 2},
		store.NewJob{Kind: "test", Payload: 3, RunAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Config{Queue: db, Now: func() time.Time { return base.Add(90 * time.Second) }})

	sim, err := tssim.New(tssim.DefaultConfig(), tssim.DemoSeed())
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim.Handler())
	defer func() { simSrv.Close(); sim.Close() }()
	client := func(base, secret string) *thingspace.Client {
		c, err := thingspace.New(thingspace.Config{BaseURL: base, ClientID: "demo-key", ClientSecret: secret,
			Username: "demo-user", Password: "demo-password", AccountName: "0000123456-00001", ServiceType: "4G",
			Observer: m.CarrierCall})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := client(simSrv.URL, tssim.DemoClientSecret)
	if _, err := good.Plans(ctx); err != nil {
		t.Fatalf("plans: %v", err)
	}
	// The carrier refuses a change with its own code.
	sim.InjectFault("89148000000000010000", tssim.Fault{Sync: true})
	_, err = good.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{
		DeviceIDs:      []thingspace.DeviceID{{Kind: "iccid", ID: "89148000000000010000"}},
		DeviceIDsTo:    []thingspace.DeviceID{{Kind: "iccid", ID: "89148000000009999999"}},
		Change4GOption: thingspace.ChangeICCID})
	var refused *thingspace.APIError
	if !errors.As(err, &refused) || refused.Code == "" {
		t.Fatalf("want a coded refusal, got %v", err)
	}
	// Wrong OAuth secret: the token call fails.
	_, err = client(simSrv.URL, "wrong-secret").Plans(ctx)
	var denied *thingspace.APIError
	if !errors.As(err, &denied) {
		t.Fatalf("want a refused token, got %v", err)
	}
	t.Logf("refused %q, denied %q (HTTP %d)", refused.Code, denied.Code, denied.HTTPStatus)
	deniedCode := denied.Code
	if deniedCode == "" {
		deniedCode = "401"
	}
	// Nobody listening: no HTTP answer at all.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if _, err := client(dead.URL, tssim.DemoClientSecret).Plans(ctx); err == nil {
		t.Fatal("a call to a closed port succeeded")
	}

	m.RowFinal(change.StatusProcessed, 3*time.Second)
	m.RowFinal(change.StatusProcessed, 7*time.Second)
	m.RowFinal(change.StatusAPIFailed, 40*time.Second)
	m.RateWait(0)
	m.RateWait(1500 * time.Millisecond)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	fams := scrape(t, srv.URL)

	for status, want := range map[string]float64{"PROCESSED": 2, "API_FAILED": 1, "ERROR": 0, "CANCELLED": 0} {
		if got := find(fams, "idswap_rows_final_total", "status", status); got == nil || got.GetCounter().GetValue() != want {
			t.Errorf("rows final %s: %v, want %v", status, got, want)
		}
	}
	if h := find(fams, "idswap_row_processing_seconds"); h == nil || h.GetHistogram().GetSampleCount() != 3 || h.GetHistogram().GetSampleSum() != 50 {
		t.Errorf("row processing histogram: %v", h)
	}
	if h := find(fams, "idswap_carrier_rate_wait_seconds"); h == nil || h.GetHistogram().GetSampleCount() != 2 || h.GetHistogram().GetSampleSum() != 1.5 {
		t.Errorf("carrier rate wait histogram: %v", h)
	}
	if h := find(fams, "idswap_thingspace_call_seconds", "op", thingspace.OpPlans); h == nil || h.GetHistogram().GetSampleCount() < 1 {
		t.Errorf("plans latency: %v", h)
	}
	if h := find(fams, "idswap_thingspace_call_seconds", "op", thingspace.OpChangeIdentifier); h == nil || h.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("change latency: %v", h)
	}
	for _, c := range []struct{ op, code string }{
		{thingspace.OpChangeIdentifier, refused.Code},
		{thingspace.OpToken, deniedCode},
		{thingspace.OpToken, "transport"},
	} {
		if got := find(fams, "idswap_thingspace_errors_total", "op", c.op, "code", c.code); got == nil || got.GetCounter().GetValue() != 1 {
			t.Errorf("errors{op=%s,code=%s}: %v", c.op, c.code, got)
		}
	}
	if got := find(fams, "idswap_thingspace_errors_total", "op", thingspace.OpPlans); got != nil {
		t.Errorf("a successful call counted as an error: %v", got)
	}
	if g := find(fams, "idswap_queue_depth"); g == nil || g.GetGauge().GetValue() != 3 {
		t.Errorf("queue depth: %v", g)
	}
	if g := find(fams, "idswap_queue_oldest_job_age_seconds"); g == nil || g.GetGauge().GetValue() != 90 {
		t.Errorf("oldest job age: %v", g)
	}
	if find(fams, "go_goroutines") == nil {
		t.Error("the Go runtime collector is missing")
	}
}

// TestAScrapeSurvivesTheDatabaseGoingAway keeps /metrics answering when the queue cannot be read.
func TestAScrapeSurvivesTheDatabaseGoingAway(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Config{Queue: db, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	fams := scrape(t, srv.URL)
	if find(fams, "idswap_queue_depth") != nil {
		t.Error("a queue depth was reported from a closed database")
	}
	if c := find(fams, "idswap_queue_stats_errors_total"); c == nil || c.GetCounter().GetValue() != 1 {
		t.Errorf("stats errors: %v", c)
	}
}
