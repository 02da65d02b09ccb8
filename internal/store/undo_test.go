package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// undoRow is the row that puts a processed ICCID change back.
func undoRow(r store.DeviceChange) store.NewDeviceChange {
	return store.NewDeviceChange{DeviceID: *r.DeviceID, ICCID: r.NewICCID, IMEI: r.IMEI, MSISDN: r.MSISDN, NewICCID: r.ICCID,
		Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: r.NewICCID, NewICCID: r.ICCID, OldIMEI: r.IMEI})}
}

func TestUndoIsLinkedBothWaysAndOneIsOpenAtATime(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		u, _ := db.UserByEmail(ctx, "m@acme.example")
		id, rows := mustBatch(t, db, f, 3)
		mustFinish(t, db, rows[0].ID, change.StatusProcessed)
		mustFinish(t, db, rows[1].ID, change.StatusProcessed)
		mustFinish(t, db, rows[2].ID, change.StatusAPIFailed)

		cands, err := db.UndoCandidates(ctx, id)
		if err != nil || len(cands) != 3 {
			t.Fatalf("candidates: %+v %v", cands, err)
		}
		for i, c := range cands {
			if c.Number != i+1 || c.ID != rows[i].ID || !c.DeviceFound || c.LaterBulkChangeID != 0 || c.DeviceMSISDN != rows[i].MSISDN {
				t.Fatalf("candidate %d: %+v", i, c)
			}
		}
		// The processed rows' devices carry the new SIM now; the failed row's the old one.
		if cands[0].DeviceICCID != rows[0].NewICCID || cands[2].DeviceICCID != rows[2].ICCID || cands[2].Status != change.StatusAPIFailed {
			t.Fatalf("device identifiers: %+v / %+v", cands[0], cands[2])
		}
		if open, err := db.OpenUndo(ctx, id); err != nil || open != 0 {
			t.Fatalf("open undo before any: %d %v", open, err)
		}

		undo, created, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "undo", RequestedBy: u, UndoOf: id, Rows: []store.NewDeviceChange{undoRow(rows[0])}})
		if err != nil || !created {
			t.Fatalf("undo: %v %v", created, err)
		}
		ub, err := db.BulkChange(ctx, f.acme, undo)
		if err != nil || ub.UndoOf == nil || *ub.UndoOf != id || len(ub.UndoneBy) != 0 {
			t.Fatalf("undo request: %+v %v", ub, err)
		}
		ob, err := db.BulkChange(ctx, f.acme, id)
		if err != nil || ob.UndoOf != nil || !slices.Equal(ob.UndoneBy, []int64{undo}) {
			t.Fatalf("original: %+v %v", ob, err)
		}
		if open, err := db.OpenUndo(ctx, id); err != nil || open != undo {
			t.Fatalf("open undo: %d %v, want %d", open, err, undo)
		}

		// A second undo, even of another row, waits for the first to finish.
		_, _, err = db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "undo again", RequestedBy: u, UndoOf: id, Rows: []store.NewDeviceChange{undoRow(rows[1])}})
		if !apperr.Is(err, apperr.Conflict) || !strings.Contains(apperr.MessageOf(err), fmt.Sprintf("by bulk change %d", undo)) {
			t.Fatalf("second open undo: %v", err)
		}

		// Both trails name the other request.
		page, err := db.AuditSearch(ctx, store.AuditFilter{BulkChangeID: id, Kind: store.KindAudit})
		if err != nil {
			t.Fatal(err)
		}
		var onOriginal string
		for _, h := range page.Hits {
			if h.Summary == string(store.ActionBulkChangeUndo) {
				onOriginal = h.Details
			}
		}
		if want := fmt.Sprintf(`{"undo":%d,"rows":1}`, undo); onOriginal != want {
			t.Fatalf("original's audit: %q, want %q (%+v)", onOriginal, want, page.Hits)
		}
		page, err = db.AuditSearch(ctx, store.AuditFilter{BulkChangeID: undo, Kind: store.KindAudit})
		if err != nil || len(page.Hits) != 1 || !strings.Contains(page.Hits[0].Details, fmt.Sprintf(`"undo_of":%d`, id)) {
			t.Fatalf("undo's audit: %+v %v", page.Hits, err)
		}

		// Once the undo is processed, the row's device has its old SIM back and the row shows
		// the later change; no undo is open any more.
		urows, _, err := db.DeviceChanges(ctx, undo, store.DeviceChangeFilter{})
		if err != nil || len(urows) != 1 {
			t.Fatal(err)
		}
		mustFinish(t, db, urows[0].ID, change.StatusProcessed)
		if open, err := db.OpenUndo(ctx, id); err != nil || open != 0 {
			t.Fatalf("open undo after it finished: %d %v", open, err)
		}
		cands, err = db.UndoCandidates(ctx, id)
		if err != nil || cands[0].LaterBulkChangeID != undo || cands[0].DeviceICCID != rows[0].ICCID || cands[1].LaterBulkChangeID != 0 {
			t.Fatalf("candidates after the undo: %+v %v", cands, err)
		}
	})
}
