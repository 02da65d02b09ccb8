package inventory_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// BenchmarkSync100k syncs an account of 100,000 lines from the simulator into an empty SQLite
// inventory, 2,000 devices a page (the simulator started with a max page size of 2,000), then
// syncs it again with nothing changed. It reports both times and the peak live heap; run it with
// /usr/bin/time -v for the resident size:
//
//	go test -run '^$' -bench Sync100k -benchtime 1x ./internal/inventory
func BenchmarkSync100k(b *testing.B) {
	const n, page = 100000, 2000
	ctx := context.Background()
	seed := tssim.Seed{Accounts: []tssim.Account{{Name: account, ClientID: clientID, ClientSecret: secret, Username: uwsUser, Password: uwsPass}},
		Plans: []tssim.Plan{{Code: "LTEM-10MB", Name: "LTE-M 10 MB", SizeKb: 10240, CarrierServicePlanCode: "84000"}}}
	for i := range n {
		l := tssim.Line{Account: account, MDN: fmt.Sprintf("41%08d", i), ICCID: iccid(i), IMEI: imei(i), State: tssim.StateActive, ServicePlan: "LTEM-10MB"}
		if i%2 == 0 {
			l.Groups = []string{"acme"}
		}
		seed.Lines = append(seed.Lines, l)
	}
	sim, err := tssim.New(tssim.Config{MaxPageSize: page, ServiceTypes: tssim.DefaultServiceTypes()}, seed)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer func() { srv.Close(); sim.Close() }()
	seed = tssim.Seed{}
	for b.Loop() {
		db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), testKey)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		on := onboard.New(db)
		admin := store.Actor{Name: "bench"}
		tenant, _ := on.CreateTenant(ctx, admin, "Acme")
		other, _ := on.CreateTenant(ctx, admin, "Other")
		pid, err := on.CreateProvider(ctx, admin, onboard.ProviderInput{Name: "TS", BaseURL: srv.URL, AccountName: account,
			ClientID: clientID, ClientSecret: secret, UWSUser: uwsUser, UWSPassword: uwsPass})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.AddAssignmentRule(ctx, store.AssignmentRule{ProviderID: pid, Kind: store.RuleGroup, FieldValue: "acme", TenantID: tenant}, admin); err != nil {
			b.Fatal(err)
		}
		inv := inventory.New(db)
		inv.PageSize = page
		var peak uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}
		}()
		t0 := time.Now()
		run, err := inv.Sync(ctx, pid, inventory.Options{By: "bench", DefaultTenantID: other})
		first := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if run.Listed != n || run.Added != n {
			b.Fatalf("first run %+v", run)
		}
		t0 = time.Now()
		run, err = inv.Sync(ctx, pid, inventory.Options{By: "bench"})
		again := time.Since(t0)
		close(stop)
		if err != nil || run.Listed != n || run.Added != 0 || run.Updated != 0 {
			b.Fatalf("second run %+v, %v", run, err)
		}
		b.ReportMetric(first.Seconds(), "first-s")
		b.ReportMetric(again.Seconds(), "again-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		db.Close()
	}
}
