package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
	"github.com/idswap/idswap/web"
)

// env is the portal over real HTTP on a seeded SQLite database: the demo world, with its two
// tenants and three users whose password is demoPassword.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	db       *store.DB
	world    demo.World
	provider int64
	logs     *strings.Builder
	dbPath   string
	engine   *process.Engine
	outbox   string // the demo outbox folder the engine writes e-mails to
}

const demoPassword = "idswap-demo"

// demoHash is computed once: bcrypt at the lowest cost, since these tests are not about bcrypt.
var demoHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

var testKey = []byte("0123456789abcdef0123456789abcdef")

// seeded is a migrated, seeded database file made once per test binary; each test works on a
// copy, which takes milliseconds where seeding takes a second under the race detector.
var seeded struct {
	once  sync.Once
	path  string
	world demo.World
	err   error
}

func seededCopy(t *testing.T) (string, demo.World) {
	t.Helper()
	seeded.once.Do(func() {
		dir, err := os.MkdirTemp("", "idswap-web-test")
		if err != nil {
			seeded.err = err
			return
		}
		seeded.path = filepath.Join(dir, "seed.db")
		ctx := context.Background()
		db, err := store.Open(ctx, "sqlite:"+seeded.path, testKey)
		if err != nil {
			seeded.err = err
			return
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			seeded.err = err
			return
		}
		seeded.world = demo.Build()
		seeded.err = buildDemo(ctx, db, seeded.world)
		if seeded.err == nil {
			// Fold the WAL into the main file so that copying that one file copies everything.
			seeded.err = db.Checkpoint(ctx)
		}
	})
	if seeded.err != nil {
		t.Fatal(seeded.err)
	}
	b, err := os.ReadFile(seeded.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "web.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, seeded.world
}

// buildDemo builds the demo world as serve --demo does (demo.Setup: onboarding, then a sync of
// a simulator holding the demo's lines), then points the provider at an address where no
// carrier answers, as these tests expect, and gives the demo users a cheap password hash.
func buildDemo(ctx context.Context, db *store.DB, w demo.World) error {
	sim, err := tssim.New(tssim.DefaultConfig(), w.Carrier)
	if err != nil {
		return err
	}
	srv := httptest.NewServer(sim.Handler())
	defer func() { srv.Close(); sim.Close() }()
	pid, _, err := demo.Setup(ctx, db, w, demo.SetupOptions{BaseURL: srv.URL, Password: demoPassword, CallbackSecret: "test-callback-secret"})
	if err != nil {
		return err
	}
	if err := db.SetBaseURL(ctx, pid, "http://127.0.0.1:1", "test"); err != nil {
		return err
	}
	for _, u := range w.Users {
		got, err := db.UserByEmail(ctx, u.Email)
		if err != nil {
			return err
		}
		if err := db.SetPassword(ctx, got.ID, demoHash, "test"); err != nil {
			return err
		}
	}
	return nil
}

// newEnvWith is newEnv with one change to the web configuration.
func newEnvWith(t *testing.T, configure func(*web.Config)) *env {
	t.Helper()
	if configure == nil {
		return newEnv(t)
	}
	return newEnv(t, configure)
}

// newEnv starts the portal; edit, when given, adjusts its configuration first.
func newEnv(t *testing.T, edit ...func(*web.Config)) *env {
	t.Helper()
	ctx := context.Background()
	path, world := seededCopy(t)
	db, err := store.Open(ctx, "sqlite:"+path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ps, err := db.Providers(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("providers: %v %v", ps, err)
	}
	pid := ps[0].ID
	logs := &strings.Builder{}
	outbox := filepath.Join(t.TempDir(), "outbox")
	eng := process.New(process.Config{Store: db, Mail: notify.NewOutbox(outbox), MailFrom: "idswap@test.example"})
	requests := request.New(db)
	requests.UseCarrier(eng)
	cfg := web.Config{
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Store:      db,
		Auth:       auth.New(db),
		SessionKey: []byte("session-key-for-tests-0123456789"),
		Requests:   requests,
		Engine:     eng,
		OutboxDir:  outbox,
		Onboard:    onboard.New(db),
		Inventory:  inventory.New(db),
	}
	for _, fn := range edit {
		fn(&cfg)
	}
	s := web.New(cfg)
	srv := httptest.NewServer(s)
	eng.SetPublicURL(srv.URL)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() && logs.Len() > 0 {
			t.Logf("server log:\n%s", logs)
		}
	})
	return &env{t: t, srv: srv, db: db, world: world, provider: pid, logs: logs, dbPath: path, engine: eng, outbox: outbox}
}

// client is one browser: a cookie jar, no automatic redirects, and the page's CSRF token.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn returns a client signed in as one of the demo users.
func (e *env) signIn(email string) *client {
	c := e.client()
	c.get(paths.Login)
	res, _ := c.postForm(paths.Login, url.Values{"email": {email}, "password": {demoPassword}})
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in as %s: status %d", email, res.StatusCode)
	}
	c.get(paths.Devices) // picks up the CSRF token rotated at sign-in
	return c
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	body := string(b)
	if m := csrfInput.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return res, body
}

func (c *client) get(path string, headers ...string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// postForm posts a form with the client's CSRF token (unless the form has its own _csrf).
func (c *client) postForm(path string, form url.Values, headers ...string) (*http.Response, string) {
	c.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// spareSIM returns the i-th spare SIM of the demo carrier: a valid ICCID on no device.
func (e *env) spareSIM(i int) string {
	e.t.Helper()
	sims := e.world.Carrier.SIMs
	if i >= len(sims) {
		e.t.Fatalf("the demo has %d spare SIMs", len(sims))
	}
	return sims[i].ICCID
}

// tenantID finds a demo tenant's id.
func (e *env) tenantID(name string) int64 {
	e.t.Helper()
	ts, err := e.db.Tenants(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range ts {
		if t.Name == name {
			return t.ID
		}
	}
	e.t.Fatalf("no tenant %q", name)
	return 0
}

// batch makes a request of n SIM changes for a tenant's devices from the offset-th on, as the
// wizard would store it (the reason in each row's request too), and returns its id and rows.
func (e *env) batch(tenant, requester string, offset, n, firstSIM int) (int64, []store.DeviceChange) {
	e.t.Helper()
	ctx := context.Background()
	tid := e.tenantID(tenant)
	u, err := e.db.UserByEmail(ctx, requester)
	if err != nil {
		e.t.Fatal(err)
	}
	ds, _, err := e.db.Devices(ctx, store.DeviceFilter{TenantID: tid, Limit: n, Offset: offset})
	if err != nil || len(ds) != n {
		e.t.Fatalf("devices: %d %v", len(ds), err)
	}
	const reason = "SIMs failed in the field"
	var rows []store.NewDeviceChange
	for i, d := range ds {
		sim := e.spareSIM(firstSIM + i)
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, NewICCID: sim,
			Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: sim, OldIMEI: d.IMEI, Reason: reason})})
	}
	id, _, err := e.db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: tid, ServiceProviderID: e.provider, Type: change.ChangeICCID,
		Reason: reason, RequestedBy: u, Rows: rows})
	if err != nil {
		e.t.Fatal(err)
	}
	got, _, err := e.db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
	if err != nil || len(got) != n {
		e.t.Fatalf("rows: %v %v", got, err)
	}
	return id, got
}
