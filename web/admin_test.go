package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// Every admin form answers bad input next to the form with 422 and changes nothing.

func TestADuplicateTenantIsAnsweredAndNothingIsAdded(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	before, _ := e.db.AllTenants(context.Background())
	res, body := c.postForm(paths.AdminTenants, url.Values{"name": {strings.ToUpper(demo.TenantAcme)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(find(t, body, `[data-testid="form-error"]`), "already") {
		t.Fatalf("duplicate tenant: %d %q", res.StatusCode, find(t, body, `[data-testid="form-error"]`))
	}
	if v, _ := mustDoc(t, body).Find("#tenant-name").Attr("value"); v != strings.ToUpper(demo.TenantAcme) {
		t.Fatalf("the form lost the name typed: %q", v)
	}
	if after, _ := e.db.AllTenants(context.Background()); len(after) != len(before) {
		t.Fatalf("tenants %d → %d", len(before), len(after))
	}
	res, _ = c.postForm(paths.AdminTenants, url.Values{"name": {"Initech"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.AdminTenants {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body = c.get(paths.AdminTenants); !strings.Contains(body, "Tenant Initech created.") || !strings.Contains(body, ">Initech<") {
		t.Fatal("the new tenant is not listed with its flash")
	}
}

func TestAnEmailTakenIsAnsweredAndNoUserIsAdded(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	before, _ := e.db.Users(context.Background())
	res, body := c.postForm(paths.AdminUsers, url.Values{"email": {strings.ToUpper(demo.AcmeManager)}, "role": {"manager"},
		"tenant": {fmt.Sprint(e.tenantID(demo.TenantGlobex))}, "password": {"long-enough-password"}})
	if res.StatusCode != http.StatusUnprocessableEntity || find(t, body, `[data-testid="form-error"]`) == "" {
		t.Fatalf("e-mail taken: %d", res.StatusCode)
	}
	if after, _ := e.db.Users(context.Background()); len(after) != len(before) {
		t.Fatalf("users %d → %d", len(before), len(after))
	}
	// A manager cannot reach the console.
	m := e.signIn(demo.AcmeManager)
	if res, _ := m.get(paths.AdminTenants); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a manager opened the tenants page: %d", res.StatusCode)
	}
}

func TestATACCSVWithBadRowsShowsAnErrorPerRowAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	c.get(paths.AdminDeviceModels)
	before, _ := e.db.DeviceModels(context.Background())
	bad := "tac,imei_from,imei_to,manufacturer,model,network_type\n35000001,,,Acme,M1,LTE-M\n1234,,,Acme,M2,LTE-M\n35000003,,,Acme,,6G\n" +
		"35000005,,,Acme," + strings.Repeat("😀", 51) + ",LTE-M\n" // the model column holds 100 UTF-16 units
	res, body := c.postMultipart(paths.AdminModelsCheck, url.Values{}, "file", "tac.csv", []byte(bad))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad CSV: %d", res.StatusCode)
	}
	errs := find(t, body, `[data-testid="models-errors"]`)
	for _, want := range []string{`line 3: TAC "1234" is not 8 digits`, "line 4: the model is empty", `network type "6G"`,
		"line 5: the model has 102 characters; at most 100 fit"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the errors do not say %q: %s", want, errs)
		}
	}
	if mustDoc(t, body).Find(`[data-testid="models-confirm"]`).Length() != 0 {
		t.Fatal("a preview with errors offers to store it")
	}
	// Posting the bad file to the store action anyway stores nothing either.
	if res, _ := c.postForm(paths.AdminDeviceModels, url.Values{"csv": {bad}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("storing a bad file: %d", res.StatusCode)
	}
	if after, _ := e.db.DeviceModels(context.Background()); len(after) != len(before) {
		t.Fatalf("models %d → %d", len(before), len(after))
	}
	good := "tac,imei_from,imei_to,manufacturer,model,network_type\n35000001,,,Acme,M1,LTE-M\n"
	res, body = c.postMultipart(paths.AdminModelsCheck, url.Values{}, "file", "tac.csv", []byte(good))
	if res.StatusCode != http.StatusOK || mustDoc(t, body).Find(`[data-testid="models-confirm"]`).Length() != 1 {
		t.Fatalf("good CSV: %d", res.StatusCode)
	}
	csv, _ := mustDoc(t, body).Find(`[data-testid="models-confirm"] input[name="csv"]`).Attr("value")
	if res, _ := c.postForm(paths.AdminDeviceModels, url.Values{"csv": {csv}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("store: %d", res.StatusCode)
	}
	if after, _ := e.db.DeviceModels(context.Background()); len(after) != len(before)+1 {
		t.Fatalf("models %d → %d", len(before), len(after))
	}
}

func providerForm(baseURL string) url.Values {
	return url.Values{"name": {"Second account"}, "base_url": {baseURL}, "account": {"0000999999-00001"}, "client_id": {"cid"},
		"client_secret": {"secret"}, "uws_user": {"uws"}, "uws_password": {"uws-password"}, "callbacks": {"on"}, "action": {"save"}}
}

func TestAProviderWhoseURLDoesNotAnswerIsSavedOnlyAnyway(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	c.get(paths.AdminNewProvider)
	count := func() int {
		ps, _ := e.db.Providers(context.Background())
		return len(ps)
	}
	before := count()
	f := providerForm("http://127.0.0.1:1")
	res, body := c.postForm(paths.AdminProviders, f)
	check := find(t, body, `[data-testid="check-result"]`)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(check, "the carrier did not answer") {
		t.Fatalf("unanswered URL: %d %q", res.StatusCode, check)
	}
	if strings.Contains(body, "uws-password") || strings.Contains(body, `value="secret"`) {
		t.Fatal("the page shows a secret typed into the form")
	}
	if count() != before {
		t.Fatal("a provider was saved after a failed test")
	}
	// Turning writes on without the confirmation is refused, and saves nothing.
	f.Set("writes", "on")
	f.Set("action", "save-anyway")
	res, body = c.postForm(paths.AdminProviders, f)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(find(t, body, `[data-testid="form-error"]`), "tick the box") || count() != before {
		t.Fatalf("writes on without confirmation: %d, %d providers", res.StatusCode, count())
	}
	f.Set("writes_confirm", "on")
	res, _ = c.postForm(paths.AdminProviders, f)
	if res.StatusCode != http.StatusSeeOther || count() != before+1 {
		t.Fatalf("save anyway: %d, %d providers", res.StatusCode, count())
	}
	// The edit form keeps the stored secrets when their fields are left empty.
	loc := res.Header.Get("Location")
	_, body = c.get(loc)
	if !strings.Contains(body, "set; leave empty to keep it") || strings.Contains(body, "uws-password") {
		t.Fatal("the edit page does not say the secrets are set, or shows one")
	}
}

func TestAssigningALineWithAnotherTenantsOpenChangeChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	lines, err := e.db.CarrierLines(ctx, store.LineFilter{ProviderID: e.provider, Query: rows[0].ICCID})
	if err != nil || len(lines) != 1 {
		t.Fatalf("the line: %+v %v", lines, err)
	}
	c := e.signIn(demo.AdminEmail)
	c.get(paths.Inventory(e.provider))
	res, body := c.postForm(paths.AdminAssign, url.Values{"provider": {fmt.Sprint(e.provider)}, "scope": {"selected"},
		"tenant": {fmt.Sprint(e.tenantID(demo.TenantGlobex))}, "line": {fmt.Sprint(lines[0].CarrierID)}})
	msg := find(t, body, `[data-testid="form-error"]`)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, "open change of another tenant") {
		t.Fatalf("assign: %d %q", res.StatusCode, msg)
	}
	after, _ := e.db.CarrierLines(ctx, store.LineFilter{ProviderID: e.provider, Query: rows[0].ICCID})
	if after[0].TenantID != e.tenantID(demo.TenantAcme) {
		t.Fatalf("the line moved to tenant %d", after[0].TenantID)
	}
}

// find is the whitespace-collapsed text of the first element of a page matching sel.
func find(t *testing.T, body, sel string) string {
	t.Helper()
	return text(mustDoc(t, body), sel)
}
