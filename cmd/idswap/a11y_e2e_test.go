package main

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// axeSource is axe-core from its npm package (axe.min.js, licence header kept; the licence is
// testdata/axe-core-LICENSE.txt). Its version is in the name so an upgrade is a visible change.
//
//go:embed testdata/axe-core-4.14.1.min.js
var axeSource string

// auditWidths are the viewport widths every page state is audited at: a laptop, a phone, and
// the 320 CSS px WCAG 1.4.10 (reflow) names. Below 1366 the page must not scroll sideways.
var auditWidths = []int64{1366, 390, 320}

// auditTags are the axe-core rule sets the portal is held to.
const auditTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]`

// auditFixture is what the page table needs to know about the running app's data.
type auditFixture struct {
	app      *runningApp
	db       *store.DB
	finished int64  // a request that ended with a failed row
	failed   int64  // that row
	running  int64  // a request whose rows the carrier is still holding
	deviceID int64  // a device changed by the finished request
	oldICCID string // the ICCID that device had before
	wizard   []string
	shelf    []string // unused SIMs of the carrier, from the wizard's demo shelf
}

// auditPage is one page state: who looks at it, and how to get there from wherever the tab is.
type auditPage struct {
	name string
	as   string // "" (signed out), demo.AcmeManager or demo.AdminEmail
	open func(ctx context.Context, f *auditFixture) error
}

// visit opens a path and waits for an element of it to be visible.
func visit(path func(f *auditFixture) string, ready string) func(context.Context, *auditFixture) error {
	return func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+path(f)), chromedp.WaitVisible(chromedp.CSS(ready)))
	}
}

func fixed(p string) func(*auditFixture) string { return func(*auditFixture) string { return p } }

// openDetails opens every <details> so the tables folded inside them are audited too.
const openDetails = `document.querySelectorAll("details").forEach(d => d.open = true)`

// auditPages is every page and every state of the request wizard, in the order the test opens
// them (the wizard's states build on each other). Add new pages here.
var auditPages = []auditPage{
	{"login", "", visit(fixed("/login"), "#email")},

	{"wizard: empty", demo.AcmeManager, visit(fixed("/bulk-changes/new"), "#rows")},
	{"wizard: rows pasted, one with an error", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(`#reason`), "SIMs failed in the field"),
			chromedp.SendKeys(chromedp.CSS(`#rows`), strings.Join(f.wizard, "\n")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-row]`)),
			chromedp.Evaluate[chromedp.Void](openDetails))
	}},
	{"wizard: rows checked, plan step", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.Focus(chromedp.CSS(`#fix-1-new_iccid`)),
			chromedp.KeyEvent(kb.End),
			chromedp.KeyEvent(kb.Backspace),
			chromedp.SendKeys(chromedp.CSS(`#fix-1-new_iccid`), f.shelf[1][19:]+kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-group]`)),
			chromedp.Evaluate[chromedp.Void](openDetails))
	}},
	{"wizard: review", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.Focus(chromedp.CSS(`[data-testid=plan-select]`)),
			chromedp.KeyEvent(kb.ArrowDown),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=review]`)),
			chromedp.Evaluate[chromedp.Void](openDetails))
	}},

	{"wizard: reason taken away, the submit bar says why", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`(r => { r.value = ""; r.dispatchEvent(new Event("change", {bubbles: true})) })(document.getElementById("reason"))`),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=blockers]`)))
	}},
	{"wizard: lines from the inventory", demo.AcmeManager, visit(func(f *auditFixture) string {
		return fmt.Sprintf("/bulk-changes/new?type=ChangeIMEIandICCID&device=%d&device=%d", f.deviceID, f.deviceID+1)
	}, "[data-testid=error-row]")},

	{"dashboard", demo.AcmeManager, visit(fixed("/"), "main h1")},
	{"devices", demo.AcmeManager, visit(fixed("/devices"), "[data-testid=pager-summary]")},
	{"devices: filtered, sorted, lines selected", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(f.app.URL+"/devices?status=8&seen=30&sort=seen&dir=desc"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=select-device]`)),
			chromedp.Click(chromedp.CSS(`tbody tr:nth-child(1) [data-testid=select-device]`)),
			chromedp.Click(chromedp.CSS(`tbody tr:nth-child(2) [data-testid=select-device]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=selected-count]`)))
	}},
	{"device", demo.AcmeManager, visit(func(f *auditFixture) string { return fmt.Sprintf("/devices/%d", f.deviceID) }, "[data-testid=history-row]")},
	{"device lookup by a former ICCID", demo.AcmeManager, visit(func(f *auditFixture) string { return "/devices/lookup?id=" + f.oldICCID }, "[data-testid=device-iccid]")},
	{"bulk changes, filtered", demo.AcmeManager, visit(fixed("/bulk-changes?status=PROCESSED_WITH_ERRORS&type=ChangeICCID"), "main table")},
	{"bulk change, running", demo.AcmeManager, visit(func(f *auditFixture) string { return fmt.Sprintf("/bulk-changes/%d", f.running) }, "[data-testid=bulk-status]")},
	{"bulk change, paused", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(fmt.Sprintf("%s/bulk-changes/%d", f.app.URL, f.running)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=pause]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=pause]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=resume]`)))
	}},
	{"bulk change, finished with a failed row", demo.AcmeManager, visit(func(f *auditFixture) string { return fmt.Sprintf("/bulk-changes/%d", f.finished) }, "[data-testid=bulk-status]")},
	{"undo: confirmation with a row that cannot be undone", demo.AcmeManager, visit(func(f *auditFixture) string { return fmt.Sprintf("/bulk-changes/%d/undo", f.finished) }, "[data-testid=undo-refused]")},
	{"row log", demo.AcmeManager, visit(func(f *auditFixture) string { return fmt.Sprintf("/bulk-changes/%d/rows/%d/log", f.finished, f.failed) }, "main .crumbs")},
	{"webhooks", demo.AcmeManager, visit(fixed("/webhooks"), "#webhook-url")},
	{"webhooks: a bad URL refused", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(`#webhook-url`), "http://erp.acme.example/hook"),
			chromedp.Submit(chromedp.CSS(`#webhook-url`)),
			chromedp.WaitVisible(chromedp.CSS(`#webhook-error`)))
	}},
	{"webhooks: endpoint added, its secret shown once", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#webhook-url`), "http://127.0.0.1:9/hook"),
			chromedp.Submit(chromedp.CSS(`#webhook-url`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=webhook-secret]`)))
	}},
	{"webhook deliveries", demo.AcmeManager, visit(fixed("/webhooks/1"), "main h1")},
	{"compliance report", demo.AcmeManager, visit(fixed("/reports/compliance?from=2020-01-01&to=2035-12-31"), "[data-testid=report-result]")},
	{"daily summary settings", demo.AcmeManager, visit(fixed("/reports/daily"), "#summary-at")},
	{"daily summary settings, a bad address refused", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#summary-to`), "not an address"),
			chromedp.Submit(chromedp.CSS(`#summary-to`)),
			chromedp.WaitVisible(chromedp.CSS(`#summary-error`)))
	}},
	{"not found", demo.AcmeManager, visit(fixed("/no-such-page"), "main h1")},
	{"your sessions", demo.AcmeManager, visit(fixed("/account/sessions"), "[data-testid=session-row]")},
	{"your API tokens", demo.AcmeManager, visit(fixed("/account/tokens"), "[data-testid=token-form]")},
	{"change my password, wrong current one", demo.AcmeManager, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+"/account/password"),
			chromedp.SendKeys(chromedp.CSS(`#current`), "not-my-password"),
			chromedp.SendKeys(chromedp.CSS(`#next`), "a-new-password-123"),
			chromedp.Submit(chromedp.CSS(`#next`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=form-error]`)))
	}},

	{"dashboard (admin)", demo.AdminEmail, visit(fixed("/"), "main h1")},
	{"daily summary settings (admin)", demo.AdminEmail, visit(fixed("/reports/daily?tenant=0"), "#summary-at")},
	{"compliance report (admin)", demo.AdminEmail, visit(fixed("/reports/compliance?tenant=0&from=2020-01-01&to=2035-12-31"), "[data-testid=report-result]")},
	{"bulk changes (admin)", demo.AdminEmail, visit(fixed("/bulk-changes"), "main table")},
	{"bulk change with retry (admin)", demo.AdminEmail, visit(func(f *auditFixture) string { return fmt.Sprintf("/bulk-changes/%d", f.finished) }, "[data-testid=bulk-status]")},
	{"audit, with results", demo.AdminEmail, visit(func(f *auditFixture) string { return "/admin/audit?q=" + f.oldICCID }, "[data-testid=audit-hit]")},
	{"outbox", demo.AdminEmail, visit(fixed("/admin/outbox"), "main table")},
	{"API tokens of every user (admin)", demo.AdminEmail, visit(fixed("/admin/tokens"), "[data-testid=tokens]")},
	{"outbox message", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		var id int64
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			ms, _, err := f.db.OutboxEmails(ctx, 1, 0)
			if err != nil {
				return err
			}
			if len(ms) > 0 {
				id = ms[0].ID
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no result e-mail in the outbox")
			}
		}
		return visit(func(*auditFixture) string { return fmt.Sprintf("/admin/outbox/%d", id) }, "main h1")(ctx, f)
	}},
	{"not found (admin)", demo.AdminEmail, visit(fixed("/admin/outbox/99999999"), "main h1")},
	{"admin console", demo.AdminEmail, visit(fixed("/admin"), "[data-testid=admin-links]")},
	{"needs attention, one row flagged", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		if err := f.db.FlagChange(ctx, f.failed, "the carrier confirmed the change after reporting it failed", 0, "a11y test"); err != nil {
			return err
		}
		return visit(fixed("/admin/attention"), "[data-testid=attention-row]")(ctx, f)
	}},
	{"tenants, a duplicate name refused", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+"/admin/tenants"),
			chromedp.SendKeys(chromedp.CSS(`#tenant-name`), demo.TenantAcme),
			chromedp.Submit(chromedp.CSS(`#tenant-name`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=form-error]`)))
	}},
	{"tenants, a time zone that is not one refused", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+"/admin/tenants"),
			chromedp.SetValue(chromedp.CSS(`[data-testid=tenant-schedule] input[name=time_zone]`), "Mars/Olympus"),
			chromedp.Submit(chromedp.CSS(`[data-testid=tenant-schedule] input[name=time_zone]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenant-schedule] [data-testid=form-error]`)))
	}},
	{"users", demo.AdminEmail, visit(fixed("/admin/users"), "[data-testid=users]")},
	{"providers", demo.AdminEmail, visit(fixed("/admin/providers"), "[data-testid=providers]")},
	{"provider", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		ps, err := f.db.Providers(ctx)
		if err != nil || len(ps) == 0 {
			return fmt.Errorf("providers: %v %v", ps, err)
		}
		return visit(func(*auditFixture) string { return fmt.Sprintf("/admin/providers/%d", ps[0].ID) }, "[data-testid=provider-form]")(ctx, f)
	}},
	{"new provider, connection test failed", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+"/admin/providers/new"),
			chromedp.SendKeys(chromedp.CSS(`#p-name`), "Unreachable"),
			chromedp.SendKeys(chromedp.CSS(`#p-url`), "http://127.0.0.1:1"),
			chromedp.SendKeys(chromedp.CSS(`#p-account`), "0000999999-00001"),
			chromedp.SendKeys(chromedp.CSS(`#p-client`), "cid"),
			chromedp.SendKeys(chromedp.CSS(`#p-secret`), "secret"),
			chromedp.SendKeys(chromedp.CSS(`#p-user`), "uws"),
			chromedp.SendKeys(chromedp.CSS(`#p-password`), "uws-password"),
			chromedp.Click(chromedp.CSS(`[data-testid=provider-save]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=provider-save-anyway]`)))
	}},
	{"plans", demo.AdminEmail, visit(fixed("/admin/plans"), "[data-testid=plans]")},
	{"device models, a file with bad rows", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		// The file is made in the page, as a person's chosen file would be.
		const upload = `(() => {
			const dt = new DataTransfer();
			dt.items.add(new File(["tac,imei_from,imei_to,manufacturer,model,network_type\n35000001,,,Acme,M1,LTE-M\n1234,,,Acme,,6G\n"], "tac.csv", {type: "text/csv"}));
			document.querySelector("#models-file").files = dt.files;
			document.querySelector("[data-testid=models-upload]").submit();
		})()`
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+"/admin/device-models"), chromedp.WaitVisible(chromedp.CSS(`#models-file`)),
			chromedp.Evaluate[chromedp.Void](upload),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=models-errors]`)))
	}},
	{"inventory (admin)", demo.AdminEmail, visit(fixed("/admin/inventory"), "[data-testid=rules]")},
	{"inventory (admin), an assignment CSV with a bad row", demo.AdminEmail, func(ctx context.Context, f *auditFixture) error {
		upload := fmt.Sprintf(`(() => {
			const dt = new DataTransfer();
			dt.items.add(new File(["identifier,tenant\n%s,%s\n89148000000000000000,Umbrella\n"], "assign.csv", {type: "text/csv"}));
			document.querySelector("#assign-file").files = dt.files;
			document.querySelector("[data-testid=assign-csv-upload]").submit();
		})()`, demo.Build().Devices[0].MSISDN, demo.TenantGlobex)
		return chromedp.Do(ctx, chromedp.Navigate(f.app.URL+"/admin/inventory"), chromedp.WaitVisible(chromedp.CSS(`#assign-file`)),
			chromedp.Evaluate[chromedp.Void](upload),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=assign-csv-errors]`)))
	}},
	{"sync", demo.AdminEmail, visit(fixed("/admin/sync"), "[data-testid=sync-runs]")},
}

// auditResult is what one audit of a page at one width found.
type auditResult struct {
	Violations []struct {
		ID      string   `json:"id"`
		Impact  string   `json:"impact"`
		Help    string   `json:"help"`
		Targets []string `json:"targets"`
	} `json:"violations"`
	ScrollWidth int      `json:"scrollWidth"`
	Wide        []string `json:"wide"` // the innermost elements that reach past the viewport
}

const runAxe = `(async () => {
	const r = await axe.run(document, {runOnly: {type: "tag", values: ` + auditTags + `}, resultTypes: ["violations"]});
	const w = document.documentElement.clientWidth;
	// Elements past the right edge, innermost first, leaving out those inside a scroll box.
	// (An absolutely placed element is clipped only by boxes from its offset parent out.)
	const clipped = e => {
		let p = getComputedStyle(e).position === "absolute" ? e.offsetParent : e.parentElement;
		for (; p && p !== document.body; p = p.parentElement) { if (getComputedStyle(p).overflowX !== "visible") return true; }
		return false;
	};
	const past = e => e.getBoundingClientRect().right > w + 1;
	const wide = [...document.body.querySelectorAll("*")]
		.filter(e => past(e) && ![...e.children].some(past) && !clipped(e))
		.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") + " (" + Math.round(e.getBoundingClientRect().right) + " px)");
	return {
		violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			targets: v.nodes.map(n => n.target.join(" ") + (n.any.concat(n.all)[0] ? ": " + n.any.concat(n.all)[0].message : ""))})),
		scrollWidth: document.documentElement.scrollWidth,
		wide: wide,
	};
})()`

// TestBrowserAccessibilityAudit runs axe-core (WCAG 2.1 A and AA, and best practice) on every
// page and wizard state of the real `idswap serve --demo`, signed out, as a manager and as an
// admin, at 1366, 390 and 320 px wide, and fails on any violation, and on any page wider than
// a phone's screen (WCAG 1.4.10 reflow).
func TestBrowserAccessibilityAudit(t *testing.T) {
	// The carrier is the simulator, behind a gate: once the test closes it, change requests
	// wait there, so a request stays running for as long as its page is audited.
	cfg := tssim.DefaultConfig()
	cfg.CallbackDelay = 500 * time.Millisecond
	app, hold := startAppHolding(t, cfg)
	db, _ := app.openDB(t)
	// About 30 pages, each audited at three widths: on the shared 2-core machine a loaded run
	// took 242 s and ran out of 4 minutes on the 30th page, so the browser gets 6.
	ctx := newBrowserFor(t, 6*time.Minute)
	bg := context.Background()

	u, err := db.UserByEmail(bg, demo.AcmeManager)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Devices(bg, store.DeviceFilter{TenantID: *u.TenantID, StatusID: store.DeviceStatusActive, Limit: 9})
	if err != nil || len(ds) != 9 {
		t.Fatalf("devices: %d %v", len(ds), err)
	}
	sims := demo.Build().Carrier.SIMs
	f := &auditFixture{app: app, db: db, deviceID: ds[0].ID, oldICCID: ds[0].ICCID}
	// A request that ends with a row failed: the second new SIM is one the carrier never had.
	unknown := sims[1].ICCID[:12] + "99999999"
	f.finished = auditBatch(t, db, u, ds[0:2], []string{sims[0].ICCID, luhnFix(unknown)})

	// Three rows for the wizard, on other devices, one with a wrong check digit; the new SIMs
	// are the last of the carrier's shelf, which the requests above leave alone.
	for _, s := range sims[len(sims)-3:] {
		f.shelf = append(f.shelf, s.ICCID)
	}
	wrong := f.shelf[1][:19] + fmt.Sprint((int(f.shelf[1][19]-'0')+1)%10)
	f.wizard = []string{ds[6].ICCID + "," + f.shelf[0], ds[7].MSISDN + "," + wrong, ds[8].IMEI + "," + f.shelf[2]}

	// The first action starts the browser, tied to the context it is given: the test's, not
	// one page's shorter one below.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	signedInAs := ""
	for _, p := range auditPages {
		if p.as != signedInAs {
			if signedInAs != "" {
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#email`))); err != nil {
					t.Fatalf("sign out: %v", err)
				}
			}
			signIn(t, ctx, app, p.as)
			signedInAs = p.as
		}
		if p.name == "dashboard" {
			// The wizard is done with; the requests are wanted from here on.
			f.failed = waitFinished(t, db, f.finished)
			hold()
			f.running = auditBatch(t, db, u, ds[3:6], []string{sims[2].ICCID, sims[3].ICCID, sims[4].ICCID})
		}
		pageStart := time.Now()
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := p.open(octx, f)
		cancel()
		if err != nil {
			t.Fatalf("%s: open: %v", p.name, err)
		}
		opened := time.Since(pageStart)
		for _, w := range auditWidths {
			res, err := auditAt(ctx, w)
			if err != nil {
				t.Fatalf("%s at %d px: %v", p.name, w, err)
			}
			for _, v := range res.Violations {
				targets := v.Targets
				if len(targets) > 3 {
					targets = append(targets[:3:3], fmt.Sprintf("and %d more", len(v.Targets)-3))
				}
				t.Errorf("%s at %d px (%s): %s [%s] %s\n\t%s", p.name, w, who(p.as), v.ID, v.Impact, v.Help, strings.Join(targets, "\n\t"))
			}
			if w < 1366 && res.ScrollWidth > int(w) {
				t.Errorf("%s at %d px (%s): the page is %d px wide, wider than the screen: %s", p.name, w, who(p.as), res.ScrollWidth, strings.Join(res.Wide, ", "))
			}
		}
		t.Logf("%s (%s): opened in %s, audited in %s", p.name, who(p.as), opened.Round(time.Millisecond), (time.Since(pageStart) - opened).Round(time.Millisecond))
	}
	t.Logf("audited %d page states at %v px in %s", len(auditPages), auditWidths, time.Since(started).Round(time.Millisecond))
}

func who(email string) string {
	if email == "" {
		return "signed out"
	}
	return email
}

// settled waits until the page is still: no htmx request under way, no CSS transition running
// (a fading indicator has, for a moment, any contrast at all), and two frames drawn at the new
// width.
const settled = `(async () => {
	for (let i = 0; i < 100 && document.querySelector(".htmx-request"); i++) { await new Promise(r => setTimeout(r, 50)); }
	await Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition).map(a => a.finished.catch(() => {})));
	await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
})()`

// auditAt sizes the tab to a width and audits the page in it.
func auditAt(ctx context.Context, width int64) (auditResult, error) {
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(width, 900),
		chromedp.Evaluate[chromedp.Void](settled, chromedp.EvalAwaitPromise),
	); err != nil {
		return auditResult{}, err
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return auditResult{}, err
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			return auditResult{}, fmt.Errorf("load axe-core: %w", err)
		}
	}
	return chromedp.Run(ctx, chromedp.Evaluate[auditResult](runAxe, chromedp.EvalAwaitPromise))
}

// auditBatch stores a SIM swap request for devices, as the wizard would, for the engine to run.
func auditBatch(t *testing.T, db *store.DB, u *store.User, ds []store.Device, newICCIDs []string) int64 {
	t.Helper()
	const reason = "SIMs failed in the field"
	var rows []store.NewDeviceChange
	for i, d := range ds {
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, NewICCID: newICCIDs[i],
			Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: newICCIDs[i], OldIMEI: d.IMEI, Reason: reason})})
	}
	id, _, err := db.CreateBulkChange(context.Background(), store.NewBulkChange{TenantID: *u.TenantID, ServiceProviderID: ds[0].ServiceProviderID,
		Type: change.ChangeICCID, Reason: reason, RequestedBy: u, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFinished waits for a request to end with a failed row, and returns that row's id.
func waitFinished(t *testing.T, db *store.DB, id int64) int64 {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		b, err := db.BulkChange(context.Background(), 0, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status.Final() {
			rows, _, err := db.DeviceChanges(context.Background(), id, store.DeviceChangeFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Status == change.StatusAPIFailed || r.Status == change.StatusError {
					return r.ID
				}
			}
			t.Fatalf("request %d ended %s without a failed row", id, b.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %d did not finish in 60 s: %s", id, b.Status)
		}
	}
}

// luhnFix sets the last digit of a number to its Luhn check digit, so a made-up ICCID is
// well-formed and only the carrier can say it does not know it.
func luhnFix(s string) string {
	body := s[:len(s)-1]
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}
