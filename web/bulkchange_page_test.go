package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/web"
)

// drive takes a row to status to through the engine's own store steps, as the engine does
// with a carrier that answers at once: a NEW row is claimed and recorded as sent (request id
// "req-<row id>"); a final status then finishes it. The logs go with the last step.
func (e *env) drive(rowID int64, to change.Status, logs ...store.LogEntry) {
	e.t.Helper()
	ctx := context.Background()
	const by = "test engine"
	c, err := e.db.DeviceChange(ctx, rowID)
	if err != nil {
		e.t.Fatal(err)
	}
	if c.Status == change.StatusNew {
		if _, ok, err := e.db.ClaimChange(ctx, rowID, by, time.Minute, 0); err != nil || !ok {
			e.t.Fatalf("claim %d: %v %v", rowID, ok, err)
		}
		var sent []store.LogEntry
		if to == change.StatusProcessing {
			sent = logs
		}
		if err := e.db.RecordSent(ctx, rowID, fmt.Sprintf("req-%d", rowID), by, sent...); err != nil {
			e.t.Fatal(err)
		}
	} else if to == change.StatusProcessing {
		e.t.Fatalf("row %d is %s: only a NEW row is sent", rowID, c.Status)
	}
	if to == change.StatusProcessing {
		return
	}
	res, err := e.db.FinishChange(ctx, store.FinishedChange{ChangeID: rowID, From: change.StatusProcessing, To: to, Logs: logs, By: by})
	if err != nil || !res.Done {
		e.t.Fatalf("finish %d as %s: %+v %v", rowID, to, res, err)
	}
}

// TestManagersSeeNothingOfAnotherTenant asks for each of Globex's things as Acme's manager:
// every one is 404, exactly as for something that does not exist, and the admin pages are 403.
// Globex's own manager gets each of them, so the 404s are about the tenant and nothing else.
func TestManagersSeeNothingOfAnotherTenant(t *testing.T) {
	e := newEnv(t)
	g, rows := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 2, 0)
	e.drive(rows[0].ID, change.StatusProcessed, store.LogEntry{Description: "Carrier confirmed", ProcessedBy: "engine"})
	device := *rows[0].DeviceID
	globexPaths := []string{
		fmt.Sprintf("/bulk-changes/%d", g),
		fmt.Sprintf("/bulk-changes/%d/status", g),
		fmt.Sprintf("/bulk-changes/%d/rows.csv", g),
		fmt.Sprintf("/bulk-changes/%d/rows/%d/log", g, rows[0].ID),
		fmt.Sprintf("/devices/%d", device),
		"/devices/lookup?id=" + rows[0].ICCID,    // the SIM swapped away
		"/devices/lookup?id=" + rows[0].NewICCID, // the SIM it has now
		"/devices/lookup?id=" + rows[1].MSISDN,
	}
	acme, globex := e.signIn(demo.AcmeManager), e.signIn(demo.GlobexManager)
	for _, p := range globexPaths {
		res, body := acme.get(p)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("Acme's manager GET %s: %d, want 404", p, res.StatusCode)
		}
		// The answer may repeat what was asked, and nothing else of Globex's.
		for _, secret := range []string{rows[0].ICCID, rows[0].NewICCID, rows[0].MSISDN, rows[1].ICCID, rows[1].MSISDN, "Globex"} {
			if strings.Contains(body, secret) && !strings.Contains(p, secret) {
				t.Errorf("Acme's manager GET %s: the answer names %s", p, secret)
			}
		}
		if res, _ := globex.get(p); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
			t.Errorf("Globex's manager GET %s: %d", p, res.StatusCode)
		}
	}
	// A row of Globex's batch asked for under one of Acme's batches is no better.
	a, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 10)
	if res, _ := acme.get(fmt.Sprintf("/bulk-changes/%d/rows/%d/log", a, rows[0].ID)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another batch's row under an own batch: %d", res.StatusCode)
	}
	// Nor do the lists and searches a manager has: a tenant parameter is not theirs to choose.
	for _, p := range []string{"/bulk-changes", fmt.Sprintf("/bulk-changes?tenant=%d", e.tenantID(demo.TenantGlobex)),
		"/bulk-changes?requester=" + url.QueryEscape(demo.GlobexManager), "/"} {
		_, body := acme.get(p)
		if strings.Contains(body, fmt.Sprintf("#%d<", g)) {
			t.Errorf("Acme's manager GET %s: Globex's request is listed", p)
		}
	}
	if _, body := acme.get("/bulk-changes"); !strings.Contains(body, fmt.Sprintf("#%d<", a)) {
		t.Error("Acme's list does not show its own request")
	}
	if _, body := acme.get("/devices?q=" + rows[0].NewICCID); strings.Contains(body, `data-testid="device-row"`) {
		t.Error("the inventory search finds Globex's device")
	}
	for _, p := range []string{"/admin/audit", "/admin/audit?q=" + rows[0].ICCID, "/admin/audit?format=csv", "/admin/audit?q=" + rows[0].ICCID + "&format=csv"} {
		if res, body := acme.get(p); res.StatusCode != http.StatusForbidden || strings.Contains(body, rows[0].NewICCID) {
			t.Errorf("a manager GET %s: %d", p, res.StatusCode)
		}
	}
}

var pollURL = regexp.MustCompile(`hx-get="(/bulk-changes/\d+/status\?v=[^"]+)"`)

// TestTheStatusRegionPollsUntilTheBatchIsDone follows the live region as the browser would:
// it asks for itself with the state it shows, is told to reload the rows when that state
// changes, and comes back without a trigger once the batch is final.
func TestTheStatusRegionPollsUntilTheBatchIsDone(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	c := e.signIn(demo.AcmeManager)
	_, body := c.get(fmt.Sprintf("/bulk-changes/%d", id))
	d := mustDoc(t, body)
	region := d.Find("#bulk-status")
	if trig, _ := region.Attr("hx-trigger"); trig != "every 2s" {
		t.Fatalf("a new batch's status region does not poll: %q", trig)
	}
	if text(d, "[data-testid=count-new]") != "3" || d.Find("[data-testid=change-row]").Length() != 3 {
		t.Fatalf("new batch: %q new, %d rows", text(d, "[data-testid=count-new]"), d.Find("[data-testid=change-row]").Length())
	}
	if d.Find("[data-testid=cancel-open]").Length() != 1 || d.Find("[data-testid=retry-failed]").Length() != 0 {
		t.Fatal("a batch of NEW rows should offer cancel and no retry")
	}
	if rowsRegion := d.Find("#bulk-rows"); rowsRegion.AttrOr("hx-trigger", "") != "bulk-rows-changed from:body" {
		t.Fatal("the row table does not listen for changes")
	}
	poll := func(u string) (*http.Response, *goquery.Document) {
		res, body := c.get(u, "HX-Request", "true")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", u, res.StatusCode)
		}
		return res, mustDoc(t, body)
	}
	next := func(d *goquery.Document) string {
		h, _ := d.Find("#bulk-status").Html()
		m := pollURL.FindStringSubmatch(`<x ` + attrString(d.Find("#bulk-status")) + `>` + h)
		if m == nil {
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	u := next(d)
	if u == "" {
		t.Fatal("no poll URL")
	}
	res, d := poll(u)
	if res.Header.Get("HX-Trigger") != "" {
		t.Fatalf("nothing changed, yet the rows were told to reload: %q", res.Header.Get("HX-Trigger"))
	}

	e.drive(rows[0].ID, change.StatusProcessing)
	res, d = poll(next(d))
	if res.Header.Get("HX-Trigger") != "bulk-rows-changed" || text(d, "[data-testid=count-processing]") != "1" {
		t.Fatalf("after a row was sent: trigger %q, processing %q", res.Header.Get("HX-Trigger"), text(d, "[data-testid=count-processing]"))
	}
	e.drive(rows[0].ID, change.StatusProcessed)
	e.drive(rows[1].ID, change.StatusAPIFailed, store.LogEntry{Description: "Carrier refused", HasErrors: true,
		ErrorCode: "REQUEST_FAILED.UnknownICCID", ErrorText: "no such SIM", ProcessedBy: "engine"})
	_, d = poll(next(d))
	if d.Find("[data-testid=retry-failed]").AttrOr("href", "") != fmt.Sprintf("/bulk-changes/new?retry=%d", id) {
		t.Fatal("a batch with a failed row does not offer to retry it")
	}
	// The row table keeps its filter when it reloads itself.
	_, body = c.get(fmt.Sprintf("/bulk-changes/%d?status=API_FAILED", id), "HX-Request", "true")
	rd := mustDoc(t, body)
	if rd.Find("[data-testid=change-row]").Length() != 1 || !strings.Contains(rd.Find("#bulk-rows").AttrOr("hx-get", ""), "status=API_FAILED") {
		t.Fatalf("filtered rows: %d rows, reload from %q", rd.Find("[data-testid=change-row]").Length(), rd.Find("#bulk-rows").AttrOr("hx-get", ""))
	}

	e.drive(rows[2].ID, change.StatusProcessed)
	res, d = poll(next(d))
	if res.Header.Get("HX-Trigger") != "bulk-rows-changed" {
		t.Fatal("the last change did not reload the rows")
	}
	if _, polls := d.Find("#bulk-status").Attr("hx-trigger"); polls || next(d) != "" {
		t.Fatal("a finished batch's region still polls")
	}
	if text(d, "[data-testid=bulk-status-badge]") != string(change.BatchProcessedWithErrors) || d.Find("[data-testid=cancel-open]").Length() != 0 {
		t.Fatalf("final region: %q", text(d, "[data-testid=bulk-status-badge]"))
	}
	_, body = c.get(fmt.Sprintf("/bulk-changes/%d", id))
	if _, live := mustDoc(t, body).Find("#bulk-rows").Attr("hx-trigger"); live {
		t.Fatal("a finished batch's rows still listen for changes")
	}
}

// attrString writes a selection's attributes back as HTML, for the regexp above.
func attrString(s *goquery.Selection) string {
	var b strings.Builder
	if n := s.Get(0); n != nil {
		for _, a := range n.Attr {
			fmt.Fprintf(&b, ` %s="%s"`, a.Key, a.Val)
		}
	}
	return b.String()
}

func TestOnlyAnAdminMayRunAFailedBatchAgain(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	// The engine finds no credentials for the row it claimed and fails the batch as a whole.
	ctx := context.Background()
	at, _, err := e.db.ClaimChange(ctx, rows[0].ID, "test engine", time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.FailBulkChange(ctx, store.BatchFailure{BulkChangeID: id, Reason: "No credentials", ChangeID: rows[0].ID,
		SubmittedAt: at, Logs: []store.LogEntry{{Description: store.LogCredentialsMissing, HasErrors: true}}, By: "test engine"}); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]int{demo.AdminEmail: 1, demo.AcmeManager: 0} {
		_, body := e.signIn(who).get(fmt.Sprintf("/bulk-changes/%d", id))
		d := mustDoc(t, body)
		if n := d.Find("[data-testid=admin-retry]").Length(); n != want {
			t.Errorf("%s sees %d admin retry buttons, want %d", who, n, want)
		}
		if f := d.Find("[data-testid=admin-retry]").Closest("form"); want == 1 && f.AttrOr("action", "") != fmt.Sprintf("/bulk-changes/%d/retry", id) {
			t.Errorf("the retry form posts to %q", f.AttrOr("action", ""))
		}
	}
}

func TestRowsDownloadAsCSV(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	e.drive(rows[0].ID, change.StatusProcessing)
	e.drive(rows[1].ID, change.StatusAPIFailed)
	res, body := e.signIn(demo.AcmeManager).get(fmt.Sprintf("/bulk-changes/%d/rows.csv", id))
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), fmt.Sprintf("bulk-change-%d-rows.csv", id)) {
		t.Fatalf("CSV answer: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV: %d records %v", len(recs), err)
	}
	want := []struct{ iccid, newICCID, status, requestID string }{
		{rows[0].ICCID, rows[0].NewICCID, "PROCESSING", fmt.Sprintf("req-%d", rows[0].ID)},
		{rows[1].ICCID, rows[1].NewICCID, "API_FAILED", fmt.Sprintf("req-%d", rows[1].ID)},
		{rows[2].ICCID, rows[2].NewICCID, "NEW", ""},
	}
	for i, w := range want {
		r := recs[i+1]
		if r[3] != w.iccid || r[7] != w.newICCID || r[10] != w.status || r[12] != w.requestID {
			t.Errorf("row %d: %q", i, r)
		}
	}
}

func TestARowsLogComesOnDemand(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	e.drive(rows[0].ID, change.StatusProcessing, store.LogEntry{Description: "ThingSpace: change identifier",
		RequestText: `PUT /api/m2m/v1/devices/4G/actions/deviceId`, ResponseText: `{"requestId":"r-1"}`, ProcessedBy: "engine"})
	e.drive(rows[0].ID, change.StatusAPIFailed, store.LogEntry{Description: "Carrier refused", HasErrors: true,
		ErrorCode: "REQUEST_FAILED.UnknownICCID", ErrorText: "no such SIM", ProcessedBy: "engine"})
	c := e.signIn(demo.AcmeManager)
	path := fmt.Sprintf("/bulk-changes/%d/rows/%d/log", id, rows[0].ID)
	_, body := c.get(path, "HX-Request", "true")
	d := mustDoc(t, body)
	if strings.Contains(body, "<html") || d.Find("[data-testid=log-entry]").Length() != 2 ||
		text(d, "[data-testid=log-error-code]") != "REQUEST_FAILED.UnknownICCID" || !strings.Contains(body, "/actions/deviceId") {
		t.Fatalf("row log fragment: %s", body)
	}
	_, body = c.get(path)
	if !strings.Contains(body, "<html") || !strings.Contains(body, "no such SIM") {
		t.Fatal("the row log is no page of its own without htmx")
	}
	// The page links each row's log to the region it loads into.
	_, body = c.get(fmt.Sprintf("/bulk-changes/%d", id))
	if l := mustDoc(t, body).Find("[data-testid=row-log-link]"); l.AttrOr("hx-get", "") != path || l.AttrOr("hx-target", "") != "#row-log" {
		t.Fatalf("row log link: %v", l.Nodes)
	}
}

func TestTheListFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	a1, r1 := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	a2, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 1, 2, 1)
	e.drive(r1[0].ID, change.StatusProcessed)
	g, _ := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 1, 5)
	admin := e.signIn(demo.AdminEmail)
	ids := func(body string) []string {
		var out []string
		mustDoc(t, body).Find("[data-testid=bulk-change-row] td:first-child a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	for name, tc := range map[string]struct {
		query string
		want  []string
	}{
		"everything, newest first": {"", []string{fmt.Sprintf("#%d", g), fmt.Sprintf("#%d", a2), fmt.Sprintf("#%d", a1)}},
		"status":                   {"?status=PROCESSED", []string{fmt.Sprintf("#%d", a1)}},
		"tenant":                   {fmt.Sprintf("?tenant=%d", e.tenantID(demo.TenantGlobex)), []string{fmt.Sprintf("#%d", g)}},
		"requester":                {"?requester=" + url.QueryEscape(demo.GlobexManager), []string{fmt.Sprintf("#%d", g)}},
		"type":                     {"?type=ChangeIMEI", nil},
		"dates":                    {"?from=" + time.Now().UTC().Format("2006-01-02") + "&to=" + time.Now().UTC().Format("2006-01-02"), []string{fmt.Sprintf("#%d", g), fmt.Sprintf("#%d", a2), fmt.Sprintf("#%d", a1)}},
		"dates in the past":        {"?to=2020-01-01", nil},
	} {
		t.Run(name, func(t *testing.T) {
			res, body := admin.get("/bulk-changes" + tc.query)
			if got := ids(body); res.StatusCode != 200 || strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("%d %v, want %v", res.StatusCode, got, tc.want)
			}
		})
	}
	res, body := admin.get("/bulk-changes?from=yesterday")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `is not a date (yyyy-mm-dd)`) {
		t.Fatalf("a bad date: %d", res.StatusCode)
	}
}

func TestADeviceIsFoundByEveryIdentifierItHad(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	e.drive(rows[0].ID, change.StatusProcessed, store.LogEntry{Description: "Carrier confirmed", ProcessedBy: "engine"})
	device := *rows[0].DeviceID
	c := e.signIn(demo.AcmeManager)
	for _, v := range []string{rows[0].ICCID, rows[0].NewICCID, rows[0].IMEI, rows[0].MSISDN} {
		res, _ := c.get("/devices/lookup?id=" + url.QueryEscape(v))
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, fmt.Sprintf("/devices/%d?via=", device)) {
			t.Errorf("lookup %s: %d %q", v, res.StatusCode, loc)
		}
	}
	_, body := c.get(fmt.Sprintf("/devices/%d?via=%s", device, rows[0].ICCID))
	d := mustDoc(t, body)
	if text(d, "[data-testid=device-iccid]") != rows[0].NewICCID || d.Find("[data-testid=found-by]").Length() != 1 {
		t.Fatalf("device page: ICCID %q", text(d, "[data-testid=device-iccid]"))
	}
	h := d.Find("[data-testid=history-row]")
	if h.Length() != 1 || !strings.Contains(h.Text(), rows[0].ICCID) || !strings.Contains(h.Text(), rows[0].NewICCID) ||
		h.Find("a").AttrOr("href", "") != fmt.Sprintf("/bulk-changes/%d", id) || !strings.Contains(h.Text(), "test engine") {
		t.Fatalf("history: %q", h.Text())
	}
	if d.Find("[data-testid=device-request-row]").Length() != 1 {
		t.Fatal("the device's request row is missing")
	}
	if res, body := c.get("/devices/lookup?id=8914800000000000001"); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "ICCID") {
		t.Errorf("a malformed ICCID: %d", res.StatusCode)
	}
	if res, _ := c.get("/devices/lookup?id=" + e.spareSIM(200)); res.StatusCode != http.StatusNotFound {
		t.Errorf("a SIM no device ever had: %d", res.StatusCode)
	}
}

// TestTheAuditSearchFindsASIMThatWasSwappedAway searches as an admin by the ICCID a device no
// longer has, and finds the device, its request and the carrier's log of the change.
func TestTheAuditSearchFindsASIMThatWasSwappedAway(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 2, 0)
	e.drive(rows[0].ID, change.StatusProcessing, store.LogEntry{Description: "ThingSpace: change identifier", ProcessedBy: "engine"})
	e.drive(rows[0].ID, change.StatusProcessed, store.LogEntry{Description: "Carrier confirmed", ProcessedBy: "engine"})
	e.drive(rows[1].ID, change.StatusAPIFailed, store.LogEntry{Description: "Carrier refused", HasErrors: true,
		ErrorCode: "REQUEST_FAILED.UnknownICCID", ProcessedBy: "engine"})
	admin := e.signIn(demo.AdminEmail)
	res, body := admin.get("/admin/audit?q=" + url.QueryEscape(rows[0].ICCID))
	if res.StatusCode != 200 {
		t.Fatalf("search: %d", res.StatusCode)
	}
	d := mustDoc(t, body)
	dev := d.Find("#audit-results [data-testid=device-row]")
	if dev.Length() != 1 || !strings.Contains(dev.Text(), rows[0].NewICCID) || dev.Find("a").AttrOr("href", "") != fmt.Sprintf("/devices/%d", *rows[0].DeviceID) {
		t.Fatalf("devices: %q", dev.Text())
	}
	hits := d.Find("[data-testid=audit-hit]")
	var whats []string
	hits.Each(func(_ int, s *goquery.Selection) {
		whats = append(whats, strings.TrimSpace(s.Find("[data-testid=audit-hit-what]").Text()))
	})
	// Newest first: the confirmation and the swap (same instant), the send, the request's creation.
	for _, w := range []string{"Carrier confirmed", "Identifiers changed: SIMs failed in the field", "ThingSpace: change identifier", "bulkchange.create"} {
		if !containsString(whats, w) {
			t.Errorf("no %q among %q", w, whats)
		}
	}
	if containsString(whats, "Carrier refused") {
		t.Error("the other row's failure is in this SIM's trail")
	}
	hits.Each(func(_ int, s *goquery.Selection) {
		if s.Find("[data-testid=audit-hit-batch]").AttrOr("href", "") != fmt.Sprintf("/bulk-changes/%d", id) {
			t.Errorf("hit %q does not link its request", s.Text())
		}
	})
	// The CSV holds the same entries.
	csvURL := d.Find("[data-testid=audit-csv]").AttrOr("href", "")
	res, body = admin.get(csvURL)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if res.StatusCode != 200 || err != nil || len(recs) != hits.Length()+1 {
		t.Fatalf("CSV from %s: %d, %d records for %d hits, %v", csvURL, res.StatusCode, len(recs), hits.Length(), err)
	}

	// The first digits of an identifier search by prefix and say so; too few digits is an error next to the box.
	prefix := rows[1].NewICCID[:18] // no identifier has 18 digits: a prefix
	_, body = admin.get("/admin/audit?q=" + prefix)
	if n := text(mustDoc(t, body), "[data-testid=audit-note]"); !strings.Contains(n, "starting with "+prefix) {
		t.Errorf("prefix note: %q", n)
	}
	if d := mustDoc(t, body); !strings.Contains(d.Find("[data-testid=audit-hit]").Text(), "Carrier refused") {
		t.Errorf("the refused SIM's row is not found by its first 18 digits")
	}
	res, body = admin.get("/admin/audit?q=8914")
	if res.StatusCode != http.StatusUnprocessableEntity || text(mustDoc(t, body), "[data-testid=audit-q-error]") == "" {
		t.Errorf("four digits: %d", res.StatusCode)
	}
	if res, _ := admin.get("/admin/audit?after=garbage"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a damaged page marker: %d", res.StatusCode)
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestAuditPagesAndExportCoverEverything walks the older-pages links to the end and compares
// with the CSV export of the same search.
func TestAuditPagesAndExportCoverEverything(t *testing.T) {
	e := newEnv(t)
	_, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 40, 0)
	for _, r := range rows {
		e.drive(r.ID, change.StatusProcessing, store.LogEntry{Description: "sent", ProcessedBy: "engine"})
	}
	admin := e.signIn(demo.AdminEmail)
	var seen []string
	next := "/admin/audit?tenant=" + fmt.Sprint(e.tenantID(demo.TenantAcme))
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("too many pages")
		}
		res, body := admin.get(next)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", next, res.StatusCode)
		}
		d := mustDoc(t, body)
		d.Find("[data-testid=audit-hit] td:first-child").Each(func(_ int, s *goquery.Selection) { seen = append(seen, s.Text()) })
		next = strings.ReplaceAll(d.Find("[data-testid=audit-next]").AttrOr("href", ""), "&amp;", "&")
	}
	// 40 sends, the request's creation.
	if len(seen) != 41 {
		t.Fatalf("%d entries over the pages, want 41", len(seen))
	}
	_, body := admin.get("/admin/audit?format=csv&tenant=" + fmt.Sprint(e.tenantID(demo.TenantAcme)))
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 42 {
		t.Fatalf("CSV: %d records %v", len(recs), err)
	}
}

func TestTheDashboardCountsFromTheDatabase(t *testing.T) {
	e := newEnv(t)
	_, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 4, 0)
	e.drive(rows[0].ID, change.StatusProcessed)
	e.drive(rows[1].ID, change.StatusAPIFailed, store.LogEntry{Description: "Carrier refused", HasErrors: true,
		ErrorCode: "REQUEST_FAILED.UnknownICCID", ProcessedBy: "engine"})
	e.drive(rows[2].ID, change.StatusProcessing)
	e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 2, 10)

	_, body := e.signIn(demo.AcmeManager).get("/")
	d := mustDoc(t, body)
	for id, want := range map[string]string{"stat-week-requests": "1", "stat-week-rows": "4", "stat-week-processed": "1",
		"stat-week-failed": "1", "stat-waiting": "1"} {
		if got := text(d, "[data-testid="+id+"] .n"); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if d.Find("[data-testid=chart-bar]").Length() != 1 || !strings.Contains(d.Find("[data-testid=success-chart] figcaption").Text(), "1 of 2") {
		t.Errorf("chart: %d bars, %q", d.Find("[data-testid=chart-bar]").Length(), d.Find("[data-testid=success-chart] figcaption").Text())
	}
	if code := text(d, "[data-testid=failure-code] code"); code != "REQUEST_FAILED.UnknownICCID" {
		t.Errorf("failure codes: %q", code)
	}
	if d.Find("[data-testid=oldest-waiting-link]").Length() != 1 {
		t.Error("no link to the oldest waiting row")
	}
	_, body = e.signIn(demo.AdminEmail).get("/")
	if got := text(mustDoc(t, body), "[data-testid=stat-week-requests] .n"); got != "2" {
		t.Errorf("the admin's requests this week: %q", got)
	}
}

// TestMetricsAreScrapedWithoutASession feeds the engine's hooks and reads them back from
// /metrics over HTTP, with no cookie.
func TestMetricsAreScrapedWithoutASession(t *testing.T) {
	var m *metrics.Metrics
	e := newEnv(t, func(cfg *web.Config) {
		m = metrics.New(metrics.Config{Queue: cfg.Store.(metrics.QueueStats)})
		cfg.Metrics = m.Handler()
	})
	e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0) // three jobs queued
	m.RowFinal(change.StatusProcessed, 4*time.Second)
	m.RowFinal(change.StatusAPIFailed, 2*time.Second)
	res, body := e.client().get("/metrics")
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	for _, line := range []string{`idswap_rows_final_total{status="PROCESSED"} 1`, `idswap_rows_final_total{status="API_FAILED"} 1`,
		`idswap_row_processing_seconds_count 2`, `idswap_queue_depth 3`} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics has no %q", line)
		}
	}
}
