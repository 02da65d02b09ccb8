package process_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/store"
)

// recordingSlots passes grants through to the real store and keeps each, so that a test can
// count slots on the database's clock.
type recordingSlots struct {
	db     *store.DB
	mu     *sync.Mutex
	grants *[]store.CarrierGrant
}

func (r recordingSlots) GrantCarrierSlots(ctx context.Context, providerID int64, n int, rate float64, by string) (store.CarrierGrant, error) {
	g, err := r.db.GrantCarrierSlots(ctx, providerID, n, rate, by)
	if err == nil {
		r.mu.Lock()
		*r.grants = append(*r.grants, g)
		r.mu.Unlock()
	}
	return g, err
}

// sharedDB opens handles on one SQLite file, as that many processes would, and creates a
// provider.
func sharedDB(t *testing.T, handles int) ([]*store.DB, int64) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rate.db")
	var dbs []*store.DB
	for range handles {
		db, err := store.Open(ctx, "sqlite:"+path, []byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := dbs[0].CreateProvider(ctx, store.Provider{Name: "TS", DisplayName: "TS"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	return dbs, p
}

// TestTwoProcessesKeepToOneCarrierRate: two limiters on two handles of one database file (two
// processes), three workers each, every worker waiting for the carrier as fast as it can. On
// the database's clock no one-second window holds more granted slots than the rate, grants
// never overlap, and every wait got a slot of its own.
func TestTwoProcessesKeepToOneCarrierRate(t *testing.T) {
	const rate, waits = 200.0, 40
	dbs, p := sharedDB(t, 2)
	var (
		mu     sync.Mutex
		grants []store.CarrierGrant
		wg     sync.WaitGroup
		waited int
	)
	for i, db := range dbs {
		lim := process.NewCarrierLimiter(process.CarrierLimiterConfig{Store: recordingSlots{db, &mu, &grants},
			ProviderID: p, Rate: rate, By: []string{"A", "B"}[i]})
		for range 3 {
			wg.Go(func() {
				for range waits {
					if err := lim.Wait(context.Background()); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					waited++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.SortFunc(grants, func(a, b store.CarrierGrant) int { return a.Start.Compare(b.Start) })
	var slots []time.Time
	for i, g := range grants {
		if i > 0 && g.Start.Before(grants[i-1].End) {
			t.Fatalf("grant %d (%v) starts before the one before ends (%v)", i, g.Start, grants[i-1].End)
		}
		for s := range g.Slots {
			slots = append(slots, g.At(s))
		}
	}
	if waited != 6*waits || len(slots) < waited {
		t.Fatalf("%d waits ended on %d granted slots", waited, len(slots))
	}
	for i, from := range slots {
		in := 0
		for _, s := range slots[i:] {
			if s.Sub(from) < time.Second {
				in++
			}
		}
		if in > int(rate) {
			t.Fatalf("%d slots granted in the second from %v: more than the rate of %v/s", in, from, rate)
		}
	}
	t.Logf("%d waits, %d grants of %d slots", waited, len(grants), len(slots))
}

// fakeTime is the one clock of a test: the database's (db.Now) and the limiter's, and sleeping
// moves it on.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeTime) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d > 0 {
		f.now = f.now.Add(d)
	}
	return nil
}

// TestOneProcessAloneReachesTheCarrierRate: one worker of one process that always has work
// sends at the rate (less the limiter's 5% headroom): its k-th request leaves k/rate after the
// first, across grants. Slots that passed while nobody waited are dropped, not spent in a burst.
func TestOneProcessAloneReachesTheCarrierRate(t *testing.T) {
	const rate = 20.0
	dbs, p := sharedDB(t, 1)
	clk := &fakeTime{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	dbs[0].Now = clk.Now
	lim := process.NewCarrierLimiter(process.CarrierLimiterConfig{Store: dbs[0], ProviderID: p, Rate: rate,
		Now: clk.Now, Sleep: clk.Sleep})
	ctx := context.Background()
	start := clk.Now()
	// Slots are laid out with the limiter's 5% headroom: 20/1.05 a second, a grant of four
	// slots lasting 210ms, so each slot 52.5ms.
	const slot = 52500 * time.Microsecond
	const n = 43 // ten grants of four slots and some
	for k := range n {
		if err := lim.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := clk.Now().Sub(start), time.Duration(k)*slot; got != want {
			t.Fatalf("request %d left %v after the first, want %v", k, got, want)
		}
	}
	// Ten seconds with no work: the slots held are gone; the next request leaves at once and
	// the one after it a slot later.
	clk.Sleep(ctx, 10*time.Second)
	idle := clk.Now()
	for k := range 2 {
		if err := lim.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got := clk.Now().Sub(idle); got != time.Duration(k)*slot {
			t.Fatalf("request %d after the pause left %v after it, want %v", k, got, time.Duration(k)*slot)
		}
	}
	// A wait whose context ends returns its error.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := lim.Wait(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context: %v", err)
	}
}
