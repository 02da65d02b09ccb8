package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// TestBrowserScheduleAndPause is a manager scheduling a request in the wizard for tomorrow, in
// headless Chromium against the real `idswap serve --demo`: the request page shows it
// SCHEDULED with its start in the tenant's zone (UTC in the demo); the manager pauses it from
// its page, sees it PAUSED, and resumes it, SCHEDULED again.
func TestBrowserScheduleAndPause(t *testing.T) {
	app := startApp(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, demo.AcmeManager)

	var acme demo.Device
	for _, d := range demo.Build().Devices {
		if d.TenantName == demo.TenantAcme && d.StatusID == store.DeviceStatusActive {
			acme = d
			break
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.NewBulkChange),
		chromedp.WaitVisible(chromedp.CSS(`#run_at`)),
	); err != nil {
		t.Fatal(err)
	}
	sims, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=demo-sim]")].map(e => e.textContent)`))
	if err != nil || len(sims) == 0 {
		t.Fatalf("demo SIMs on the page: %v %v", sims, err)
	}
	label, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`label[for=run_at]`)))
	if !strings.Contains(label, "UTC") {
		t.Fatalf("the start field does not name the tenant's zone: %q", label)
	}
	start := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Hour)
	field := start.Format("2006-01-02T15:04")
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(r => { r.value = "`+field+`"; r.dispatchEvent(new Event("change", {bubbles: true})) })(document.getElementById("run_at"))`),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "Swap SIMs in tomorrow's window"),
		chromedp.SendKeys(chromedp.CSS(`#rows`), acme.ICCID+","+sims[0]),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-group]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Pick the first plan after "keep", by keyboard. The live checks of the fields typed above
	// may still swap the form in: the select is looked up again until the review shows.
	for deadline := time.Now().Add(30 * time.Second); ; {
		id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("[data-testid=plan-select]") || {id: ""}).id`))
		if id != "" {
			_ = chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#"+cssEscape(id))), chromedp.KeyEvent(kb.ArrowDown))
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=review-start]").length`)); n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the review did not show after choosing a plan")
		}
		time.Sleep(300 * time.Millisecond)
	}
	want := start.Format("Mon 2 Jan 2006 15:04") + " UTC (UTC)"
	waitText(t, ctx, `[data-testid=review-start]`, want)

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-starts-at]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `[data-testid=bulk-status-badge]`, "scheduled")
	waitText(t, ctx, `[data-testid=bulk-starts-at]`, want)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=pause]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=resume]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `[data-testid=bulk-status-badge]`, "paused")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=resume]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=pause]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `[data-testid=bulk-status-badge]`, "scheduled")
}

// waitText waits until the element's text contains want (pages reload and poll themselves).
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {textContent: ""}).textContent`))
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s says %q, want %q", sel, got, want)
		}
	}
}
