package alerting_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/alerting"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/notify/mailtest"
	"github.com/idswap/idswap/internal/store"
)

// world is a SQLite database with one tenant, an admin, a manager, a provider and one device,
// and a bulk change the log entries below belong to, as the engine writes them.
type world struct {
	db     *store.DB
	bulkID int64
	now    time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "a.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return w.now }
	data := store.SeedData{
		Tenants: []string{"Acme"},
		Users: []store.SeedUser{{Email: "ops@idswap.example", DisplayName: "Ops", Role: store.RoleAdmin, PasswordHash: "x"},
			{Email: "m@acme.example", DisplayName: "M", Role: store.RoleManager, TenantName: "Acme", PasswordHash: "x"}},
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
	ps, _ := db.Providers(ctx)
	devs, _, err := db.Devices(ctx, store.DeviceFilter{TenantID: *m.TenantID, Limit: 1})
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices: %v %v", devs, err)
	}
	d := devs[0]
	w.bulkID, _, err = db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: *m.TenantID, ServiceProviderID: ps[0].ID, Type: change.ChangeICCID,
		Reason: "test", RequestedBy: m, Rows: []store.NewDeviceChange{{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN,
			NewICCID: "89148000000000000026"}}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) log(t *testing.T, e store.LogEntry) {
	t.Helper()
	e.BulkChangeID = w.bulkID
	if err := w.db.AddLogs(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

// TestIncidentsOpenOnceAndClear drives the three conditions through opening and clearing on a
// real database, with e-mail over real SMTP: each incident is one e-mail when it opens and one
// when it clears, however many evaluations see it in between.
func TestIncidentsOpenOnceAndClear(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	smtp := mailtest.Start(t, mailtest.Options{TLS: "none"})
	mail, err := notify.NewSMTP(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: "none"})
	if err != nil {
		t.Fatal(err)
	}
	ev := alerting.New(alerting.Config{Store: w.db, Mail: mail, From: "idswap@idswap.example", Now: func() time.Time { return w.now },
		BaseURL: func() string { return "https://idswap.example" }, QueueAge: 15 * time.Minute, CarrierFailures: 3, Window: 10 * time.Minute})
	evaluate := func() []store.Incident {
		t.Helper()
		if err := ev.Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
		open, err := w.db.OpenIncidents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return open
	}
	kinds := func(in []store.Incident) string {
		var k []string
		for _, i := range in {
			k = append(k, i.Kind)
		}
		return strings.Join(k, ",")
	}

	// Nothing wrong yet; the request's one job is due now, so the queue is not behind.
	if open := evaluate(); len(open) != 0 {
		t.Fatalf("open at start: %v", open)
	}

	// The carrier refuses the credentials: one incident, one e-mail to the admin.
	w.now = w.now.Add(time.Minute)
	w.log(t, store.LogEntry{Description: store.LogAccessToken, HasErrors: true, ErrorCode: "invalid_client", RequestText: "POST /oauth2/token"})
	w.log(t, store.LogEntry{Description: store.LogAuthFailed, HasErrors: true, ErrorCode: "invalid_client"})
	if open := evaluate(); kinds(open) != store.IncidentCredentialsRefused || !strings.Contains(open[0].Title, "Verizon ThingSpace") {
		t.Fatalf("after the refusal: %v", open)
	}
	evaluate() // seen again: no second e-mail
	msgs := smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ops@idswap.example" || !strings.Contains(msgs[0].Subject, "refused the credentials") ||
		!strings.Contains(msgs[0].Text, "https://idswap.example/") {
		t.Fatalf("e-mails: %d %+v", len(msgs), msgs)
	}

	// The queue falls behind (the row's job has waited 20 minutes) and the carrier fails 4 calls
	// in 10 minutes (threshold 3; the engine's "retry later" notes do not count).
	w.now = w.now.Add(19 * time.Minute)
	for range 4 {
		w.log(t, store.LogEntry{Description: store.LogChangeIdentifier, HasErrors: true, ErrorCode: "HTTP_503", RequestText: "PUT …"})
		w.log(t, store.LogEntry{Description: store.LogCarrierBusy, HasErrors: true})
	}
	open := evaluate()
	if kinds(open) != strings.Join([]string{store.IncidentCredentialsRefused, store.IncidentQueueBehind, store.IncidentCarrierFailing}, ",") {
		t.Fatalf("three incidents: %v", kinds(open))
	}
	if n := len(smtp.Messages()); n != 3 {
		t.Fatalf("%d e-mails", n)
	}

	// A sign-in is granted again, the job runs, the failures age out of the window: every
	// incident clears, each with one e-mail, and the banner is empty.
	w.now = w.now.Add(11 * time.Minute)
	w.log(t, store.LogEntry{Description: store.LogAccessToken, RequestText: "POST /oauth2/token"})
	if _, err := w.db.ClaimJobs(ctx, "test-worker", time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if open := evaluate(); len(open) != 0 {
		t.Fatalf("still open: %v", kinds(open))
	}
	evaluate()
	msgs = smtp.Messages()
	if len(msgs) != 6 {
		t.Fatalf("%d e-mails, want 3 opened and 3 cleared", len(msgs))
	}
	for _, m := range msgs[3:] {
		if !strings.HasPrefix(m.Subject, "[idswap] Cleared: ") {
			t.Fatalf("clearing e-mail: %q", m.Subject)
		}
	}

	// It comes back: a new incident, a new e-mail.
	w.now = w.now.Add(time.Minute)
	w.log(t, store.LogEntry{Description: store.LogAuthFailed, HasErrors: true})
	if open := evaluate(); kinds(open) != store.IncidentCredentialsRefused {
		t.Fatalf("again: %v", kinds(open))
	}
	if n := len(smtp.Messages()); n != 7 {
		t.Fatalf("%d e-mails", n)
	}
}

// TestFailedMailIsSentNextTime: an e-mail the server refuses is not lost; the next evaluation
// sends it, once.
func TestFailedMailIsSentNextTime(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	smtp := mailtest.Start(t, mailtest.Options{TLS: "none", Fail: 1})
	mail, _ := notify.NewSMTP(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: "none"})
	ev := alerting.New(alerting.Config{Store: w.db, Mail: mail, From: "idswap@idswap.example", Now: func() time.Time { return w.now }})
	w.log(t, store.LogEntry{Description: store.LogAuthFailed, HasErrors: true})
	if err := ev.Evaluate(ctx); err == nil {
		t.Fatal("a refused e-mail was not reported")
	}
	if err := ev.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ev.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d e-mails delivered", n)
	}
}

// TestEvaluatorKeepsOneNextRun: the job reschedules itself, and Start in every process keeps
// one queued run, not one per process.
func TestEvaluatorKeepsOneNextRun(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ev := alerting.New(alerting.Config{Store: w.db, Now: func() time.Time { return w.now }, Interval: time.Minute})
	for range 3 {
		if err := ev.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := w.db.ClaimJobs(ctx, "w", time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	var mine []store.Job
	for _, j := range claimed {
		if j.Kind == jobs.KindEvaluateAlerts {
			mine = append(mine, j)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("%d evaluation jobs queued by three starts", len(mine))
	}
	if err := ev.Handle(ctx, mine[0]); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Minute)
	next, err := w.db.ClaimJobs(ctx, "w", time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range next {
		if j.Kind == jobs.KindEvaluateAlerts {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d next runs", n)
	}
}
