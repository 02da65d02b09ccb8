package process_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

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

// rateSim is the simulated carrier limiting at rate requests per one-second window, with a
// latency that spreads arrivals, and a client of it for each limiter (nil: no limiter).
func rateSim(t *testing.T, rate float64) (*tssim.Sim, func(lim waiter) *thingspace.Client) {
	t.Helper()
	sim, err := tssim.New(tssim.Config{RateLimit: rate, Latency: tssim.Latency{Mean: 20 * time.Millisecond, Jitter: 20 * time.Millisecond}},
		tssim.Seed{Accounts: []tssim.Account{{Name: account, ClientID: clientID, ClientSecret: clientSecret, Username: uwsUser, Password: uwsPassword}},
			Plans: []tssim.Plan{{Code: planCode, Name: "Plan A", SizeKb: 1024}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return sim, func(lim waiter) *thingspace.Client {
		cfg := thingspace.Config{BaseURL: srv.URL, TokenURL: "/api/ts/v1/oauth2/token", LoginPath: "/api/m2m/v1/session/login",
			ClientID: clientID, ClientSecret: clientSecret, Username: uwsUser, Password: uwsPassword, AccountName: account, ServiceType: "4G"}
		if lim != nil {
			cfg.Limiter = lim
		}
		c, err := thingspace.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// waiter is the client's Limiter.
type waiter interface{ Wait(context.Context) error }

// throttled counts the simulator's 429 answers, of every kind of call.
func throttled(sim *tssim.Sim) (n int) {
	for _, byStatus := range sim.Stats().Calls {
		n += byStatus["429"]
	}
	return n
}

// TestTwoProcessesNeverExceedTheCarriersWindow (issue 12, item 7): two limiters on two handles
// of one database file (two processes), three workers each calling the simulated carrier as
// fast as they can, the carrier counting requests per one-second window at the rate with
// ±20 ms of latency before it counts. Not one 429, the token and login calls included; both
// processes got permits. The same load without the limiter is throttled, so the carrier does
// count here.
func TestTwoProcessesNeverExceedTheCarriersWindow(t *testing.T) {
	const rate, calls = 10.0, 6
	ctx := context.Background()
	bareSim, bareClient := rateSim(t, rate)

	// Without a limiter: 3 × 6 calls at once go past 10 in a window.
	var wg sync.WaitGroup
	bare := bareClient(nil)
	for range 3 {
		wg.Go(func() {
			for range calls {
				_, _ = bare.Plans(ctx)
			}
		})
	}
	wg.Wait()
	if throttled(bareSim) == 0 {
		t.Fatal("the carrier throttled nothing without a limiter: the test proves nothing")
	}

	sim, client := rateSim(t, rate)

	dbs, p := sharedDB(t, 2)
	var (
		mu  sync.Mutex
		per = map[string]int{}
	)
	for i, db := range dbs {
		by := []string{"A", "B"}[i]
		lim := process.NewCarrierLimiter(process.CarrierLimiterConfig{Store: db, ProviderID: p, Rate: rate, By: by})
		c := client(lim)
		for range 3 {
			wg.Go(func() {
				for range calls {
					if _, err := c.Plans(ctx); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					per[by]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if n := throttled(sim); n != 0 {
		t.Fatalf("%d answers 429 through the shared limiter: %v", n, sim.Stats().Calls)
	}
	if per["A"] != 3*calls || per["B"] != 3*calls {
		t.Fatalf("calls per process %v", per)
	}
	if got := sim.Stats().Call(tssim.KindPlans, http.StatusOK); got != 6*calls {
		t.Fatalf("the carrier answered %d plan calls, want %d", got, 6*calls)
	}
}

// TestAClosedLimiterGivesItsPermitsBack: a process that ends (a command such as `idswap sync`,
// serve or worker on shutdown) closes its limiter, and every permit it held is free to the
// others once its second after the last answer is up, not when its lease ends a minute later.
// A request in flight at the close gives its permit back when its answer comes; after the
// close the limiter sends nothing more.
func TestAClosedLimiterGivesItsPermitsBack(t *testing.T) {
	const rate = 4
	ctx := context.Background()
	dbs, p := sharedDB(t, 2)
	a := process.NewCarrierLimiter(process.CarrierLimiterConfig{Store: dbs[0], ProviderID: p, Rate: rate, By: "A"})
	var releases []func()
	for range rate {
		release, err := a.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	for _, release := range releases[1:] {
		release()
	}

	// Closed with one request still in flight: its permit stays held until the answer.
	closed := make(chan error, 1)
	go func() { closed <- a.Close(ctx) }()
	if _, err := a.Acquire(ctx); !errors.Is(err, process.ErrLimiterClosed) {
		t.Fatalf("Acquire after Close: %v, want ErrLimiterClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with a request still in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	releases[0]()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

	// Another process takes all of them once the last one's second is up. Without the close
	// they would stay A's until the lease ends (a minute): the take would get none.
	time.Sleep(time.Second + 50*time.Millisecond)
	take, err := dbs[1].TakeCarrierPermits(ctx, p, rate, rate, "B", time.Minute, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(take.Slots) != rate {
		t.Fatalf("after A closed, B took %v of %d permits (next free %v)", take.Slots, rate, take.NextFree)
	}
}
