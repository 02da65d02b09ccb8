package store_test

import (
	"context"
	"strings"
	"testing"

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
