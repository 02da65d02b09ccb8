package process_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/notify/mailtest"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// The carrier account both sides know.
const (
	account        = "0000123456-00001"
	clientID       = "rig-client"
	clientSecret   = "rig-client-secret"
	uwsUser        = "rig-uws"
	uwsPassword    = "rig-uws-password"
	callbackSecret = "rig-callback-secret-0123456789"
	requester      = "m@acme.example"
	notifyAddr     = "iot-ops@acme.example"
	fromAddr       = "idswap@acme.example"
	planCode       = "PLAN-A"
)

// line is one device, the same in the inventory and at the carrier, with the spare SIM and
// device set aside for it.
type line struct {
	DeviceID              int64
	ICCID, IMEI, MDN      string
	SpareICCID, SpareIMEI string
}

// rig is a whole world for the engine: a SQLite database and a simulated carrier seeded with
// the same lines, a callback receiver in front of whichever engine is current, and an SMTP
// server for the result e-mails.
type rig struct {
	t        testing.TB
	path     string
	db       *store.DB
	sim      *tssim.Sim
	carrier  *httptest.Server
	callback *httptest.Server
	mail     *mailtest.Server
	provider int64
	tenant   int64
	user     *store.User
	lines    []line
	// other and otherUser are the second tenant and its manager (newRigOf), which holds the
	// last lines.
	other     int64
	otherUser *store.User
	logs      *syncBuffer

	current atomic.Pointer[process.Engine]
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// luhn appends the check digit to digits.
func luhn(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + fmt.Sprint((10-sum%10)%10)
}

// newRig builds a world of n lines. simCfg adjusts the carrier.
func newRig(tb testing.TB, n int, simCfg tssim.Config) *rig { return newRigOf(tb, n, 0, simCfg) }

// newRigOf builds a world of n lines, the last other of them in a second tenant, Globex, with
// its own manager.
func newRigOf(tb testing.TB, n, other int, simCfg tssim.Config) *rig {
	r := &rig{t: tb, logs: &syncBuffer{}}
	ctx := context.Background()
	seed := tssim.Seed{
		Accounts: []tssim.Account{{Name: account, ClientID: clientID, ClientSecret: clientSecret, Username: uwsUser, Password: uwsPassword}},
		Plans:    []tssim.Plan{{Code: planCode, Name: "Plan A", SizeKb: 1024}},
		TACs:     []tssim.TACRange{{TAC: "35332011", Make: "Quectel", Model: "EG91", NetworkType: tssim.NetworkCat1}},
	}
	data := store.SeedData{
		Tenants: []string{"Acme"},
		Users:   []store.SeedUser{{Email: requester, DisplayName: "M", Role: store.RoleManager, TenantName: "Acme", PasswordHash: "x"}},
		Provider: store.Provider{Name: "TS", DisplayName: "Verizon ThingSpace", NotificationEmail: notifyAddr,
			FromEmail: fromAddr, RegisterCallback: true},
		Plans: []store.SeedPlan{{Code: planCode, Name: "Plan A", ShortName: "A", PlanMB: 1}},
	}
	if other > 0 {
		data.Tenants = append(data.Tenants, "Globex")
		data.Users = append(data.Users, store.SeedUser{Email: "m@globex.example", DisplayName: "G", Role: store.RoleManager, TenantName: "Globex", PasswordHash: "x"})
	}
	for i := range n {
		l := line{ICCID: luhn(fmt.Sprintf("8914800000%09d", i)), IMEI: luhn(fmt.Sprintf("35332011%06d", i)),
			MDN: fmt.Sprintf("512%07d", i), SpareICCID: luhn(fmt.Sprintf("8914800001%09d", i)),
			SpareIMEI: luhn(fmt.Sprintf("35332011%06d", 500000+i))}
		r.lines = append(r.lines, l)
		tenant := "Acme"
		if i >= n-other {
			tenant = "Globex"
		}
		data.Devices = append(data.Devices, store.SeedDevice{TenantName: tenant, ICCID: l.ICCID, IMEI: l.IMEI, MSISDN: l.MDN,
			StatusID: store.DeviceStatusActive, PlanCode: planCode, Description: fmt.Sprint("device ", i)})
		seed.Lines = append(seed.Lines, tssim.Line{Account: account, MDN: l.MDN, ICCID: l.ICCID, IMEI: l.IMEI,
			State: tssim.StateActive, ServicePlan: planCode})
		seed.SIMs = append(seed.SIMs, tssim.SIM{ICCID: l.SpareICCID})
		seed.Devices = append(seed.Devices, tssim.Hardware{IMEI: l.SpareIMEI})
	}
	var err error
	if r.sim, err = tssim.New(simCfg, seed); err != nil {
		tb.Fatal(err)
	}
	r.carrier = httptest.NewServer(r.sim.Handler())
	tb.Cleanup(func() { r.carrier.Close(); r.sim.Close() })

	r.path = filepath.Join(tb.TempDir(), "engine.db")
	r.db = r.open(tb)
	if _, err := r.db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	data.Credentials = store.Credentials{BaseURL: r.carrier.URL, ClientID: clientID, ClientSecret: clientSecret,
		AuthTokenURL: "/api/ts/v1/oauth2/token", AuthURL: "/api/m2m/v1/session/login", Username: uwsUser,
		Password: uwsPassword, AccountNumber: account, WriteIsEnabled: true, ServiceType: "4G", CallbackSecret: callbackSecret}
	if _, r.provider, err = r.db.Seed(ctx, data, "test"); err != nil {
		tb.Fatal(err)
	}
	ts, err := r.db.Tenants(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	r.tenant = ts[0].ID
	if r.user, err = r.db.UserByEmail(ctx, requester); err != nil {
		tb.Fatal(err)
	}
	devices, _, err := r.db.Devices(ctx, store.DeviceFilter{TenantID: r.tenant, Limit: n + 1})
	if err != nil {
		tb.Fatal(err)
	}
	if other > 0 {
		r.other = ts[1].ID
		if r.otherUser, err = r.db.UserByEmail(ctx, "m@globex.example"); err != nil {
			tb.Fatal(err)
		}
		theirs, _, err := r.db.Devices(ctx, store.DeviceFilter{TenantID: r.other, Limit: n + 1})
		if err != nil {
			tb.Fatal(err)
		}
		devices = append(devices, theirs...)
	}
	byICCID := map[string]int64{}
	for _, d := range devices {
		byICCID[d.ICCID] = d.ID
	}
	for i := range r.lines {
		r.lines[i].DeviceID = byICCID[r.lines[i].ICCID]
	}

	// The callback receiver: what web/callback.go does, in front of the current engine.
	r.callback = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		secret, ok := strings.CutPrefix(req.URL.Path, "/thingspace/callbacks/")
		if req.Method != http.MethodPost || !ok {
			http.NotFound(w, req)
			return
		}
		pid, err := r.db.ProviderIDByCallbackSecret(req.Context(), secret)
		if err != nil {
			http.NotFound(w, req)
			return
		}
		body, _ := io.ReadAll(req.Body)
		e := r.current.Load()
		if e == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		err = e.HandleCallback(req.Context(), pid, body)
		if errors.Is(err, process.ErrCallbackRejected) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(r.callback.Close)
	r.mail = mailtest.Start(tb, mailtest.Options{TLS: "none"})
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("engine log:\n%s", r.logs.String())
		}
	})
	return r
}

// open opens another handle on the rig's database: another "process".
func (r *rig) open(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+r.path, testKey)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// running is one engine with its queue, as `idswap serve` runs them.
type running struct {
	engine *process.Engine
	queue  *queue.Queue
	db     *store.DB
	cancel context.CancelFunc
	done   chan struct{}
}

// stop shuts the queue down gracefully and waits.
func (rn *running) stop() {
	rn.cancel()
	<-rn.done
}

// engineConfig is the engine's configuration for tests: short waits, a fast carrier.
func (r *rig) engineConfig(db *store.DB) process.Config {
	smtp, err := notify.NewSMTP(notify.SMTPConfig{Host: r.mail.Host, Port: r.mail.Port, TLS: "none"})
	if err != nil {
		r.t.Fatal(err)
	}
	return process.Config{Store: db, Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		WritesEnabled: true, CarrierRate: 1000, CallbackWait: 50 * time.Millisecond, CheckInterval: 50 * time.Millisecond,
		// The horizon is long: a slow (race-detector) run must not give rows up.
		Checks: 3, ConfirmHorizon: 30 * time.Second, CallTimeout: 5 * time.Second, Mail: smtp, MailFrom: "idswap@default.example"}
}

// queueConfig's lease is longer than any test runs: a live engine never loses a job to its own
// dispatcher, however loaded the machine (under -race a SQLite write can wait a second for the
// one write lock, and a 1 s lease once let check jobs run twice and log their verdict twice).
// A test of take-overs shortens the lease of the engine it kills.
func (r *rig) queueConfig(db *store.DB) queue.Config {
	return queue.Config{Store: db, Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Workers: 8, Lease: 10 * time.Minute, Poll: 50 * time.Millisecond, Backoff: 10 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Grace: 5 * time.Second}
}

// start runs an engine on db (nil: the rig's own handle), made current for callbacks.
func (r *rig) start(db *store.DB, edit func(*process.Config, *queue.Config)) *running {
	r.t.Helper()
	if db == nil {
		db = r.db
	}
	ecfg, qcfg := r.engineConfig(db), r.queueConfig(db)
	if edit != nil {
		edit(&ecfg, &qcfg)
	}
	e := process.New(ecfg)
	e.SetPublicURL(r.callback.URL)
	q := queue.New(qcfg)
	for kind, h := range e.Handlers() {
		q.Handle(kind, h)
	}
	db.OnEnqueue = q.Wake
	if err := e.RegisterCallbacks(context.Background()); err != nil {
		r.t.Logf("registering the callback listener: %v", err)
	}
	r.current.Store(e)
	ctx, cancel := context.WithCancel(context.Background())
	rn := &running{engine: e, queue: q, db: db, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rn.done)
		if err := q.Run(ctx); err != nil {
			r.t.Error(err)
		}
	}()
	r.t.Cleanup(func() { cancel(); <-rn.done })
	return rn
}

// batch creates a request of ICCID changes (or another type) for the first n lines.
func (r *rig) batch(typ change.Type, n int) int64 {
	r.t.Helper()
	return r.batchOf(r.tenant, r.user, typ, r.lines[:n], "", nil)
}

// batchOf makes a request of the given lines for a tenant, as by, at a priority, starting at
// runAt (nil: at once).
func (r *rig) batchOf(tenant int64, by *store.User, typ change.Type, lines []line, p change.Priority, runAt *time.Time) int64 {
	r.t.Helper()
	var rows []store.NewDeviceChange
	for _, l := range lines {
		row := store.NewDeviceChange{DeviceID: l.DeviceID, ICCID: l.ICCID, IMEI: l.IMEI, MSISDN: l.MDN}
		id := change.Identifier{OldICCID: l.ICCID, OldIMEI: l.IMEI, MSISDN: l.MDN, Current: l.MDN, CurrentKind: "MDN"}
		if typ.NeedsICCID() {
			row.NewICCID, id.NewICCID = l.SpareICCID, l.SpareICCID
		}
		if typ.NeedsIMEI() {
			row.NewIMEI, id.NewIMEI = l.SpareIMEI, l.SpareIMEI
		}
		row.Envelope = change.NewEnvelope(typ, id)
		rows = append(rows, row)
	}
	id, _, err := r.db.CreateBulkChange(context.Background(), store.NewBulkChange{TenantID: tenant, ServiceProviderID: r.provider,
		Type: typ, Reason: "test", RequestedBy: by, RunAt: runAt, Rows: rows, Priority: p})
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// waitFor polls cond until it holds; the deadline is generous because the race detector and
// a shared machine make everything slow.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFinal waits until the request has finished and its e-mail has been sent (or failed),
// and returns it.
func (r *rig) waitFinal(id int64) *store.BulkChange {
	r.t.Helper()
	var b *store.BulkChange
	r.waitFor(fmt.Sprintf("bulk change %d to finish", id), func() bool {
		var err error
		b, err = r.db.BulkChange(context.Background(), 0, id)
		if err != nil {
			r.t.Fatal(err)
		}
		return b.Status.Final() && b.ProcessedDate != nil
	})
	r.waitFor("the result e-mail", func() bool {
		mails, _, err := r.db.OutboxEmails(context.Background(), 100, 0)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, m := range mails {
			if m.BulkChangeID != nil && *m.BulkChangeID == id && m.Status == store.EmailQueued {
				return false
			}
		}
		return true
	})
	return b
}

// rows returns a request's rows.
func (r *rig) rows(id int64) []store.DeviceChange {
	r.t.Helper()
	rows, _, err := r.db.DeviceChanges(context.Background(), id, store.DeviceChangeFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return rows
}

// checkNothingSentTwice proves with the carrier's own count that no line got more than one
// change request, and that every line the first n rows name got exactly one.
func (r *rig) checkNothingSentTwice(n int) tssim.Stats {
	r.t.Helper()
	st := r.sim.Stats()
	for mdn, c := range st.ChangeSubmissions {
		if c > 1 {
			r.t.Errorf("line %s got %d change requests", mdn, c)
		}
	}
	for _, l := range r.lines[:n] {
		if st.ChangeSubmissions[l.MDN] != 1 {
			r.t.Errorf("line %s got %d change requests, want 1", l.MDN, st.ChangeSubmissions[l.MDN])
		}
	}
	return st
}

// checkInventoryMatchesCarrier proves that Device and ThingSpaceDevice hold, for every line,
// what the carrier holds.
func (r *rig) checkInventoryMatchesCarrier() {
	r.t.Helper()
	ctx := context.Background()
	devices, _, err := r.db.Devices(ctx, store.DeviceFilter{TenantID: r.tenant, Limit: len(r.lines) + 1})
	if err != nil {
		r.t.Fatal(err)
	}
	carrierCopy, err := r.db.CarrierDevices(ctx, r.provider)
	if err != nil {
		r.t.Fatal(err)
	}
	byMDN := map[string]store.CarrierDevice{}
	for _, c := range carrierCopy {
		byMDN[c.MSISDN] = c
	}
	for _, d := range devices {
		l, ok := r.sim.Line(d.MSISDN)
		if !ok {
			r.t.Errorf("the carrier has no line %s", d.MSISDN)
			continue
		}
		if d.ICCID != l.ICCID || d.IMEI != l.IMEI {
			r.t.Errorf("Device %s has %s/%s, the carrier %s/%s", d.MSISDN, d.ICCID, d.IMEI, l.ICCID, l.IMEI)
		}
		if c := byMDN[d.MSISDN]; c.ICCID != l.ICCID || c.IMEI != l.IMEI {
			r.t.Errorf("ThingSpaceDevice %s has %s/%s, the carrier %s/%s", d.MSISDN, c.ICCID, c.IMEI, l.ICCID, l.IMEI)
		}
	}
}

// logCount counts a request's log entries with a description.
func (r *rig) logCount(id int64, desc string) int {
	r.t.Helper()
	logs, err := r.db.BulkChangeLog(context.Background(), store.LogFilter{BulkChangeID: id})
	if err != nil {
		r.t.Fatal(err)
	}
	n := 0
	for _, l := range logs {
		if l.Description == desc {
			n++
		}
	}
	return n
}

// logCodes lists the error codes in a request's log.
func (r *rig) logCodes(id int64) map[string]int {
	r.t.Helper()
	logs, err := r.db.BulkChangeLog(context.Background(), store.LogFilter{BulkChangeID: id})
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range logs {
		if l.ErrorCode != "" {
			out[l.ErrorCode]++
		}
	}
	return out
}

// setCredentialsActive switches the provider's credentials row on or off behind the store's
// back, as an operator editing the table would.
func (r *rig) setCredentialsActive(active bool) {
	r.t.Helper()
	if err := rawExec(r.path, `UPDATE ThingSpaceAuthentication SET IsActive = ?`, active); err != nil {
		r.t.Fatal(err)
	}
}

var errKilled = errors.New("the engine was killed")

// killSwitch is a transport that stops every request once thrown: a dead process sends nothing.
type killSwitch struct {
	dead atomic.Bool
}

func (k *killSwitch) RoundTrip(req *http.Request) (*http.Response, error) {
	if k.dead.Load() {
		return nil, errKilled
	}
	return http.DefaultTransport.RoundTrip(req)
}

// rawExec runs one statement on the database file directly (the "sqlite" driver is registered
// by the store package).
func rawExec(path, q string, args ...any) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(q, args...)
	return err
}

// listener is the callback listener's credentials, as registered with the carrier.
func (r *rig) listener() *store.CallbackListener {
	r.t.Helper()
	l, err := r.db.CallbackListener(context.Background(), r.provider)
	if err != nil {
		r.t.Fatal(err)
	}
	return l
}

// postCallback posts a callback body to the rig's listener URL, as anyone holding it could, and
// returns the answer's status code.
func (r *rig) postCallback(body string) int {
	r.t.Helper()
	res, err := http.Post(r.callback.URL+"/thingspace/callbacks/"+callbackSecret, "application/json", strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
