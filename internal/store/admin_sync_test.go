package store_test

import (
	"context"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/store"
)

// TestSyncStorePath runs the store's side of an inventory sync and of the admin's inventory
// pages: a run with a new line, an outside identifier change, the outside change list, a rule,
// assigning by hand, and queueing a sync once only. Their statements are recorded for SQL
// Server with the rest (make sqlserver-statements).
func TestSyncStorePath(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		admin := store.Actor{Name: "admin@example.com"}

		tid, err := db.AddTenant(ctx, "Initech", admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTenant(ctx, "initech", admin); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("a duplicate tenant name: %v, want Conflict", err)
		}
		ts, err := db.AllTenants(ctx)
		if err != nil || len(ts) != 3 {
			t.Fatalf("AllTenants: %+v %v", ts, err)
		}
		rid, err := db.AddAssignmentRule(ctx, store.AssignmentRule{ProviderID: f.provider, Kind: store.RuleGroup, FieldValue: "initech",
			TenantID: tid, Priority: 100}, admin)
		if err != nil {
			t.Fatal(err)
		}
		if rs, err := db.AssignmentRules(ctx, f.provider); err != nil || len(rs) != 1 || rs[0].TenantName != "Initech" {
			t.Fatalf("AssignmentRules: %+v %v", rs, err)
		}

		lines, err := db.InventoryLines(ctx, f.provider)
		if err != nil || len(lines) != 30 {
			t.Fatalf("InventoryLines: %d %v", len(lines), err)
		}
		run, err := db.StartSyncRun(ctx, f.provider, "test")
		if err != nil {
			t.Fatal(err)
		}
		old := lines[0]
		moved := store.CarrierLine{ICCID: "89148000009999999999", IMEI: old.IMEI, MSISDN: old.MSISDN, State: "active", RatePlan: old.RatePlan}
		fresh := store.CarrierLine{ICCID: "89148000008888888888", IMEI: "866957049999999", MSISDN: "5125599999", State: "active"}
		if err := db.ApplySyncBatch(ctx, store.SyncBatch{RunID: run, ProviderID: f.provider, AccountNumber: "0000123456-00001", By: "test",
			Listed: 2, New: []store.SyncNew{{Line: fresh}}, Updates: []store.SyncUpdate{{Old: old, Line: moved, Outside: true}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinishSyncRun(ctx, run, nil, nil, store.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		runs, err := db.SyncRuns(ctx, f.provider, 10)
		if err != nil || len(runs) != 1 || runs[0].Status != store.SyncSucceeded || runs[0].ChangedOutside != 1 {
			t.Fatalf("SyncRuns: %+v %v", runs, err)
		}
		oc, err := db.OutsideChanges(ctx, f.provider, 10)
		if err != nil || len(oc) != 1 || oc[0].OldICCID != old.ICCID || oc[0].NewICCID != moved.ICCID || oc[0].TenantName != "Acme" {
			t.Fatalf("OutsideChanges: %+v %v", oc, err)
		}
		if oc, err := db.OutsideChanges(ctx, f.provider+1, 10); err != nil || len(oc) != 0 {
			t.Fatalf("OutsideChanges of another provider: %+v %v", oc, err)
		}
		// The metric idswap_outside_changes_found_total reads this count.
		if c, err := db.TruthCounts(ctx); err != nil || c.OutsideChanges != 1 {
			t.Fatalf("TruthCounts after a sync that found an outside change: %+v %v", c, err)
		}

		un, err := db.CarrierLines(ctx, store.LineFilter{ProviderID: f.provider, UnassignedOnly: true, Limit: 10})
		if err != nil || len(un) != 1 || un[0].ICCID != fresh.ICCID {
			t.Fatalf("unassigned lines: %+v %v", un, err)
		}
		placed, _, err := db.AssignLines(ctx, f.provider, tid, []int64{un[0].CarrierID}, admin)
		if err != nil || placed != 1 {
			t.Fatalf("AssignLines: %d %v", placed, err)
		}
		// Several tenants at once: all or nothing. The unknown tenant comes last in the
		// transaction's order, after the line has moved to Hooli, and undoes that move.
		hooli, err := db.AddTenant(ctx, "Hooli", admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AssignLinesByTenant(ctx, f.provider, map[int64][]int64{hooli: {un[0].CarrierID}, hooli + 1000: {un[0].CarrierID}},
			admin); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("AssignLinesByTenant with an unknown tenant: %v, want NotFound", err)
		}
		if got, _ := db.CarrierLines(ctx, store.LineFilter{ProviderID: f.provider, IDs: []int64{un[0].CarrierID}}); len(got) != 1 || got[0].TenantID != tid {
			t.Fatalf("after a refused AssignLinesByTenant the line is in %+v, want still in Initech", got)
		}
		if placed, moved, err := db.AssignLinesByTenant(ctx, f.provider, map[int64][]int64{hooli: {un[0].CarrierID}}, admin); err != nil || placed != 0 || moved != 1 {
			t.Fatalf("AssignLinesByTenant: placed %d moved %d %v, want the line moved", placed, moved, err)
		}
		if err := db.DeleteAssignmentRule(ctx, rid, admin); err != nil {
			t.Fatal(err)
		}

		queued, err := db.QueueSync(ctx, f.provider, admin)
		if err != nil || !queued {
			t.Fatalf("QueueSync: %v %v", queued, err)
		}
		if p, err := db.PendingSyncs(ctx); err != nil || !p[f.provider] || len(p) != 1 {
			t.Fatalf("PendingSyncs: %v %v", p, err)
		}
		if again, err := db.QueueSync(ctx, f.provider, admin); err != nil || again {
			t.Fatalf("a second QueueSync while one is queued: queued=%v %v", again, err)
		}
	})
}
