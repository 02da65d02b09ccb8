package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
)

func TestNewChangeForm(t *testing.T) {
	e := newEnv(t)
	res, body := e.signIn(demo.AcmeManager).get(paths.NewBulkChange)
	doc := mustDoc(t, body)
	if res.StatusCode != http.StatusOK || doc.Find("#change-form").Length() != 1 {
		t.Fatalf("form: %d", res.StatusCode)
	}
	if doc.Find("#tenant").Length() != 0 {
		t.Fatal("a manager is offered a tenant to pick")
	}
	if key, _ := doc.Find(`input[name=idem]`).Attr("value"); len(key) < 40 {
		t.Fatalf("idempotency key %q", key)
	}
	if v, _ := doc.Find(`#provider option[selected]`).Attr("value"); v != fmt.Sprint(e.provider) {
		t.Fatalf("the one provider is not chosen: %q", v)
	}
	// Nothing entered yet: no step complains.
	if doc.Find(".error-text").Length() != 0 || doc.Find("[aria-invalid=true]").Length() != 0 {
		t.Fatal("a fresh form shows errors")
	}
	_, body = e.signIn(demo.AdminEmail).get(paths.NewBulkChange)
	if n := mustDoc(t, body).Find("#tenant option").Length(); n != 3 {
		t.Fatalf("an admin's tenant select has %d options, want a placeholder and 2 tenants", n)
	}
}

// TestEachRowCheckInThePortal pastes a good row and one bad row and expects the problem on the
// bad row only, next to the column that caused it.
func TestEachRowCheckInThePortal(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 3)
	globex := e.activeDevices(demo.TenantGlobex, 1)[0]
	suspended := e.device(demo.TenantAcme, store.DeviceStatusSuspended)
	good := acme[0].ICCID + "," + e.spareSIM(0)
	// An open request of Acme's: its device and its new SIM are taken while it runs.
	held := e.activeDevices(demo.TenantAcme, 6)[5]
	if _, err := request.New(e.db).Submit(context.Background(), request.Draft{TenantID: e.tenantID(demo.TenantAcme),
		ProviderID: e.provider, Type: change.ChangeICCID, Reason: "earlier", Rows: []change.Row{{Current: held.ICCID, NewICCID: e.spareSIM(9)}}},
		request.Submitter{User: e.user(demo.AcmeManager)}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		typ     change.Type
		bad     string
		testid  string // where the message sits
		message string
	}{
		"wrong check digit": {change.ChangeICCID, acme[1].ICCID + "," + badCheckDigit(e.spareSIM(1)),
			"error-new_iccid", "Row 2, new ICCID: ICCID " + badCheckDigit(e.spareSIM(1)) + ": check digit is"},
		"current unreadable": {change.ChangeICCID, "12345," + e.spareSIM(1),
			"error-current", "Row 2, current device: identifier 12345: 5 digits is not the length"},
		"device not in the tenant": {change.ChangeICCID, globex.ICCID + "," + e.spareSIM(1),
			"error-current", "no device with ICCID " + globex.ICCID},
		"device not active": {change.ChangeICCID, suspended.MSISDN + "," + e.spareSIM(1),
			"error-current", "is Suspended; only an active line"},
		"new ICCID on another line": {change.ChangeICCID, acme[1].ICCID + "," + acme[2].ICCID,
			"error-new_iccid", "is already the SIM of another line"},
		"new IMEI on another line": {change.ChangeIMEI, acme[1].ICCID + ",," + acme[2].IMEI,
			"error-new_imei", "is already the device of another line"},
		"new ICCID twice in the request": {change.ChangeICCID, acme[1].ICCID + "," + e.spareSIM(0),
			"error-new_iccid", "is also the new ICCID of row 1"},
		"same device twice": {change.ChangeICCID, acme[0].MSISDN + "," + e.spareSIM(1),
			"error-current", "is also in row 1"},
		"column the type does not take": {change.ChangeICCID, acme[1].ICCID + "," + e.spareSIM(1) + "," + e.spareIMEI(change.NetworkLTEM, 0),
			"error-new_imei", "ChangeICCID keeps the device, so leave this column empty"},
		"column the type needs": {change.ChangeIMEIandICCID, acme[1].ICCID + "," + e.spareSIM(1),
			"error-new_imei", "missing; ChangeIMEIandICCID needs the new IMEI"},
		"new ICCID in an open change": {change.ChangeICCID, acme[1].ICCID + "," + e.spareSIM(9),
			"error-new_iccid", "is already the new SIM of an open change (bulk change "},
		"device in an open change": {change.ChangeICCID, held.MSISDN + "," + e.spareSIM(1),
			"error-current", "the line already has an open change (bulk change "},
		"new IMEI of no known model": {change.ChangeIMEI, acme[1].ICCID + ",," + ident.AppendLuhn("35999999123456"),
			"error-new_imei", "its TAC 35999999 is in no known device range"},
		"too many columns": {change.ChangeICCID, acme[1].ICCID + "," + e.spareSIM(1) + ",,note,surprise",
			"row-error", "Row 2: 1 value(s) after the known columns"},
	} {
		t.Run(name, func(t *testing.T) {
			first := good
			if tc.typ != change.ChangeICCID {
				first = acme[0].ICCID + "," + e.spareSIM(0) + "," + e.spareIMEI(change.NetworkLTEM, 1)
				if tc.typ == change.ChangeIMEI {
					first = acme[0].ICCID + ",," + e.spareIMEI(change.NetworkLTEM, 1)
				}
			}
			form := e.changeForm(tc.typ, first, tc.bad)
			form.Set("action", "check")
			res, body := c.postMultipart(paths.NewBulkChange, form, "", "", nil)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := mustDoc(t, body)
			rows := doc.Find(`[data-testid=error-row]`)
			wantRows := 1
			if strings.Contains(name, "twice") {
				wantRows = 2 // each of the pair is told about the other
			}
			if rows.Length() != wantRows {
				t.Fatalf("%d rows with problems, want %d: %s", rows.Length(), wantRows, text(doc, "[data-testid=error-rows]"))
			}
			bad := doc.Find(`[data-testid=error-row][data-row="2"]`)
			msgs := bad.Find(`[data-testid=` + tc.testid + `]`)
			if msgs.Length() != 1 || !strings.Contains(msgs.Text(), tc.message) {
				t.Fatalf("row 2 %s: %q, want %q; the row says %q", tc.testid, msgs.Text(), tc.message, strings.Join(strings.Fields(bad.Text()), " "))
			}
			// The field that caused it is marked and points at its message.
			if tc.testid != "row-error" {
				col := strings.TrimPrefix(tc.testid, "error-")
				in := bad.Find(`input[data-testid=fix-` + col + `]`)
				if v, _ := in.Attr("aria-invalid"); v != "true" {
					t.Fatalf("the %s input is not marked invalid", col)
				}
			}
			if doc.Find(`[data-testid=review]`).Length() != 0 || e.countBulkChanges() != 1 {
				t.Fatal("a request with a bad row can be reviewed, or something was stored")
			}
		})
	}
}

func TestFixAndDropRowsInPlace(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 3)
	badRow := acme[1].ICCID + "," + badCheckDigit(e.spareSIM(1))
	form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0), badRow, acme[2].ICCID+",12345")
	form.Set("action", "check")

	// A fix applies to the row it was made for.
	fixed := url.Values{}
	for k, v := range form {
		fixed[k] = v
	}
	fixed.Set("fix.1.orig", badRow)
	fixed.Set("fix.1.current", acme[1].ICCID)
	fixed.Set("fix.1.new_iccid", e.spareSIM(1))
	_, body := c.postMultipart(paths.NewBulkChange, fixed, "", "", nil)
	doc := mustDoc(t, body)
	if n := doc.Find(`[data-testid=error-row]`).Length(); n != 1 || doc.Find(`[data-testid=error-row][data-row="3"]`).Length() != 1 {
		t.Fatalf("after fixing row 2: %d rows with problems: %s", n, text(doc, "[data-testid=error-rows]"))
	}
	if got := doc.Find("#rows").Text(); !strings.Contains(got, acme[1].ICCID+","+e.spareSIM(1)) {
		t.Fatalf("the fix is not in the rows: %q", got)
	}

	// A fix made for a row that has changed since is not applied to whatever is there now.
	stale := url.Values{}
	for k, v := range form {
		stale[k] = v
	}
	stale.Set("fix.1.orig", "something else")
	stale.Set("fix.1.new_iccid", e.spareSIM(1))
	_, body = c.postMultipart(paths.NewBulkChange, stale, "", "", nil)
	if n := mustDoc(t, body).Find(`[data-testid=error-row]`).Length(); n != 2 {
		t.Fatalf("a stale fix was applied: %d rows with problems", n)
	}

	// Drop one row.
	drop := url.Values{}
	for k, v := range form {
		drop[k] = v
	}
	drop.Del("action")
	drop.Set("drop", "2")
	drop.Set("fix.2.orig", "something else") // the row shown was another one
	_, body = c.postMultipart(paths.NewBulkChange, drop, "", "", nil)
	doc = mustDoc(t, body)
	if !strings.Contains(doc.Find("#rows").Text(), "12345") || !strings.Contains(text(doc, "[data-testid=notices]"), "nothing was dropped") {
		t.Fatalf("a stale drop removed a row: %q", doc.Find("#rows").Text())
	}
	drop.Set("fix.2.orig", acme[2].ICCID+",12345")
	_, body = c.postMultipart(paths.NewBulkChange, drop, "", "", nil)
	doc = mustDoc(t, body)
	if doc.Find(`[data-testid=error-row]`).Length() != 1 || strings.Contains(doc.Find("#rows").Text(), "12345") {
		t.Fatalf("row 3 was not dropped: %q", doc.Find("#rows").Text())
	}

	// Drop every row with problems: what is left is ready for review.
	form.Set("action", "drop-invalid")
	res, body := c.postMultipart(paths.NewBulkChange, form, "", "", nil)
	doc = mustDoc(t, body)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid=error-row]`).Length() != 0 || doc.Find(`[data-testid=review]`).Length() != 1 {
		t.Fatalf("after dropping the bad rows: %d, %s", res.StatusCode, text(doc, "[data-testid=check-summary]"))
	}
	if got := strings.TrimSpace(doc.Find("#rows").Text()); got != acme[0].ICCID+","+e.spareSIM(0) {
		t.Fatalf("rows left: %q", got)
	}
	if !strings.Contains(text(doc, "[data-testid=notices]"), "Dropped the 2 rows with problems") {
		t.Fatalf("notice: %q", text(doc, "[data-testid=notices]"))
	}
}

func TestLiveCheckAnswersTheResultsRegionOnly(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 1)
	form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+badCheckDigit(e.spareSIM(0)))
	res, body := c.postMultipart(paths.NewBulkChangeChk, form, "", "", nil, "HX-Request", "true")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, `<div id="check-results"`) {
		t.Fatalf("%d %.80s", res.StatusCode, body)
	}
	if strings.Contains(body, `id="rows"`) || strings.Contains(body, "<html") {
		t.Fatal("the live check re-renders the text box being typed in")
	}
	doc := mustDoc(t, body)
	if doc.Find(`#change-steps[hx-swap-oob=true]`).Length() != 1 || doc.Find(`[data-testid=error-row]`).Length() != 1 {
		t.Fatal("no steps out of band, or no row with its problem")
	}
}

func TestPlanStepOffersOnlyCompatiblePlans(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	d := e.activeDevices(demo.TenantAcme, 1)[0]
	newIMEI := e.spareIMEI(change.Network5G, 0)
	form := e.changeForm(change.ChangeIMEI, d.ICCID+",,"+newIMEI)
	form.Set("action", "check")
	_, body := c.postMultipart(paths.NewBulkChange, form, "", "", nil)
	doc := mustDoc(t, body)
	groups := doc.Find(`[data-testid=plan-group]`)
	if groups.Length() != 1 || doc.Find(`[data-testid=review]`).Length() != 0 {
		t.Fatalf("%d plan groups; review shown before a plan is chosen: %v", groups.Length(), doc.Find(`[data-testid=review]`).Length())
	}
	name, _ := groups.Find("select").Attr("name")
	if name != "plan.5G/change" {
		t.Fatalf("select %q", name)
	}
	for _, p := range e.world.Plans {
		has := groups.Find(`option[value="`+p.Code+`"]`).Length() == 1
		serves5G := false
		for _, n := range p.NetworkTypes {
			serves5G = serves5G || n == change.Network5G
		}
		if has != serves5G {
			t.Errorf("plan %s (serves %v) offered: %v", p.Code, p.NetworkTypes, has)
		}
	}
	// Choose one: the review shows the price difference per device and in total.
	form.Set(name, "5G-NR-10GB")
	_, body = c.postMultipart(paths.NewBulkChange, form, "", "", nil)
	doc = mustDoc(t, body)
	var was float64
	for _, p := range e.world.Plans {
		if p.Code == d.PlanCode {
			was = p.MonthlyRate
		}
	}
	want := change.FormatCentsChange(change.Cents(45) - change.Cents(was))
	if got := text(doc, `[data-testid=cost-total]`); got != want+" a month" {
		t.Fatalf("cost %q, want %q", got, want+" a month")
	}
	if got := text(doc, `[data-testid=cost-rows] tbody tr`); !strings.Contains(got, want) || !strings.Contains(got, "5G-NR-10GB") {
		t.Fatalf("per-device cost: %q", got)
	}
	if !strings.Contains(text(doc, `[data-testid=warnings]`), "1 device moves to another network type") {
		t.Fatalf("warnings: %q", text(doc, `[data-testid=warnings]`))
	}
}

func TestLiveCheckSaysWhatItCannotCheck(t *testing.T) {
	e := newEnv(t)
	acme := e.activeDevices(demo.TenantAcme, 1)
	// An admin who has not picked the tenant yet: the format is checked, the inventory is not.
	form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0), "123,"+e.spareSIM(1))
	_, body := e.signIn(demo.AdminEmail).postMultipart(paths.NewBulkChangeChk, form, "", "", nil, "HX-Request", "true")
	doc := mustDoc(t, body)
	if !strings.Contains(text(doc, "[data-testid=check-message]"), "choose the tenant") ||
		!strings.HasPrefix(text(doc, "[data-testid=check-summary]"), "2 rows: 1 well-formed, 1 with problems") {
		t.Fatalf("without a tenant: %q / %q", text(doc, "[data-testid=check-message]"), text(doc, "[data-testid=check-summary]"))
	}
	// More rows than a request may have: said at once, before any row is checked.
	many := make([]string, change.MaxRows+1)
	for i := range many {
		many[i] = acme[0].ICCID
	}
	_, body = e.signIn(demo.AcmeManager).postMultipart(paths.NewBulkChangeChk, e.changeForm(change.ChangeICCID, many...), "", "", nil, "HX-Request", "true")
	if got := text(mustDoc(t, body), "[data-testid=check-message]"); !strings.Contains(got, "The request has 10001 rows; at most 10000") {
		t.Fatalf("too many rows: %q", got)
	}
}
