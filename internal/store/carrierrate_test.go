package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/store"
)

// TestCarrierGrantsFollowOneAnother: a provider's first grant starts at the database's "now";
// a grant asked for while earlier slots are still ahead starts where they end; each lasts n/rate.
func TestCarrierGrantsFollowOneAnother(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, err := db.CreateProvider(ctx, store.Provider{Name: "TS", DisplayName: "TS"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		g1, err := db.GrantCarrierSlots(ctx, p, 5, 20, "host-1")
		if err != nil {
			t.Fatal(err)
		}
		if !g1.Start.Equal(g1.Now) || g1.Slots != 5 || g1.End.Sub(g1.Start) != 250*time.Millisecond {
			t.Fatalf("first grant: %+v, want 5 slots from now over 250ms", g1)
		}
		// A minute of slots (1,200 at 20/s): the next grant is asked for long before they end.
		g2, err := db.GrantCarrierSlots(ctx, p, 1200, 20, "host-2")
		if err != nil {
			t.Fatal(err)
		}
		g3, err := db.GrantCarrierSlots(ctx, p, 3, 7, "host-1")
		if err != nil {
			t.Fatal(err)
		}
		if !g2.Start.Equal(g1.End) || g2.End.Sub(g2.Start) != time.Minute || !g3.Start.Equal(g2.End) {
			t.Fatalf("grants overlap or leave gaps: %+v, %+v, %+v", g1, g2, g3)
		}
		// 3 slots at 7/s is 428.57…ms, rounded up to whole milliseconds; slots evenly inside.
		if g3.End.Sub(g3.Start) != 429*time.Millisecond || g3.At(1).Sub(g3.Start) != 143*time.Millisecond {
			t.Fatalf("3 slots at 7/s: %+v (second slot at %v)", g3, g3.At(1).Sub(g3.Start))
		}
		// Another provider's schedule is its own.
		q, err := db.CreateProvider(ctx, store.Provider{Name: "TS2", DisplayName: "TS2"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if g, err := db.GrantCarrierSlots(ctx, q, 1, 20, "host-1"); err != nil || !g.Start.Equal(g.Now) {
			t.Fatalf("another provider's first grant: %+v %v", g, err)
		}
		for _, bad := range []struct {
			n    int
			rate float64
		}{{0, 20}, {5, 0}, {5, -1}} {
			if _, err := db.GrantCarrierSlots(ctx, p, bad.n, bad.rate, "host-1"); err == nil {
				t.Errorf("a grant of %d slots at %v/s was accepted", bad.n, bad.rate)
			}
		}
	})
}

// TestAnIdleScheduleBanksNoBurst: slots nobody took while the provider was idle are gone; the
// grant after a pause starts at "now", not in the past.
func TestAnIdleScheduleBanksNoBurst(t *testing.T) {
	db := mustOpenSQLite(t)
	ctx := context.Background()
	c := useClock(db, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	p, err := db.CreateProvider(ctx, store.Provider{Name: "TS", DisplayName: "TS"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.GrantCarrierSlots(ctx, p, 5, 20, "host-1"); err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(time.Hour)
	g, err := db.GrantCarrierSlots(ctx, p, 5, 20, "host-1")
	if err != nil {
		t.Fatal(err)
	}
	if !g.Start.Equal(c.now) || !g.Now.Equal(c.now) {
		t.Fatalf("grant after an hour idle: %+v, want it to start at %v", g, c.now)
	}
}

// sharedClock is one database clock for several handles on one SQLite file: it moves on a little
// at every reading, so grants asked for side by side see a clock that runs (and the order of the
// readings is the order of the write locks, since the store reads it after BEGIN IMMEDIATE).
type sharedClock struct {
	start time.Time
	ticks atomic.Int64
	step  time.Duration
}

func (c *sharedClock) Now() time.Time {
	return c.start.Add(time.Duration(c.ticks.Add(1)) * c.step)
}

// TestTwoProcessesShareOneCarrierRate: two handles on one SQLite file (two processes), each
// with two goroutines asking for grants as fast as they can. On the database's clock, no window
// of one second holds more slots than the rate, and together they get every slot: the grants
// tile the schedule without overlap and without gaps. One process alone gets every slot too.
func TestTwoProcessesShareOneCarrierRate(t *testing.T) {
	const rate, n = 20.0, 5
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	clk := &sharedClock{start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), step: 3 * time.Millisecond}
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, "sqlite:"+path, testKey)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = clk.Now
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := dbs[0].CreateProvider(ctx, store.Provider{Name: "TS", DisplayName: "TS"}, "admin")
	if err != nil {
		t.Fatal(err)
	}

	// grantsOf runs the given handles, two goroutines each, for rounds grants per goroutine.
	grantsOf := func(handles []*store.DB, rounds int) []store.CarrierGrant {
		var (
			mu     sync.Mutex
			grants []store.CarrierGrant
			wg     sync.WaitGroup
		)
		for i, db := range handles {
			for range 2 {
				wg.Go(func() {
					for range rounds {
						g, err := db.GrantCarrierSlots(ctx, p, n, rate, "process-"+string(rune('A'+i)))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						grants = append(grants, g)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		slices.SortFunc(grants, func(a, b store.CarrierGrant) int { return a.Start.Compare(b.Start) })
		return grants
	}
	check := func(name string, grants []store.CarrierGrant, want int) {
		t.Helper()
		if len(grants) != want {
			t.Fatalf("%s: %d grants, want %d", name, len(grants), want)
		}
		var slots []time.Time
		for i, g := range grants {
			if i > 0 && !g.Start.Equal(grants[i-1].End) {
				t.Fatalf("%s: grant %d starts at %v, the one before ends at %v: they overlap or leave a gap",
					name, i, g.Start, grants[i-1].End)
			}
			for s := range g.Slots {
				slots = append(slots, g.At(s))
			}
		}
		// Every one-second window of the database's clock that starts at a slot holds at most
		// the rate; the window from the first slot holds exactly the rate (none was lost).
		for i, from := range slots {
			in := 0
			for _, s := range slots[i:] {
				if s.Sub(from) < time.Second {
					in++
				}
			}
			if in > int(rate) || (i == 0 && in != int(rate)) {
				t.Fatalf("%s: %d slots in the second from %v, want at most %v (and exactly that from the first)", name, in, from, rate)
			}
		}
		if span := grants[len(grants)-1].End.Sub(grants[0].Start); float64(len(slots)) != rate*span.Seconds() {
			t.Fatalf("%s: %d slots over %v, want the rate of %v/s exactly", name, len(slots), span, rate)
		}
	}
	check("two processes", grantsOf(dbs, 10), 40)
	check("one process", grantsOf(dbs[:1], 10), 20)
}
