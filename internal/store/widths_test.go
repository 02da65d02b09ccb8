package store_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// TestLengthLimitsAreTheSameOnSQLite: SQLite's TEXT would take anything, SQL Server's
// NVARCHAR(500) takes 500 UTF-16 units. The store checks at the SQL Server width on both.
func TestLengthLimitsAreTheSameOnSQLite(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		u, _ := db.UserByEmail(ctx, "m@acme.example")
		submit := func(reason string, offset int) error {
			_, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
				Type: change.ChangeICCID, Reason: reason, RequestedBy: u, Rows: newRows(t, db, f.acme, offset, 1, 700+offset)})
			return err
		}
		// 250 emoji are 500 UTF-16 units: the longest reason that fits.
		if err := submit(strings.Repeat("😀", 250), 0); err != nil {
			t.Fatalf("a reason of 500 units: %v", err)
		}
		err := submit(strings.Repeat("😀", 251), 1)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "the reason is too long: 502") {
			t.Fatalf("a reason of 251 emoji (fits 500 runes, not 500 units): %v", err)
		}
		if err := submit(strings.Repeat("r", 500), 2); err != nil {
			t.Fatalf("a reason of 500 characters: %v", err)
		}
		if _, err := db.CreateTenant(ctx, strings.Repeat("n", 201), "test"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("an over-long tenant name: %v", err)
		}
	})
}

// TestAnOverLongCallbackIsStoredCut: a callback is stored raw before anything is decided from
// it. Fields longer than their columns are cut (the whole body is kept), never refused: a
// refusal would make the carrier deliver the same callback again and again.
func TestAnOverLongCallbackIsStoredCut(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		long := strings.Repeat("a", 300)
		body := `{"requestId":"` + long + `"}`
		if _, err := db.LogCallback(ctx, store.CallbackRecord{ServiceProviderID: f.provider, RequestID: long,
			Status: strings.Repeat("S", 100), Body: body, ICCID: strings.Repeat("8", 80), Count: 1}); err != nil {
			t.Fatalf("an over-long callback was refused: %v", err)
		}
		cs, err := db.Callbacks(ctx, f.provider)
		if err != nil || len(cs) != 1 {
			t.Fatalf("callbacks: %v %v", cs, err)
		}
		if cs[0].RequestID != long[:64] || cs[0].Status != strings.Repeat("S", 30) || cs[0].Body != body {
			t.Fatalf("stored: requestId %d chars, status %q, body kept %v", len(cs[0].RequestID), cs[0].Status, cs[0].Body == body)
		}
	})
}

// TestUpdatesAreCheckedLikeInserts: an UPDATE that writes a person's text past its column's SQL
// Server width is refused on SQLite too, with the field named, and writes nothing; a value
// that fits to the last UTF-16 unit is taken. Without the check SQLite takes any length and
// only SQL Server would fail (error 2628, a 500).
func TestUpdatesAreCheckedLikeInserts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		admin := store.Actor{Name: "admin@example.com"}
		tenantName := func() string {
			t.Helper()
			ts, err := db.Tenants(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tn := range ts {
				if tn.ID == f.globex {
					return tn.Name
				}
			}
			t.Fatal("globex is gone")
			return ""
		}

		// Tenant.Name is NVARCHAR(200): 100 emoji fit, 101 do not.
		fits := strings.Repeat("😀", 100)
		if err := db.RenameTenant(ctx, f.globex, fits, admin); err != nil {
			t.Fatalf("a name of 200 units: %v", err)
		}
		err := db.RenameTenant(ctx, f.globex, strings.Repeat("😀", 101), admin)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "Tenant.Name is too long: 202") {
			t.Fatalf("a name of 202 units: %v", err)
		}
		if got := tenantName(); got != fits {
			t.Fatalf("the refused rename wrote %d characters", len([]rune(got)))
		}

		// ServiceProvider.DisplayName is NVARCHAR(200).
		p, err := db.ProviderByID(ctx, f.provider)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.ThingSpaceCredentials(ctx, f.provider)
		if err != nil {
			t.Fatal(err)
		}
		edit := *p
		edit.DisplayName = strings.Repeat("d", 201)
		err = db.EditProvider(ctx, store.ProviderChange{Provider: edit, Credentials: store.Credentials{BaseURL: c.BaseURL,
			ClientID: c.ClientID, Username: c.Username}}, admin)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "ServiceProvider.DisplayName is too long: 201") {
			t.Fatalf("an over-long display name: %v", err)
		}
		if again, err := db.ProviderByID(ctx, f.provider); err != nil || again.DisplayName != p.DisplayName {
			t.Fatalf("the refused edit wrote: %+v %v", again, err)
		}

		// ReportSchedule.Recipients is NVARCHAR(2000).
		if err := db.PutDailySchedule(ctx, f.acme, "07:30", "m@acme.example", true, "m@acme.example"); err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("a", 1991) + "@x.example"
		if err := db.PutDailySchedule(ctx, f.acme, "07:30", long[:2000], true, "m@acme.example"); err != nil {
			t.Fatalf("recipients of 2000 characters: %v", err)
		}
		err = db.PutDailySchedule(ctx, f.acme, "07:30", long, true, "m@acme.example")
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "ReportSchedule.Recipients is too long: 2001") {
			t.Fatalf("recipients of 2001 characters: %v", err)
		}

		// EmailOutbox.Subject is NVARCHAR(500) (written when the e-mail job addresses it).
		bulk, rows := mustBatch(t, db, f, 1)
		if _, err := db.CancelOpenRows(ctx, f.acme, bulk, "m@acme.example"); err != nil {
			t.Fatal(err)
		}
		mails, _, err := db.OutboxEmails(ctx, 10, 0)
		if err != nil || len(mails) != 1 || len(rows) != 1 {
			t.Fatalf("outbox: %v %v", mails, err)
		}
		_, err = db.AddressEmail(ctx, mails[0].ID, []string{"m@acme.example"}, "", strings.Repeat("s", 501))
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "EmailOutbox.Subject is too long: 501") {
			t.Fatalf("an over-long subject: %v", err)
		}
		if m, err := db.OutboxEmail(ctx, mails[0].ID); err != nil || m.Addressed() {
			t.Fatalf("the refused address was written: %+v %v", m, err)
		}
	})
}

// TestAnOverLongSyncErrorIsStoredCut: the reason a carrier sync failed is the carrier's or the
// network's text, and must be recorded whatever its length: an UPDATE of a clipped column cuts
// it to the column (2000 UTF-16 units), never inside a character.
func TestAnOverLongSyncErrorIsStoredCut(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		run, err := db.StartSyncRun(ctx, f.provider, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FailSyncRun(ctx, run, "x"+strings.Repeat("😀", 1500)); err != nil {
			t.Fatalf("an over-long reason was refused: %v", err)
		}
		r, err := db.SyncRunByID(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		// "x" and 999 emoji are 1999 units; the 1000th emoji would make 2001.
		if want := "x" + strings.Repeat("😀", 999); r.Error != want {
			t.Fatalf("stored %d runes (valid UTF-8: %v), want %d", len([]rune(r.Error)), utf8.ValidString(r.Error), len([]rune(want)))
		}
	})
}
