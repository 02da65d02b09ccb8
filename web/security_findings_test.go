package web_test

// The findings of issue 14, one test each, written against the HTTP surface only so that each
// can be run on the code before the fix (where it fails) and after (where it passes).

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// Finding 1: a copy of the session cookie taken before sign-out must not work after it.
func TestFindingLogoutEndsEveryCopyOfTheSession(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	thief := copyCookies(t, e, c)
	if !signedIn(thief) {
		t.Fatal("the copied cookie does not work even before sign-out")
	}
	if res, _ := c.postForm(paths.Logout, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if signedIn(thief) {
		t.Fatal("a copy of the cookie taken before sign-out still opens the portal")
	}
}

// Finding 2: a throttled real account answers exactly like an unknown address.
func TestFindingThrottledAccountAnswersLikeAnUnknownOne(t *testing.T) {
	e := newEnv(t)
	message := func(email, password string) string {
		c := e.client()
		c.get(paths.Login)
		res, body := c.postForm(paths.Login, url.Values{"email": {email}, "password": {password}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d, want 401", email, res.StatusCode)
		}
		_, after, _ := strings.Cut(body, `data-testid="login-error">`)
		msg, _, _ := strings.Cut(after, "<")
		return msg
	}
	unknown := message("nobody@example.com", demoPassword)
	for range 3 {
		message(demo.AdminEmail, "wrong-password")
	}
	throttled := message(demo.AdminEmail, demoPassword)
	if unknown == "" || throttled != unknown {
		t.Fatalf("a throttled account answers %q, an unknown one %q", throttled, unknown)
	}
}

// Finding 3: X-Forwarded-For from a client that is not a trusted proxy is not believed.
func TestFindingForwardedForIsNotBelievedFromAnyone(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get(paths.Login)
	c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {demoPassword}}, "X-Forwarded-For", "6.6.6.6")
	if got := lastLoginAddr(t, e); got != "127.0.0.1" {
		t.Fatalf("the sign-in was recorded from %q, want the peer 127.0.0.1", got)
	}
	// Nor by the sign-in throttle: a failed attempt counts against the peer, so a forged
	// header cannot buy a fresh per-address budget for each guess.
	c = e.client() // signed out: the form is answered as a sign-in
	c.get(paths.Login)
	c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {"wrong"}}, "X-Forwarded-For", "6.6.6.7")
	if got := throttledAddrs(t, e); strings.Join(got, ",") != "127.0.0.1" {
		t.Fatalf("the throttle counted a failure against %v, want only the peer 127.0.0.1", got)
	}
}

// throttledAddrs are the client addresses the sign-in throttle holds failures for.
func throttledAddrs(t *testing.T, e *env) []string {
	t.Helper()
	raw, err := sql.Open("sqlite", e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT Subject FROM LoginThrottle WHERE Kind = 'addr' AND Failures > 0 ORDER BY Subject`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func lastLoginAddr(t *testing.T, e *env) string {
	t.Helper()
	raw, err := sql.Open("sqlite", e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var addr string
	if err := raw.QueryRow(`SELECT RemoteAddr FROM AuditEvent WHERE Action = 'user.login' ORDER BY Id DESC LIMIT 1`).Scan(&addr); err != nil {
		t.Fatal(err)
	}
	return addr
}

// Finding 7: a 50,000-digit search term is a clear 400, not a 500.
func TestFindingHugeSearchTermIsA400(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	for _, p := range []string{paths.Devices + "?q=", paths.DeviceLookup + "?id="} {
		res, body := c.get(p + strings.Repeat("7", 50000))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at most 200") {
			t.Fatalf("%s…: %d, want 400 saying the limit", p, res.StatusCode)
		}
	}
	a := e.signIn(demo.AdminEmail)
	if res, _ := a.get(paths.AdminAudit + "?q=" + strings.Repeat("8", 50000)); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("audit search: %d, want 400", res.StatusCode)
	}
}

// Finding 7: NUL and right-to-left overrides in a request's reason are refused with a message.
func TestFindingControlCharactersInAReasonAreRefused(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	for _, reason := range []string{"bad\x00reason", "swap \u202egnp.exe"} {
		status, out := api.call(http.MethodPost, paths.APIBulkChanges, jsonBody(map[string]any{
			"service_provider_id": e.provider, "change_type": "ChangeICCID", "reason": reason, "dry_run": true,
			"rows": []map[string]string{{"current": "89148000042000000375", "new_iccid": e.spareSIM(0)}}}))
		fields, _ := out["fields"].(map[string]any)
		msg, _ := fields["reason"].(string)
		if status != http.StatusOK || out["valid"] != false || !strings.Contains(msg, "character") {
			t.Fatalf("reason %q: %d %v, want a dry run that is not valid, naming the character", reason, status, out)
		}
	}
}

// Finding 7: the API reads JSON only when told it is JSON.
func TestFindingAPIRequiresJSONContentType(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	body := jsonBody(map[string]any{"service_provider_id": e.provider, "change_type": "ChangeICCID", "reason": "r", "dry_run": true,
		"rows": []map[string]string{{"current": "89148000042000000375", "new_iccid": e.spareSIM(0)}}})
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		status, out := api.call(http.MethodPost, paths.APIBulkChanges, body, "Content-Type", ct)
		if status != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: %d %v, want 415", ct, status, out)
		}
	}
	if status, _ := api.call(http.MethodPost, paths.APIBulkChanges, body, "Content-Type", "application/json; charset=utf-8"); status != http.StatusOK {
		t.Errorf("application/json; charset=utf-8: %d, want 200 (a dry run)", status)
	}
}

// Finding 7: duplicate keys and keys differing from the documented ones only in case are refused.
func TestFindingDuplicateAndCaseFoldedKeysAreRefused(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	rows := `"rows":[{"current":"89148000042000000375","new_iccid":"` + e.spareSIM(0) + `"}]`
	for body, want := range map[string]string{
		`{"service_provider_id":1,"change_type":"ChangeICCID","reason":"a","reason":"b","dry_run":true,` + rows + `}`:              "twice",
		`{"service_provider_id":1,"change_type":"ChangeICCID","Reason":"a","dry_run":true,` + rows + `}`:                           "only in case",
		`{"service_provider_id":1,"change_type":"ChangeICCID","reason":"a","DRY_RUN":true,` + rows + `}`:                           "only in case",
		`{"service_provider_id":1,"change_type":"ChangeICCID","reason":"a","dry_run":true,"rows":[{"current":"1","CURRENT":"2"}]}`: "only in case",
	} {
		status, out := api.call(http.MethodPost, paths.APIBulkChanges, body)
		if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %v, want 400 saying %q", body, status, out, want)
		}
	}
}
