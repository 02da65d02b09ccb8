package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/store"
)

// A wait rests on the failures before it: once they are forgiven (older than Forget), the wait
// goes with them, even one that was set longer than that (by a rule since shortened, or by a
// server whose clock ran ahead). Otherwise a stale row keeps refusing the real user.
func TestStaleFailuresAreForgivenWithTheirWait(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		db.Now = func() time.Time { return now }
		rule := store.ThrottleRule{Free: 1, First: 3 * time.Hour, Most: 3 * time.Hour, Forget: time.Hour}
		claim := func() store.LoginClaim {
			t.Helper()
			c, err := db.ClaimLoginAttempt(ctx, "stale@example.com", "192.0.2.7", rule, rule)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := claim(); !c.Allowed {
			t.Fatalf("the first attempt: %+v, want allowed", c)
		}
		now = now.Add(30 * time.Minute)
		if c := claim(); c.Allowed {
			t.Fatalf("half an hour later, the failure still counts and its wait runs: %+v, want refused", c)
		}
		now = now.Add(31 * time.Minute)
		c := claim()
		if !c.Allowed {
			t.Fatalf("61 minutes after the only failure (forgotten after an hour) the attempt is refused: %+v", c)
		}
		if len(c.Started) != 2 {
			t.Fatalf("the attempt after forgiveness counts as the first failure of a new burst: %+v", c)
		}
	})
}

// A refused attempt counts nothing, for the account or the address: waiting out the wait is
// enough, and the next wait is the next in the doubling, however many attempts were refused.
func TestRefusedAttemptsCountNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		db.Now = func() time.Time { return now }
		rule := store.ThrottleRule{Free: 1, First: time.Minute, Most: time.Hour, Forget: 24 * time.Hour}
		claim := func() bool {
			t.Helper()
			c, err := db.ClaimLoginAttempt(ctx, "busy@example.com", "192.0.2.8", rule, rule)
			if err != nil {
				t.Fatal(err)
			}
			return c.Allowed
		}
		if !claim() { // the first failure: a minute's wait
			t.Fatal("the first attempt was refused")
		}
		for range 20 {
			now = now.Add(2 * time.Second)
			if claim() {
				t.Fatal("an attempt within the minute was allowed")
			}
		}
		now = now.Add(21 * time.Second) // 61 s after the first
		if !claim() {
			t.Fatal("after the minute the attempt was refused: the refused ones were counted")
		}
		now = now.Add(119 * time.Second) // the second failure's wait is two minutes
		if claim() {
			t.Fatal("within the second wait the attempt was allowed")
		}
		now = now.Add(2 * time.Second)
		if !claim() {
			t.Fatal("after two minutes the attempt was refused: the refused ones were counted")
		}
	})
}
