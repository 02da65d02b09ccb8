package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

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
	res, body := admin.get(paths.AdminAudit + "?q=" + url.QueryEscape(rows[0].ICCID))
	if res.StatusCode != 200 {
		t.Fatalf("search: %d", res.StatusCode)
	}
	d := mustDoc(t, body)
	dev := d.Find("#audit-results [data-testid=device-row]")
	if dev.Length() != 1 || !strings.Contains(dev.Text(), rows[0].NewICCID) || dev.Find("a").AttrOr("href", "") != paths.Device(*rows[0].DeviceID) {
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
		if s.Find("[data-testid=audit-hit-batch]").AttrOr("href", "") != paths.BulkChange(id) {
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
	_, body = admin.get(paths.AdminAudit + "?q=" + prefix)
	if n := text(mustDoc(t, body), "[data-testid=audit-note]"); !strings.Contains(n, "starting with "+prefix) {
		t.Errorf("prefix note: %q", n)
	}
	if d := mustDoc(t, body); !strings.Contains(d.Find("[data-testid=audit-hit]").Text(), "Carrier refused") {
		t.Errorf("the refused SIM's row is not found by its first 18 digits")
	}
	res, body = admin.get(paths.AdminAudit + "?q=8914")
	if res.StatusCode != http.StatusUnprocessableEntity || text(mustDoc(t, body), "[data-testid=audit-q-error]") == "" {
		t.Errorf("four digits: %d", res.StatusCode)
	}
	if res, _ := admin.get(paths.AdminAudit + "?after=garbage"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a damaged page marker: %d", res.StatusCode)
	}
}

// TestAuditPagesAndExportCoverEverything walks the older-pages links to the end and compares
// with the CSV export of the same search.
func TestAuditPagesAndExportCoverEverything(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(demo.AdminEmail)
	walk := func() []string {
		var seen []string
		next := paths.AdminAudit + "?tenant=" + fmt.Sprint(e.tenantID(demo.TenantAcme))
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
		return seen
	}
	// The demo's set-up went through the admin's services, so the tenant has audit events of
	// its own (created, its manager created, its assignment rule) before any request.
	setup := len(walk())
	if setup == 0 {
		t.Fatal("no audit event of the demo's set-up for the tenant")
	}
	_, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 40, 0)
	for _, r := range rows {
		e.drive(r.ID, change.StatusProcessing, store.LogEntry{Description: "sent", ProcessedBy: "engine"})
	}
	seen := walk()
	// 40 sends, the request's creation.
	if len(seen) != setup+41 {
		t.Fatalf("%d entries over the pages, want %d of the set-up and 41", len(seen), setup)
	}
	_, body := admin.get(paths.AdminAudit + "?format=csv&tenant=" + fmt.Sprint(e.tenantID(demo.TenantAcme)))
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != setup+42 {
		t.Fatalf("CSV: %d records %v, want a header and %d", len(recs), err, setup+41)
	}
}
