package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// Browser tests of issue 13: the wizard without dead ends, by keyboard only; a draft that
// outlives its session; the inventory as the start of a change; density on the request pages.

// clearCookies ends the browser's session as an expiry would: the session cookie is gone.
func clearCookies(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
	_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
	return chromedp.Void{}, err
}

// focused is the id of the element that has the keyboard focus ("" for the page body).
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFocus waits for the focus to land on the element with the id want.
func waitFocus(t *testing.T, ctx context.Context, step, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := focused(t, ctx)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the focus is on %q, want %q", step, got, want)
		}
	}
}

// htmxSettledJS holds once htmx has no request in flight and has finished swapping and
// settling. htmx takes over the links of swapped-in content only when it settles, and the
// page's script lays the rows out (copy buttons) after that: a click before it can land on a
// link htmx does not yet know, or on a spot the layout is about to move.
const htmxSettledJS = `!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`

// clickSettled clicks the first element matching sel once the page has settled.
func clickSettled(t *testing.T, ctx context.Context, step, sel string) {
	t.Helper()
	waitJS(t, ctx, step+" (page settled)", htmxSettledJS)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// waitJS waits for a JavaScript condition to hold.
func waitJS(t *testing.T, ctx context.Context, step, cond string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#check-results") || document.body).innerText.slice(0, 1500)`))
			t.Fatalf("%s: %s did not become true (%v)\n%s", step, cond, err, text)
		}
	}
}

// TestBrowserWizardByKeyboard walks the wizard with the keyboard only and checks where the
// focus lands after every step: Enter in the inventory search searches; rows without a reason
// say so where Submit would be; a session that expires keeps the draft; fixing a row with
// Enter lands on the plan; the plan on Submit; changing the change type re-checks the review;
// Enter on Submit submits, and the draft is forgotten.
func TestBrowserWizardByKeyboard(t *testing.T) {
	app := startApp(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, demo.AcmeManager)

	var acme []demo.Device
	for _, d := range demo.Build().Devices {
		if d.TenantName == demo.TenantAcme && d.StatusID == store.DeviceStatusActive && len(acme) < 4 {
			acme = append(acme, d)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.NewBulkChange), chromedp.WaitVisible(chromedp.CSS(`#rows`))); err != nil {
		t.Fatal(err)
	}
	sims, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=demo-sim]")].map(e => e.textContent)`))
	if err != nil || len(sims) < 3 {
		t.Fatalf("demo SIMs: %v %v", sims, err)
	}

	// Enter in "Search the inventory" searches, and leaves the wizard (and the focus) alone.
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("wizard").dataset.mark = "before"`),
		chromedp.Focus(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), acme[3].MSISDN+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=search-hit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if mark, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("wizard").dataset.mark || ""`)); mark != "before" {
		t.Fatal("Enter in the search box submitted the whole wizard")
	}
	waitFocus(t, ctx, "Enter in the search", "q")

	// Rows without a reason: the submit bar says what is missing, and offers no Submit.
	wrong := sims[1][:19] + fmt.Sprint((int(sims[1][19]-'0')+1)%10)
	rows := strings.Join([]string{acme[0].ICCID + "," + sims[0], acme[1].MSISDN + "," + wrong, acme[2].IMEI + "," + sims[2]}, "\n")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#rows`), rows), chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "no reason", `(document.querySelector("[data-testid=blockers]") || {innerText: ""}).innerText.includes("Give a reason")`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=submit]").length`)); n != 0 {
		t.Fatal("a Submit button is offered with rows with problems and no reason")
	}
	// The blocker's link leads to the field.
	href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("[data-testid=blocker]")].find(a => a.innerText.includes("reason")).getAttribute("href")`))
	if href != "#reason" {
		t.Fatalf("the missing reason links to %q", href)
	}
	// The reason is checked when the person leaves the field (Tab), not at every key: a check
	// while the rows are still being typed would show half-typed rows.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#reason`), "SIMs failed in the field"+kb.Tab)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "reason given", `!document.querySelector("[data-testid=blockers]").innerText.includes("Give a reason")`)

	// The session expires. The draft is in this browser: after signing in again, it is back.
	if err := chromedp.Do(ctx, clearCookies, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#email`))); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, app, demo.AcmeManager)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.NewBulkChange), chromedp.WaitVisible(chromedp.CSS(`[data-testid=draft-restored]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row]`))); err != nil {
		t.Fatal(err)
	}
	reason, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#reason`)))
	restored, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#rows`)))
	if reason != "SIMs failed in the field" || strings.TrimSpace(restored) != rows {
		t.Fatalf("draft after the session expired: reason %q, rows %q", reason, restored)
	}

	// Fix the row with Enter: the focus lands on the plan to choose.
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(`#fix-1-new_iccid`)),
		chromedp.KeyEvent(kb.End),
		chromedp.KeyEvent(kb.Backspace),
		chromedp.SendKeys(chromedp.CSS(`#fix-1-new_iccid`), sims[1][19:]+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-group]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Every group keeps its current plan unless told otherwise, so the request is ready: the
	// next thing to do is Submit, in the bar at the bottom of the screen.
	waitFocus(t, ctx, "after fixing a row with Enter", "submit")

	// Choose another plan with the keyboard: the focus comes back to Submit.
	waitJS(t, ctx, "the review settled", htmxSettledJS)
	plan, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=plan-select]").id`))
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#"+cssEscape(plan))), chromedp.KeyEvent(kb.ArrowDown)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "plan chosen", `(document.querySelector("[data-testid=plan-select] option[selected]") || {value: "keep"}).value !== "keep"`)
	waitFocus(t, ctx, "after choosing the plan", "submit")

	// Changing the change type re-checks the review at once, and leaves the focus on the choice.
	waitJS(t, ctx, "the plan's re-check settled", htmxSettledJS)
	err = chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`#type-ChangeICCID`)), chromedp.KeyEvent(kb.ArrowDown))
	if err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "type changed to both", `!document.querySelector("[data-testid=review]") && !document.querySelector("[data-testid=submit]") &&
		document.querySelector("[data-testid=blockers]").innerText.includes("Fix or drop")`)
	waitFocus(t, ctx, "after changing the type", "type-ChangeIMEI")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowUp), chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-group]`))); err != nil {
		t.Fatal(err)
	}
	waitFocus(t, ctx, "after changing the type back", "type-ChangeICCID")
	waitJS(t, ctx, "the review is back", `!!document.querySelector("[data-testid=review]") && !!document.querySelector("#submit")`)
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`#submit`))); err != nil {
		t.Fatal(err)
	}

	// Enter on Submit submits; the request's page forgets the draft.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-change-id]`))); err != nil {
		t.Fatal(err)
	}
	left, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`Object.keys(localStorage).filter(k => k.startsWith("idswap.draft.")).length`))
	if left != 0 {
		t.Fatalf("%d drafts left after the submit", left)
	}
}

// TestBrowserInventoryStartsAChange filters, sorts and selects lines in the inventory, opens
// the wizard with them, exports the filter, and opens the wizard from a device's page; then
// checks the request pages' density: one-line rows, whole-row links, rows numbered 1…N.
func TestBrowserInventoryStartsAChange(t *testing.T) {
	app := startApp(t)
	db, _ := app.openDB(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, demo.AcmeManager)

	// Filter by status and sort by ICCID, newest last: the count and the order follow.
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.Devices),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=device-count]`)),
		chromedp.SetValue(chromedp.CSS(`#device-status`), fmt.Sprint(store.DeviceStatusSuspended)),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("device-status").dispatchEvent(new Event("change", {bubbles: true}))`),
	)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.UserByEmail(context.Background(), demo.AcmeManager)
	if err != nil {
		t.Fatal(err)
	}
	_, suspended, err := db.Devices(context.Background(), store.DeviceFilter{TenantID: *u.TenantID, StatusID: store.DeviceStatusSuspended, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "status filter", fmt.Sprintf(`document.querySelector("[data-testid=device-count]").innerText.startsWith("%d lines match")`, suspended))
	waitJS(t, ctx, "the filtered rows laid out", `[...document.querySelectorAll("[data-testid=device-row] button.copy")].every(b => !b.hidden)`)
	clickSettled(t, ctx, "sort by ICCID", `thead th.key a`)
	waitJS(t, ctx, "sorted by ICCID", `location.search.includes("sort=iccid")`)
	iccids, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=device-row] th.key a")].map(e => e.innerText.trim())`))
	for i := 1; i < len(iccids); i++ {
		if iccids[i-1] > iccids[i] {
			t.Fatalf("not sorted by ICCID: %q before %q", iccids[i-1], iccids[i])
		}
	}
	nums, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=device-row] td.num")].slice(0, 3).map(e => e.innerText)`))
	if strings.Join(nums, ",") != "1,2,3" {
		t.Fatalf("row numbers %q", nums)
	}
	// Each line offers its ICCID to copy, named for a screen reader, and stays one line. The
	// buttons are shown by the page's script once it has run (progressive enhancement): wait for
	// it, as a loaded machine may read the page before.
	waitJS(t, ctx, "copy buttons shown", `document.querySelectorAll("[data-testid=device-row]").length > 0 &&
		[...document.querySelectorAll("[data-testid=device-row] th.key [data-testid=copy]")].filter(b => !b.hidden).length ==
		document.querySelectorAll("[data-testid=device-row]").length`)
	named, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=device-row] th.key [data-testid=copy]")].filter(b => !b.hidden).map(b => b.getAttribute("aria-label"))`))
	if len(named) != len(iccids) || len(named) == 0 || named[0] != "Copy ICCID "+iccids[0] {
		t.Fatalf("inventory copy buttons %q for ICCIDs %q", named, iccids)
	}
	if tall, _ := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("[data-testid=device-row]")].map(r => Math.round(r.getBoundingClientRect().height))`)); len(tall) == 0 || slices.Max(tall) > 48 {
		t.Fatalf("inventory rows %v px tall: more than one line", tall)
	}

	// Export what the filter matches: a header and one line a device, in the wizard's columns
	// first (current, new_iccid, new_imei) so the file can go back as it is.
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("[data-testid=export-csv]").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != suspended+1 || !strings.HasPrefix(strings.TrimPrefix(lines[0], "\uFEFF"), "current,new_iccid,new_imei,") || !strings.Contains(csv, iccids[0]) {
		t.Fatalf("export: %d lines for %d devices; first %q", len(lines), suspended, lines[0])
	}

	// Select two lines → Change SIM: the wizard opens with them, as SIM swaps.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`tbody tr:nth-child(1) [data-testid=select-device]`)),
		chromedp.Click(chromedp.CSS(`tbody tr:nth-child(2) [data-testid=select-device]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "selected", `document.querySelector("[data-testid=selected-count]").innerText === "2 lines selected."`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=select-change-sim]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row]`))); err != nil {
		t.Fatal(err)
	}
	rows, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#rows`)))
	if strings.Fields(rows) == nil || strings.Join(strings.Fields(rows), " ") != iccids[0]+" "+iccids[1] {
		t.Fatalf("the wizard's rows: %q, want %s and %s", rows, iccids[0], iccids[1])
	}
	checked, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name=type]:checked").value`))
	if checked != "ChangeICCID" {
		t.Fatalf("change type %q", checked)
	}

	// Every line matching the filter → Change device.
	err = chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.Devices+"?status="+fmt.Sprint(store.DeviceStatusSuspended)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=select-matching]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=select-matching]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=select-change-device]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=check-summary]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=check-summary]`)))
	checked, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name=type]:checked").value`))
	if !strings.HasPrefix(summary, fmt.Sprintf("%d rows", suspended)) || checked != "ChangeIMEI" {
		t.Fatalf("every suspended line: %q, type %q; want %d rows of ChangeIMEI", summary, checked, suspended)
	}

	// A device's page: "Change SIM" opens the wizard with that line.
	ds, _, err := db.Devices(context.Background(), store.DeviceFilter{TenantID: *u.TenantID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.Device(ds[0].ID)),
		chromedp.Click(chromedp.CSS(`[data-testid=device-change-sim]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if rows, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#rows`))); strings.TrimSpace(rows) != ds[0].ICCID {
		t.Fatalf("from the device page: rows %q, want %s", rows, ds[0].ICCID)
	}
	// The device page offers to copy each identifier.
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.Device(ds[0].ID)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=copy]`))); err != nil {
		t.Fatal(err)
	}
	copies, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=copy]")].filter(b => !b.hidden).map(b => b.dataset.copy)`))
	if len(copies) < 3 || copies[0] != ds[0].ICCID {
		t.Fatalf("copy buttons for %v", copies)
	}

	// The request list: one line a request on a desktop, the whole row a link; the request's
	// rows are numbered 1…N, and a request nothing finished of shows an empty bar.
	id, batch := demoBatch(t, db, 5)
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(app.URL+paths.BulkChanges),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-change-row]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	tall, _ := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("[data-testid=bulk-change-row]")].map(r => Math.round(r.getBoundingClientRect().height))`))
	for _, h := range tall {
		if h > 48 {
			t.Fatalf("request rows are %v px tall at 1366 px: more than one line", tall)
		}
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=bulk-change-row] td:nth-child(4)`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-change-id]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, paths.BulkChange(id)) {
		t.Fatalf("a click on the row opened %s, want request %d", loc, id)
	}
	numbers, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=change-row] td:first-child")].map(e => e.innerText.trim())`))
	if strings.Join(numbers, ",") != "1,2,3,4,5" {
		t.Fatalf("row numbers %q, want 1…5", numbers)
	}
	// Each row offers its new SIM to copy.
	newSIMs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=change-row] [data-testid=copy]")].filter(b => !b.hidden).map(b => b.dataset.copy)`))
	if len(newSIMs) != len(batch) || newSIMs[0] != batch[0].NewICCID || newSIMs[4] != batch[4].NewICCID {
		t.Fatalf("the rows' copy buttons are for %q", newSIMs)
	}
	tall, _ = chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("[data-testid=change-row]")].map(r => Math.round(r.getBoundingClientRect().height))`))
	for _, h := range tall {
		if h > 48 {
			t.Fatalf("a request's rows are %v px tall at 1366 px: more than one line", tall)
		}
	}
}
