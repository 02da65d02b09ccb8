package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// TestBrowserOnboardingFromAnEmptyDatabase is an operator's first day, in headless Chromium
// against a real `idswap serve` (not demo mode) on an empty database and a simulator started
// here: the admin made on the command line signs in, creates a tenant and a provider pointing
// at the simulator, tests the connection, imports plans and prices one, uploads a TAC CSV,
// syncs, places lines by a group rule and one by hand, sees an identifier changed at the carrier
// outside idswap, and creates a manager; the manager signs in and submits a SIM swap that ends
// PROCESSED.
func TestBrowserOnboardingFromAnEmptyDatabase(t *testing.T) {
	seed := tssim.DemoSeed()
	acct := seed.Accounts[0]
	for i := range 4 {
		seed.Lines[i].Groups = []string{"fleet-acme"}
	}
	sim, err := tssim.New(tssim.Config{ServiceTypes: tssim.DefaultServiceTypes(), CallbackDelay: time.Millisecond}, seed)
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { simSrv.Close(); sim.Close() })

	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	const adminEmail, adminPass = "ops@example.com", "admin-password-1"
	env := map[string]string{
		"IDSWAP_DB": "sqlite:" + filepath.Join(t.TempDir(), "fresh.db"), "IDSWAP_SECRET_KEY": key, "IDSWAP_SESSION_KEY": key,
		"IDSWAP_NEW_PASSWORD": adminPass, "IDSWAP_LOG_LEVEL": "warn", "IDSWAP_WRITES_ENABLED": "true",
		// The provider is made after serve started, so its callback listener is not registered:
		// rows are settled by asking the carrier, soon.
		"IDSWAP_CALLBACK_WAIT": "2s", "IDSWAP_SYNC_EVERY": "0",
	}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{{"migrate"}, {"user", "create", "--email", adminEmail, "--role", "admin"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
	}
	app := startServe(t, getenv)
	ctx := newBrowserFor(t, 4*time.Minute)
	signInWith(t, ctx, app, adminEmail, adminPass)

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	textOf := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	flash := func(want string) {
		t.Helper()
		if got := textOf(`[data-testid=flash]`); !strings.Contains(got, want) {
			t.Fatalf("flash %q, want %q", got, want)
		}
	}

	step("create a tenant", chromedp.Navigate(app.URL+paths.Admin),
		chromedp.Click(chromedp.CSS(`a[href="/admin/tenants"]`)), chromedp.WaitVisible(chromedp.CSS(`#tenant-name`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant-name`), "Acme Logistics"), chromedp.Submit(chromedp.CSS(`#tenant-name`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	flash("Tenant Acme Logistics created.")

	fill := []chromedp.Action[chromedp.Void]{chromedp.Navigate(app.URL + paths.AdminNewProvider),
		chromedp.SendKeys(chromedp.CSS(`#p-name`), "ThingSpace"), chromedp.SendKeys(chromedp.CSS(`#p-url`), simSrv.URL),
		chromedp.SendKeys(chromedp.CSS(`#p-account`), acct.Name), chromedp.SendKeys(chromedp.CSS(`#p-client`), acct.ClientID),
		chromedp.SendKeys(chromedp.CSS(`#p-user`), acct.Username)}
	secrets := func(secret string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.CSS(`#p-secret`), secret), chromedp.SendKeys(chromedp.CSS(`#p-password`), acct.Password)}
	}
	// A wrong secret: the test says the carrier refused, and offers to save anyway.
	step("test a wrong secret", append(append(fill, secrets("wrong-secret")...),
		chromedp.Click(chromedp.CSS(`[data-testid=provider-save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=provider-save-anyway]`)))...)
	if got := textOf(`[data-testid=check-result]`); !strings.Contains(got, "the carrier refused the credentials") {
		t.Fatalf("wrong secret: %q", got)
	}
	step("test the right one", append(append(fill, secrets(acct.ClientSecret)...),
		chromedp.Click(chromedp.CSS(`[data-testid=provider-test]`)), chromedp.WaitVisible(chromedp.CSS(`.alert.ok[data-testid=check-result]`)))...)
	if got := textOf(`[data-testid=check-result]`); !strings.Contains(got, "device list: 1 device(s)") {
		t.Fatalf("connection test: %q", got)
	}
	step("save with writes on", append(secrets(acct.ClientSecret),
		chromedp.Click(chromedp.CSS(`[data-testid=writes]`)), chromedp.Click(chromedp.CSS(`[data-testid=writes-confirm]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=provider-save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))...)
	flash("The carrier accepted the credentials.")

	step("import plans", chromedp.Navigate(app.URL+paths.AdminPlans), chromedp.Click(chromedp.CSS(`[data-testid=plans-import] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	flash("4 new")
	step("price the LTE-M plan", chromedp.Evaluate[chromedp.Void](`(() => {
			const row = [...document.querySelectorAll("[data-testid=plan-row]")].find(r => r.textContent.includes("M2MLTEM-1GB"));
			row.querySelector("input[name=monthly]").value = "7.50";
			row.querySelector("input[value='LTE-M']").checked = true;
			row.querySelector("form").submit();
		})()`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	flash("Plan saved.")

	const tacCSV = "tac,imei_from,imei_to,manufacturer,model,network_type\n86754804,,,Quectel,BG96,LTE-M\n35332011,,,Quectel,EG91,LTE Cat-1\n"
	step("upload a TAC CSV", chromedp.Navigate(app.URL+paths.AdminDeviceModels), chromedp.WaitVisible(chromedp.CSS(`#models-file`)),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const dt = new DataTransfer();
			dt.items.add(new File([`+"`"+tacCSV+"`"+`], "tac.csv", {type: "text/csv"}));
			document.querySelector("#models-file").files = dt.files;
			document.querySelector("[data-testid=models-upload]").submit();
		})()`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=models-confirm]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=models-confirm] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	flash("2 device model(s) stored.")

	waitSync := func(n int) {
		t.Helper()
		step("sync now", chromedp.Navigate(app.URL+paths.AdminSync), chromedp.Click(chromedp.CSS(`[data-testid=sync-now]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
		// The runs region polls itself until the run is finished.
		for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			statuses, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=sync-status]")].map(e => e.textContent)`))
			if err == nil && len(statuses) == n && statuses[0] == "succeeded" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("sync %d: statuses %v %v", n, statuses, err)
			}
		}
	}
	waitSync(1)
	if got := textOf(`[data-testid=sync-run] [data-testid=sync-added]`); got != "5" {
		t.Fatalf("first sync added %s lines, want 5", got)
	}
	if got := textOf(`[data-testid=sync-run] [data-testid=sync-unassigned]`); got != "5" {
		t.Fatalf("first sync left %s lines unassigned, want 5 (no rule yet)", got)
	}

	// One line by CSV before any rule: previewed, then assigned on confirm. The rule's sync
	// below leaves it where the file put it.
	assignCSV := "identifier,tenant\n" + seed.Lines[1].MDN + ",Acme Logistics\n"
	step("assign a line by CSV", chromedp.Navigate(app.URL+paths.AdminInventory), chromedp.WaitVisible(chromedp.CSS(`#assign-file`)),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const dt = new DataTransfer();
			dt.items.add(new File([`+"`"+assignCSV+"`"+`], "assign.csv", {type: "text/csv"}));
			document.querySelector("#assign-file").files = dt.files;
			document.querySelector("[data-testid=assign-csv-upload]").submit();
		})()`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=assign-csv-confirm]`)))
	if got := textOf(`[data-testid=assign-csv-preview] tbody`); !strings.Contains(got, seed.Lines[1].MDN) || !strings.Contains(got, "Acme Logistics") {
		t.Fatalf("assignment preview: %q", got)
	}
	step("confirm the CSV", chromedp.Click(chromedp.CSS(`[data-testid=assign-csv-confirm] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	flash("1 line(s) assigned")

	step("add a group rule", chromedp.Navigate(app.URL+paths.AdminInventory), chromedp.WaitVisible(chromedp.CSS(`#rule-value`)),
		chromedp.SendKeys(chromedp.CSS(`#rule-value`), "fleet-acme"), chromedp.Submit(chromedp.CSS(`#rule-value`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-row]`)))
	waitSync(2)
	step("assign the last line by hand", chromedp.Navigate(app.URL+paths.AdminInventory), chromedp.WaitVisible(chromedp.CSS(`[data-testid=unassigned-row]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=unassigned-row]").length`)); n != 1 {
		t.Fatalf("%d lines unassigned after the rule's sync, want 1 (the one in no group)", n)
	}
	step("assign selected", chromedp.Click(chromedp.CSS(`[data-testid=unassigned-row] input[type=checkbox]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=assign-selected]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=no-unassigned]`)))
	flash("1 line(s) assigned")

	// Someone changes a line's SIM at the carrier, outside idswap; the next sync finds it.
	c, err := thingspace.New(thingspace.Config{BaseURL: simSrv.URL, ClientID: acct.ClientID, ClientSecret: acct.ClientSecret,
		Username: acct.Username, Password: acct.Password, AccountName: acct.Name, ServiceType: "4G"})
	if err != nil {
		t.Fatal(err)
	}
	outside := seed.SIMs[5].ICCID
	if _, err := c.ChangeIdentifier(context.Background(), thingspace.ChangeIdentifierRequest{
		DeviceIDs:   []thingspace.DeviceID{{ID: seed.Lines[0].MDN, Kind: thingspace.KindMDN}},
		DeviceIDsTo: []thingspace.DeviceID{{ID: outside, Kind: thingspace.KindICCID}}, Change4GOption: "ChangeICCID"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitSync(3)
	if got := textOf(`[data-testid=outside-change]`); !strings.Contains(got, seed.Lines[0].ICCID+" → "+outside) {
		t.Fatalf("the outside change shown: %q", got)
	}

	const managerEmail, managerPass = "alex@acme.example", "manager-password-1"
	step("create a manager", chromedp.Navigate(app.URL+paths.AdminUsers), chromedp.WaitVisible(chromedp.CSS(`#user-email`)),
		chromedp.SendKeys(chromedp.CSS(`#user-email`), managerEmail), chromedp.SendKeys(chromedp.CSS(`#user-name`), "Alex"),
		chromedp.SetValue(chromedp.CSS(`#user-tenant`), "1"), chromedp.SendKeys(chromedp.CSS(`#user-password`), managerPass),
		chromedp.Submit(chromedp.CSS(`#user-password`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	flash("User " + managerEmail + " created as manager.")

	step("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	signInWith(t, ctx, app, managerEmail, managerPass)
	line := seed.Lines[2] // LTE-M, active, in the group
	step("paste a SIM swap", chromedp.Navigate(app.URL+paths.NewBulkChange), chromedp.WaitVisible(chromedp.CSS(`#rows`)),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "SIM failed in the field"),
		chromedp.SendKeys(chromedp.CSS(`#rows`), line.ICCID+","+seed.SIMs[0].ICCID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-group]`)))
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=plan-select]").id`))
	if err != nil || id == "" {
		t.Fatalf("plan select: %q %v", id, err)
	}
	step("keep the plan and review", chromedp.Focus(chromedp.CSS("#"+cssEscape(id))), chromedp.KeyEvent(kb.ArrowDown),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=review]`)))
	// The plan choice re-checks the results region (htmx), which replaces the submit bar: click
	// the button as it is once no request is in flight, rather than a node found before the swap.
	step("submit ready", chromedp.WaitVisible(chromedp.CSS(`[data-testid=submit]`)))
	pctx, cancelPoll := context.WithTimeout(ctx, 45*time.Second)
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](`!document.querySelector(".htmx-request") && (document.querySelector("[data-testid=submit]").click(), true)`)); err != nil {
		t.Fatalf("submit: %v", err)
	}
	cancelPoll()
	step("submitted", chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-change-id]`)))
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		// The badge shows words; its class is the status code (views: StatusClass).
		status, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from((document.querySelector("[data-testid=bulk-status-badge]") || {classList: []}).classList).filter(c => c !== "badge").join(" ")`))
		if err == nil && status == "PROCESSED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the swap did not end PROCESSED: %q %v", status, err)
		}
	}
	if got, _ := sim.Line(line.MDN); got.ICCID != seed.SIMs[0].ICCID {
		t.Fatalf("the carrier's line has ICCID %s, want %s", got.ICCID, seed.SIMs[0].ICCID)
	}
}
