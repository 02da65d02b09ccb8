package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
	"github.com/idswap/idswap/web"
)

var bulkLocation = regexp.MustCompile(`^/bulk-changes/(\d+)$`)

// submitForm submits a request form, expects the 303 to its bulk change page and returns the id.
func (c *client) submitForm(form url.Values) int64 {
	c.t.Helper()
	t := c.t
	res, body := c.postMultipart(paths.BulkChanges, form, "", "", nil)
	m := bulkLocation.FindStringSubmatch(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("submit: %d to %q: %s", res.StatusCode, res.Header.Get("Location"), text(mustDoc(t, body), "#wizard"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func TestSubmitStoresTheRequestAndOpensIt(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0), acme[1].MSISDN+","+e.spareSIM(1))
	id := c.submitForm(form)
	b, err := e.db.BulkChange(context.Background(), e.tenantID(demo.TenantAcme), id)
	if err != nil || b.Status != change.BatchNew || b.Counts.New != 2 || b.CreatedBy != demo.AcmeManager {
		t.Fatalf("stored: %+v %v", b, err)
	}
	// PRG: the page it lands on names the request; a refresh there is a GET.
	res, body := c.get(paths.BulkChange(id))
	doc := mustDoc(t, body)
	if res.StatusCode != http.StatusOK || text(doc, "[data-testid=bulk-change-id]") != fmt.Sprint(id) ||
		!strings.Contains(text(doc, "[data-testid=flash]"), fmt.Sprintf("Bulk change %d is submitted: 2 changes queued", id)) {
		t.Fatalf("bulk change page: %d %q", res.StatusCode, text(doc, "main"))
	}
	// htmx gets HX-Redirect instead of a 303 it would follow inside the swap.
	form = e.changeForm(change.ChangeICCID, e.activeDevices(demo.TenantAcme, 3)[2].ICCID+","+e.spareSIM(2))
	form.Set("idem", "another-form")
	res, _ = c.postMultipart(paths.BulkChanges, form, "", "", nil, "HX-Request", "true")
	if res.StatusCode != http.StatusNoContent || !bulkLocation.MatchString(res.Header.Get("HX-Redirect")) {
		t.Fatalf("htmx submit: %d %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
}

func TestSubmitWithProblemsStoresNothing(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0), acme[1].ICCID+","+badCheckDigit(e.spareSIM(1)))
	res, body := c.postMultipart(paths.BulkChanges, form, "", "", nil)
	doc := mustDoc(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid=error-row][data-row="2"]`).Length() != 1 {
		t.Fatalf("submit with a bad row: %d", res.StatusCode)
	}
	// A group without a plan is named next to its select.
	form = e.changeForm(change.ChangeIMEI, acme[0].ICCID+",,"+e.spareIMEI(change.Network5G, 0))
	res, body = c.postMultipart(paths.BulkChanges, form, "", "", nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(mustDoc(t, body), "[data-testid=plan-group] .error-text"), "Choose a plan for these devices") {
		t.Fatalf("submit without a plan: %d", res.StatusCode)
	}
	// No reason: the reason field says so.
	form = e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0))
	form.Set("reason", " ")
	_, body = c.postMultipart(paths.BulkChanges, form, "", "", nil)
	if got := text(mustDoc(t, body), "[data-testid=reason-error]"); !strings.Contains(got, "Give a reason") {
		t.Fatalf("reason error: %q", got)
	}
	if n := e.countBulkChanges(); n != 0 {
		t.Fatalf("%d requests stored", n)
	}
}

func TestDoubleSubmitMakesOneRequest(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0), acme[1].ICCID+","+e.spareSIM(1))
	first := c.submitForm(form)
	// The back button and a second click send the same form, key and all.
	again := c.submitForm(form)
	if again != first {
		t.Fatalf("second submit made bulk change %d after %d", again, first)
	}
	// Clicks racing each other.
	form.Set("idem", "racing-clicks")
	form.Set("rows", e.activeDevices(demo.TenantAcme, 3)[2].ICCID+","+e.spareSIM(2))
	var wg sync.WaitGroup
	ids := make([]string, 3)
	for i := range ids {
		wg.Go(func() {
			res, _ := c.postMultipart(paths.BulkChanges, cloneForm(form), "", "", nil)
			ids[i] = fmt.Sprint(res.StatusCode, " ", res.Header.Get("Location"))
		})
	}
	wg.Wait()
	if ids[0] != ids[1] || ids[1] != ids[2] || !strings.HasPrefix(ids[0], "303 /bulk-changes/") {
		t.Fatalf("racing submits: %v", ids)
	}
	if n := e.countBulkChanges(); n != 2 {
		t.Fatalf("%d requests stored, want 2", n)
	}
	var jobs int
	for _, id := range []int64{first} {
		rows, _, _ := e.db.DeviceChanges(context.Background(), id, store.DeviceChangeFilter{})
		jobs += len(rows)
	}
	if jobs != 2 {
		t.Fatalf("the first request has %d rows", jobs)
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestSubmitNeedsTheCSRFToken(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 1)
	for name, token := range map[string]string{"missing": "", "forged": "forged-token"} {
		form := e.changeForm(change.ChangeICCID, acme[0].ICCID+","+e.spareSIM(0))
		form.Set("_csrf", token)
		res, body := c.postMultipart(paths.BulkChanges, form, "", "", nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not come from this site") {
			t.Fatalf("%s token: %d", name, res.StatusCode)
		}
	}
	if n := e.countBulkChanges(); n != 0 {
		t.Fatalf("%d requests stored without a CSRF token", n)
	}
}

func TestManagersStayInTheirTenant(t *testing.T) {
	e := newEnv(t)
	acmeDevice := e.activeDevices(demo.TenantAcme, 1)[0]
	globex := e.signIn(demo.GlobexManager)
	// A Globex manager naming an Acme device — and Acme as the tenant — finds nothing.
	form := e.changeForm(change.ChangeICCID, acmeDevice.ICCID+","+e.spareSIM(0))
	form.Set("tenant", fmt.Sprint(e.tenantID(demo.TenantAcme)))
	res, body := globex.postMultipart(paths.BulkChanges, form, "", "", nil)
	got := text(mustDoc(t, body), `[data-testid=error-row] [data-testid=error-current]`)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, "no device with ICCID "+acmeDevice.ICCID) ||
		!strings.Contains(got, demo.TenantGlobex) {
		t.Fatalf("cross-tenant row: %d %q", res.StatusCode, got)
	}
	// Acme's request: 404 for Globex, as page, as retry and through search.
	acme := e.signIn(demo.AcmeManager)
	id := acme.submitForm(e.changeForm(change.ChangeICCID, acmeDevice.ICCID+","+e.spareSIM(0)))
	e.failRows(id, change.StatusAPIFailed)
	for _, path := range []string{paths.BulkChange(id), paths.RetryFailedRows(id)} {
		if res, _ := globex.get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf("Globex opens %s: %d", path, res.StatusCode)
		}
	}
	_, body = globex.get(paths.NewBulkChangeFind + "?q=" + acmeDevice.ICCID + "&tenant=" + fmt.Sprint(e.tenantID(demo.TenantAcme)))
	if strings.Contains(body, acmeDevice.ICCID+"</td>") {
		t.Fatal("Globex's search finds an Acme device")
	}
	if n := e.countBulkChanges(); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestAdminsPickTheTenant(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	globexDevice := e.activeDevices(demo.TenantGlobex, 1)[0]
	form := e.changeForm(change.ChangeICCID, globexDevice.ICCID+","+e.spareSIM(0))
	res, body := c.postMultipart(paths.BulkChanges, form, "", "", nil)
	if got := text(mustDoc(t, body), "[data-testid=tenant-error]"); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, "Choose the tenant") {
		t.Fatalf("admin without a tenant: %d %q", res.StatusCode, got)
	}
	form.Set("tenant", fmt.Sprint(e.tenantID(demo.TenantGlobex)))
	id := c.submitForm(form)
	b, err := e.db.BulkChange(context.Background(), 0, id)
	if err != nil || b.TenantName != demo.TenantGlobex || b.CreatedBy != demo.AdminEmail {
		t.Fatalf("admin's request: %+v %v", b, err)
	}
}

func TestRetryPrefillsTheFailedRows(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	id := c.submitForm(e.changeForm(change.ChangeICCID, acme[0].MSISDN+","+e.spareSIM(0), acme[1].ICCID+","+e.spareSIM(1)))
	e.failRows(id, change.StatusAPIFailed)
	res, body := c.get(paths.RetryFailedRows(id))
	doc := mustDoc(t, body)
	// Failed without a carrier code: the same new SIMs, the outcome in the note.
	want := acme[0].ICCID + "," + e.spareSIM(0) + ",,failed at the carrier\n" + acme[1].ICCID + "," + e.spareSIM(1) + ",,failed at the carrier"
	if res.StatusCode != http.StatusOK || strings.TrimSpace(doc.Find("#rows").Text()) != want {
		t.Fatalf("retry rows: %d %q", res.StatusCode, doc.Find("#rows").Text())
	}
	if v, _ := doc.Find(`input[name=type][checked]`).Attr("value"); v != string(change.ChangeICCID) {
		t.Fatalf("type %q", v)
	}
	if !strings.Contains(text(doc, "[data-testid=notices]"), fmt.Sprintf("failed in bulk change %d", id)) || doc.Find("[data-testid=review]").Length() != 1 {
		t.Fatalf("notice %q, review %d", text(doc, "[data-testid=notices]"), doc.Find("[data-testid=review]").Length())
	}
	// It submits as a new request.
	form := e.changeForm(change.ChangeICCID, want)
	form.Set("reason", doc.Find("#reason").Text())
	form.Set("idem", doc.Find("input[name=idem]").AttrOr("value", ""))
	if again := c.submitForm(form); again == id {
		t.Fatal("the retry did not make a new request")
	}
}

func TestUploadAndTemplate(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	res, tmpl := c.get(paths.ChangeTemplateCSV)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(tmpl, "\uFEFFcurrent,new_iccid,new_imei,note\n") || !strings.Contains(tmpl, "\n'89148000004200000373,'89148000004200099995,,") || strings.Contains(tmpl, `="`) {
		t.Fatalf("template: %d %q %.80q", res.StatusCode, res.Header.Get("Content-Type"), tmpl)
	}
	// The template unchanged adds nothing; filled in below its examples it adds the rows.
	form := e.changeForm(change.ChangeICCID)
	form.Set("action", "upload")
	_, body := c.postMultipart(paths.NewBulkChange, form, "csv", "template.csv", []byte(tmpl))
	if got := text(mustDoc(t, body), "[data-testid=csv-error]"); !strings.Contains(got, "only the template's example rows") {
		t.Fatalf("unchanged template: %q", got)
	}
	acme := e.activeDevices(demo.TenantAcme, 3)
	// An older template's ="…" text formulas are still read.
	filled := tmpl + `="` + acme[0].ICCID + `",'` + e.spareSIM(0) + ",,\r\n" + acme[1].MSISDN + ";" + e.spareSIM(1) + "\r\n"
	form.Set("rows", acme[2].IMEI+","+e.spareSIM(2)) // rows pasted before are kept; the file's come after
	_, body = c.postMultipart(paths.NewBulkChange, form, "csv", "fleet.csv", []byte(filled))
	doc := mustDoc(t, body)
	if got := text(doc, "[data-testid=notices]"); !strings.Contains(got, "Added 2 rows from fleet.csv. The template's 3 example rows were skipped.") {
		t.Fatalf("notice: %q", got)
	}
	if got := text(doc, "[data-testid=check-summary]"); !strings.HasPrefix(got, "3 rows: 3 ready") {
		t.Fatalf("summary: %q / %s", got, text(doc, "[data-testid=error-rows]"))
	}
	if got := doc.Find("#rows").Text(); strings.ContainsAny(got, `='"`) {
		t.Fatalf("the Rows box shows spreadsheet marks: %q", got)
	}
	// Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
	u16 := []byte{0xFF, 0xFE}
	for _, r := range acme[0].ICCID + "\t" + e.spareSIM(0) + "\r\n" {
		u16 = append(u16, byte(r), 0)
	}
	form.Set("rows", "")
	_, body = c.postMultipart(paths.NewBulkChange, form, "csv", "fleet.txt", u16)
	if got := text(mustDoc(t, body), "[data-testid=check-summary]"); !strings.HasPrefix(got, "1 row: 1 ready") {
		t.Fatalf("UTF-16 upload: %q", got)
	}
	// Past the limit, the file field says so and the rows are kept.
	big := []byte(strings.Repeat(acme[0].ICCID+","+e.spareSIM(0)+"\n", (5<<20)/40+1))
	form.Set("rows", acme[1].ICCID+","+e.spareSIM(1))
	res, body = c.postMultipart(paths.NewBulkChange, form, "csv", "huge.csv", big)
	doc = mustDoc(t, body)
	if got := text(doc, "[data-testid=csv-error]"); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, "huge.csv is 5.3 MB; a file may have at most 5 MB") {
		t.Fatalf("big file: %d %q", res.StatusCode, got)
	}
	if strings.TrimSpace(doc.Find("#rows").Text()) != acme[1].ICCID+","+e.spareSIM(1) {
		t.Fatal("the pasted rows were lost")
	}
	// A body past the request limit is refused before anything reads it.
	res, body = c.postMultipart(paths.NewBulkChange, form, "csv", "enormous.csv", make([]byte, 17<<20))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 16 MB is accepted") {
		t.Fatalf("enormous body: %d", res.StatusCode)
	}
}

func TestSearchAndAddADevice(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	d := e.activeDevices(demo.TenantAcme, 1)[0]
	res, body := c.get(paths.NewBulkChangeFind+"?q="+url.QueryEscape(d.MSISDN)+"&provider="+fmt.Sprint(e.provider), "HX-Request", "true")
	doc := mustDoc(t, body)
	add, _ := doc.Find(`[data-testid=search-hit] button[name=add]`).Attr("value")
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid=search-hit]`).Length() != 1 || add != d.ICCID {
		t.Fatalf("search: %d hits %d add %q", res.StatusCode, doc.Find(`[data-testid=search-hit]`).Length(), add)
	}
	form := e.changeForm(change.ChangeICCID)
	form.Set("add", add)
	_, body = c.postMultipart(paths.NewBulkChange, form, "", "", nil)
	doc = mustDoc(t, body)
	if strings.TrimSpace(doc.Find("#rows").Text()) != d.ICCID {
		t.Fatalf("rows after add: %q", doc.Find("#rows").Text())
	}
	// The added row waits for its new ICCID, in place.
	if got := text(doc, `[data-testid=error-row] [data-testid=error-new_iccid]`); !strings.Contains(got, "missing; ChangeICCID needs the new ICCID") {
		t.Fatalf("added row: %q", got)
	}
	// Searching again, with the rows, shows it is in the request already; adding it again is refused.
	form.Del("add")
	form.Set("rows", d.ICCID)
	form.Set("q", d.MSISDN)
	form.Set("action", "search")
	_, body = c.postMultipart(paths.NewBulkChange, form, "", "", nil)
	doc = mustDoc(t, body)
	if got := text(doc, `[data-testid=search-hit]`); !strings.Contains(got, "in the request") || doc.Find(`[data-testid=search-hit] button`).Length() != 0 {
		t.Fatalf("a device in the request can be added twice: %q", got)
	}
	form.Set("add", d.ICCID)
	_, body = c.postMultipart(paths.NewBulkChange, form, "", "", nil)
	doc = mustDoc(t, body)
	if strings.TrimSpace(doc.Find("#rows").Text()) != d.ICCID || !strings.Contains(text(doc, "[data-testid=notices]"), "is in the request already") {
		t.Fatalf("added twice: %q %q", doc.Find("#rows").Text(), text(doc, "[data-testid=notices]"))
	}
}

// TestPaste10000Rows pastes the most rows a request may have, against a tenant that has them.
func TestPaste10000Rows(t *testing.T) {
	e := newEnv(t)
	const n = change.MaxRows
	ctx := context.Background()
	data := store.SeedData{Tenants: []string{"Bulk Co"}, Provider: store.Provider{Name: "Bulk provider", DisplayName: "Bulk provider"},
		Users:       []store.SeedUser{{Email: "manager@bulk.example", DisplayName: "Bulk", Role: store.RoleManager, TenantName: "Bulk Co", PasswordHash: demoHash}},
		Credentials: store.Credentials{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s", Username: "u", Password: "p"},
		Plans:       []store.SeedPlan{{Code: "BULK-LTEM", Name: "LTE-M", ShortName: "LTEM", MonthlyRate: 3, NetworkTypes: []string{change.NetworkLTEM}}},
	}
	iccid := func(i int) string { return ident.AppendLuhn(fmt.Sprintf("891480007%010d", i)) }
	for i := range n {
		// The demo's TAC table already knows 86695704 (LTE-M).
		data.Devices = append(data.Devices, store.SeedDevice{TenantName: "Bulk Co", ICCID: iccid(i), IMEI: ident.AppendLuhn(fmt.Sprintf("86695704%06d", 900000-i)),
			MSISDN: fmt.Sprintf("%d", 7025000000+i), StatusID: store.DeviceStatusActive, PlanCode: "BULK-LTEM"})
	}
	_, pid, err := e.db.Seed(ctx, data, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := e.signIn("manager@bulk.example")
	rows := make([]string, n)
	for i := range rows {
		rows[i] = iccid(i) + "\t" + iccid(100000+i) // tab-separated, as pasted from a spreadsheet
	}
	rows[7321] = iccid(7321) + "\t" + badCheckDigit(iccid(100000+7321))
	form := url.Values{"provider": {fmt.Sprint(pid)}, "type": {string(change.ChangeICCID)}, "reason": {"fleet refresh"},
		"rows": {strings.Join(rows, "\n")}, "idem": {"ten-thousand"}, "action": {"check"}}
	res, body := c.postMultipart(paths.NewBulkChange, form, "", "", nil, "HX-Request", "true")
	doc := mustDoc(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(text(doc, "[data-testid=check-summary]"), "10,000 rows: 9,999 ready, 1 with problems.") {
		t.Fatalf("10,000 rows: %d %q", res.StatusCode, text(doc, "[data-testid=check-summary]"))
	}
	// The page stays light: the bad row with its inputs, a preview of the good ones.
	if doc.Find(`[data-testid=error-row][data-row="7322"]`).Length() != 1 || doc.Find(`[data-testid=valid-row]`).Length() != 50 ||
		doc.Find("input").Length() > 20 {
		t.Fatalf("rendered %d error rows, %d valid rows, %d inputs", doc.Find(`[data-testid=error-row]`).Length(),
			doc.Find(`[data-testid=valid-row]`).Length(), doc.Find("input").Length())
	}

	// Fixed, the request needs its row count typed to confirm.
	rows[7321] = iccid(7321) + "," + iccid(100000+7321)
	form.Set("rows", strings.Join(rows, "\n"))
	res, body = c.postMultipart(paths.BulkChanges, form, "", "", nil)
	doc = mustDoc(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc, "[data-testid=confirm-error]"), "Type 10000, the number of rows") {
		t.Fatalf("unconfirmed submit: %d %q", res.StatusCode, text(doc, "#review, [data-testid=review]"))
	}
	if e.countBulkChanges() != 0 {
		t.Fatal("an unconfirmed request was stored")
	}
	form.Set("confirm", "10000")
	id := c.submitForm(form)
	b, err := e.db.BulkChange(ctx, 0, id)
	if err != nil || b.Counts.New != n {
		t.Fatalf("stored: %+v %v", b, err)
	}
}

// TestDemoStockOffersUnusedIdentifiers shows demo mode's shelf — from a real simulator seeded
// with the demo carrier — minus what an open request already holds.
func TestDemoStockOffersUnusedIdentifiers(t *testing.T) {
	var simURL string
	e := newEnvWith(t, func(cfg *web.Config) { cfg.DemoStock = simShelf{&simURL} })
	sim, err := tssim.New(tssim.Config{}, e.world.Carrier)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); _ = sim.Close() })
	simURL = srv.URL

	c := e.signIn(demo.AcmeManager)
	_, body := c.get(paths.NewBulkChange)
	doc := mustDoc(t, body)
	sims := doc.Find("[data-testid=demo-sim]").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	imeis := doc.Find("[data-testid=demo-imei]")
	if len(sims) != 6 || sims[0] != sim.Stock().SIMs[0].ICCID || imeis.Length() != 6 {
		t.Fatalf("demo stock: %v and %d devices", sims, imeis.Length())
	}
	networks := map[string]bool{}
	doc.Find("[data-testid=demo-stock] li .hint").Each(func(_ int, s *goquery.Selection) {
		_, n, _ := strings.Cut(s.Text(), " · ")
		networks[n] = true
	})
	if len(networks) < 4 {
		t.Fatalf("the devices offered cover %d network types: %v", len(networks), networks)
	}
	acme := e.activeDevices(demo.TenantAcme, 1)
	c.submitForm(e.changeForm(change.ChangeICCID, acme[0].ICCID+","+sims[0]))
	_, body = c.get(paths.NewBulkChange)
	after := mustDoc(t, body).Find("[data-testid=demo-sim]").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if slices.Contains(after, sims[0]) || after[0] != sims[1] {
		t.Fatalf("a SIM in an open request is still offered: %v", after)
	}
	// Without demo mode there is no shelf.
	_, body = newEnv(t).signIn(demo.AcmeManager).get(paths.NewBulkChange)
	if strings.Contains(body, "demo-stock") {
		t.Fatal("the shelf is shown outside demo mode")
	}
}

// simShelf is cmd/idswap's adapter of the simulator's stock, for the web tests.
type simShelf struct{ url *string }

func (s simShelf) Spares(ctx context.Context) (web.Spares, error) {
	st, err := tssim.FetchStock(ctx, *s.url)
	if err != nil {
		return web.Spares{}, err
	}
	var sp web.Spares
	for _, x := range st.SIMs {
		sp.ICCIDs = append(sp.ICCIDs, x.ICCID)
	}
	for _, d := range st.Devices {
		sp.Devices = append(sp.Devices, web.SpareDevice{IMEI: d.IMEI, Make: d.Make, Model: d.Model, NetworkType: d.NetworkType})
	}
	return sp, nil
}
