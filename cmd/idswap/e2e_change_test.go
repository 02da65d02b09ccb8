package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// TestBrowserChangeRequest is the account manager's path through a change request, by keyboard
// and mouse in headless Chromium against the real `idswap serve --demo`: paste three rows, one
// with a wrong check digit; see the error on that row only; fix it in place; pick a plan; submit;
// land on the bulk change page.
func TestBrowserChangeRequest(t *testing.T) {
	app := startApp(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, demo.AcmeManager)

	// The demo world is generated from a fixed seed: the same lines the app seeded.
	var acme []demo.Device
	for _, d := range demo.Build().Devices {
		if d.TenantName == demo.TenantAcme && d.StatusID == store.DeviceStatusActive && len(acme) < 3 {
			acme = append(acme, d)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.NewBulkChange),
		chromedp.WaitVisible(chromedp.CSS(`#rows`)),
	); err != nil {
		t.Fatal(err)
	}
	// New SIMs from the demo shelf the page offers.
	sims, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=demo-sim]")].map(e => e.textContent)`))
	if err != nil || len(sims) < 3 {
		t.Fatalf("demo SIMs on the page: %v %v", sims, err)
	}
	wrong := sims[1][:19] + fmt.Sprint((int(sims[1][19]-'0')+1)%10)
	rows := strings.Join([]string{
		acme[0].ICCID + "," + sims[0],
		acme[1].MSISDN + "," + wrong,
		acme[2].IMEI + "," + sims[2],
	}, "\n")

	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#reason`), "SIMs failed in the field"),
		chromedp.SendKeys(chromedp.CSS(`#rows`), rows),
		// The rows are checked as they arrive.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	errorRows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=error-row]")].map(e => e.dataset.row + ": " + e.textContent)`))
	if err != nil || len(errorRows) != 1 || !strings.HasPrefix(errorRows[0], "2: ") ||
		!strings.Contains(errorRows[0], "Row 2, new ICCID: ICCID "+wrong+": check digit is") {
		t.Fatalf("rows with problems: %q %v", errorRows, err)
	}
	valid, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=valid-row]").length`))
	if err != nil || valid != 2 {
		t.Fatalf("valid rows: %d %v", valid, err)
	}
	// Typing went on undisturbed: the text box keeps the focus through the live check.
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil || focused != "rows" {
		t.Fatalf("focus after the live check: %q %v", focused, err)
	}

	// Fix the row in place, by keyboard.
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
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=error-row]").length`)); n != 0 {
		t.Fatalf("%d rows still have problems after the fix", n)
	}
	text, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#rows`)))
	if err != nil || !strings.Contains(text, acme[1].MSISDN+","+sims[1]) {
		t.Fatalf("the fix is not in the rows: %q %v", text, err)
	}

	// Pick a plan for the first group with the keyboard: the next option after "keep".
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=plan-select]").id`))
	if err != nil || id == "" {
		t.Fatalf("plan select: %q %v", id, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS("#"+cssEscape(id))),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=review]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The server re-renders the form with the choice: the option carries the selected attribute
	// (typing only changes the value), and the review shows the plan.
	var plan string
	deadline := time.Now().Add(20 * time.Second)
	for {
		plan, err = chromedp.Run(ctx, chromedp.Evaluate[string](
			`(document.querySelector("[data-testid=plan-select] option[selected]") || {value: ""}).value`))
		if err == nil && plan != "keep" && plan != "" {
			review, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`[data-testid=review]`)))
			if strings.Contains(review, plan+" (") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plan choice did not reach the review: %q %v", plan, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Submit, and land on the bulk change page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-change-id]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=bulk-change-id]`)))
	count, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=bulk-change-rows]`)))
	u, _ := url.Parse(loc)
	if m := regexp.MustCompile(`^/bulk-changes/(\d+)$`).FindStringSubmatch(u.Path); m == nil || m[1] != shown || count != "3" {
		t.Fatalf("landed on %s showing bulk change %q with %q rows", loc, shown, count)
	}
	// The plan chosen is what the rows of its group will send.
	db, err := sql.Open("sqlite", filepath.Join(app.DataDir, "idswap.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var withPlan, total int
	if err := db.QueryRow(`SELECT COUNT(CASE WHEN ServicePlan = ? THEN 1 END), COUNT(*) FROM M2M_DeviceChange WHERE BulkChangeId = ?`,
		plan, shown).Scan(&withPlan, &total); err != nil || withPlan == 0 || total != 3 {
		t.Fatalf("stored rows: %d of %d with plan %s, %v", withPlan, total, plan, err)
	}
}

// TestTokenCreateAndTheAPI prints a token with the command an operator runs and uses it.
func TestTokenCreateAndTheAPI(t *testing.T) {
	app := startApp(t)
	var out, errOut strings.Builder
	env := func(string) string { return "" }
	if err := run(context.Background(), []string{"token", "create", "--demo", "--data", app.DataDir, "--email", demo.AcmeManager},
		env, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, "idsw_") || !strings.Contains(errOut.String(), "This is the only time it is shown") {
		t.Fatalf("token %q, message %q", token, errOut.String())
	}
	var d demo.Device
	for _, x := range demo.Build().Devices {
		if x.TenantName == demo.TenantAcme && x.StatusID == store.DeviceStatusActive {
			d = x
			break
		}
	}
	body := fmt.Sprintf(`{"service_provider_id": 1, "change_type": "ChangeICCID", "reason": "api", "dry_run": true,
		"rows": [{"current": %q, "new_iccid": %q}]}`, d.MSISDN, demo.Build().Carrier.SIMs[0].ICCID)
	for name, tc := range map[string]struct {
		token  string
		status int
	}{"with the token": {token, 200}, "without": {"", 401}} {
		req, _ := http.NewRequest(http.MethodPost, app.URL+paths.APIBulkChanges, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		_ = json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if res.StatusCode != tc.status || (tc.status == 200 && got["valid"] != true) {
			t.Fatalf("%s: %d %v", name, res.StatusCode, got)
		}
	}
}

// cssEscape escapes the characters of an id that CSS selectors treat specially.
func cssEscape(id string) string {
	var b strings.Builder
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestBrowserSearchAndAdd finds a device by the last digits of its MDN and adds it to the rows.
func TestBrowserSearchAndAdd(t *testing.T) {
	app := startApp(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, demo.AcmeManager)
	var d demo.Device
	for _, x := range demo.Build().Devices {
		if x.TenantName == demo.TenantAcme && x.StatusID == store.DeviceStatusActive {
			d = x
			break
		}
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.NewBulkChange),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), d.MSISDN),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=search-hit] button[name=add]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=search-hit] button[name=add]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row] [data-testid=error-new_iccid]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#rows`)))
	if err != nil || strings.TrimSpace(rows) != d.ICCID {
		t.Fatalf("rows after Add: %q %v", rows, err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=error-new_iccid]`)))
	if !strings.Contains(msg, "missing; ChangeICCID needs the new ICCID") {
		t.Fatalf("the added row asks for %q", msg)
	}
}
