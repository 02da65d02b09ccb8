package auth_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// Failures older than an hour are forgiven, and so is any wait they set: a throttle row left
// with a longer wait (by an earlier, stricter rule, or a server whose clock ran ahead) does not
// keep the real user out once its failures are stale.
func TestStaleFailuresDoNotKeepTheUserOut(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	db.Now = func() time.Time { return now }
	stricter := store.ThrottleRule{Free: 1, First: 3 * time.Hour, Most: 3 * time.Hour, Forget: time.Hour}
	if c, err := db.ClaimLoginAttempt(ctx, "a@example.com", "192.0.2.1", stricter, auth.AddrRule); err != nil || !c.Allowed {
		t.Fatalf("the failure under the stricter rule: %+v %v", c, err)
	}
	s := auth.New(db)
	now = now.Add(30 * time.Minute)
	if _, err := s.Login(ctx, "a@example.com", "right password", "192.0.2.1"); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("half an hour after the failure, within its wait: %v, want the refusal", err)
	}
	now = now.Add(31 * time.Minute) // the failure is 61 minutes old: forgiven (auth.AccountRule.Forget)
	if u, err := s.Login(ctx, "a@example.com", "right password", "192.0.2.1"); err != nil || u.Email != "a@example.com" {
		t.Fatalf("the right password once the only failure is stale: %v, want signed in", err)
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

// BenchmarkLoginOutcomes times the three refusals of finding 2 — an unknown address, a wrong
// password, and a throttled account given the right password — whose times must agree within
// 10% (go test -run '^$' -bench LoginOutcomes ./internal/auth). bcrypt runs at the production
// cost. The three take turns in every round, so a shared machine whose load changes during the
// run slows them alike; each reports its median wall time as <outcome>-ms and spread-% as
// (slowest - fastest) / fastest of those medians. On a loaded machine wall time is mostly
// waiting for a core, so each also reports the median CPU time of its thread (<outcome>-cpu-ms,
// cpu-spread-%; Linux): the work done, which is what an idle server's answer time is.
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
	for _, email := range []string{"a@example.com", "b@example.com"} {
		hash, _ := auth.HashPassword("right password")
		if _, err := db.CreateUser(ctx, store.NewUser{Email: email, DisplayName: "A", PasswordHash: hash, Role: store.RoleAdmin}, "test"); err != nil {
			b.Fatal(err)
		}
	}
	// Each outcome has its own clock and client address. The unknown and the wrong attempts
	// are an hour apart, so each is a counted failure that is never throttled; the throttled
	// account's clock stands still, inside the wait its three failures started.
	frozen := time.Now().UTC().Truncate(time.Millisecond)
	moving := frozen
	now := frozen
	cs := &countingStore{DB: db}
	cs.Now = func() time.Time { return now }
	s := auth.New(cs)
	for range 3 {
		_, _ = s.Login(ctx, "b@example.com", "wrong password", "10.0.0.3")
	}
	outcomes := []struct {
		name, email, password, addr string
		checked                     int32 // claims allowed by the throttle: 1, or 0 when throttled
	}{
		{"unknown", "nobody@example.com", "right password", "10.0.0.1", 1},
		{"wrong", "a@example.com", "wrong password", "10.0.0.2", 1},
		{"throttled", "b@example.com", "right password", "10.0.0.3", 0},
	}
	times := make([][]time.Duration, len(outcomes))
	cpu := make([][]time.Duration, len(outcomes))
	runtime.LockOSThread() // Login runs on this goroutine (bcrypt and the pure-Go SQLite), so on this thread
	defer runtime.UnlockOSThread()
	round := 0
	for b.Loop() {
		round++
		moving = moving.Add(time.Hour)
		for k := range outcomes {
			o := outcomes[(round+k)%len(outcomes)] // each outcome goes first, second and third in turn
			now = moving
			if o.checked == 0 {
				now = frozen
			}
			before := cs.allowed.Load()
			cpu0 := threadCPU()
			start := time.Now()
			_, err := s.Login(ctx, o.email, o.password, o.addr)
			d, c := time.Since(start), threadCPU()-cpu0
			if !apperr.Is(err, apperr.Unauthorized) {
				b.Fatalf("%s: %v, want the refusal", o.name, err)
			}
			if got := cs.allowed.Load() - before; got != o.checked {
				b.Fatalf("%s: %d claims allowed, want %d", o.name, got, o.checked)
			}
			i := (round + k) % len(outcomes)
			times[i] = append(times[i], d)
			cpu[i] = append(cpu[i], c)
		}
	}
	report := func(ts [][]time.Duration, unit string) {
		var fastest, slowest time.Duration
		for i, o := range outcomes {
			slices.Sort(ts[i])
			m := ts[i][len(ts[i])/2]
			b.ReportMetric(float64(m)/float64(time.Millisecond), o.name+"-"+unit)
			if fastest == 0 || m < fastest {
				fastest = m
			}
			slowest = max(slowest, m)
		}
		if fastest > 0 {
			b.ReportMetric(100*float64(slowest-fastest)/float64(fastest), strings.TrimSuffix(unit, "ms")+"spread-%")
		}
	}
	report(times, "ms")
	if threadCPU() > 0 {
		report(cpu, "cpu-ms")
	}
}

// threadCPU is the CPU time (user and system) the calling OS thread has used, or 0 where the
// system cannot tell (RUSAGE_THREAD is Linux's).
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
