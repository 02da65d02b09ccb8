package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// newRows makes n ICCID changes for the devices of a tenant from the offset-th on, to new ICCIDs
// numbered from firstNew.
func newRows(t *testing.T, db *store.DB, tenant int64, offset, n, firstNew int) []store.NewDeviceChange {
	t.Helper()
	ds, _, err := db.Devices(context.Background(), store.DeviceFilter{TenantID: tenant, Limit: n, Offset: offset})
	if err != nil || len(ds) != n {
		t.Fatalf("devices: %d %v", len(ds), err)
	}
	var rows []store.NewDeviceChange
	for i, d := range ds {
		newICCID := fmt.Sprintf("8914800009%010d", firstNew+i)
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN,
			NewICCID: newICCID, Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: newICCID, OldIMEI: d.IMEI})})
	}
	return rows
}

func TestCreateBulkChangeWritesEverythingInOneGo(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		u, _ := db.UserByEmail(ctx, "m@acme.example")
		woken := 0
		db.OnEnqueue = func() { woken++ }
		nb := store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider, Type: change.ChangeICCID,
			Reason: "SIMs failed", RequestedBy: u, IdempotencyKey: "form-1", Rows: newRows(t, db, f.acme, 0, 3, 0)}
		id, created, err := db.CreateBulkChange(ctx, nb)
		if err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		b, err := db.BulkChange(ctx, f.acme, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != change.BatchNew || b.Type != change.ChangeICCID || b.Counts.Total != 3 || b.Counts.New != 3 || b.CreatedBy != "m@acme.example" {
			t.Fatalf("bulk change: %+v", b)
		}
		rows, total, err := db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
		if err != nil || total != 3 || len(rows) != 3 {
			t.Fatalf("rows: %d %v", total, err)
		}
		if _, err := change.ParseEnvelope(rows[0].ChangeRequest); err != nil || rows[0].NewICCID == "" {
			t.Fatalf("row: %+v %v", rows[0], err)
		}
		if n, _ := db.CountJobs(ctx, store.JobQueued); n != 3 || woken != 1 {
			t.Fatalf("jobs %d, woken %d", n, woken)
		}
		// The audit event names the action and carries its details as JSON the store encoded.
		page, err := db.AuditSearch(ctx, store.AuditFilter{BulkChangeID: id, Kind: store.KindAudit})
		if err != nil || len(page.Hits) != 1 {
			t.Fatalf("audit: %+v %v", page, err)
		}
		want := fmt.Sprintf(`{"type":%q,"rows":3,"provider":%d}`, change.ChangeICCID, f.provider)
		if h := page.Hits[0]; h.Summary != string(store.ActionBulkChangeCreate) || h.Details != want {
			t.Fatalf("audit event: %q %q, want %q %q", h.Summary, h.Details, store.ActionBulkChangeCreate, want)
		}
		// The same key again: the same batch, nothing new.
		again, created, err := db.CreateBulkChange(ctx, nb)
		if err != nil || created || again != id {
			t.Fatalf("second submit: %d %v %v", again, created, err)
		}
		if n, _ := db.CountJobs(ctx, store.JobQueued); n != 3 {
			t.Fatalf("jobs after a double submit: %d", n)
		}
		// Another tenant cannot see it.
		if _, err := db.BulkChange(ctx, f.globex, id); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("cross-tenant read: %v", err)
		}
		list, n, err := db.BulkChanges(ctx, store.BulkChangeFilter{TenantID: f.acme})
		if err != nil || n != 1 || list[0].Counts.Total != 3 {
			t.Fatalf("list: %d %v %+v", n, err, list)
		}
		if _, n, _ := db.BulkChanges(ctx, store.BulkChangeFilter{TenantID: f.globex}); n != 0 {
			t.Fatalf("globex sees %d of acme's requests", n)
		}
	})
}

func TestCreateBulkChangeRefusesTakenIdentifiers(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		u, _ := db.UserByEmail(ctx, "m@acme.example")
		first := newRows(t, db, f.acme, 0, 2, 0)
		if _, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "r", RequestedBy: u, Rows: first}); err != nil {
			t.Fatal(err)
		}
		// Same devices and SIMs again, plus a SIM that is on a live device.
		second := newRows(t, db, f.acme, 0, 3, 0)
		second[2].NewICCID = "89148000000000000010"
		_, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "r", RequestedBy: u, Rows: second})
		var ce *store.ClashError
		if !apperr.Is(err, apperr.Conflict) || !errors.As(err, &ce) {
			t.Fatalf("want a conflict, got %v", err)
		}
		// Two SIMs in an open change, two lines with an open change, one SIM on a device.
		if len(ce.Clashes) != 5 {
			t.Fatalf("clashes: %+v", ce.Clashes)
		}
		if _, n, _ := db.BulkChanges(ctx, store.BulkChangeFilter{TenantID: f.acme}); n != 1 {
			t.Fatalf("a refused request was stored: %d requests", n)
		}
	})
}

// TestConcurrentSubmitsLeaveOneOpenRowPerSIM: requests for the same devices and new SIMs sent
// at the same time. One wins; every other gets the open-change conflict, never a second open
// row (the checks and, behind them, the open-row unique indexes).
func TestConcurrentSubmitsLeaveOneOpenRowPerSIM(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		u, _ := db.UserByEmail(ctx, "m@acme.example")
		rows := newRows(t, db, f.acme, 0, 5, 500)
		const n = 8
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			go func() {
				<-start
				_, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
					Type: change.ChangeICCID, Reason: "race", RequestedBy: u, IdempotencyKey: fmt.Sprint("race-", i), Rows: rows})
				errs <- err
			}()
		}
		close(start)
		won := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				won++
			case !apperr.Is(err, apperr.Conflict):
				t.Errorf("a losing submit: %v, want the open-change conflict", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d submits won, want 1", won)
		}
		bs, total, err := db.BulkChanges(ctx, store.BulkChangeFilter{TenantID: f.acme})
		if err != nil || total != 1 || len(bs) != 1 || bs[0].Counts.Total != 5 {
			t.Fatalf("batches: %d %+v %v", total, bs, err)
		}
	})
}
