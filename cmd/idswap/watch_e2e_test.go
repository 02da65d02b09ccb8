package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/store"
)

// pageState is what the bulk change page shows, read from the live DOM.
type pageState struct {
	Marker  bool              `json:"marker"` // set by the test after the page loaded: gone after a reload
	Status  string            `json:"status"`
	Polling bool              `json:"polling"`
	Counts  map[string]string `json:"counts"`
	Rows    []string          `json:"rows"` // each row's status, in order
}

const readPage = `(() => {
	const q = s => { const e = document.querySelector(s); return e ? e.textContent.trim() : ""; };
	const st = document.querySelector("#bulk-status");
	const counts = {};
	for (const k of ["new", "processing", "processed", "api-failed", "error", "cancelled"]) { counts[k] = q("[data-testid=count-" + k + "]"); }
	return {
		marker: window.__idswapMarker === 42,
		status: q("[data-testid=bulk-status-badge]"),
		polling: !!(st && st.hasAttribute("hx-trigger")),
		counts: counts,
		rows: Array.from(document.querySelectorAll("[data-testid=change-row]")).map(r => r.getAttribute("data-status")),
	};
})()`

// dbState is the same as the database has it.
func dbState(t *testing.T, db *store.DB, id int64) pageState {
	t.Helper()
	ctx := context.Background()
	b, err := db.BulkChange(ctx, 0, id)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	s := pageState{Marker: true, Status: string(b.Status), Polling: !b.Status.Final(), Counts: map[string]string{
		"new": fmt.Sprint(b.Counts.New), "processing": fmt.Sprint(b.Counts.Processing), "processed": fmt.Sprint(b.Counts.Processed),
		"api-failed": fmt.Sprint(b.Counts.APIFailed), "error": fmt.Sprint(b.Counts.Error), "cancelled": fmt.Sprint(b.Counts.Cancelled)}}
	for _, r := range rows {
		s.Rows = append(s.Rows, string(r.Status))
	}
	return s
}

func (s pageState) String() string {
	return fmt.Sprintf("marker=%v status=%s polling=%v counts=%v rows=%v", s.Marker, s.Status, s.Polling, s.Counts, s.Rows)
}

func sameState(a, b pageState) bool {
	if a.Marker != b.Marker || a.Status != b.Status || a.Polling != b.Polling || !slices.Equal(a.Rows, b.Rows) || len(a.Counts) != len(b.Counts) {
		return false
	}
	for k, v := range a.Counts {
		if b.Counts[k] != v {
			return false
		}
	}
	return true
}

// waitForPage waits until the page shows what the database has — without the test touching
// the page — and returns that state.
func waitForPage(t *testing.T, ctx context.Context, db *store.DB, id int64, why string) pageState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var page, want pageState
	for time.Now().Before(deadline) {
		var err error
		if page, err = chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage)); err != nil {
			t.Fatalf("%s: read the page: %v", why, err)
		}
		if want = dbState(t, db, id); sameState(page, want) {
			return page
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: the page never showed the database's state\n page: %s\n   db: %s", why, page, want)
	return page
}

// TestBrowserWatchesABatchAndAnAdminFindsItsSIM is the end-to-end check. A manager opens
// a bulk change while its rows move through their states; the page follows by itself, without
// a reload, and stops polling once the batch is done. Then an admin searches the audit trail for
// the ICCID a device had before the change, and finds the device, its batch and the carrier log.
//
// The rows are moved from the test, through the store, on the app's own database, the way the
// engine moves them. The carrier write gate is closed, so an engine that is wired in sends
// nothing; whichever of the two moves a row, the page is checked against the database.
func TestBrowserWatchesABatchAndAnAdminFindsItsSIM(t *testing.T) {
	app := startApp(t, map[string]string{"IDSWAP_WRITES_ENABLED": "false"})
	ctx := newBrowser(t)
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(app.DataDir, "idswap.db"), []byte("0123456789abcdef0123456789abcdef") /* no secret is unsealed here */)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	id, rows := demoBatch(t, db, 3)

	signIn(t, ctx, app, demo.AcmeManager)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/bulk-changes/%d", app.URL, id)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-status]`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__idswapMarker = 42`)); err != nil {
		t.Fatal(err)
	}
	first := waitForPage(t, ctx, db, id, "the new batch")
	if !first.Polling {
		t.Fatal("the page of a running batch does not poll")
	}

	step := func(row store.DeviceChange, to change.Status, log *store.RowLogEntry) {
		t.Helper()
		if _, err := db.StepRow(context.Background(), store.RowStep{ChangeID: row.ID, To: to, Log: log, By: "e2e test",
			RequestID: fmt.Sprintf("e2e-%d", row.ID)}); err != nil {
			t.Fatal(err)
		}
		waitForPage(t, ctx, db, id, fmt.Sprintf("row %d to %s", row.ID, to))
	}
	sent := func(r store.DeviceChange) *store.RowLogEntry {
		return &store.RowLogEntry{Description: "ThingSpace: change identifier", ProcessedBy: "e2e test",
			RequestText:  "PUT /api/m2m/v1/devices/4G/actions/deviceId\n\n{\"deviceIds\":[{\"kind\":\"iccid\",\"id\":\"" + r.ICCID + "\"}]}",
			ResponseText: `HTTP 200 OK` + "\n\n" + `{"requestId":"e2e"}`}
	}
	step(rows[0], change.StatusProcessing, sent(rows[0]))
	step(rows[1], change.StatusProcessing, sent(rows[1]))
	step(rows[0], change.StatusProcessed, &store.RowLogEntry{Description: "Carrier confirmed the change", ProcessedBy: "e2e test",
		ResponseText: `{"status":"Success"}`})
	step(rows[1], change.StatusAPIFailed, &store.RowLogEntry{Description: "Carrier refused the change", ProcessedBy: "e2e test",
		HasErrors: true, ErrorCode: "REQUEST_FAILED.UnknownICCID", ErrorText: "The new ICCID is not known to the carrier"})
	step(rows[2], change.StatusProcessing, sent(rows[2]))
	step(rows[2], change.StatusProcessed, &store.RowLogEntry{Description: "Carrier confirmed the change", ProcessedBy: "e2e test"})

	final := waitForPage(t, ctx, db, id, "the finished batch")
	if !final.Marker {
		t.Fatal("the page was reloaded")
	}
	if final.Polling || !change.BatchStatus(final.Status).Final() {
		t.Fatalf("a finished batch's page: %s", final)
	}

	// An admin looks for the ICCID the first row's device had before the change.
	oldICCID := rows[0].ICCID
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, app, demo.AdminEmail)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/admin/audit"),
		chromedp.WaitVisible(chromedp.CSS(`#audit-q`)),
		chromedp.SendKeys(chromedp.CSS(`#audit-q`), oldICCID),
		chromedp.Click(chromedp.CSS(`[data-testid=audit-search]`)),
		// The page lists recent entries before any search: wait for the answer to this one,
		// which is the only one with a device section.
		chromedp.WaitVisible(chromedp.CSS(`#audit-results [data-testid=device-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-hit]`)),
	); err != nil {
		t.Fatal(err)
	}
	type finding struct {
		Devices []string `json:"devices"` // text of each device row
		Links   []string `json:"links"`   // the device links
		Hits    []struct {
			Source string `json:"source"`
			What   string `json:"what"`
			Batch  string `json:"batch"`
		} `json:"hits"`
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[finding](`(() => ({
		devices: Array.from(document.querySelectorAll("#audit-results [data-testid=device-row]")).map(r => r.textContent),
		links: Array.from(document.querySelectorAll("#audit-results [data-testid=device-row] a")).map(a => a.getAttribute("href")),
		hits: Array.from(document.querySelectorAll("[data-testid=audit-hit]")).map(h => ({
			source: h.querySelector(".badge").textContent.trim(),
			what: h.querySelector("[data-testid=audit-hit-what]").textContent.trim(),
			batch: (h.querySelector("[data-testid=audit-hit-batch]") || {getAttribute: () => ""}).getAttribute("href"),
		})),
	}))()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Devices) != 1 || !strings.Contains(found.Devices[0], rows[0].NewICCID) || found.Links[0] != fmt.Sprintf("/devices/%d", *rows[0].DeviceID) {
		t.Fatalf("the device: %q %q", found.Devices, found.Links)
	}
	batch := fmt.Sprintf("/bulk-changes/%d", id)
	var carrierLog, swap bool
	for _, h := range found.Hits {
		if h.Batch != batch {
			t.Errorf("a hit of another batch, or of none: %+v", h)
		}
		carrierLog = carrierLog || (h.Source == "Carrier log" && h.What != "")
		swap = swap || h.Source == "Identifier change"
	}
	if !carrierLog || !swap {
		t.Fatalf("no carrier log entry (%v) or identifier change (%v) among %+v", carrierLog, swap, found.Hits)
	}

	// The device page tells its story: the new SIM now, the old one in its history, the batch.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#audit-results [data-testid=device-row] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=history-row]`)),
	); err != nil {
		t.Fatal(err)
	}
	now, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=device-iccid]`)))
	if err != nil || now != rows[0].NewICCID {
		t.Fatalf("the device's ICCID now: %q %v", now, err)
	}
	history, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=history-row]`)))
	if err != nil || !strings.Contains(history, oldICCID) || !strings.Contains(history, fmt.Sprintf("#%d", id)) {
		t.Fatalf("history: %q %v", history, err)
	}
}

// demoBatch stores a request of n SIM swaps for Acme's first devices, with spare SIMs of the
// demo carrier, as the request wizard would.
func demoBatch(t *testing.T, db *store.DB, n int) (int64, []store.DeviceChange) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, demo.AcmeManager)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Devices(ctx, store.DeviceFilter{TenantID: *u.TenantID, Limit: n})
	if err != nil || len(ds) != n {
		t.Fatalf("devices: %d %v", len(ds), err)
	}
	sims := demo.Build(demo.Options{PasswordHash: "x", BaseURL: "http://127.0.0.1:1", CallbackSecret: "x"}).Carrier.SIMs
	var rows []store.NewDeviceChange
	for i, d := range ds {
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, NewICCID: sims[i].ICCID,
			Request: change.NewRequest(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: sims[i].ICCID, OldIMEI: d.IMEI})})
	}
	id, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: *u.TenantID, ServiceProviderID: ds[0].ServiceProviderID,
		Type: change.ChangeICCID, Reason: "SIMs failed in the field", RequestedBy: u, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
	if err != nil || len(got) != n {
		t.Fatalf("rows: %d %v", len(got), err)
	}
	return id, got
}
