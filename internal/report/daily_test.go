package report_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/notify/mailtest"
	"github.com/idswap/idswap/internal/report"
	"github.com/idswap/idswap/internal/store"
)

// TestDailySummary: yesterday's work of a tenant — a request of three rows, one confirmed with a
// plan $3.00 dearer, one refused by the carrier with its code, one still queued — is e-mailed
// once, at the tenant's time, to its recipients; the admins get the all-tenants summary.
func TestDailySummary(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "r.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	yesterday := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	clock := yesterday
	db.Now = func() time.Time { return clock }
	data := store.SeedData{
		Tenants: []string{"Acme"},
		Users: []store.SeedUser{{Email: "ops@idswap.example", DisplayName: "Ops", Role: store.RoleAdmin, PasswordHash: "x"},
			{Email: "m@acme.example", DisplayName: "M", Role: store.RoleManager, TenantName: "Acme", PasswordHash: "x"}},
		Provider: store.Provider{Name: "TS", DisplayName: "Verizon ThingSpace"},
		Credentials: store.Credentials{BaseURL: "https://thingspace.example", ClientID: "c", ClientSecret: "s", Username: "u",
			Password: "p", AccountNumber: "0000123456-00001", ServiceType: "x"},
		Plans: []store.SeedPlan{{Code: "PLAN-A", Name: "Plan A", ShortName: "A", PlanMB: 1, MonthlyRate: 5},
			{Code: "PLAN-B", Name: "Plan B", ShortName: "B", PlanMB: 10, MonthlyRate: 8}},
	}
	for i, iccid := range []string{"89148000000000000018", "89148000000000000034", "89148000000000000059"} {
		data.Devices = append(data.Devices, store.SeedDevice{TenantName: "Acme", ICCID: iccid, IMEI: []string{"353320110000006", "353320110000014", "353320110000022"}[i],
			MSISDN: "512000000" + string(rune('0'+i)), StatusID: store.DeviceStatusActive, PlanCode: "PLAN-A"})
	}
	if _, _, err := db.Seed(ctx, data, "test"); err != nil {
		t.Fatal(err)
	}
	m, _ := db.UserByEmail(ctx, "m@acme.example")
	ps, _ := db.Providers(ctx)
	devs, _, _ := db.Devices(ctx, store.DeviceFilter{TenantID: *m.TenantID, Limit: 3})
	newSIMs := []string{"89148000000000000026", "89148000000000000042", "89148000000000000067"}
	var rows []store.NewDeviceChange
	for i, d := range devs {
		plan := ""
		if i == 0 {
			plan = "PLAN-B"
		}
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, NewICCID: newSIMs[i], ServicePlan: plan,
			Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: newSIMs[i], OldIMEI: d.IMEI,
				CurrentServicePlan: "PLAN-A", ServicePlan: plan, Reason: "test"})})
	}
	bulkID, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: *m.TenantID, ServiceProviderID: ps[0].ID, Type: change.ChangeICCID,
		Reason: "test", RequestedBy: m, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := db.DeviceChanges(ctx, bulkID, store.DeviceChangeFilter{})
	finish := func(r store.DeviceChange, to change.Status, code string) {
		t.Helper()
		at, ok, err := db.ClaimChange(ctx, r.ID, "engine", time.Minute, 0)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		var logs []store.LogEntry
		if code != "" {
			logs = append(logs, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true, ErrorCode: code})
		}
		if _, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: r.ID, From: change.StatusProcessing, SubmittedAt: &at, To: to,
			Details: "x", By: "engine", Logs: logs}); err != nil {
			t.Fatal(err)
		}
	}
	finish(got[0], change.StatusProcessed, "")
	finish(got[1], change.StatusAPIFailed, "REQUEST_FAILED.UnexpectedError")

	if err := db.PutDailySchedule(ctx, *m.TenantID, "07:00", "m@acme.example, ops-acme@acme.example", true, "m@acme.example"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutDailySchedule(ctx, 0, "06:00", "", true, "ops@idswap.example"); err != nil {
		t.Fatal(err)
	}
	smtp := mailtest.Start(t, mailtest.Options{TLS: "none"})
	mailer, _ := notify.NewSMTP(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: "none"})
	d := &report.Daily{Store: db, Mail: mailer, From: "idswap@idswap.example", Now: func() time.Time { return clock },
		BaseURL: func() string { return "https://idswap.example" }}

	clock = time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC) // the admins' time has come, the tenant's not yet
	if err := d.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ops@idswap.example" || !strings.Contains(msgs[0].Subject, "every tenant") {
		t.Fatalf("at 06:30: %d %+v", len(msgs), msgs)
	}
	clock = time.Date(2026, 3, 2, 7, 5, 0, 0, time.UTC)
	for range 2 { // the second check finds nothing due
		if err := d.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs = smtp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails", len(msgs))
	}
	tenant := msgs[1]
	if strings.Join(tenant.To, ",") != "m@acme.example,ops-acme@acme.example" || !strings.Contains(tenant.Subject, "2026-03-01: Acme") {
		t.Fatalf("tenant e-mail: %v %q", tenant.To, tenant.Subject)
	}
	for _, want := range []string{"Requests made:          1", "  succeeded:            1", "refused by the carrier (API_FAILED): 1",
		"Success rate:           50.0%", "Monthly cost change of the plans chosen: +$3.00", "Rows still waiting now: 1",
		"REQUEST_FAILED.UnexpectedError", "https://idswap.example/"} {
		if !strings.Contains(tenant.Text, want) {
			t.Errorf("the summary lacks %q:\n%s", want, tenant.Text)
		}
	}
	// The next day's summary covers that day: nothing happened.
	clock = time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC)
	if err := d.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs = smtp.Messages(); len(msgs) != 4 || !strings.Contains(msgs[3].Text, "Requests made:          0") {
		t.Fatalf("the next day: %d", len(msgs))
	}
}

func TestCheckSchedule(t *testing.T) {
	if got, err := report.CheckSchedule("07:30", "a@x.example; b@y.example\nc@z.example"); err != nil || got != "a@x.example, b@y.example, c@z.example" {
		t.Fatalf("%q %v", got, err)
	}
	for _, bad := range [][2]string{{"7:30", "a@x.example"}, {"24:00", ""}, {"07:30", "not-an-address"}} {
		if _, err := report.CheckSchedule(bad[0], bad[1]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
