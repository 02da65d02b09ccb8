package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// apiClient calls the JSON API with a bearer token.
type apiClient struct {
	t     *testing.T
	e     *env
	token string
}

func (e *env) apiClient(email string) *apiClient {
	e.t.Helper()
	tok, _, err := auth.New(e.db).CreateToken(context.Background(), email, auth.TokenOptions{Name: "test"}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return &apiClient{t: e.t, e: e, token: tok}
}

// readOnlyClient is apiClient with a read-only token.
func (e *env) readOnlyClient(email string) *apiClient {
	e.t.Helper()
	tok, _, err := auth.New(e.db).CreateToken(context.Background(), email, auth.TokenOptions{Name: "dashboards", Scope: store.ScopeReadOnly}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return &apiClient{t: e.t, e: e, token: tok}
}

// call sends a request and decodes the JSON answer into a map. It goes through apiDo, so the
// request and the answer are checked against the OpenAPI document.
func (a *apiClient) call(method, path, body string, headers ...string) (int, map[string]any) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.e.srv.URL+path, strings.NewReader(body))
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, raw := apiDo(a.t, req)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("%s %s: %d, not JSON: %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// apiRequest is a ChangeICCID request body for the API.
func (e *env) apiRequest(dryRun bool, rows ...map[string]string) map[string]any {
	return map[string]any{"service_provider_id": e.provider, "change_type": string(change.ChangeICCID), "reason": "SIMs failed",
		"service_plan": "", "dry_run": dryRun, "rows": rows}
}

func TestAPICreate(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	rows := []map[string]string{{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)}, {"current": acme[1].MSISDN, "new_iccid": e.spareSIM(1)}}

	// Dry run: every check per row, nothing stored.
	status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(e.apiRequest(true, rows...)))
	if status != http.StatusOK || out["dry_run"] != true || out["valid"] != true {
		t.Fatalf("dry run: %d %v", status, out)
	}
	r1 := out["rows"].([]any)[1].(map[string]any)
	if r1["current_kind"] != "MDN" || r1["device"].(map[string]any)["iccid"] != acme[1].ICCID || r1["service_plan"] != acme[1].PlanCode ||
		len(r1["errors"].([]any)) != 0 || r1["network_type"] == "" {
		t.Fatalf("dry-run row: %v", r1)
	}
	if e.countBulkChanges() != 0 {
		t.Fatal("a dry run stored something")
	}

	// Created: 201, and the same Idempotency-Key again is the same request (200).
	status, out = api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(e.apiRequest(false, rows...)), "Idempotency-Key", "erp-42")
	if status != http.StatusCreated || out["status"] != "NEW" || out["rows"] != float64(2) || out["created"] != true {
		t.Fatalf("create: %d %v", status, out)
	}
	id := out["id"]
	status, out = api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(e.apiRequest(false, rows...)), "Idempotency-Key", "erp-42")
	if status != http.StatusOK || out["id"] != id || out["created"] != false {
		t.Fatalf("replay: %d %v", status, out)
	}

	// The rows now clash with the open request: 422, every failing row by index, nothing stored.
	status, out = api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(e.apiRequest(false, rows...)))
	if status != http.StatusUnprocessableEntity || out["code"] != "invalid" {
		t.Fatalf("clash: %d %v", status, out)
	}
	bad := out["rows"].([]any)
	first := bad[0].(map[string]any)
	if len(bad) != 2 || first["index"] != float64(0) || !strings.Contains(fmt.Sprint(first["errors"]), "the line already has an open change") {
		t.Fatalf("422 rows: %v", bad)
	}
	if e.countBulkChanges() != 1 {
		t.Fatalf("%d requests", e.countBulkChanges())
	}
}

func TestAPIRefusals(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	good := e.apiRequest(false, map[string]string{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)})
	for name, tc := range map[string]struct {
		body    string
		status  int
		message string
	}{
		"malformed JSON":      {`{"service_provider_id": 1,`, 400, "ends in the middle"},
		"not JSON":            {`change everything`, 400, "not valid JSON"},
		"unknown field":       {strings.Replace(jsonBody(good), `"dry_run"`, `"dryrun"`, 1), 400, `Unknown field "dryrun"`},
		"wrong type":          {strings.Replace(jsonBody(good), `"reason":"SIMs failed"`, `"reason":7`, 1), 400, `Field "reason" must be a JSON string`},
		"two objects":         {jsonBody(good) + jsonBody(good), 400, "send exactly one object"},
		"empty body":          {``, 400, "The body is empty"},
		"bad check digit row": {strings.Replace(jsonBody(good), e.spareSIM(0), badCheckDigit(e.spareSIM(0)), 1), 422, "check digit is"},
		"unknown plan":        {strings.Replace(jsonBody(good), `"service_plan":""`, `"service_plan":"GOLD"`, 1), 422, `"GOLD" is not an active plan`},
		"unknown change type": {strings.Replace(jsonBody(good), `"ChangeICCID"`, `"ChangeEverything"`, 1), 422, "Choose the change"},
		"no rows":             {jsonBody(e.apiRequest(false)), 422, "Add at least one device"},
	} {
		t.Run(name, func(t *testing.T) {
			status, out := api.call(http.MethodPost, paths.APIBulkChanges, tc.body)
			if status != tc.status || !strings.Contains(fmt.Sprint(out), tc.message) {
				t.Fatalf("%d %v; want %d with %q", status, out, tc.status, tc.message)
			}
		})
	}
	if e.countBulkChanges() != 0 {
		t.Fatal("a refused request was stored")
	}
	// No token, or a wrong one: 401.
	for _, tok := range []string{"", "idsw_not-a-real-token", "Basic abc"} {
		a := &apiClient{t: t, e: e, token: tok}
		if status, _ := a.call(http.MethodGet, paths.APIBulkChanges, ""); status != http.StatusUnauthorized {
			t.Fatalf("token %q: %d", tok, status)
		}
	}
	// An admin must name the tenant.
	admin := e.apiClient(demo.AdminEmail)
	status, out := admin.call(http.MethodPost, paths.APIBulkChanges, jsonBody(good))
	if status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(out["fields"]), "Choose the tenant") {
		t.Fatalf("admin without tenant_id: %d %v", status, out)
	}
	good["tenant_id"] = e.tenantID(demo.TenantAcme)
	if status, out := admin.call(http.MethodPost, paths.APIBulkChanges, jsonBody(good)); status != http.StatusCreated {
		t.Fatalf("admin with tenant_id: %d %v", status, out)
	}
}

func TestAPIReadsAndTenants(t *testing.T) {
	e := newEnv(t)
	acmeAPI, globexAPI := e.apiClient(demo.AcmeManager), e.apiClient(demo.GlobexManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	req := e.apiRequest(false, map[string]string{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)},
		map[string]string{"current": acme[1].ICCID, "new_iccid": e.spareSIM(1)})
	_, out := acmeAPI.call(http.MethodPost, paths.APIBulkChanges, jsonBody(req))
	id := int64(out["id"].(float64))

	status, b := acmeAPI.call(http.MethodGet, paths.APIBulkChange(id), "")
	counts := b["counts"].(map[string]any)
	rows := b["rows"].([]any)
	if status != http.StatusOK || b["status"] != "NEW" || counts["new"] != float64(2) || counts["total"] != float64(2) || len(rows) != 2 {
		t.Fatalf("get: %d %v", status, b)
	}
	r0 := rows[0].(map[string]any)
	if r0["current"].(map[string]any)["iccid"] != acme[0].ICCID || r0["new_iccid"] != e.spareSIM(0) || r0["status"] != "NEW" ||
		r0["carrier_request_id"] != "" || r0["created_at"] == nil {
		t.Fatalf("row: %v", r0)
	}

	// Another tenant's token: 404, exactly as for a request that does not exist.
	status, notMine := globexAPI.call(http.MethodGet, paths.APIBulkChange(id), "")
	_, missing := globexAPI.call(http.MethodGet, paths.APIBulkChange(999999), "")
	if status != http.StatusNotFound || strings.Replace(fmt.Sprint(notMine), fmt.Sprint(id), "N", 1) != strings.Replace(fmt.Sprint(missing), "999999", "N", 1) {
		t.Fatalf("cross-tenant read: %d %v vs %v", status, notMine, missing)
	}
	// … and a Globex token cannot change Acme's devices: they do not exist for it.
	tenantHint := req
	tenantHint["tenant_id"] = e.tenantID(demo.TenantAcme)
	status, out = globexAPI.call(http.MethodPost, paths.APIBulkChanges, jsonBody(tenantHint))
	if status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(out["rows"]), "no device with ICCID "+acme[0].ICCID) {
		t.Fatalf("cross-tenant create: %d %v", status, out)
	}

	// Lists: by status, paged, and per tenant.
	status, list := acmeAPI.call(http.MethodGet, paths.APIBulkChanges+"?status=NEW&page=1", "")
	if status != http.StatusOK || list["total"] != float64(1) || len(list["bulk_changes"].([]any)) != 1 {
		t.Fatalf("list NEW: %d %v", status, list)
	}
	if _, list = acmeAPI.call(http.MethodGet, paths.APIBulkChanges+"?status=PROCESSED", ""); list["total"] != float64(0) {
		t.Fatalf("list PROCESSED: %v", list)
	}
	if _, list = globexAPI.call(http.MethodGet, paths.APIBulkChanges, ""); list["total"] != float64(0) {
		t.Fatalf("Globex lists Acme's requests: %v", list)
	}
	if status, out = acmeAPI.call(http.MethodGet, paths.APIBulkChanges+"?status=DONE", ""); status != http.StatusUnprocessableEntity ||
		!strings.Contains(fmt.Sprint(out["error"]), "status must be one of") {
		t.Fatalf("bad status: %d %v", status, out)
	}
}

func TestAPIWebhooks(t *testing.T) {
	e := newEnv(t)
	acme, globex, admin := e.apiClient(demo.AcmeManager), e.apiClient(demo.GlobexManager), e.apiClient(demo.AdminEmail)

	status, out := acme.call(http.MethodPost, paths.APIWebhooks, `{"url": "https://erp.acme.example/idswap", "events": ["bulk_change.completed", "bulk_change.row_failed"]}`)
	secret, _ := out["secret"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(secret, "whsec_") || out["tenant_id"] != float64(e.tenantID(demo.TenantAcme)) {
		t.Fatalf("create: %d %v", status, out)
	}
	// The secret is shown once: the list has no secret, and the other tenant sees nothing.
	status, list := acme.call(http.MethodGet, paths.APIWebhooks, "")
	hooks := list["webhooks"].([]any)
	if status != http.StatusOK || len(hooks) != 1 || strings.Contains(fmt.Sprint(list), secret) {
		t.Fatalf("list: %d %v", status, list)
	}
	if _, list = globex.call(http.MethodGet, paths.APIWebhooks, ""); len(list["webhooks"].([]any)) != 0 {
		t.Fatalf("Globex sees Acme's webhooks: %v", list)
	}
	for name, tc := range map[string]struct {
		client  *apiClient
		body    string
		status  int
		message string
	}{
		"plain http":      {acme, `{"url": "http://erp.acme.example/idswap", "events": ["bulk_change.completed"]}`, 422, "Use https://"},
		"http loopback":   {acme, `{"url": "http://127.0.0.1:9/idswap", "events": ["bulk_change.completed"]}`, 422, "Use https://"},
		"unknown event":   {acme, `{"url": "https://erp.acme.example/x", "events": ["bulk_change.deleted"]}`, 422, "is not an event"},
		"no events":       {acme, `{"url": "https://erp.acme.example/x", "events": []}`, 422, "Choose at least one event"},
		"unknown field":   {acme, `{"url": "https://erp.acme.example/x", "events": ["bulk_change.completed"], "secret": "mine"}`, 400, `Unknown field "secret"; the fields are url, events`},
		"admin no tenant": {admin, `{"url": "https://ops.example/x", "events": ["bulk_change.completed"]}`, 422, "Choose the tenant"},
		// A read-only token may list the endpoints but not add one (nothing stored: the
		// admin's list below counts every endpoint).
		"read-only token": {e.readOnlyClient(demo.AcmeManager), `{"url": "https://erp.acme.example/ro", "events": ["bulk_change.completed"]}`, 403, "read-only"},
	} {
		t.Run(name, func(t *testing.T) {
			status, out := tc.client.call(http.MethodPost, paths.APIWebhooks, tc.body)
			if status != tc.status || !strings.Contains(fmt.Sprint(out), tc.message) {
				t.Fatalf("%d %v; want %d with %q", status, out, tc.status, tc.message)
			}
		})
	}
	status, out = admin.call(http.MethodPost, paths.APIWebhooks, fmt.Sprintf(`{"tenant_id": %d, "url": "https://ops.globex.example/x", "events": ["bulk_change.scheduled_started"]}`, e.tenantID(demo.TenantGlobex)))
	if status != http.StatusCreated || out["tenant_id"] != float64(e.tenantID(demo.TenantGlobex)) {
		t.Fatalf("admin create: %d %v", status, out)
	}
	if _, list = admin.call(http.MethodGet, paths.APIWebhooks, ""); len(list["webhooks"].([]any)) != 2 {
		t.Fatalf("admin list: %v", list)
	}
}

// run_at schedules a request; pause and resume move it, with 409 for a move its state does not
// allow; a scheduled request can still be cancelled; bad start times are 400 with the reason.
func TestAPIScheduleAndPause(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 1)
	body := e.apiRequest(false, map[string]string{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)})

	for name, tc := range map[string]struct {
		runAt   string
		status  int
		message string
	}{
		"not RFC 3339": {"tomorrow at ten", http.StatusBadRequest, "not a date and time in RFC 3339 form"},
		"in the past":  {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), http.StatusUnprocessableEntity, "is in the past"},
		"too far":      {time.Now().Add(100 * 24 * time.Hour).UTC().Format(time.RFC3339), http.StatusUnprocessableEntity, "more than 90 days ahead"},
	} {
		t.Run(name, func(t *testing.T) {
			body["run_at"] = tc.runAt
			status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(body))
			msg := out["error"]
			if status == http.StatusUnprocessableEntity {
				msg = out["fields"].(map[string]any)["run_at"]
			}
			if status != tc.status || !strings.Contains(fmt.Sprint(msg), tc.message) {
				t.Fatalf("%d %v; want %d with %q", status, out, tc.status, tc.message)
			}
		})
	}
	if e.countBulkChanges() != 0 {
		t.Fatal("a refused request was stored")
	}

	runAt := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	body["run_at"] = runAt.Format(time.RFC3339)
	status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(body))
	if status != http.StatusCreated || out["status"] != "SCHEDULED" {
		t.Fatalf("create scheduled: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	status, out = api.call(http.MethodGet, paths.APIBulkChange(id), "")
	if at, _ := time.Parse(time.RFC3339, fmt.Sprint(out["start_at"])); status != http.StatusOK || !at.Equal(runAt) || out["status_words"] != "scheduled" {
		t.Fatalf("get scheduled: %d start_at %v, want %s: %v", status, out["start_at"], runAt, out)
	}

	move := func(path string, want int, wantStatus, wantMsg string) {
		t.Helper()
		status, out := api.call(http.MethodPost, path, "")
		if status != want || !strings.Contains(fmt.Sprint(out), wantMsg) {
			t.Fatalf("POST %s: %d %v; want %d with %q", path, status, out, want, wantMsg)
		}
		if wantStatus != "" && out["bulk_change"].(map[string]any)["status"] != wantStatus {
			t.Fatalf("POST %s: status %v, want %s", path, out["bulk_change"], wantStatus)
		}
	}
	move(paths.APIBulkChangeResume(id), http.StatusConflict, "", "only a paused bulk change can be resumed")
	move(paths.APIBulkChangePause(id), http.StatusOK, "PAUSED", "Paused")
	move(paths.APIBulkChangePause(id), http.StatusConflict, "", "is PAUSED (paused): only a scheduled or running bulk change can be paused")
	move(paths.APIBulkChangeResume(id), http.StatusOK, "SCHEDULED", "scheduled again")
	// Another tenant's request does not exist for this token.
	globex := e.apiClient(demo.GlobexManager)
	if status, _ := globex.call(http.MethodPost, paths.APIBulkChangePause(id), ""); status != http.StatusNotFound {
		t.Fatalf("another tenant paused it: %d", status)
	}
	// A scheduled request can be cancelled before it starts; then it can no longer be paused.
	if status, out := api.call(http.MethodPost, paths.APIBulkChangeCancel(id), ""); status != http.StatusOK || out["cancelled"] != float64(1) ||
		out["bulk_change"].(map[string]any)["status"] != "CANCELLED" {
		t.Fatalf("cancel scheduled: %d %v", status, out)
	}
	move(paths.APIBulkChangePause(id), http.StatusConflict, "", "only a scheduled or running bulk change can be paused")
}
