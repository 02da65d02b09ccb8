package request_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// withCarrier points the world's provider at a simulator with these lines and lets the service
// ask it (through the engine's lookup, as `idswap serve` wires it).
func (w *world) withCarrier(t *testing.T, lines ...tssim.Line) {
	t.Helper()
	ctx := context.Background()
	const account, id, secret, user, pass = "0000123456-00001", "cid", "csecret", "uws", "uws-pass"
	for i := range lines {
		lines[i].Account, lines[i].State = account, tssim.StateActive
	}
	sim, err := tssim.New(tssim.Config{}, tssim.Seed{Lines: lines,
		Plans:    []tssim.Plan{{Code: "LTEM-10MB", Name: "LTE-M"}, {Code: "CAT1-1GB", Name: "Cat-1"}},
		Accounts: []tssim.Account{{Name: account, ClientID: id, ClientSecret: secret, Username: user, Password: pass}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); _ = sim.Close() })
	if err := w.db.PutThingSpaceCredentials(ctx, store.Credentials{ServiceProviderID: w.provider, BaseURL: srv.URL,
		AuthTokenURL: "/api/ts/v1/oauth2/token", AuthURL: "/api/m2m/v1/session/login", ClientID: id, ClientSecret: secret,
		Username: user, Password: pass, AccountNumber: account, ServiceType: "4G"}, "test"); err != nil {
		t.Fatal(err)
	}
	w.svc.UseCarrier(process.New(process.Config{Store: w.db}))
}

// processed ends every row of a request PROCESSED, the way the engine does.
func (w *world) processed(t *testing.T, bulkID int64) {
	t.Helper()
	ctx := context.Background()
	rows, _, err := w.db.DeviceChanges(ctx, bulkID, store.DeviceChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, ok, err := w.db.ClaimChange(ctx, r.ID, "engine", time.Minute, 0); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := w.db.RecordSent(ctx, r.ID, "req", "engine"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.FinishChange(ctx, store.FinishedChange{ChangeID: r.ID, From: change.StatusProcessing,
			To: change.StatusProcessed, By: "engine"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUndoPutsThePlanBackOnlyWhereTheRequestChangedIt: device 1 moved to a Cat-1 device on a
// Cat-1 plan goes back to its LTE-M device and its LTE-M plan; device 2, moved to another LTE-M
// device with its plan kept, keeps the plan it has. The carrier (the simulator) knows neither
// old device on a line, so both can be undone.
func TestUndoPutsThePlanBackOnlyWhereTheRequestChangedIt(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.withCarrier(t, tssim.Line{MDN: mdn(1), ICCID: iccid(1), IMEI: imei(tacCat1, 1001), ServicePlan: "CAT1-1GB"},
		tssim.Line{MDN: mdn(2), ICCID: iccid(2), IMEI: imei(tacLTEM, 1002), ServicePlan: "LTEM-10MB"})
	plan := "CAT1-1GB"
	d := w.draft(change.ChangeIMEI, change.Row{Current: iccid(1), NewIMEI: imei(tacCat1, 1001)})
	d.AllPlans = &plan
	first, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager})
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.svc.Submit(ctx, w.draft(change.ChangeIMEI, change.Row{Current: iccid(2), NewIMEI: imei(tacLTEM, 1002)}),
		request.Submitter{User: w.manager})
	if err != nil {
		t.Fatal(err)
	}
	w.processed(t, first.ID)
	w.processed(t, second.ID)
	if dev, _ := w.db.DevicesByIdentifier(ctx, w.acme, iccid(1)); len(dev) != 1 || dev[0].RatePlan != "CAT1-1GB" {
		t.Fatalf("device 1 after the change: %+v", dev)
	}

	p, err := w.svc.PlanUndo(ctx, w.acme, first.ID)
	if err != nil || len(p.Rows) != 1 || len(p.Refused) != 0 {
		t.Fatalf("undo of the plan change: %+v %v", p, err)
	}
	if u := p.Rows[0]; u.Plan != "LTEM-10MB" || u.ToIMEI != imei(tacLTEM, 1) || u.FromIMEI != imei(tacCat1, 1001) || u.ToICCID != "" {
		t.Fatalf("row: %+v", u)
	}
	p, err = w.svc.PlanUndo(ctx, w.acme, second.ID)
	if err != nil || len(p.Rows) != 1 || p.Rows[0].Plan != "" {
		t.Fatalf("undo keeping the plan: %+v %v", p, err)
	}
	sub, _, err := w.svc.SubmitUndo(ctx, w.acme, first.ID, "", request.Submitter{User: w.manager})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := w.db.DeviceChanges(ctx, sub.ID, store.DeviceChangeFilter{})
	if err != nil || len(rows) != 1 || rows[0].ServicePlan != "LTEM-10MB" || rows[0].NewIMEI != imei(tacLTEM, 1) {
		t.Fatalf("stored undo row: %+v %v", rows, err)
	}
	// Globex cannot see, let alone undo, Acme's request.
	if _, err := w.svc.PlanUndo(ctx, w.globex, second.ID); err == nil || !strings.Contains(err.Error(), "no bulk change") {
		t.Fatalf("another tenant's undo: %v", err)
	}
}
