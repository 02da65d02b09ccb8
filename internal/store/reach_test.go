package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// TestTheRemainingStoreMethodsRun reaches the store methods no other test of this package
// does, so that their statements run on SQL Server too when IDSWAP_MSSQL_DSN is set, and are
// recorded and parsed (make sqlserver-statements, make tsql-parse). Each answer is checked
// against what the fixture holds.
func TestTheRemainingStoreMethodsRun(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		bulk, rows := mustBatch(t, db, f, 2)

		m, err := db.DevicesByIdentifiers(ctx, f.acme, f.provider, map[ident.Kind][]string{ident.ICCID: {rows[0].ICCID}})
		if err != nil || len(m[ident.ICCID][rows[0].ICCID]) != 1 {
			t.Fatalf("DevicesByIdentifiers: %v %v", m, err)
		}
		clashes, err := db.FindClashes(ctx, []string{rows[0].NewICCID}, nil, nil)
		if err != nil || len(clashes) != 1 {
			t.Fatalf("FindClashes: %v %v", clashes, err)
		}
		models, err := db.DeviceModelsForIMEIs(ctx, []string{rows[0].IMEI})
		if err != nil || models[rows[0].IMEI].Model != "BG96" {
			t.Fatalf("DeviceModelsForIMEIs: %v %v", models, err)
		}
		if all, err := db.DeviceModels(ctx); err != nil || len(all) != 2 {
			t.Fatalf("DeviceModels: %v %v", all, err)
		}
		if _, err := db.BulkChangeIDByIdempotencyKey(ctx, "no-such-key"); err == nil {
			t.Fatal("BulkChangeIDByIdempotencyKey found an unknown key")
		}
		w, err := db.ChangeWork(ctx, rows[0].ID)
		if err != nil || w.TenantID != f.acme || w.Type != change.ChangeICCID {
			t.Fatalf("ChangeWork: %+v %v", w, err)
		}
		at := mustClaim(t, db, rows[0].ID)
		if err := db.ScheduleCheck(ctx, jobs.CheckChange{BulkChangeID: bulk, ChangeID: rows[0].ID, SubmittedAt: at, Check: 2},
			time.Now().Add(time.Minute), "engine", "", store.LogEntry{Description: store.LogChangeFailed, ResponseStatus: store.LogStatusError,
				HasErrors: true, ErrorCode: "E42"}); err != nil {
			t.Fatal(err)
		}
		if codes, err := db.FailureCodes(ctx, bulk); err != nil || codes[rows[0].ID] != "E42" {
			t.Fatalf("FailureCodes: %v %v", codes, err)
		}
		logID, err := db.LogCallback(ctx, store.CallbackRecord{ServiceProviderID: f.provider, RequestID: "r", Body: "{}"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.LinkCallback(ctx, logID, bulk, rows[0].ID); err != nil {
			t.Fatal(err)
		}
		if cs, _ := db.Callbacks(ctx, f.provider); len(cs) != 1 || cs[0].ChangeID == nil || *cs[0].ChangeID != rows[0].ID {
			t.Fatalf("the linked callback: %+v", cs)
		}
		if _, err := db.CarrierDevices(ctx, f.provider); err != nil {
			t.Fatal(err)
		}

		ps, err := db.Providers(ctx)
		if err != nil || len(ps) != 1 {
			t.Fatalf("Providers: %v %v", ps, err)
		}
		if p, err := db.ProviderByID(ctx, f.provider); err != nil || p.Name != "TS" {
			t.Fatalf("ProviderByID: %+v %v", p, err)
		}
		pid, err := db.CreateProvider(ctx, store.Provider{Name: "TS2", DisplayName: "Second"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutThingSpaceCredentials(ctx, store.Credentials{ServiceProviderID: pid, BaseURL: "http://127.0.0.1:2",
			ClientID: "c", ClientSecret: "s", Username: "u", Password: "p"}, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetBaseURL(ctx, pid, "http://127.0.0.1:3", "admin"); err != nil {
			t.Fatal(err)
		}
		if c, err := db.ThingSpaceCredentials(ctx, pid); err != nil || c.BaseURL != "http://127.0.0.1:3" {
			t.Fatalf("credentials after SetBaseURL: %+v %v", c, err)
		}

		if tn, err := db.TenantByID(ctx, f.acme); err != nil || tn.Name != "Acme" {
			t.Fatalf("TenantByID: %+v %v", tn, err)
		}
		us, err := db.Users(ctx)
		if err != nil || len(us) != 2 {
			t.Fatalf("Users: %v %v", us, err)
		}
		if u, err := db.UserByID(ctx, us[0].ID); err != nil || u.Email != us[0].Email {
			t.Fatalf("UserByID: %+v %v", u, err)
		}
		if err := db.SetPassword(ctx, us[0].ID, "new-hash", "admin"); err != nil {
			t.Fatal(err)
		}

		mustFinish(t, db, rows[0].ID, change.StatusProcessed)
		res := mustFinish(t, db, rows[1].ID, change.StatusProcessed)
		if res.Completion == nil {
			t.Fatal("the batch did not complete")
		}
		mails, total, err := db.OutboxEmails(ctx, 10, 0)
		if err != nil || total != 1 || len(mails) != 1 {
			t.Fatalf("OutboxEmails: %d %d %v", len(mails), total, err)
		}
		if err := db.MarkEmailFailed(ctx, mails[0].ID, "smtp down", false); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkEmailSent(ctx, mails[0].ID, "<m@x>"); err != nil {
			t.Fatal(err)
		}
		if mail, err := db.OutboxEmail(ctx, mails[0].ID); err != nil || mail.Status != store.EmailSent {
			t.Fatalf("the sent e-mail: %+v %v", mail, err)
		}
		if ms, err := db.Migrations(ctx); err != nil || len(ms) < 3 || !ms[len(ms)-1].Applied {
			t.Fatalf("Migrations: %+v %v", ms, err)
		}
	})
}
