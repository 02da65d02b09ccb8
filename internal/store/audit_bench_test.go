package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/db"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// benchVolume is the audit trail the benchmark searches: 10,000 devices that changed SIM ten
// times each — 100,000 bulk change rows and identifier history rows, 1,000,000 log entries in
// 1,000 batches over a year, in two tenants.
var benchVolume = store.AuditVolume{Devices: 10000, ChangesPerDevice: 10, LogsPerChange: 10, RowsPerBatch: 100,
	Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Span: 365 * 24 * time.Hour}

// benchDB is the benchmark's database, built once and kept in the temporary folder under a name
// made of a hash of the migrations and the volume: building it takes a minute, and a later run
// reuses it for as long as neither changes.
var benchDB struct {
	once sync.Once
	path string
	err  error
}

func openBenchDB(b *testing.B) (*store.DB, store.AuditVolume) {
	b.Helper()
	ctx := context.Background()
	benchDB.once.Do(func() {
		h := sha256.New()
		fsys, err := db.Migrations("sqlite")
		if err != nil {
			benchDB.err = err
			return
		}
		names, _ := fs.Glob(fsys, "*.sql")
		sort.Strings(names)
		for _, n := range names {
			src, _ := fs.ReadFile(fsys, n)
			h.Write(src)
		}
		fmt.Fprintf(h, "%+v v1", benchVolume)
		benchDB.path = filepath.Join(os.TempDir(), "idswap-audit-bench-"+hex.EncodeToString(h.Sum(nil))[:16]+".db")
		if _, err := os.Stat(benchDB.path); err == nil {
			return
		}
		tmp := benchDB.path + ".building"
		_ = os.Remove(tmp)
		d, err := store.Open(ctx, "sqlite:"+tmp, testKey)
		if err != nil {
			benchDB.err = err
			return
		}
		defer d.Close()
		if _, err := d.Migrate(ctx); err != nil {
			benchDB.err = err
			return
		}
		start := time.Now()
		_, pid, err := d.Seed(ctx, store.SeedData{Tenants: []string{"Acme", "Globex"},
			Provider:    store.Provider{Name: "TS", DisplayName: "ThingSpace"},
			Credentials: store.Credentials{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s", Username: "u", Password: "p"}}, "bench")
		if err != nil {
			benchDB.err = err
			return
		}
		ts, err := d.Tenants(ctx)
		if err != nil {
			benchDB.err = err
			return
		}
		v := benchVolume
		v.ProviderID, v.TenantIDs = pid, []int64{ts[0].ID, ts[1].ID}
		// No ANALYZE: the benchmark searches the database as production has it.
		if _, _, err := d.LoadAuditVolume(ctx, v); err != nil {
			benchDB.err = err
			return
		}
		if err := d.Checkpoint(ctx); err != nil {
			benchDB.err = err
			return
		}
		if err := d.Close(); err != nil {
			benchDB.err = err
			return
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			_ = os.Remove(tmp + suffix)
		}
		benchDB.err = os.Rename(tmp, benchDB.path)
		fmt.Fprintf(os.Stderr, "built %s in %s\n", benchDB.path, time.Since(start).Round(time.Second))
	})
	if benchDB.err != nil {
		b.Fatal(benchDB.err)
	}
	d, err := store.Open(ctx, "sqlite:"+benchDB.path, testKey)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	ts, err := d.Tenants(ctx)
	if err != nil || len(ts) != 2 {
		b.Fatalf("tenants: %v %v", ts, err)
	}
	v := benchVolume
	v.TenantIDs = []int64{ts[0].ID, ts[1].ID}
	return d, v
}

// timeEach runs one search per iteration and reports the median and 95th percentile of the
// single searches besides Go's mean (ns/op).
func timeEach(b *testing.B, search func(i int) error) {
	b.Helper()
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := search(i); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

// BenchmarkAuditSearch searches 1,000,000 log entries and 100,000 history rows on SQLite: by an
// identifier a device had (the first page: the device and its whole trail), and by a week of
// dates (the first page, and the page after it).
func BenchmarkAuditSearch(b *testing.B) {
	ctx := context.Background()
	d, v := openBenchDB(b)
	rng := rand.New(rand.NewPCG(1, 2))

	b.Run("identifier", func(b *testing.B) {
		timeEach(b, func(int) error {
			k, g := rng.IntN(v.Devices), rng.IntN(v.ChangesPerDevice)
			p, err := d.AuditSearch(ctx, store.AuditFilter{Identifier: store.VolumeICCID(k, g)})
			if err == nil && (len(p.Devices) != 1 || len(p.Hits) != 50) {
				err = fmt.Errorf("device %d generation %d: %d devices, %d hits", k, g, len(p.Devices), len(p.Hits))
			}
			return err
		})
	})
	b.Run("identifier-prefix", func(b *testing.B) {
		timeEach(b, func(int) error {
			k := rng.IntN(v.Devices)
			id := store.VolumeICCID(k, 0)
			p, err := d.AuditSearch(ctx, store.AuditFilter{Identifier: id[:len(id)-1], Prefix: true})
			if err == nil && len(p.Devices) == 0 {
				err = fmt.Errorf("prefix of device %d found nothing", k)
			}
			return err
		})
	})
	week := func() (time.Time, time.Time) {
		from := v.Start.Add(time.Duration(rng.Int64N(int64(v.Span - 7*24*time.Hour))))
		return from, from.Add(7 * 24 * time.Hour)
	}
	b.Run("date-range", func(b *testing.B) {
		timeEach(b, func(int) error {
			from, to := week()
			p, err := d.AuditSearch(ctx, store.AuditFilter{From: &from, To: &to})
			if err == nil && len(p.Hits) != 50 {
				err = fmt.Errorf("week from %s: %d hits", from, len(p.Hits))
			}
			return err
		})
	})
	b.Run("date-range-next-page", func(b *testing.B) {
		timeEach(b, func(int) error {
			from, to := week()
			p, err := d.AuditSearch(ctx, store.AuditFilter{From: &from, To: &to})
			if err != nil {
				return err
			}
			p, err = d.AuditSearch(ctx, store.AuditFilter{From: &from, To: &to, After: p.Next})
			if err == nil && len(p.Hits) != 50 {
				err = fmt.Errorf("second page of the week from %s: %d hits", from, len(p.Hits))
			}
			return err
		})
	})
	// Filters without a date range read the newest entries first and stop at a page of matches.
	b.Run("tenant", func(b *testing.B) {
		timeEach(b, func(i int) error {
			p, err := d.AuditSearch(ctx, store.AuditFilter{TenantID: v.TenantIDs[i%2]})
			if err == nil && len(p.Hits) != 50 {
				err = fmt.Errorf("tenant: %d hits", len(p.Hits))
			}
			return err
		})
	})
	b.Run("failures", func(b *testing.B) {
		timeEach(b, func(int) error {
			p, err := d.AuditSearch(ctx, store.AuditFilter{Kind: store.KindLogErrors})
			if err == nil && len(p.Hits) != 50 {
				err = fmt.Errorf("failures: %d hits", len(p.Hits))
			}
			return err
		})
	})
	// The worst case: a filter that matches nothing reads the whole log through its date index.
	b.Run("row-status-matching-nothing", func(b *testing.B) {
		timeEach(b, func(int) error {
			_, err := d.AuditSearch(ctx, store.AuditFilter{RowStatus: change.StatusCancelled})
			return err
		})
	})
	b.Run("date-range-tenant-failures", func(b *testing.B) {
		timeEach(b, func(int) error {
			from, to := week()
			_, err := d.AuditSearch(ctx, store.AuditFilter{From: &from, To: &to, TenantID: v.TenantIDs[1], Kind: store.KindLogErrors})
			return err
		})
	})
}
