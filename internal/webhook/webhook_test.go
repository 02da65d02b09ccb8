package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/webhook"
)

// received is one POST the endpoint got.
type received struct {
	status   int
	event    string
	delivery string
	sig      string
	body     []byte
}

// TestDeliverySignedAndRetried runs the real queue over SQLite against a real HTTP endpoint
// that answers 500 to the first attempt of every delivery and 200 to the next: a row the
// carrier refused and the request's completion each reach the endpoint, signed as documented
// (checked here from the documentation's formula, not with the package's own Verify), and a
// 500 is tried again.
func TestDeliverySignedAndRetried(t *testing.T) {
	ctx := context.Background()
	db, bulkID, rowID, tenantID := newWorld(t)

	var mu sync.Mutex
	var got []received
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		id := r.Header.Get("Idswap-Delivery")
		seen[id]++
		status := http.StatusOK
		if seen[id] == 1 {
			status = http.StatusInternalServerError
		}
		got = append(got, received{status: status, event: r.Header.Get("Idswap-Event"), delivery: id, sig: r.Header.Get(webhook.SignatureHeader), body: body})
		w.WriteHeader(status)
	}))
	defer srv.Close()

	const secret = "whsec_test-secret"
	if err := webhook.CheckURL(srv.URL, true); err != nil {
		t.Fatal(err)
	}
	epID, err := db.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{TenantID: tenantID, URL: srv.URL + "/hook",
		Events: []string{store.EventBulkChangeCompleted, store.EventBulkChangeRowFailed}, Secret: secret, By: "m@acme.example"})
	if err != nil {
		t.Fatal(err)
	}

	// The carrier refuses the row: it fails, and the request (its only row) completes.
	submitted, ok, err := db.ClaimChange(ctx, rowID, "test", time.Minute, 0)
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: rowID, From: change.StatusProcessing, SubmittedAt: &submitted,
		To: change.StatusAPIFailed, Details: "ICCID not available", By: "test"}); err != nil {
		t.Fatal(err)
	}

	q := queue.New(queue.Config{Store: db, Workers: 2, Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	d := &webhook.Deliverer{Store: db}
	q.Handle(jobs.KindDeliverWebhook, queue.Decode(d.Handle))
	q.Handle(jobs.KindSubmitChange, func(context.Context, store.Job) error { return nil }) // the row's own job: not this test's
	db.OnEnqueue = q.Wake
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = q.Run(runCtx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, err := db.WebhookDeliveries(ctx, epID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 2 && ds[0].Status == store.DeliveryDelivered && ds[1].Status == store.DeliveryDelivered {
			for _, x := range ds {
				if x.Attempts != 2 || x.ResponseCode == nil || *x.ResponseCode != 200 || x.DeliveredDate == nil {
					t.Fatalf("delivery log: %+v", x)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: %+v", ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("%d posts, want 2 deliveries × (500, 200)", len(got))
	}
	events := map[string]bool{}
	for _, r := range got {
		// The documented signature: t=UNIX_SECONDS,v1=HEX, HEX = HMAC-SHA256(secret, t + "." + body).
		parts := strings.Split(r.sig, ",")
		if len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") || !strings.HasPrefix(parts[1], "v1=") {
			t.Fatalf("signature header %q", r.sig)
		}
		ts := strings.TrimPrefix(parts[0], "t=")
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "." + string(r.body)))
		if want := hex.EncodeToString(mac.Sum(nil)); strings.TrimPrefix(parts[1], "v1=") != want {
			t.Fatalf("signature %q does not verify (want v1=%s)", r.sig, want)
		}
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if d := time.Since(time.Unix(sec, 0)); d < -time.Minute || d > time.Minute {
			t.Fatalf("signed at %s", time.Unix(sec, 0))
		}
		if err := webhook.Verify(secret, r.sig, r.body, time.Now(), 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := webhook.Verify("another-secret", r.sig, r.body, time.Now(), 5*time.Minute); err == nil {
			t.Fatal("Verify accepted another secret")
		}
		var ev store.WebhookEvent
		if err := json.Unmarshal(r.body, &ev); err != nil || ev.Event != r.event || strconv.FormatInt(ev.DeliveryID, 10) != r.delivery || ev.TenantID != tenantID {
			t.Fatalf("body %s: %v", r.body, err)
		}
		var data store.BulkChangeEvent
		_ = json.Unmarshal(ev.Data, &data)
		if data.BulkChangeID != bulkID {
			t.Fatalf("data %s", ev.Data)
		}
		if ev.Event == store.EventBulkChangeRowFailed && (data.RowID != rowID || data.Status != "API_FAILED" || data.Details != "ICCID not available") {
			t.Fatalf("row_failed data %s", ev.Data)
		}
		if ev.Event == store.EventBulkChangeCompleted && (data.Status != "ERROR" || data.Failed != 1) {
			t.Fatalf("completed data %s", ev.Data)
		}
		events[ev.Event] = true
	}
	if !events[store.EventBulkChangeCompleted] || !events[store.EventBulkChangeRowFailed] {
		t.Fatalf("events %v", events)
	}
	// Each delivery was refused once (500) and taken on the attempt after.
	if len(seen) != 2 {
		t.Fatalf("deliveries posted: %v", seen)
	}
	for id, n := range seen {
		if n != 2 {
			t.Fatalf("delivery %s posted %d times", id, n)
		}
	}
}

// TestSendAgain: a delivered event can be sent again from the log, within its tenant only.
func TestSendAgain(t *testing.T) {
	ctx := context.Background()
	db, _, rowID, tenantID := newWorld(t)
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts++ }))
	defer srv.Close()
	epID, err := db.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{TenantID: tenantID, URL: srv.URL,
		Events: []string{store.EventBulkChangeRowFailed}, Secret: "s", By: "m@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	submitted, _, _ := db.ClaimChange(ctx, rowID, "test", time.Minute, 0)
	if _, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: rowID, From: change.StatusProcessing, SubmittedAt: &submitted,
		To: change.StatusAPIFailed, Details: "no", By: "test"}); err != nil {
		t.Fatal(err)
	}
	d := &webhook.Deliverer{Store: db}
	runDue := func() {
		t.Helper()
		js, err := db.ClaimJobs(ctx, "w", time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range js {
			if j.Kind == jobs.KindDeliverWebhook {
				if err := queue.Decode(d.Handle)(ctx, j); err != nil {
					t.Fatal(err)
				}
			}
			_ = db.CompleteJob(ctx, j.ID, "w")
		}
	}
	runDue()
	ds, _ := db.WebhookDeliveries(ctx, epID, 10)
	if posts != 1 || len(ds) != 1 || ds[0].Status != store.DeliveryDelivered {
		t.Fatalf("%d posts, %+v", posts, ds)
	}
	if err := db.RedeliverWebhook(ctx, tenantID+1, epID, ds[0].ID, "other"); err == nil {
		t.Fatal("another tenant sent the delivery again")
	}
	if err := db.RedeliverWebhook(ctx, tenantID, epID, ds[0].ID, "m@acme.example"); err != nil {
		t.Fatal(err)
	}
	runDue()
	ds, _ = db.WebhookDeliveries(ctx, epID, 10)
	if posts != 2 || ds[0].Attempts != 2 || ds[0].Status != store.DeliveryDelivered {
		t.Fatalf("%d posts, %+v", posts, ds)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url   string
		demo  bool
		valid bool
	}{
		{"https://erp.example.com/hook", false, true},
		{"http://erp.example.com/hook", false, false},
		{"http://127.0.0.1:9000/hook", false, false},
		{"http://127.0.0.1:9000/hook", true, true},
		{"http://[::1]:9000/hook", true, true},
		{"http://localhost/hook", true, true},
		{"http://10.0.0.5/hook", true, false},
		{"ftp://erp.example.com", false, false},
		{"/relative", false, false},
		{"https://user:pw@erp.example.com/hook", false, false},
	} {
		if err := webhook.CheckURL(tc.url, tc.demo); (err == nil) != tc.valid {
			t.Errorf("%s (demo %v): %v", tc.url, tc.demo, err)
		}
	}
	if err := webhook.CheckEvents([]string{"bulk_change.deleted"}); err == nil || !strings.Contains(err.Error(), "bulk_change.completed") {
		t.Errorf("unknown event: %v", err)
	}
}

// newWorld is a SQLite database with one tenant, its manager, a provider, one device and a
// request of one row.
func newWorld(t *testing.T) (db *store.DB, bulkID, rowID, tenantID int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "w.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	data := store.SeedData{
		Tenants:  []string{"Acme"},
		Users:    []store.SeedUser{{Email: "m@acme.example", DisplayName: "M", Role: store.RoleManager, TenantName: "Acme", PasswordHash: "x"}},
		Provider: store.Provider{Name: "TS", DisplayName: "Verizon ThingSpace"},
		Credentials: store.Credentials{BaseURL: "https://thingspace.example", ClientID: "c", ClientSecret: "s", Username: "u",
			Password: "p", AccountNumber: "0000123456-00001", ServiceType: "x"},
		Plans: []store.SeedPlan{{Code: "PLAN-A", Name: "Plan A", ShortName: "A", PlanMB: 1}},
		Devices: []store.SeedDevice{{TenantName: "Acme", ICCID: "89148000000000000018", IMEI: "353320110000006", MSISDN: "5120000000",
			StatusID: store.DeviceStatusActive, PlanCode: "PLAN-A"}},
	}
	if _, _, err := db.Seed(ctx, data, "test"); err != nil {
		t.Fatal(err)
	}
	m, err := db.UserByEmail(ctx, "m@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	tenantID = *m.TenantID
	ps, _ := db.Providers(ctx)
	devs, _, err := db.Devices(ctx, store.DeviceFilter{TenantID: tenantID, Limit: 1})
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices: %v %v", devs, err)
	}
	dv := devs[0]
	bulkID, _, err = db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: tenantID, ServiceProviderID: ps[0].ID, Type: change.ChangeICCID,
		Reason: "test", RequestedBy: m, Rows: []store.NewDeviceChange{{DeviceID: dv.ID, ICCID: dv.ICCID, IMEI: dv.IMEI, MSISDN: dv.MSISDN,
			NewICCID: "89148000000000000026"}}})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := db.DeviceChanges(ctx, bulkID, store.DeviceChangeFilter{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows: %v %v", rows, err)
	}
	return db, bulkID, rows[0].ID, tenantID
}
