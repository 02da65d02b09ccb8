package auth_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/store"
)

func TestThrottleRules(t *testing.T) {
	tests := []struct {
		rule     store.ThrottleRule
		failures int
		want     time.Duration
	}{
		{auth.AccountRule, 0, 0}, {auth.AccountRule, 2, 0},
		{auth.AccountRule, 3, 2 * time.Second}, {auth.AccountRule, 4, 4 * time.Second}, {auth.AccountRule, 5, 8 * time.Second},
		{auth.AccountRule, 10, 256 * time.Second}, {auth.AccountRule, 11, 5 * time.Minute}, {auth.AccountRule, 400, 5 * time.Minute},
		{auth.AddrRule, 9, 0}, {auth.AddrRule, 10, time.Second}, {auth.AddrRule, 12, 4 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.rule.Delay(tt.failures); got != tt.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.rule, tt.failures, got, tt.want)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")) != nil {
		t.Fatal("the hash does not match its password")
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horsE")) == nil {
		t.Fatal("the hash matches another password")
	}
	if again, _ := auth.HashPassword("correct horse"); again == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"short", strings.Repeat("x", 73)} {
		if _, err := auth.HashPassword(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("HashPassword of %d characters: %v, want an invalid error", len(bad), err)
		}
	}
}

func TestHashTokenIsTheTokensSHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("idsw_abc"))
	if got := auth.HashToken("idsw_abc"); got != hex.EncodeToString(sum[:]) || auth.HashToken("idsw_abd") == got {
		t.Fatalf("HashToken = %q", got)
	}
}

// testDB is a migrated SQLite database with one admin whose password is "right password".
func testDB(t *testing.T) *store.DB {
	t.Helper()
	db, _ := testDBAt(t)
	return db
}

// rawDB opens the test database file directly, to look at what the store wrote.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testDBAt(t *testing.T) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	db, err := store.Open(ctx, "sqlite:"+path, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("right password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, store.NewUser{Email: "a@example.com", DisplayName: "A", PasswordHash: string(hash), Role: store.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// Finding 2: an unknown address, a wrong password and a throttled account (even with the right
// password) get the same words, and each runs bcrypt exactly once — the same work, so the same
// time (measured in BenchmarkLoginOutcomes).
func TestLoginAnswersAlikeAndDoesTheSameWork(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	s := auth.New(db)
	var compares int
	s.SetCompare(func(h, p []byte) error { compares++; return bcrypt.CompareHashAndPassword(h, p) })
	try := func(email, password string) (string, int) {
		t.Helper()
		before := compares
		_, err := s.Login(ctx, email, password, "192.0.2.1")
		if !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("%s / %s: %v, want a refusal", email, password, err)
		}
		return apperr.MessageOf(err), compares - before
	}
	unknownMsg, unknownN := try("nobody@example.com", "right password")
	wrongMsg, wrongN := try("a@example.com", "wrong password")
	try("a@example.com", "wrong password")
	try("a@example.com", "wrong password")
	throttledMsg, throttledN := try("a@example.com", "right password") // three failures: throttled
	if unknownMsg != wrongMsg || wrongMsg != throttledMsg || strings.Contains(throttledMsg, "Too many") {
		t.Fatalf("the answers differ:\nunknown:   %s\nwrong:     %s\nthrottled: %s", unknownMsg, wrongMsg, throttledMsg)
	}
	if unknownN != 1 || wrongN != 1 || throttledN != 1 {
		t.Fatalf("bcrypt ran %d, %d, %d times for unknown, wrong, throttled; want once each", unknownN, wrongN, throttledN)
	}
}

// A throttled user is slowed down, not locked out: once the wait is over the right password works.
func TestThrottledUserGetsInAfterTheWait(t *testing.T) {
	ctx := context.Background()
	db, path := testDBAt(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	db.Now = func() time.Time { return now }
	s := auth.New(db)
	var bursts []string
	s.OnThrottle = func(kind string) { bursts = append(bursts, kind) }
	for range 3 {
		if _, err := s.Login(ctx, "a@example.com", "wrong password", "192.0.2.1"); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatal(err)
		}
	}
	if _, err := s.Login(ctx, "a@example.com", "right password", "192.0.2.1"); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("the right password right after three failures: %v, want the wait", err)
	}
	now = now.Add(2100 * time.Millisecond)
	if u, err := s.Login(ctx, "a@example.com", "right password", "192.0.2.1"); err != nil || u.Email != "a@example.com" {
		t.Fatalf("the right password after the wait: %v", err)
	}
	if len(bursts) != 1 || bursts[0] != store.ThrottleAccount {
		t.Fatalf("bursts reported: %v, want one for the account", bursts)
	}
	var events int
	err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM AuditEvent WHERE Action = ?`, string(store.ActionLoginThrottled)).Scan(&events)
	if err != nil || events != 1 {
		t.Fatalf("throttle audit events: %d %v, want 1", events, err)
	}
}

// countingStore is the real store with the allowed claims counted.
type countingStore struct {
	*store.DB
	allowed atomic.Int32
}

func (c *countingStore) ClaimLoginAttempt(ctx context.Context, account, addr string, a, b store.ThrottleRule) (store.LoginClaim, error) {
	cl, err := c.DB.ClaimLoginAttempt(ctx, account, addr, a, b)
	if cl.Allowed {
		c.allowed.Add(1)
	}
	return cl, err
}

// Finding 2: 50 guesses sent at once get 3 checked, not 14: the count is kept atomically.
func TestParallelGuessesAreCountedAtomically(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{DB: testDB(t)}
	s := auth.New(cs)
	s.SetCompare(func(h, p []byte) error { return bcrypt.ErrMismatchedHashAndPassword }) // speed: the count is under test
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			_, err := s.Login(ctx, "a@example.com", "guess", fmt.Sprintf("198.51.100.%d", i))
			if !apperr.Is(err, apperr.Unauthorized) {
				t.Errorf("guess %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := cs.allowed.Load(); n != 3 {
		t.Fatalf("%d of 50 parallel guesses were checked, want 3", n)
	}
}

// One client address guessing many accounts is slowed down too.
func TestOneAddressIsThrottledAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{DB: testDB(t)}
	now := time.Now().UTC().Truncate(time.Millisecond)
	cs.Now = func() time.Time { return now } // frozen: bcrypt's time must not run out the 1 s wait
	s := auth.New(cs)
	for i := range 12 {
		_, _ = s.Login(ctx, fmt.Sprintf("user%d@example.com", i), "guess", "203.0.113.9")
	}
	if n := cs.allowed.Load(); n != 10 {
		t.Fatalf("%d of 12 guesses from one address at 12 accounts were checked, want 10", n)
	}
	if _, err := s.Login(ctx, "a@example.com", "right password", "203.0.113.10"); err != nil {
		t.Fatalf("another address is not throttled: %v", err)
	}
}

// BenchmarkLoginOutcomes times the three refusals; their times must agree within 10%
// (go test -bench LoginOutcomes ./internal/auth). bcrypt runs at the production cost.
func BenchmarkLoginOutcomes(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "auth.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.HashPassword("right password")
	if _, err := db.CreateUser(ctx, store.NewUser{Email: "a@example.com", DisplayName: "A", PasswordHash: hash, Role: store.RoleAdmin}, "test"); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	db.Now = func() time.Time { return now }
	s := auth.New(db)
	for _, c := range []struct{ name, email, password string }{
		{"unknown", "nobody@example.com", "right password"},
		{"wrong", "a@example.com", "wrong password"},
		{"throttled", "a@example.com", "right password"},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				addr := fmt.Sprintf("10.%d.%d.1", i/250, i%250) // keep the address rule out of it
				if c.name == "wrong" {
					now = now.Add(time.Hour) // the account is never throttled: each failure is forgotten
				}
				if _, err := s.Login(ctx, c.email, c.password, addr); !apperr.Is(err, apperr.Unauthorized) {
					b.Fatal(err)
				}
			}
		})
	}
}
