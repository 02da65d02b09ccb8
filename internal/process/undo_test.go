package process_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// TestUndoPutsTheOldIdentifiersBack runs a SIM-and-device swap of four lines against the
// simulator (one fails at the carrier), lets another line take one of the old devices at the
// carrier behind idswap's back, and undoes the request through request.Service and the engine:
// the two rows that can be undone get their old SIM and device back at the carrier, in Device,
// in ThingSpaceDevice and in the identifier history; the other two are refused with the reason.
func TestUndoPutsTheOldIdentifiersBack(t *testing.T) {
	r := newRig(t, 5, tssim.Config{})
	ctx := context.Background()
	// What onboarding sets up: the devices' model, and a plan that serves its network type.
	admin := store.Actor{Name: "test"}
	if err := r.db.AddDeviceModels(ctx, []store.NewDeviceModel{{Manufacturer: "Quectel", Model: "EG91",
		FromIMEI: "353320110000000", ToIMEI: "353320119999999", NetworkType: change.NetworkLTECat1}}, admin); err != nil {
		t.Fatal(err)
	}
	plans, err := r.db.CarrierPlans(ctx, r.provider)
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans: %+v %v", plans, err)
	}
	if err := r.db.SetPlanPricing(ctx, plans[0].ID, 5, []string{change.NetworkLTECat1}, admin); err != nil {
		t.Fatal(err)
	}
	r.sim.InjectFault(r.lines[3].SpareICCID, tssim.Fault{Code: "UnifiedWebService.REQUEST_FAILED.UnexpectedError"})
	rn := r.start(nil, nil)
	id := r.batch(change.ChangeIMEIandICCID, 4)
	if b := r.waitFinal(id); b.Status != change.BatchProcessedWithErrors || b.Counts.Processed != 3 {
		t.Fatalf("original: %s %+v", b.Status, b.Counts)
	}

	// Line 5, which idswap does not change, takes line 2's old device at the carrier.
	outside, err := thingspace.New(thingspace.Config{BaseURL: r.carrier.URL, ClientID: clientID, ClientSecret: clientSecret,
		Username: uwsUser, Password: uwsPassword, AccountName: account, ServiceType: "4G"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outside.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{
		DeviceIDs:   []thingspace.DeviceID{{ID: r.lines[4].MDN, Kind: thingspace.KindMDN}},
		DeviceIDsTo: []thingspace.DeviceID{{ID: r.lines[1].IMEI, Kind: thingspace.KindIMEI}}, Change4GOption: thingspace.ChangeIMEI}); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the outside change", func() bool {
		l, ok := r.sim.Line(r.lines[4].MDN)
		return ok && l.IMEI == r.lines[1].IMEI
	})

	svc := request.New(r.db)
	svc.UseCarrier(rn.engine)
	plan, err := svc.PlanUndo(ctx, r.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Rows) != 2 || plan.Rows[0].Number != 1 || plan.Rows[1].Number != 3 {
		t.Fatalf("undoable rows: %+v", plan.Rows)
	}
	if u := plan.Rows[0]; u.ToICCID != r.lines[0].ICCID || u.ToIMEI != r.lines[0].IMEI || u.FromICCID != r.lines[0].SpareICCID {
		t.Fatalf("row 1: %+v", u)
	}
	if len(plan.Refused) != 2 || plan.Refused[0].Number != 2 || plan.Refused[1].Number != 4 ||
		!strings.Contains(plan.Refused[0].Reason, "the carrier shows IMEI "+r.lines[1].IMEI+" on another line") ||
		!strings.Contains(plan.Refused[1].Reason, "failed at the carrier") {
		t.Fatalf("refused: %+v", plan.Refused)
	}

	sub, _, err := svc.SubmitUndo(ctx, r.tenant, id, plan.Key, request.Submitter{User: r.user, IdempotencyKey: "undo-1"})
	if err != nil || !sub.Created {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	undo := r.waitFinal(sub.ID)
	if undo.Status != change.BatchProcessed || undo.Counts.Processed != 2 || undo.UndoOf == nil || *undo.UndoOf != id {
		t.Fatalf("undo: %s %+v undo of %v", undo.Status, undo.Counts, undo.UndoOf)
	}

	carrierCopy, err := r.db.CarrierDevices(ctx, r.provider)
	if err != nil {
		t.Fatal(err)
	}
	copyOf := map[string]store.CarrierDevice{}
	for _, c := range carrierCopy {
		copyOf[c.MSISDN] = c
	}
	for i, l := range r.lines[:4] {
		wantICCID, wantIMEI := l.ICCID, l.IMEI // undone, or never changed (row 4 failed)
		if i == 1 {
			wantICCID, wantIMEI = l.SpareICCID, l.SpareIMEI // not undone
		}
		at, _ := r.sim.Line(l.MDN)
		d, err := r.db.DeviceByID(ctx, r.tenant, l.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		c := copyOf[l.MDN]
		if at.ICCID != wantICCID || at.IMEI != wantIMEI || d.ICCID != wantICCID || d.IMEI != wantIMEI || c.ICCID != wantICCID || c.IMEI != wantIMEI {
			t.Errorf("line %d: carrier %s/%s, Device %s/%s, ThingSpaceDevice %s/%s; want %s/%s",
				i+1, at.ICCID, at.IMEI, d.ICCID, d.IMEI, c.ICCID, c.IMEI, wantICCID, wantIMEI)
		}
	}
	for _, i := range []int{0, 2} {
		l := r.lines[i]
		h, err := r.db.IdentifierHistory(ctx, r.tenant, l.DeviceID)
		if err != nil || len(h) < 2 {
			t.Fatalf("history of line %d: %+v %v", i+1, h, err)
		}
		if last := h[0]; last.BulkChangeID == nil || *last.BulkChangeID != sub.ID || last.OldICCID != l.SpareICCID ||
			last.NewICCID != l.ICCID || last.OldIMEI != l.SpareIMEI || last.NewIMEI != l.IMEI {
			t.Errorf("line %d's last history entry: %+v", i+1, last)
		}
	}
	orig, err := r.db.BulkChange(ctx, r.tenant, id)
	if err != nil || len(orig.UndoneBy) != 1 || orig.UndoneBy[0] != sub.ID {
		t.Fatalf("original after the undo: %+v %v", orig, err)
	}
	// Everything that could be undone has been: a second undo finds nothing to do.
	again, err := svc.PlanUndo(ctx, r.tenant, id)
	if err != nil || len(again.Rows) != 0 || !strings.Contains(again.Refused[0].Reason, "undone already by bulk change") {
		t.Fatalf("second plan: %+v %v", again, err)
	}
}
