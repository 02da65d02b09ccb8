package request_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
)

// BenchmarkCheck10kRowsAgainst100kDevices checks a 10,000-row ChangeIMEIandICCID request — every
// check, every lookup, plans and cost — against an inventory of 100,000 devices in SQLite. The
// target is well under 2 s per check: a person waits for it.
//
//	go test -run='^$' -bench=Check10k -benchmem ./internal/request
func BenchmarkCheck10kRowsAgainst100kDevices(b *testing.B) {
	const devices, rows = 100_000, 10_000
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), testKey)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	data := store.SeedData{
		Tenants:     []string{"Big"},
		Provider:    store.Provider{Name: "TS", DisplayName: "ThingSpace"},
		Credentials: store.Credentials{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s", Username: "u", Password: "p"},
		Plans: []store.SeedPlan{
			{Code: "LTEM-10MB", Name: "LTE-M 10 MB", ShortName: "LTEM", MonthlyRate: 4.5, NetworkTypes: []string{change.NetworkLTEM}},
			{Code: "5G-NR", Name: "5G", ShortName: "5G", MonthlyRate: 45, NetworkTypes: []string{change.Network5G}},
		},
		Models: []store.SeedModel{
			{Manufacturer: "Telit", Model: "FN980", FromIMEI: tac5G + "0000000", ToIMEI: tac5G + "9999999", NetworkType: change.Network5G},
			{Manufacturer: "Quectel", Model: "BG96", FromIMEI: tacLTEM + "0000000", ToIMEI: tacLTEM + "9999999", NetworkType: change.NetworkLTEM},
		},
	}
	for n := 1; n <= devices; n++ {
		data.Devices = append(data.Devices, store.SeedDevice{TenantName: "Big", ICCID: iccid(n), IMEI: imei(tacLTEM, n),
			MSISDN: fmt.Sprintf("51%08d", 22000000+n), StatusID: store.DeviceStatusActive, PlanCode: "LTEM-10MB"})
	}
	_, pid, err := db.Seed(ctx, data, "bench")
	if err != nil {
		b.Fatal(err)
	}
	ts, _ := db.Tenants(ctx)
	d := request.Draft{TenantID: ts[0].ID, ProviderID: pid, Type: change.ChangeIMEIandICCID, Reason: "benchmark",
		PlanChoices: map[string]string{"5G/change": "5G-NR"}}
	for i := range rows {
		n := 1 + i*(devices/rows) // spread over the inventory
		current := iccid(n)       // name the device by each kind of identifier in turn
		switch i % 3 {
		case 1:
			current = fmt.Sprintf("51%08d", 22000000+n)
		case 2:
			current = imei(tacLTEM, n)
		}
		newIMEI := imei(tacLTEM, 500_000+i)
		if i%2 == 1 {
			newIMEI = imei(tac5G, i)
		}
		d.Rows = append(d.Rows, change.Row{Current: current, NewICCID: iccid(5_000_000 + i), NewIMEI: newIMEI})
	}
	svc := request.New(db)

	// The peak of live heap while checking, above what was live before: sampled through
	// runtime/metrics, which does not stop the world as ReadMemStats would.
	runtime.GC()
	base := heapObjects()
	peak := base
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				peak = max(peak, heapObjects())
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		res, err := svc.Check(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		if !res.Ready || len(res.Rows) != rows {
			b.Fatalf("not ready: %d invalid, fields %v, groups %+v", res.Invalid, res.Fields, res.Groups)
		}
	}
	close(stop)
	<-done
	b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
}

// heapObjects is the bytes of live and not yet swept heap objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
