package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// runningApp is `idswap serve --demo` started in-process on a free port with its own data folder.
type runningApp struct {
	URL     string
	DataDir string
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startApp runs the real command the README tells people to run (`idswap serve --demo`, with
// args added to it), and stops it when the test ends. The server's log is printed only if the
// test failed.
func startApp(t *testing.T, args ...string) *runningApp {
	t.Helper()
	getenv := func(k string) string {
		if k == "IDSWAP_LOG_LEVEL" {
			return "warn"
		}
		return ""
	}
	return startServe(t, getenv, append([]string{"--demo"}, args...)...)
}

// startAppHolding is startApp on a carrier simulator (cfg) behind a gate: once hold is called,
// every change request waits at the carrier until the test ends, so a request stays running for
// as long as a test looks at it. The waiting requests are answered 503 before the app and the
// carrier stop.
func startAppHolding(t *testing.T, cfg tssim.Config) (app *runningApp, hold func()) {
	t.Helper()
	sim, err := tssim.New(cfg, demo.Build().Carrier)
	if err != nil {
		t.Fatal(err)
	}
	var holding atomic.Bool
	release := make(chan struct{})
	carrier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if holding.Load() && r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/actions/deviceId") {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			http.Error(w, "the test's carrier is closing", http.StatusServiceUnavailable)
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() { carrier.Close(); sim.Close() })
	app = startApp(t, "--tssim-url", carrier.URL)
	t.Cleanup(func() { close(release) }) // before the app and the carrier stop
	return app, func() { holding.Store(true) }
}

// startServe runs `idswap serve` with a data folder of its own on a free port, with args added
// and the environment getenv gives, and stops it when the test ends.
func startServe(t *testing.T, getenv func(string) string, args ...string) *runningApp {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, args...), getenv, strings.NewReader(""), outW, logs)
		_ = outW.Close() // a pipe writer's Close never fails
	}()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			line := sc.Text()
			_, _ = logs.Write([]byte(line + "\n")) // a bytes.Buffer write never fails
			if rest, ok := strings.CutPrefix(line, "idswap is running at "); ok {
				urlc <- strings.Fields(rest)[0]
			}
		}
	}()
	app := &runningApp{DataDir: dir, logs: logs}
	select {
	case app.URL = <-urlc:
	case err := <-done:
		cancel()
		t.Fatalf("idswap serve stopped before it listened: %v\n%s", err, logs)
	// The demo is built through onboarding and a sync of 2,268 lines on first start: 2 s on
	// its own, but under -race on a loaded shared machine it took 47 s where seeding took 29 s.
	case <-time.After(150 * time.Second):
		cancel()
		t.Fatalf("idswap serve did not start in 150 s\n%s", logs)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("idswap serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("idswap serve did not stop within 30 s of its context ending")
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs)
		}
	})
	return app
}

// openDB opens the running app's database from outside, as another process would, with the
// settings demo mode derives from its data folder (the DSN and the key that seals secrets).
func (app *runningApp) openDB(t *testing.T) (*store.DB, *config.Config) {
	t.Helper()
	cfg := &config.Config{Demo: true, DataDir: app.DataDir}
	if err := cfg.Resolve(func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), cfg.DSN, cfg.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, cfg
}

// demoBatch stores a request of n SIM swaps for Acme's first active devices, with spare SIMs of
// the demo carrier, as the request wizard would (the reason in each row's request too).
func demoBatch(t *testing.T, db *store.DB, n int) (int64, []store.DeviceChange) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, demo.AcmeManager)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Devices(ctx, store.DeviceFilter{TenantID: *u.TenantID, StatusID: store.DeviceStatusActive, Limit: n})
	if err != nil || len(ds) != n {
		t.Fatalf("devices: %d %v", len(ds), err)
	}
	// The demo world is built from a fixed seed: these are the spare SIMs the app's carrier has.
	sims := demo.Build().Carrier.SIMs
	const reason = "SIMs failed in the field"
	var rows []store.NewDeviceChange
	for i, d := range ds {
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, NewICCID: sims[i].ICCID,
			Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: sims[i].ICCID, OldIMEI: d.IMEI, Reason: reason})})
	}
	id, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: *u.TenantID, ServiceProviderID: ds[0].ServiceProviderID,
		Type: change.ChangeICCID, Reason: reason, RequestedBy: u, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
	if err != nil || len(got) != n {
		t.Fatalf("rows: %d %v", len(got), err)
	}
	return id, got
}

// newBrowser starts headless Chromium for a test. Without a browser the test is skipped,
// unless IDSWAP_REQUIRE_BROWSER is set (CI sets it), in which case it fails.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, 90*time.Second)
}

// newBrowserFor is newBrowser for a test that needs the browser for longer than 90 s.
func newBrowserFor(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path := os.Getenv("IDSWAP_CHROMIUM")
	if path == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if found, err := exec.LookPath(p); err == nil {
				path = found
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("IDSWAP_REQUIRE_BROWSER") != "" {
			t.Fatal("no Chromium found and IDSWAP_REQUIRE_BROWSER is set: install Debian's chromium")
		}
		t.Skip("no Chromium found (apt-get install chromium); set IDSWAP_REQUIRE_BROWSER=1 to make this a failure")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// signIn signs a demo user in through the form.
func signIn(t *testing.T, ctx context.Context, app *runningApp, email string) {
	t.Helper()
	signInWith(t, ctx, app, email, "idswap-demo")
}

// signInWith signs a user in through the form with their password.
func signInWith(t *testing.T, ctx context.Context, app *runningApp, email, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.Login),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=whoami]`)),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
}

func TestBrowserManagerSeesOnlyTheirTenantsDevices(t *testing.T) {
	app := startApp(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, "manager@acme.example")

	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.Devices)); err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=pager-summary]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(summary, "1210 results") {
		t.Fatalf("Acme's inventory: %q, want 1210 devices", summary)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=whoami]`)))
	if err != nil || !strings.Contains(who, "Acme Logistics") {
		t.Fatalf("whoami: %q %v", who, err)
	}
}
