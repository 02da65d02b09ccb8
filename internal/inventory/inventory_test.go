package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

const (
	account  = "0000123456-00001"
	clientID = "inv-client"
	secret   = "Ab+c/d=e&f%g h"
	uwsUser  = "inv-uws"
	uwsPass  = "inv-uws-password"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

type rig struct {
	db       *store.DB
	sim      *tssim.Sim
	url      string
	on       *onboard.Service
	inv      *inventory.Service
	provider int64
	acme     int64
	globex   int64
	lines    []tssim.Line
	spare    string
}

func iccid(n int) string { return ident.AppendLuhn(fmt.Sprintf("891480000%010d", 4200000000+n)) }
func imei(n int) string  { return ident.AppendLuhn(fmt.Sprintf("86695704%06d", 100000+n)) }

// newRig starts a simulator with n lines (even ones in group "acme", odd ones with custom
// field Customer=globex, every fifth in neither) and an empty migrated database, then sets
// idswap up through the services an admin uses.
func newRig(t *testing.T, n int, transport http.RoundTripper) *rig {
	t.Helper()
	ctx := context.Background()
	seed := tssim.Seed{Accounts: []tssim.Account{{Name: account, ClientID: clientID, ClientSecret: secret, Username: uwsUser, Password: uwsPass}},
		Plans: []tssim.Plan{{Code: "LTEM-10MB", Name: "LTE-M 10 MB", SizeKb: 10240, CarrierServicePlanCode: "84000"}},
		TACs:  []tssim.TACRange{{TAC: "86695704", NetworkType: tssim.NetworkLTEM}}}
	r := &rig{}
	for i := range n {
		l := tssim.Line{Account: account, MDN: fmt.Sprintf("41555%05d", i), ICCID: iccid(i), IMEI: imei(i), State: tssim.StateActive, ServicePlan: "LTEM-10MB"}
		switch {
		case i%5 == 4:
		case i%2 == 0:
			l.Groups = []string{"acme"}
		default:
			l.CustomFields = map[string]string{"Customer": "globex"}
		}
		seed.Lines = append(seed.Lines, l)
	}
	r.lines = seed.Lines
	r.spare = iccid(n + 1000)
	seed.SIMs = []tssim.SIM{{ICCID: r.spare}}
	cfg := tssim.Config{ServiceTypes: tssim.DefaultServiceTypes(), CallbackDelay: time.Millisecond}
	var err error
	if r.sim, err = tssim.New(cfg, seed); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.sim.Handler())
	t.Cleanup(func() { srv.Close(); r.sim.Close() })
	r.url = srv.URL
	if r.db, err = store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "inv.db"), testKey); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	if _, err := r.db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	r.on, r.inv = onboard.New(r.db), inventory.New(r.db)
	if transport != nil {
		r.inv.HTTPClient = &http.Client{Transport: transport}
	}
	r.inv.BatchSize = 7 // several batches even for a small account
	admin := store.Actor{Name: "admin@test"}
	if r.acme, err = r.on.CreateTenant(ctx, admin, "Acme"); err != nil {
		t.Fatal(err)
	}
	if r.globex, err = r.on.CreateTenant(ctx, admin, "Globex"); err != nil {
		t.Fatal(err)
	}
	if r.provider, err = r.on.CreateProvider(ctx, admin, onboard.ProviderInput{Name: "TS", BaseURL: srv.URL, AccountName: account,
		ClientID: clientID, ClientSecret: secret, UWSUser: uwsUser, UWSPassword: uwsPass, WritesEnabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, rule := range []store.AssignmentRule{
		{ProviderID: r.provider, Kind: store.RuleGroup, FieldValue: "acme", TenantID: r.acme},
		{ProviderID: r.provider, Kind: store.RuleCustomField, FieldName: "Customer", FieldValue: "globex", TenantID: r.globex},
	} {
		if _, err := r.db.AddAssignmentRule(ctx, rule, admin); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *rig) devices(t *testing.T, tenant int64) []store.Device {
	t.Helper()
	ds, _, err := r.db.Devices(context.Background(), store.DeviceFilter{TenantID: tenant, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestSyncPlacesLinesByGroupAndCustomFieldAndLeavesTheRestUnassigned(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 20, nil)
	run, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// 20 lines: i%5==4 (4 lines) in no group; of the other 16, even ones acme (8), odd globex (8).
	if run.Status != store.SyncSucceeded || run.Listed != 20 || run.Added != 20 || run.Unassigned != 4 || run.Gone != 0 {
		t.Fatalf("first run %+v", run)
	}
	if a, g := len(r.devices(t, r.acme)), len(r.devices(t, r.globex)); a != 8 || g != 8 {
		t.Fatalf("acme %d, globex %d devices, want 8 and 8", a, g)
	}
	un, err := r.db.CarrierLines(ctx, store.LineFilter{ProviderID: r.provider, UnassignedOnly: true})
	if err != nil || len(un) != 4 {
		t.Fatalf("unassigned %d (%v), want 4", len(un), err)
	}

	// A second run finds nothing new and writes no duplicate.
	run2, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if run2.Listed != 20 || run2.Added != 0 || run2.Updated != 0 || run2.Unassigned != 0 {
		t.Fatalf("second run %+v", run2)
	}
	all, _ := r.db.CarrierLines(ctx, store.LineFilter{ProviderID: r.provider})
	if len(all) != 20 {
		t.Fatalf("%d carrier lines after two runs, want 20", len(all))
	}

	// Assign the unassigned by hand; one run with a default tenant would have done it too.
	var ids []int64
	for _, l := range un {
		ids = append(ids, l.CarrierID)
	}
	placed, moved, err := r.db.AssignLines(ctx, r.provider, r.globex, ids, store.Actor{Name: "admin@test"})
	if err != nil || placed != 4 || moved != 0 {
		t.Fatalf("assign: placed %d moved %d err %v", placed, moved, err)
	}
	if g := len(r.devices(t, r.globex)); g != 12 {
		t.Fatalf("globex has %d devices after assigning, want 12", g)
	}
}

func TestSyncRecordsAChangeMadeAtTheCarrierAndMarksGoneLines(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 12, nil)
	if _, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"}); err != nil {
		t.Fatal(err)
	}
	line := r.lines[0] // acme
	// Change the line's ICCID at the carrier through its ThingSpace API, as someone outside
	// idswap would.
	c, err := thingspace.New(thingspace.Config{BaseURL: r.url, ClientID: clientID, ClientSecret: secret, Username: uwsUser,
		Password: uwsPass, AccountName: account, ServiceType: "4G"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{
		DeviceIDs:      []thingspace.DeviceID{{ID: line.MDN, Kind: thingspace.KindMDN}},
		DeviceIDsTo:    []thingspace.DeviceID{{ID: r.spare, Kind: thingspace.KindICCID}},
		Change4GOption: "ChangeICCID"}); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.sim.Line(line.MDN); got.ICCID != r.spare {
		t.Fatalf("the carrier did not change the line: %+v", got)
	}

	run, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if run.ChangedOutside != 1 || run.Added != 0 || run.Updated != 1 {
		t.Fatalf("run %+v, want one outside change", run)
	}
	ds, err := r.db.DevicesByIdentifier(ctx, r.acme, line.ICCID) // the old ICCID still finds it
	if err != nil || len(ds) != 1 || ds[0].ICCID != r.spare {
		t.Fatalf("device by old ICCID: %+v, %v", ds, err)
	}
	hist, err := r.db.IdentifierHistory(ctx, r.acme, ds[0].ID)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	h := hist[0]
	if h.OldICCID != line.ICCID || h.NewICCID != r.spare || h.ChangeReason != store.OutsideChangeReason {
		t.Fatalf("history entry %+v", h)
	}

	// A line the carrier stops listing is marked gone, not deleted.
	gone := r.lines[2]
	if !r.sim.RemoveLine(gone.MDN) {
		t.Fatal("no line to remove")
	}
	run, err = r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Gone != 1 || run.Listed != 11 {
		t.Fatalf("run %+v, want one line gone", run)
	}
	lines, _ := r.db.CarrierLines(ctx, store.LineFilter{ProviderID: r.provider, Query: gone.ICCID})
	if len(lines) != 1 || !lines[0].Gone || lines[0].TenantID != r.acme {
		t.Fatalf("gone line %+v: want it kept, marked gone, still in its tenant", lines)
	}
}

// failingTransport fails every device list call after the first `after` ones.
type failingTransport struct {
	after int32
	calls atomic.Int32
}

func (f *failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/devices/actions/list") && f.calls.Add(1) > f.after {
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestSyncWhosePagesFailHalfwayMarksNothingGoneAndARestartCompletesIt(t *testing.T) {
	ctx := context.Background()
	ft := &failingTransport{after: 2}
	r := newRig(t, 250, ft) // client pages of 100: the third page fails
	_, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"})
	if !apperr.Is(err, apperr.Unavailable) || !strings.Contains(err.Error(), "nothing was marked gone") {
		t.Fatalf("err %v, want unavailable saying nothing was marked gone", err)
	}
	runs, _ := r.db.SyncRuns(ctx, r.provider, 5)
	// Two pages of 100 came; what was applied of them is whole batches (of 7).
	if len(runs) != 1 || runs[0].Status != store.SyncFailed || runs[0].Listed == 0 || runs[0].Listed > 200 ||
		runs[0].Listed%7 != 0 || runs[0].Gone != 0 || !strings.Contains(runs[0].Error, "connection reset") {
		t.Fatalf("failed run %+v", runs)
	}
	first := runs[0].Listed
	ft.after = 1 << 30
	run, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Listed != 250 || run.Added != 250-first || run.Gone != 0 {
		t.Fatalf("restarted run %+v, want the %d lines the failed run did not apply", run, 250-first)
	}
	all, _ := r.db.CarrierLines(ctx, store.LineFilter{ProviderID: r.provider})
	if len(all) != 250 {
		t.Fatalf("%d carrier lines, want 250 (no duplicates, none lost)", len(all))
	}
}

// countingLimiter is the deployment's real carrier limiter (process.CarrierLimiter, permits in
// the database) with a count of the requests it let through.
type countingLimiter struct {
	*process.CarrierLimiter
	n atomic.Int64
}

func (c *countingLimiter) Acquire(ctx context.Context) (func(), error) {
	c.n.Add(1)
	return c.CarrierLimiter.Acquire(ctx)
}

// A sync's carrier calls go through the provider's limiter (Service.Limit), token and login
// included, so a sync running beside a bulk change does not push the account over the
// carrier's rate: every HTTP request the simulator saw was let through by the limiter.
func TestSyncCallsTakeTheProvidersCarrierLimit(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 30, nil)
	r.inv.PageSize = 10
	lim := &countingLimiter{CarrierLimiter: process.NewCarrierLimiter(process.CarrierLimiterConfig{Store: r.db, ProviderID: r.provider, Rate: 50})}
	var asked []int64
	r.inv.Limit = func(providerID int64) thingspace.Limiter { asked = append(asked, providerID); return lim }
	if _, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"}); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != r.provider {
		t.Fatalf("the sync asked for the limiters of %v, want [%d]", asked, r.provider)
	}
	sent := 0
	for _, byStatus := range r.sim.Stats().Calls {
		for _, n := range byStatus {
			sent += n
		}
	}
	if sent < 4 || int64(sent) != lim.n.Load() {
		t.Fatalf("the simulator saw %d requests, the limiter let %d through", sent, lim.n.Load())
	}
}
