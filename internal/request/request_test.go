package request_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
)

func mustCheck(t *testing.T, w *world, d request.Draft) *request.Result {
	t.Helper()
	res, err := w.svc.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCheckAcceptsAGoodRequest(t *testing.T) {
	w := newWorld(t)
	res := mustCheck(t, w, w.draft(change.ChangeICCID,
		change.Row{Current: iccid(1), NewICCID: iccid(1001)},
		change.Row{Current: "(512) 555-0002", NewICCID: iccid(1002)},
		change.Row{Current: imei(tacLTEM, 3), NewICCID: iccid(1003)},
	))
	if !res.Ready || res.Invalid != 0 || len(res.Fields) != 0 {
		t.Fatalf("not ready: %+v %v", res.Fields, res.Rows)
	}
	if len(res.Groups) != 1 || res.Groups[0].Key != "LTE-M/keep" || !res.Groups[0].Chosen || res.Groups[0].Choice != change.KeepPlan {
		t.Fatalf("groups: %+v", res.Groups)
	}
	for _, r := range res.Rows {
		if r.Device == nil || r.Plan == nil || r.Plan.Code != "LTEM-10MB" || r.CostCents != 0 || r.NetworkType != change.NetworkLTEM {
			t.Fatalf("row %d: %+v", r.Index, r)
		}
	}
}

// TestEachRowCheck puts one bad row after a good one and expects exactly one problem, on the
// bad row, in the right column, saying what is wrong.
func TestEachRowCheck(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// An open request holding device 9 and SIM 1009 (and IMEI 1009 on the ICCID+IMEI side).
	open := w.draft(change.ChangeIMEIandICCID, change.Row{Current: iccid(9), NewICCID: iccid(1009), NewIMEI: imei(tacLTEM, 1009)})
	sub, err := w.svc.Submit(ctx, open, request.Submitter{User: w.manager})
	if err != nil {
		t.Fatal(err)
	}
	good := change.Row{Current: iccid(1), NewICCID: iccid(1001)}
	for name, tc := range map[string]struct {
		typ  change.Type
		bad  change.Row
		col  change.Column
		want string
	}{
		"check digit": {change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(1002)[:19] + "0"},
			change.ColumnNewICCID, "Row 2, new ICCID: ICCID " + iccid(1002)[:19] + "0: check digit is 0 but should be"},
		"unknown device": {change.ChangeICCID, change.Row{Current: iccid(99), NewICCID: iccid(1002)},
			change.ColumnCurrent, "Row 2, current device: no device with ICCID " + iccid(99) + " at ThingSpace in Acme"},
		"another tenant's device is not found": {change.ChangeICCID, change.Row{Current: mdn(21), NewICCID: iccid(1002)},
			change.ColumnCurrent, "no device with MDN " + mdn(21) + " at ThingSpace in Acme"},
		"inactive device": {change.ChangeICCID, change.Row{Current: iccid(11), NewICCID: iccid(1002)},
			change.ColumnCurrent, "is Suspended; only an active line can change its identifiers"},
		"line without MDN": {change.ChangeICCID, change.Row{Current: iccid(12), NewICCID: iccid(1002)},
			change.ColumnCurrent, "has no MDN"},
		"new ICCID on a device": {change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(22)},
			change.ColumnNewICCID, "ICCID " + iccid(22) + " is already the SIM of another line"},
		"new ICCID is the line's own": {change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(2)},
			change.ColumnNewICCID, "is this line's SIM already"},
		"new ICCID in an open change": {change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(1009)},
			change.ColumnNewICCID, "is already the new SIM of an open change (bulk change "},
		"new IMEI on a device": {change.ChangeIMEI, change.Row{Current: iccid(2), NewIMEI: imei(tacLTEM, 3)},
			change.ColumnNewIMEI, "is already the device of another line"},
		"new IMEI in an open change": {change.ChangeIMEI, change.Row{Current: iccid(2), NewIMEI: imei(tacLTEM, 1009)},
			change.ColumnNewIMEI, "is already the new device of an open change"},
		"new IMEI of unknown model": {change.ChangeIMEI, change.Row{Current: iccid(2), NewIMEI: imei(tacUnknown, 1)},
			change.ColumnNewIMEI, "its TAC 35999999 is in no known device range"},
		"device already in an open change": {change.ChangeICCID, change.Row{Current: mdn(9), NewICCID: iccid(1002)},
			change.ColumnCurrent, "the line already has an open change (bulk change "},
		"same new ICCID twice": {change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(1001)},
			change.ColumnNewICCID, "Row 2, new ICCID: ICCID " + iccid(1001) + " is also the new ICCID of row 1"},
		"same device twice, by another identifier": {change.ChangeICCID, change.Row{Current: mdn(1), NewICCID: iccid(1002)},
			change.ColumnCurrent, "Row 2, current device: the same line (ICCID " + iccid(1) + ") is also in row 1"},
		"column not for this type": {change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(1002), NewIMEI: imei(tac5G, 1)},
			change.ColumnNewIMEI, "ChangeICCID keeps the device, so leave this column empty"},
		"column missing for this type": {change.ChangeICCID, change.Row{Current: iccid(2)},
			change.ColumnNewICCID, "missing; ChangeICCID needs the new ICCID"},
	} {
		t.Run(name, func(t *testing.T) {
			first := good
			if tc.typ == change.ChangeIMEI {
				first = change.Row{Current: iccid(1), NewIMEI: imei(tacLTEM, 1001)}
			}
			res := mustCheck(t, w, w.draft(tc.typ, first, tc.bad))
			if res.Ready {
				t.Fatal("a request with a bad row is ready")
			}
			want := 1
			if strings.Contains(name, "twice") {
				want = 2 // both rows of a pair are told about the other
			}
			if res.Invalid != want {
				t.Fatalf("%d invalid rows, want %d: %v / %v", res.Invalid, want, res.Rows[0].Messages(), res.Rows[1].Messages())
			}
			bad := res.Rows[1]
			if len(bad.Problems) != 1 || bad.Problems[0].Column != tc.col || !strings.Contains(bad.Problems[0].Message, tc.want) {
				t.Fatalf("problems of row 2: %+v\nwant one in %s containing %q", bad.Problems, tc.col, tc.want)
			}
		})
	}
	if sub.ID == 0 {
		t.Fatal("the open request was not stored")
	}
}

func TestAnotherTenantsOpenChangeIsNotNamed(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	globex := request.Draft{TenantID: w.globex, ProviderID: w.provider, Type: change.ChangeICCID, Reason: "r",
		Rows: []change.Row{{Current: iccid(21), NewICCID: iccid(1001)}}}
	if _, err := w.svc.Submit(ctx, globex, request.Submitter{User: w.other}); err != nil {
		t.Fatal(err)
	}
	res := mustCheck(t, w, w.draft(change.ChangeICCID, change.Row{Current: iccid(1), NewICCID: iccid(1001)}))
	msg := res.Rows[0].Messages()
	if len(msg) != 1 || !strings.Contains(msg[0], "is already the new SIM of an open change") || strings.Contains(msg[0], "bulk change") {
		t.Fatalf("messages: %v", msg)
	}
}

func TestHeaderChecks(t *testing.T) {
	w := newWorld(t)
	d := request.Draft{Type: "ChangeSomething", Reason: "  "}
	res := mustCheck(t, w, d)
	for _, f := range []string{request.FieldTenant, request.FieldProvider, request.FieldType, request.FieldReason, request.FieldRows} {
		if res.Fields[f] == "" {
			t.Errorf("no problem for %s: %v", f, res.Fields)
		}
	}
	d = w.draft(change.ChangeICCID)
	d.Rows = make([]change.Row, change.MaxRows+1)
	res = mustCheck(t, w, d)
	if !strings.Contains(res.Fields[request.FieldRows], "10001 rows; at most 10000") {
		t.Fatalf("too many rows: %v", res.Fields)
	}
}

func TestPlansAreGroupedByNetworkType(t *testing.T) {
	w := newWorld(t)
	d := w.draft(change.ChangeIMEI,
		change.Row{Current: iccid(1), NewIMEI: imei(tac5G, 1)},      // LTE-M plan → 5G device: must choose
		change.Row{Current: iccid(2), NewIMEI: imei(tacLTEM, 1001)}, // LTE-M → LTE-M: keeps its plan
		change.Row{Current: iccid(3), NewIMEI: imei(tacCat1, 1)},    // LTE-M plan → Cat-1 device: must choose
		change.Row{Current: iccid(13), NewIMEI: imei(tacCat1, 2)},   // Cat-1 → Cat-1: keeps
	)
	res := mustCheck(t, w, d)
	var keys []string
	for _, g := range res.Groups {
		keys = append(keys, g.Key)
	}
	if strings.Join(keys, " ") != "5G/change LTE Cat-1/keep LTE Cat-1/change LTE-M/keep" {
		t.Fatalf("groups: %v", keys)
	}
	if res.Ready || res.NetworkChanges != 2 {
		t.Fatalf("ready %v, network changes %d", res.Ready, res.NetworkChanges)
	}
	g5 := res.Groups[0]
	if g5.Chosen || len(g5.Compatible) != 1 || g5.Compatible[0].Code != "5G-NR" {
		t.Fatalf("5G group: %+v", g5)
	}
	if cat := res.Groups[2]; len(cat.Compatible) != 2 || cat.Compatible[0].Code != "CAT1-1GB" || cat.Compatible[1].Code != "SHR-2GB" {
		t.Fatalf("Cat-1 plans: %+v", cat.Compatible)
	}

	// Choose for both groups that need it: ready, and the cost is the sum of the differences.
	d.PlanChoices = map[string]string{"5G/change": "5G-NR", "LTE Cat-1/change": "SHR-2GB"}
	res = mustCheck(t, w, d)
	if !res.Ready {
		t.Fatalf("not ready: %+v", res.Groups)
	}
	if want := int64((4500 - 450) + (1800 - 450)); res.CostCents != want {
		t.Fatalf("cost %d, want %d", res.CostCents, want)
	}
	if res.Rows[0].Plan.Code != "5G-NR" || res.Rows[1].Plan.Code != "LTEM-10MB" || res.Rows[1].CostCents != 0 {
		t.Fatalf("plans: %+v %+v", res.Rows[0].Plan, res.Rows[1].Plan)
	}

	// A plan that does not serve the group is refused on the group and its rows.
	d.PlanChoices["5G/change"] = "LTEM-10MB"
	res = mustCheck(t, w, d)
	if res.Ready || !strings.Contains(res.Groups[0].Problem, "plan LTEM-10MB does not serve 5G") ||
		res.Rows[0].PlanProblem == nil || !strings.HasPrefix(res.Rows[0].PlanProblem.Message, "Row 1, rate plan: ") {
		t.Fatalf("incompatible choice: %q %+v", res.Groups[0].Problem, res.Rows[0].PlanProblem)
	}

	// One plan for every row (the API's service_plan): rows it does not serve are told so.
	all := "SHR-2GB"
	d.PlanChoices, d.AllPlans = nil, &all
	res = mustCheck(t, w, d)
	if res.Ready || res.Rows[0].PlanProblem == nil || res.Rows[1].PlanProblem != nil || res.Rows[2].PlanProblem != nil {
		t.Fatalf("one plan for all: %v %v %v", res.Rows[0].PlanProblem, res.Rows[1].PlanProblem, res.Rows[2].PlanProblem)
	}
}

func TestSubmitStoresEverythingOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	d := w.draft(change.ChangeIMEI, change.Row{Current: iccid(1), NewIMEI: imei(tac5G, 1)}, change.Row{Current: mdn(2), NewIMEI: imei(tacLTEM, 1002)})
	d.PlanChoices = map[string]string{"5G/change": "5G-NR"}
	by := request.Submitter{User: w.manager, IdempotencyKey: "form-key-1", RemoteAddr: "192.0.2.1"}
	sub, err := w.svc.Submit(ctx, d, by)
	if err != nil || !sub.Created || sub.ID == 0 {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	b, err := w.db.BulkChange(ctx, w.acme, sub.ID)
	if err != nil || b.Status != change.BatchNew || b.Counts.New != 2 || b.Reason != "SIMs failed in the field" || b.Type != change.ChangeIMEI {
		t.Fatalf("bulk change: %+v %v", b, err)
	}
	rows, _, err := w.db.DeviceChanges(ctx, sub.ID, store.DeviceChangeFilter{})
	if err != nil || len(rows) != 2 {
		t.Fatal(rows, err)
	}
	req, err := change.ParseEnvelope(rows[0].ChangeRequest)
	if err != nil {
		t.Fatal(err)
	}
	id := req.Identifier
	if rows[0].ServicePlan != "5G-NR" || id.ServicePlan != "5G-NR" || id.CurrentServicePlan != "LTEM-10MB" ||
		id.NetworkType != change.Network5G || id.NewIMEI != imei(tac5G, 1) || id.OldIMEI != imei(tacLTEM, 1) || id.CurrentKind != "ICCID" {
		t.Fatalf("row 1: plan column %q, request %+v", rows[0].ServicePlan, id)
	}
	// The second row keeps its plan: "" in the column and in the JSON.
	req2, _ := change.ParseEnvelope(rows[1].ChangeRequest)
	if rows[1].ServicePlan != "" || req2.Identifier.ServicePlan != "" || req2.Identifier.CurrentKind != "MDN" || req2.Identifier.Current != mdn(2) {
		t.Fatalf("row 2: %q %+v", rows[1].ServicePlan, req2.Identifier)
	}

	// The same key again: the same request, nothing new — even though its rows now clash.
	again, err := w.svc.Submit(ctx, d, by)
	if err != nil || again.Created || again.ID != sub.ID {
		t.Fatalf("second submit: %+v %v", again, err)
	}
	// Another user's identical key is theirs alone: it does not find Acme's request.
	if _, err := w.svc.Submit(ctx, d, request.Submitter{User: w.other, IdempotencyKey: "form-key-1"}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("another user's key: %v", err)
	}
	if _, n, _ := w.db.BulkChanges(ctx, store.BulkChangeFilter{AllTenants: true}); n != 1 {
		t.Fatalf("%d bulk changes", n)
	}
}

func TestSubmitRefusesAndStoresNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	d := w.draft(change.ChangeICCID, change.Row{Current: iccid(1), NewICCID: iccid(1001)}, change.Row{Current: iccid(11), NewICCID: iccid(1002)})
	sub, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager, IdempotencyKey: "k"})
	if !apperr.Is(err, apperr.Invalid) || !errors.Is(err, request.ErrNotReady) || sub.Result == nil || sub.Result.Invalid != 1 {
		t.Fatalf("submit with a bad row: %+v %v", sub, err)
	}
	if !strings.Contains(apperr.MessageOf(err), "1 of 2 rows have problems") {
		t.Fatalf("message: %q", apperr.MessageOf(err))
	}
	// A group without a plan is refused too.
	d = w.draft(change.ChangeIMEI, change.Row{Current: iccid(1), NewIMEI: imei(tac5G, 1)})
	_, err = w.svc.Submit(ctx, d, request.Submitter{User: w.manager})
	if !strings.Contains(apperr.MessageOf(err), "Choose a rate plan for the 1 devices on 5G") {
		t.Fatalf("no plan: %v", err)
	}
	if _, n, _ := w.db.BulkChanges(ctx, store.BulkChangeFilter{AllTenants: true}); n != 0 {
		t.Fatalf("%d bulk changes stored", n)
	}
}

func TestConcurrentSubmitsOfOneKeyMakeOneRequest(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	d := w.draft(change.ChangeICCID, change.Row{Current: iccid(1), NewICCID: iccid(1001)}, change.Row{Current: iccid(2), NewICCID: iccid(1002)})
	by := request.Submitter{User: w.manager, IdempotencyKey: "double-click"}
	var wg sync.WaitGroup
	ids := make([]int64, 4)
	errs := make([]error, 4)
	for i := range ids {
		wg.Go(func() {
			sub, err := w.svc.Submit(ctx, d, by)
			ids[i], errs[i] = sub.ID, err
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] || ids[i] == 0 {
			t.Fatalf("submit %d: id %d (first %d), %v", i, ids[i], ids[0], errs[i])
		}
	}
	if _, n, _ := w.db.BulkChanges(ctx, store.BulkChangeFilter{AllTenants: true}); n != 1 {
		t.Fatalf("%d bulk changes", n)
	}
}

func TestRetryDraftTakesTheFailedRows(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	d := w.draft(change.ChangeICCID, change.Row{Current: mdn(1), NewICCID: iccid(1001)}, change.Row{Current: mdn(2), NewICCID: iccid(1002)})
	sub, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RetryDraft(ctx, w.acme, sub.ID); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("retry with nothing failed: %v", err)
	}
	w.setRowStatus(t, sub.ID, change.StatusAPIFailed)
	if _, err := w.svc.RetryDraft(ctx, w.globex, sub.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another tenant's retry: %v", err)
	}
	r, err := w.svc.RetryDraft(ctx, w.acme, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.TenantID != w.acme || r.ProviderID != w.provider || r.Type != change.ChangeICCID || len(r.Rows) != 2 ||
		!reflect.DeepEqual(r.Rows[0], change.Row{Current: iccid(1), NewICCID: iccid(1001), Note: "failed at the carrier"}) || !strings.Contains(r.Reason, "Retry of the failed rows") {
		t.Fatalf("retry draft: %+v", r)
	}
	// The failed rows no longer hold their identifiers, so the retry checks clean.
	if res := mustCheck(t, w, r); !res.Ready {
		t.Fatalf("retry not ready: %v %v", res.Rows[0].Messages(), res.Fields)
	}
}

// A retry's reason ("Retry of the failed rows of bulk change N: " and the original) is cut to
// what the column holds in UTF-16 units: a 250-emoji reason fills it already, and the retry
// must still check clean and be stored.
func TestARetryOfAFullEmojiReasonFitsTheColumn(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	d := w.draft(change.ChangeICCID, change.Row{Current: mdn(1), NewICCID: iccid(1001)})
	d.Reason = strings.Repeat("😀", 250)
	sub, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager})
	if err != nil {
		t.Fatal(err)
	}
	w.setRowStatus(t, sub.ID, change.StatusAPIFailed)
	r, err := w.svc.RetryDraft(ctx, w.acme, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := change.TextLen(r.Reason); n > request.MaxReason || !strings.HasPrefix(r.Reason, "Retry of the failed rows") || !utf8.ValidString(r.Reason) {
		t.Fatalf("the retry's reason: %d units, %q", n, r.Reason)
	}
	if _, err := w.svc.Submit(ctx, r, request.Submitter{User: w.manager}); err != nil {
		t.Fatalf("submitting the retry: %v", err)
	}
}

func TestLongIdempotencyKeysFitTheColumn(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	d := w.draft(change.ChangeICCID, change.Row{Current: iccid(1), NewICCID: iccid(1001)})
	long := strings.Repeat("k", 150)
	first, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager, IdempotencyKey: long})
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager, IdempotencyKey: long})
	if err != nil || again.ID != first.ID || again.Created {
		t.Fatalf("replay of a long key: %+v %v", again, err)
	}
	// Another long key with the same first 64 characters is another request.
	other := w.draft(change.ChangeICCID, change.Row{Current: iccid(2), NewICCID: iccid(1002)})
	sub, err := w.svc.Submit(ctx, other, request.Submitter{User: w.manager, IdempotencyKey: long + "x"})
	if err != nil || sub.ID == first.ID {
		t.Fatalf("a different long key: %+v %v", sub, err)
	}
	if _, err := w.svc.Submit(ctx, d, request.Submitter{User: w.manager, IdempotencyKey: strings.Repeat("k", 201)}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a 201-character key: %v", err)
	}
	// What is stored fits SQL Server's NVARCHAR(64), which SQLite would not enforce.
	conn, err := sql.Open("sqlite", w.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var longest int
	if err := conn.QueryRow(`SELECT MAX(LENGTH(IdempotencyKey)) FROM DeviceBulkChange`).Scan(&longest); err != nil || longest > 64 || longest == 0 {
		t.Fatalf("longest stored key: %d %v", longest, err)
	}
}
