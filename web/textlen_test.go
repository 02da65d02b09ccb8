package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// A reason of 250 emoji is 500 UTF-16 units, what DeviceBulkChange.Reason (NVARCHAR(500))
// holds: accepted and stored whole. 251 are refused at the reason field with the limit, through
// the API and the portal, and nothing is stored.
func TestAReasonIsCountedAsTheColumnCountsIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.activeDevices(demo.TenantAcme, 4)
	fits, over := strings.Repeat("😀", 250), strings.Repeat("😀", 251)
	const refusal = "The reason has 502 characters, counting each emoji (or other character outside the Basic Multilingual Plane) as two; at most 500 fit."

	api := e.apiClient(demo.AcmeManager)
	body := e.apiRequest(false, map[string]string{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)})
	body["reason"] = over
	status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(body))
	if fields, _ := out["fields"].(map[string]any); status != http.StatusUnprocessableEntity || fields["reason"] != refusal {
		t.Fatalf("API, 251 emoji: %d %v", status, out)
	}
	body["reason"] = fits
	status, out = api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(body))
	if status != http.StatusCreated {
		t.Fatalf("API, 250 emoji: %d %v", status, out)
	}
	id, _ := out["id"].(float64)
	if b, err := e.db.BulkChange(ctx, e.tenantID(demo.TenantAcme), int64(id)); err != nil || b.Reason != fits {
		t.Fatalf("API, the stored reason: %v %q", err, b.Reason)
	}

	c := e.signIn(demo.AcmeManager)
	form := e.changeForm(change.ChangeICCID, acme[1].ICCID+","+e.spareSIM(1))
	form.Set("reason", over)
	res, page := c.postMultipart(paths.BulkChanges, form, "", "", nil)
	if got := text(mustDoc(t, page), "[data-testid=reason-error]"); res.StatusCode != http.StatusUnprocessableEntity || got != refusal {
		t.Fatalf("portal, 251 emoji: %d %q", res.StatusCode, got)
	}
	if n := e.countBulkChanges(); n != 1 {
		t.Fatalf("%d requests stored, want the API's one", n)
	}
	// A browser sends the textarea's line breaks as CRLF but counted each as one for maxlength:
	// 249 emoji and a line break fill the field, and are stored with LF.
	form.Set("reason", strings.Repeat("😀", 124)+"\r\n"+strings.Repeat("😀", 124)+"!")
	form.Set("idem", "crlf")
	bid := c.submitForm(form)
	want := strings.Repeat("😀", 124) + "\n" + strings.Repeat("😀", 124) + "!"
	if b, err := e.db.BulkChange(ctx, e.tenantID(demo.TenantAcme), bid); err != nil || b.Reason != want || change.TextLen(b.Reason) != 498 {
		t.Fatalf("portal, the stored reason: %v %q", err, b.Reason)
	}
	form = e.changeForm(change.ChangeICCID, acme[2].ICCID+","+e.spareSIM(2))
	form.Set("reason", fits)
	form.Set("idem", "fits")
	bid = c.submitForm(form)
	if b, err := e.db.BulkChange(ctx, e.tenantID(demo.TenantAcme), bid); err != nil || b.Reason != fits {
		t.Fatalf("portal, 250 emoji stored: %v %q", err, b.Reason)
	}
}

// Every field a person types into for a column has the column's width as its maxlength, which
// browsers count in UTF-16 units as the column does, and the server says the limit past it.
func TestFormFieldsAreAsLongAsTheirColumns(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(demo.AdminEmail)
	for _, tc := range []struct {
		page   string
		fields map[string]int // element id -> maxlength
	}{
		{paths.NewBulkChange, map[string]int{"reason": change.MaxReason}},
		{paths.AccountTokens, map[string]int{"token-name": change.MaxTokenName}},
		{paths.AdminNewProvider, map[string]int{"p-name": change.MaxProviderName, "p-url": change.MaxBaseURL,
			"p-account": change.MaxAccountNumber, "p-client": change.MaxClientID, "p-user": change.MaxUWSUser,
			"p-email": change.MaxEmail, "p-secret": change.MaxSecretBytes, "p-password": change.MaxSecretBytes}},
		{paths.AdminTenants, map[string]int{"tenant-name": change.MaxTenantName,
			fmt.Sprintf("rename-%d", e.tenantID(demo.TenantAcme)): change.MaxTenantName,
			fmt.Sprintf("tz-%d", e.tenantID(demo.TenantAcme)):     change.MaxTimeZone}},
		{paths.AdminUsers, map[string]int{"user-email": change.MaxEmail, "user-name": change.MaxDisplayName}},
		{paths.AdminInventory, map[string]int{"rule-field": change.MaxRuleField, "rule-value": change.MaxRuleValue}},
		{paths.DailySummary, map[string]int{"summary-to": change.MaxRecipients}},
		{paths.Webhooks, map[string]int{"webhook-url": change.MaxWebhookURL}},
	} {
		res, body := admin.get(tc.page)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", tc.page, res.StatusCode)
		}
		doc := mustDoc(t, body)
		for id, want := range tc.fields {
			sel := doc.Find("#" + id)
			if sel.Length() == 0 {
				t.Errorf("%s: no #%s", tc.page, id)
				continue
			}
			if got, _ := sel.Attr("maxlength"); got != strconv.Itoa(want) {
				t.Errorf("%s: #%s has maxlength %q, want %d", tc.page, id, got, want)
			}
		}
	}

	// Past the limit, the server names the field and the limit.
	for _, tc := range []struct {
		path string
		form url.Values
		want string
	}{
		{paths.AccountTokens, url.Values{"name": {strings.Repeat("😀", 51)}}, "The token's name has 102 characters, counting each emoji"},
		{paths.AdminTenants, url.Values{"name": {strings.Repeat("é", 201)}}, "The tenant name has 201 characters; at most 200 fit."},
		{paths.AdminUsers, url.Values{"email": {"new@acme.example"}, "display_name": {strings.Repeat("😀", 101)}, "role": {"admin"},
			"password": {"a long enough password 1"}}, "The name has 202 characters, counting each emoji"},
	} {
		res, body := admin.postForm(tc.path, tc.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(mustDoc(t, body), "main"), tc.want) {
			t.Errorf("%s: %d %q, want 422 saying %q", tc.path, res.StatusCode, text(mustDoc(t, body), "main"), tc.want)
		}
	}
}

// A provider's fields stop at their columns: the name at 100 (ServiceProvider.Name), the
// account at 50; a secret at 700 bytes, which sealed still fits NVARCHAR(1000) — saved whole,
// as the store (which checks every width on SQLite too) accepts it.
func TestAProvidersFieldsStopAtTheirColumns(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	c.get(paths.AdminNewProvider)
	for field, tc := range map[string]struct{ value, want string }{
		"name":          {strings.Repeat("n", 101), "The provider name has 101 characters; at most 100 fit."},
		"account":       {strings.Repeat("😀", 26), "The account name has 52 characters, counting each emoji"},
		"client_secret": {strings.Repeat("s", 701), "The client secret has 701 bytes; at most 700 fit."},
	} {
		f := providerForm("http://127.0.0.1:1")
		f.Set("action", "save-anyway")
		f.Set(field, tc.value)
		res, body := c.postForm(paths.AdminProviders, f)
		if got := text(mustDoc(t, body), "main"); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %d %q, want 422 saying %q", field, res.StatusCode, got, tc.want)
		}
	}
	f := providerForm("http://127.0.0.1:1")
	f.Set("action", "save-anyway")
	f.Set("name", strings.Repeat("n", 100))
	f.Set("client_secret", strings.Repeat("s", 700))
	f.Set("uws_password", strings.Repeat("p", 700))
	if res, body := c.postForm(paths.AdminProviders, f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a provider at every limit: %d %q", res.StatusCode, text(mustDoc(t, body), "main"))
	}
}
