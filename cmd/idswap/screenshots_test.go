package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// TestScreenshots writes the screenshots in docs/screenshots from the real demo: the wizard at
// its review, a running and a finished request, and the inventory, at 1366 and 390 px. It runs
// only when IDSWAP_SCREENSHOTS names the folder to write (`make screenshots`), so `make test`
// never rewrites the committed pictures.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("IDSWAP_SCREENSHOTS")
	if dir == "" {
		t.Skip("set IDSWAP_SCREENSHOTS to the folder to write (make screenshots)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The carrier holds change requests once told to, so the running request stays running.
	app, hold := startAppHolding(t, tssim.DefaultConfig())
	db, _ := app.openDB(t)
	ctx := newBrowserFor(t, 3*time.Minute)
	signIn(t, ctx, app, demo.AcmeManager)

	shoot := func(name string) {
		t.Helper()
		for _, w := range []int64{1366, 390} {
			// The viewport is as tall as the page, so that what sticks to the screen's edges
			// (the wizard's submit bar) is drawn where the page ends, not over its middle.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Evaluate[chromedp.Void](settled, chromedp.EvalAwaitPromise)); err != nil {
				t.Fatal(err)
			}
			h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Evaluate[chromedp.Void](settled, chromedp.EvalAwaitPromise)); err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s (%d KB)", file, len(png)/1024)
		}
	}

	// The inventory, filtered to the active lines, two of them selected.
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.Devices+"?status=8"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=select-device]`)),
		chromedp.Click(chromedp.CSS(`tbody tr:nth-child(2) [data-testid=select-device]`)),
		chromedp.Click(chromedp.CSS(`tbody tr:nth-child(3) [data-testid=select-device]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	shoot("inventory")

	// The wizard at its review: three SIM swaps from the demo shelf.
	u, err := db.UserByEmail(context.Background(), demo.AcmeManager)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Devices(context.Background(), store.DeviceFilter{TenantID: *u.TenantID, StatusID: store.DeviceStatusActive, Limit: 12})
	if err != nil || len(ds) != 12 {
		t.Fatalf("devices: %d %v", len(ds), err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.NewBulkChange), chromedp.WaitVisible(chromedp.CSS(`#rows`))); err != nil {
		t.Fatal(err)
	}
	shelf, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=demo-sim]")].map(e => e.textContent)`))
	if err != nil || len(shelf) < 3 {
		t.Fatalf("demo SIMs: %v %v", shelf, err)
	}
	rows := strings.Join([]string{ds[9].ICCID + "," + shelf[0], ds[10].MSISDN + "," + shelf[1], ds[11].IMEI + "," + shelf[2]}, "\n")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#reason`), "SIMs failed in the field"),
		chromedp.SendKeys(chromedp.CSS(`#rows`), rows),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=review]`)),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shoot("wizard")
	// The draft the wizard kept is not wanted by the pages that follow.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`localStorage.clear()`)); err != nil {
		t.Fatal(err)
	}

	// A finished request with a failed row, then a running one the carrier holds.
	sims := demo.Build().Carrier.SIMs
	finished := auditBatch(t, db, u, ds[0:3], []string{sims[0].ICCID, luhnFix(sims[1].ICCID[:12] + "99999999"), sims[2].ICCID})
	waitFinished(t, db, finished)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.BulkChange(finished)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-status]`))); err != nil {
		t.Fatal(err)
	}
	shoot("request-finished")
	hold()
	running := auditBatch(t, db, u, ds[3:8], []string{sims[3].ICCID, sims[4].ICCID, sims[5].ICCID, sims[6].ICCID, sims[7].ICCID})
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.BulkChange(running)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-status]`)),
		chromedp.Sleep(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	shoot("request-running")
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.BulkChanges), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-change-row]`))); err != nil {
		t.Fatal(err)
	}
	shoot("requests")
}
