package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/static"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	for name, tc := range map[string]struct {
		email, password string
		status          int
		body            string
	}{
		"right password":           {demo.AcmeManager, demoPassword, http.StatusSeeOther, ""},
		"e-mail in another case":   {"Manager@Acme.Example", demoPassword, http.StatusSeeOther, ""},
		"wrong password":           {demo.GlobexManager, "nope-nope", http.StatusUnauthorized, "The e-mail address or the password is wrong."},
		"unknown e-mail, same msg": {"who@example.com", demoPassword, http.StatusUnauthorized, "The e-mail address or the password is wrong."},
	} {
		t.Run(name, func(t *testing.T) {
			c := e.client()
			c.get(paths.Login)
			res, body := c.postForm(paths.Login, url.Values{"email": {tc.email}, "password": {tc.password}})
			if res.StatusCode != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("status %d, want %d; body has %q: %v", res.StatusCode, tc.status, tc.body, strings.Contains(body, tc.body))
			}
		})
	}
}

func TestRepeatedFailuresAreSlowedDown(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get(paths.Login)
	for range 3 {
		c.postForm(paths.Login, url.Values{"email": {demo.AdminEmail}, "password": {"wrong-password"}})
	}
	// Now even the right password has to wait, and is told the same as for a wrong one.
	res, body := c.postForm(paths.Login, url.Values{"email": {demo.AdminEmail}, "password": {demoPassword}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The e-mail address or the password is wrong.") {
		t.Fatalf("after 3 failures: %d %q", res.StatusCode, body)
	}
}

func TestSignInRotatesTheSession(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get(paths.Login)
	before := c.csrf
	c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {demoPassword}})
	c.get(paths.Devices)
	if c.csrf == "" || c.csrf == before {
		t.Fatal("the CSRF token did not change at sign-in")
	}
}

func TestUnsafeRequestsNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	for name, token := range map[string]string{"missing": "", "wrong": "forged-token"} {
		t.Run(name, func(t *testing.T) {
			res, body := c.postForm(paths.Logout, url.Values{"_csrf": {token}})
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not come from this site") {
				t.Fatalf("logout with a %s token: %d", name, res.StatusCode)
			}
		})
	}
	// The header htmx sends works like the form field.
	res, _ := c.postForm(paths.Logout, url.Values{"_csrf": {""}}, "X-CSRF-Token", c.csrf)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout with the header: %d", res.StatusCode)
	}
}

func TestPagesNeedASignedInUser(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res, _ := c.get(paths.Devices + "?q=1")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.Login+"?next=%2Fdevices%3Fq%3D1" {
		t.Fatalf("anonymous /devices: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = c.get(paths.Devices, "HX-Request", "true")
	if res.Header.Get("HX-Redirect") == "" {
		t.Fatal("an htmx request was not sent to the sign-in page with HX-Redirect")
	}
}

func TestSignInNeverRedirectsOffSite(t *testing.T) {
	e := newEnv(t)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		c := e.client()
		c.get(paths.Login)
		res, _ := c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {demoPassword}, "next": {next}})
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
}

func TestManagerSeesOnlyTheirTenant(t *testing.T) {
	e := newEnv(t)
	acme := e.signIn(demo.AcmeManager)
	_, body := acme.get(paths.Devices)
	if !strings.Contains(body, "1210 results") {
		t.Fatalf("Acme's device count is missing")
	}
	var globexICCID string
	for _, d := range e.world.Devices {
		if d.TenantName == demo.TenantGlobex {
			globexICCID = d.ICCID
			break
		}
	}
	_, body = acme.get(paths.Devices + "?q=" + globexICCID)
	if strings.Contains(body, globexICCID) && strings.Contains(body, `data-testid="device-row"`) {
		t.Fatal("Acme's manager found a Globex device")
	}
	admin := e.signIn(demo.AdminEmail)
	_, body = admin.get(paths.Devices + "?q=" + globexICCID)
	if !strings.Contains(body, `data-testid="device-row"`) || !strings.Contains(body, demo.TenantGlobex) {
		t.Fatal("the admin does not find the Globex device")
	}
}

func TestDeviceSearchAnswersHTMXWithTheTableOnly(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	_, body := c.get(paths.Devices+"?q=8914", "HX-Request", "true")
	if !strings.HasPrefix(strings.TrimSpace(body), `<div id="device-results"`) || strings.Contains(body, "<html") {
		t.Fatalf("htmx answer is not the fragment: %.120s", body)
	}
}

func TestStaticFilesAreCachedAndPagesLockedDown(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res, body := c.get(static.Path("app.css"))
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, "--brand") {
		t.Fatalf("static file: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	res, _ = c.get(paths.Login)
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP: %q", csp)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "idswap" && (!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie flags: %+v", ck)
		}
	}
	if res, _ := c.get("/static/nope.js"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown static file: %d", res.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, p := range []string{paths.Healthz, paths.Readyz} {
		if res, _ := c.get(p); res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}
