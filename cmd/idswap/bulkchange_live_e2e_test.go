package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// pageState is what the bulk change page shows, read from the live DOM.
type pageState struct {
	Marker  bool              `json:"marker"` // set by the test after the page loaded: gone after a reload
	Status  string            `json:"status"`
	Polling bool              `json:"polling"`
	Counts  map[string]string `json:"counts"`
	Rows    []string          `json:"rows"` // each row's status, in order
	// Polls is how many times the page has asked for its status region (not compared: the
	// database has no such thing).
	Polls int `json:"polls"`
}

const readPage = `(() => {
	const q = s => { const e = document.querySelector(s); return e ? e.textContent.trim() : ""; };
	const st = document.querySelector("#bulk-status");
	const counts = {};
	for (const k of ["new", "processing", "processed", "api-failed", "error", "cancelled"]) { counts[k] = q("[data-testid=count-" + k + "]"); }
	return {
		marker: window.__idswapMarker === 42,
		// The badge shows the status in words; its class is the code the database holds.
		status: Array.from((document.querySelector("[data-testid=bulk-status-badge]") || {classList: []}).classList).filter(c => c !== "badge").join(" "),
		polling: !!(st && st.hasAttribute("hx-trigger")),
		counts: counts,
		rows: Array.from(document.querySelectorAll("[data-testid=change-row]")).map(r => r.getAttribute("data-status")),
		polls: performance.getEntriesByType("resource").filter(e => e.name.includes("/status?")).length,
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

func readPageState(t *testing.T, ctx context.Context) pageState {
	t.Helper()
	page, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	return page
}

// follow watches the page — without touching it — until it shows the final state the database
// holds, and returns every state it showed on the way, in order, the first one included.
func follow(t *testing.T, ctx context.Context, db *store.DB, id int64) []pageState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var seen []pageState
	for {
		// The page first, then the database: the page can lag the database, never lead it.
		page := readPageState(t, ctx)
		if len(seen) == 0 || !sameState(page, seen[len(seen)-1]) {
			seen = append(seen, page)
		}
		want := dbState(t, db, id)
		if !want.Polling && sameState(page, want) {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed the finished batch\n page: %s\n   db: %s\n seen: %v", page, want, seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// callbackDelay is how long the test's carrier takes to carry out a change and call back: long
// enough that the batch is PROCESSING over more than one of the page's 2-second polls.
const callbackDelay = 6 * time.Second

// startCarrier runs the ThingSpace simulator on the demo world's carrier seed (the lines and
// spare SIMs the app's demo data names), for `serve --demo --tssim-url`.
func startCarrier(t *testing.T) *httptest.Server {
	t.Helper()
	cfg := tssim.DefaultConfig()
	cfg.CallbackDelay = callbackDelay
	sim, err := tssim.New(cfg, demo.Build().Carrier)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return srv
}

// TestBrowserWatchesABatchAndAnAdminFindsItsSIM is the end-to-end check. The real
// engine of `idswap serve --demo` runs a bulk change against a ThingSpace simulator while a
// manager has its page open: the page shows the batch running, follows it by itself — without
// a reload — to the state the database ends in, every row PROCESSED, and then stops polling.
// Then an admin searches the audit trail for the ICCID a device had before the change, and
// finds the device, its batch and the carrier log.
func TestBrowserWatchesABatchAndAnAdminFindsItsSIM(t *testing.T) {
	carrier := startCarrier(t)
	app := startApp(t, "--tssim-url", carrier.URL)
	ctx := newBrowser(t)
	db, _ := app.openDB(t)
	signIn(t, ctx, app, demo.AcmeManager)

	// Stored from outside, as another portal process would; the app's workers find it within
	// their poll interval, and the carrier confirms each row callbackDelay after it was sent.
	id, rows := demoBatch(t, db, 3)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/bulk-changes/%d", app.URL, id)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-status]`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__idswapMarker = 42`)); err != nil {
		t.Fatal(err)
	}
	seen := follow(t, ctx, db, id)
	t.Logf("the page showed %d states: %v", len(seen), seen)
	first, final := seen[0], seen[len(seen)-1]
	if change.BatchStatus(first.Status).Final() || !first.Polling {
		t.Fatalf("the page did not open on a running batch: %s", first)
	}
	for _, s := range seen {
		if !s.Marker {
			t.Fatalf("the page was reloaded: %v", seen)
		}
	}
	if !slices.ContainsFunc(seen, func(s pageState) bool { return s.Counts["processing"] != "0" }) {
		t.Errorf("the page never showed a row waiting for the carrier: %v", seen)
	}
	if final.Status != string(change.BatchProcessed) || final.Polling ||
		slices.ContainsFunc(final.Rows, func(r string) bool { return r != string(change.StatusProcessed) }) {
		t.Fatalf("the finished batch's page: %s", final)
	}
	// Polling has stopped: over more than two poll intervals the page asks nothing more.
	polls := readPageState(t, ctx).Polls
	if polls < 2 {
		t.Fatalf("the page asked for its status %d times while the batch ran", polls)
	}
	time.Sleep(5 * time.Second) // absence can only be seen by waiting
	if after := readPageState(t, ctx).Polls; after != polls {
		t.Fatalf("the page of a finished batch kept polling: %d status requests, then %d", polls, after)
	}

	// An admin looks for the ICCID the first row's device had before the change.
	oldICCID := rows[0].ICCID
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="`+paths.Logout+`"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, app, demo.AdminEmail)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.AdminAudit),
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
	if len(found.Devices) != 1 || !strings.Contains(found.Devices[0], rows[0].NewICCID) || found.Links[0] != paths.Device(*rows[0].DeviceID) {
		t.Fatalf("the device: %q %q", found.Devices, found.Links)
	}
	batch := paths.BulkChange(id)
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
