package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/store"
)

// TestCarrierPermitsAreTakenOnceReturnedAndLeased: a provider has as many permits as its rate;
// a take gets only free ones and says when the next frees; a returned permit is free from the
// time it was returned with; a renewal moves only the taker's live leases; a lease that ran out
// lets another process take the permit, and the old holder's late return is ignored.
func TestCarrierPermitsAreTakenOnceReturnedAndLeased(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		const lease = time.Minute

		a, err := db.TakeCarrierPermits(ctx, f.provider, 3, 2, "A", lease, 0, nil)
		if err != nil || len(a.Slots) != 2 || !a.LeaseEnd.Equal(a.Now.Add(lease)) {
			t.Fatalf("first take: %+v %v", a, err)
		}
		b, err := db.TakeCarrierPermits(ctx, f.provider, 3, 5, "B", lease, 0, nil)
		if err != nil || len(b.Slots) != 1 || slices.Contains(a.Slots, b.Slots[0]) {
			t.Fatalf("second take: %+v %v (A holds %v)", b, err, a.Slots)
		}
		if !b.NextFree.Equal(a.LeaseEnd) {
			t.Fatalf("next free %v, want the earliest lease end %v", b.NextFree, a.LeaseEnd)
		}
		// A returns one permit, free a second from now: not before.
		freeAt := now.Add(time.Second)
		none, err := db.TakeCarrierPermits(ctx, f.provider, 3, 1, "B", lease, 0, nil)
		if err != nil || len(none.Slots) != 0 {
			t.Fatalf("take with every permit held: %+v %v", none, err)
		}
		if err := db.ReturnCarrierPermits(ctx, f.provider, "A", []store.PermitReturn{{Slot: a.Slots[0], FreeAt: freeAt}}); err != nil {
			t.Fatal(err)
		}
		early, err := db.TakeCarrierPermits(ctx, f.provider, 3, 1, "B", lease, 0, nil)
		if err != nil || len(early.Slots) != 0 || !early.NextFree.Equal(freeAt) {
			t.Fatalf("take before the returned permit frees: %+v %v", early, err)
		}
		now = freeAt
		late, err := db.TakeCarrierPermits(ctx, f.provider, 3, 1, "B", lease, 0, nil)
		if err != nil || !slices.Equal(late.Slots, a.Slots[:1]) {
			t.Fatalf("take once it frees: %+v %v, want %v", late, err, a.Slots[:1])
		}
		// Renewal: A's one live permit; B's two.
		if n, end, err := db.RenewCarrierPermits(ctx, f.provider, "A", lease); err != nil || n != 1 || !end.Equal(now.Add(lease)) {
			t.Fatalf("renew A: %d %v %v", n, end, err)
		}
		if n, _, err := db.RenewCarrierPermits(ctx, f.provider, "B", lease); err != nil || n != 2 {
			t.Fatalf("renew B: %d %v", n, err)
		}
		// A dies: its lease runs out and C takes the permit; A's late return changes nothing.
		now = now.Add(lease + time.Millisecond)
		if n, _, err := db.RenewCarrierPermits(ctx, f.provider, "A", lease); err != nil || n != 0 {
			t.Fatalf("renewing a lease that ran out: %d %v", n, err)
		}
		c, err := db.TakeCarrierPermits(ctx, f.provider, 3, 3, "C", lease, 0, nil)
		if err != nil || len(c.Slots) != 3 {
			t.Fatalf("take after every lease ran out: %+v %v", c, err)
		}
		if err := db.ReturnCarrierPermits(ctx, f.provider, "A", []store.PermitReturn{{Slot: a.Slots[1], FreeAt: now}}); err != nil {
			t.Fatal(err)
		}
		if again, err := db.TakeCarrierPermits(ctx, f.provider, 3, 1, "D", lease, 0, nil); err != nil || len(again.Slots) != 0 {
			t.Fatalf("a stale holder's return freed a permit C holds: %+v %v", again, err)
		}
		// A take hands back returns in the same trip; a lower rate stops using the permits above.
		back, err := db.TakeCarrierPermits(ctx, f.provider, 1, 1, "C", lease, 0,
			[]store.PermitReturn{{Slot: c.Slots[0], FreeAt: now}, {Slot: c.Slots[1], FreeAt: now}, {Slot: c.Slots[2], FreeAt: now}})
		if err != nil || !slices.Equal(back.Slots, []int{0}) {
			t.Fatalf("take with returns at rate 1: %+v %v", back, err)
		}
		if _, err := db.TakeCarrierPermits(ctx, f.provider, 0, 1, "C", lease, 0, nil); err == nil {
			t.Fatal("a take of a rate of 0 permits")
		}
	})
}

// TestAPermitIsTakenAheadOfItsSecond: a permit given back before it frees can be taken within
// ahead of the time it frees, never earlier, and comes with that time; a permit free now
// comes with now.
func TestAPermitIsTakenAheadOfItsSecond(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		const lease, ahead = time.Minute, 300 * time.Millisecond

		a, err := db.TakeCarrierPermits(ctx, f.provider, 2, 2, "A", lease, ahead, nil)
		if err != nil || len(a.Slots) != 2 || !a.FreeAt[0].Equal(now) || !a.FreeAt[1].Equal(now) {
			t.Fatalf("first take: %+v %v", a, err)
		}
		// A gives one back as its request is answered: free a second later.
		freeAt := now.Add(time.Second)
		if err := db.ReturnCarrierPermits(ctx, f.provider, "A", []store.PermitReturn{{Slot: a.Slots[0], FreeAt: freeAt}}); err != nil {
			t.Fatal(err)
		}
		if early, err := db.TakeCarrierPermits(ctx, f.provider, 2, 1, "B", lease, ahead, nil); err != nil || len(early.Slots) != 0 ||
			!early.NextFree.Equal(freeAt) {
			t.Fatalf("take more than ahead before it frees: %+v %v", early, err)
		}
		now = freeAt.Add(-ahead)
		b, err := db.TakeCarrierPermits(ctx, f.provider, 2, 2, "B", lease, ahead, nil)
		if err != nil || !slices.Equal(b.Slots, a.Slots[:1]) || !b.FreeAt[0].Equal(freeAt) {
			t.Fatalf("take within ahead: %+v %v, want slot %d from %v", b, err, a.Slots[0], freeAt)
		}
		if !b.LeaseEnd.Equal(now.Add(lease)) {
			t.Fatalf("lease end %v, want %v", b.LeaseEnd, now.Add(lease))
		}
	})
}

// TestTwoProcessesTakeDifferentPermits: two handles on one SQLite file (two processes), four
// goroutines each taking permits as fast as they can, giving them back before they free and
// taking them ahead: no permit is ever held twice, and none is handed out before the time it
// was given back with.
func TestTwoProcessesTakeDifferentPermits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "permits.db")
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, "sqlite:"+path, testKey)
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
	var (
		mu       sync.Mutex
		held     = map[int]string{}
		freeFrom = map[int]time.Time{}
		wg       sync.WaitGroup
	)
	for i, db := range dbs {
		for g := range 4 {
			by := string(rune('A'+i)) + string(rune('0'+g))
			wg.Go(func() {
				var mine []store.PermitReturn
				for range 30 {
					// A permit is no longer this goroutine's once it hands it back.
					mu.Lock()
					for _, r := range mine {
						delete(held, r.Slot)
					}
					mu.Unlock()
					got, err := db.TakeCarrierPermits(ctx, p, 5, 2, by, time.Minute, 20*time.Millisecond, mine)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					mine = nil
					for i, s := range got.Slots {
						if other, ok := held[s]; ok {
							t.Errorf("permit %d taken by %s while %s holds it", s, by, other)
						}
						if got.FreeAt[i].Before(freeFrom[s]) {
							t.Errorf("permit %d handed out free at %v, given back free at %v", s, got.FreeAt[i], freeFrom[s])
						}
						held[s] = by
						// Given back free 10 ms after the later of now and when it became usable.
						back := got.FreeAt[i].Add(10 * time.Millisecond).Truncate(time.Millisecond)
						freeFrom[s] = back
						mine = append(mine, store.PermitReturn{Slot: s, FreeAt: back})
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
}
