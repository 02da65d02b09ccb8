package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
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

var pollURL = regexp.MustCompile(`hx-get="(/bulk-changes/\d+/status\?v=[^"]+)"`)

// TestTheStatusRegionPollsUntilTheBatchIsDone follows the live region as the browser would:
// it asks for itself with the state it shows, is told to reload the rows when that state
// changes, and comes back without a trigger once the batch is final.
func TestTheStatusRegionPollsUntilTheBatchIsDone(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	c := e.signIn(demo.AcmeManager)
	_, body := c.get(paths.BulkChange(id))
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
	if d.Find("[data-testid=retry-failed]").AttrOr("href", "") != paths.RetryFailedRows(id) {
		t.Fatal("a batch with a failed row does not offer to retry it")
	}
	// The row table keeps its filter when it reloads itself.
	_, body = c.get(paths.BulkChangeFiltered(id, "API_FAILED"), "HX-Request", "true")
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
	if text(d, "[data-testid=bulk-status-badge]") != "partly changed" || text(d, "[data-testid=bulk-summary]") != "2 of 3 changed, 1 failed" ||
		!d.Find("[data-testid=bulk-status-badge]").HasClass(string(change.BatchProcessedWithErrors)) || d.Find("[data-testid=cancel-open]").Length() != 0 {
		t.Fatalf("final region: %q", text(d, "[data-testid=bulk-status-badge]"))
	}
	_, body = c.get(paths.BulkChange(id))
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
		_, body := e.signIn(who).get(paths.BulkChange(id))
		d := mustDoc(t, body)
		if n := d.Find("[data-testid=admin-retry]").Length(); n != want {
			t.Errorf("%s sees %d admin retry buttons, want %d", who, n, want)
		}
		if f := d.Find("[data-testid=admin-retry]").Closest("form"); want == 1 && f.AttrOr("action", "") != paths.BulkChangeRetry(id) {
			t.Errorf("the retry form posts to %q", f.AttrOr("action", ""))
		}
	}
}

func TestRowsDownloadAsCSV(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	e.drive(rows[0].ID, change.StatusProcessing)
	e.drive(rows[1].ID, change.StatusAPIFailed)
	res, body := e.signIn(demo.AcmeManager).get(paths.BulkChangeRowsCSV(id))
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), fmt.Sprintf("bulk-change-%d-rows.csv", id)) {
		t.Fatalf("CSV answer: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV: %d records %v", len(recs), err)
	}
	// The template's columns come first, so the file can go back into the wizard.
	if got := strings.Join(recs[0][:4], ","); got != "current,new_iccid,new_imei,note" {
		t.Fatalf("header starts %q", got)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	// Identifiers carry the apostrophe that keeps a spreadsheet from turning them into numbers.
	want := []struct{ iccid, newICCID, status, words, requestID string }{
		{rows[0].ICCID, rows[0].NewICCID, "PROCESSING", "waiting for the carrier", fmt.Sprintf("req-%d", rows[0].ID)},
		{rows[1].ICCID, rows[1].NewICCID, "API_FAILED", "failed at the carrier", fmt.Sprintf("req-%d", rows[1].ID)},
		{rows[2].ICCID, rows[2].NewICCID, "NEW", "not yet sent", ""},
	}
	for i, w := range want {
		r := recs[i+1]
		if r[col["device_iccid"]] != "'"+w.iccid || r[col["new_iccid"]] != "'"+w.newICCID || r[col["status"]] != w.status ||
			r[col["outcome"]] != w.words || r[col["carrier_request_id"]] != w.requestID {
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
	path := paths.BulkChangeRowLog(id, rows[0].ID)
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
	_, body = c.get(paths.BulkChange(id))
	if l := mustDoc(t, body).Find("[data-testid=row-log-link]"); l.AttrOr("hx-get", "") != path || l.AttrOr("hx-target", "") != "#row-log" {
		t.Fatalf("row log link: %v", l.Nodes)
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
