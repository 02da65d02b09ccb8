package web_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/web"
)

// Finding 3: behind a proxy named in TrustedProxies, X-Forwarded-For names the client.
func TestForwardedForIsBelievedFromATrustedProxy(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e := newEnv(t, func(c *web.Config) { c.TrustedProxies = []*net.IPNet{loopback} })
	c := e.client()
	c.get(paths.Login)
	c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {demoPassword}}, "X-Forwarded-For", "6.6.6.6")
	if got := lastLoginAddr(t, e); got != "6.6.6.6" {
		t.Fatalf("behind a trusted proxy the sign-in was recorded from %q, want 6.6.6.6", got)
	}
	// The throttle counts a failure against the client the proxy names, not the proxy: the
	// people behind one proxy do not share one budget.
	c = e.client() // signed out: the form is answered as a sign-in
	c.get(paths.Login)
	c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {"wrong"}}, "X-Forwarded-For", "6.6.6.7")
	if got := throttledAddrs(t, e); strings.Join(got, ",") != "6.6.6.7" {
		t.Fatalf("behind a trusted proxy the throttle counted a failure against %v, want 6.6.6.7", got)
	}
}

// Finding 4: past MaxInflight requests, idswap answers 503 with Retry-After at once; health
// checks and the carrier's callbacks are never shed.
func TestRequestsPastTheCapAreShed(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.MaxInflight = 2 })
	// Two requests held in flight: sign-ins whose body never finishes arriving.
	var writers []*io.PipeWriter
	done := make(chan struct{}, 2)
	for range 2 {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+paths.Login, pr)
		req.ContentLength = 100
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		go func() {
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
			done <- struct{}{}
		}()
		if _, err := pw.Write([]byte("email=")); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, w := range writers {
			w.CloseWithError(io.ErrUnexpectedEOF)
		}
		<-done
		<-done
	}()
	deadline := time.Now().Add(30 * time.Second) // a loaded machine under -race can take seconds to deliver the two
	for {
		res, err := http.Get(e.srv.URL + paths.Login)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if !res.Close {
				t.Fatal("the 503 kept its connection open: a flood's idle connections would hold every slot of the connection cap")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a third request while two are in flight: %d, want 503", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond) // the two may not have reached the handler yet
	}
	for _, p := range []string{paths.Healthz, paths.Readyz} {
		res, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s under load: %d, want 200", p, res.StatusCode)
		}
	}
	res, err := http.Post(e.srv.URL+paths.Callback("no-such-secret"), "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "1" {
		t.Error("a carrier callback was shed")
	}
}

// The server sets every timeout, so a slow or silent client cannot hold a connection for ever.
func TestHTTPServerHasEveryTimeout(t *testing.T) {
	srv := web.New(web.Config{SessionKey: testKey}).HTTPServer("127.0.0.1:0")
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Fatalf("timeouts: header %v read %v write %v idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}

// Finding 6: a token expires (90 days by default), can be revoked on the user's page, is
// refused at once after either, and a read-only token cannot submit.
func TestAPITokensExpireAndAreRevoked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	svc := auth.New(e.db)
	token, tok, err := svc.CreateToken(ctx, demo.AcmeManager, store.TokenOptions{Name: "erp"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(*tok.ExpiresDate); d < 89*24*time.Hour || d > 91*24*time.Hour {
		t.Fatalf("a new token expires in %v, want 90 days", d)
	}
	api := &apiClient{t: t, e: e, token: token}
	if status, _ := api.call(http.MethodGet, paths.APIBulkChanges, ""); status != http.StatusOK {
		t.Fatalf("a fresh token: %d", status)
	}
	// Expiry: the clock past 90 days.
	real := e.db.Now
	e.db.Now = func() time.Time { return real().Add(91 * 24 * time.Hour) }
	if status, _ := api.call(http.MethodGet, paths.APIBulkChanges, ""); status != http.StatusUnauthorized {
		t.Fatalf("an expired token: %d, want 401", status)
	}
	e.db.Now = real
	// Revocation from the user's "API tokens" page.
	c := e.signIn(demo.AcmeManager)
	res, body := c.get(paths.AccountTokens)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "erp") || !strings.Contains(body, "127.0.0.1") {
		t.Fatalf("tokens page: %d, want the token with its last address\n%s", res.StatusCode, body)
	}
	// Another manager cannot revoke it.
	g := e.signIn(demo.GlobexManager)
	if res, _ := g.postForm(paths.AccountTokenRevoke(tok.ID), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another tenant's manager revoking: %d, want 404", res.StatusCode)
	}
	if res, _ := c.postForm(paths.AccountTokenRevoke(tok.ID), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if status, _ := api.call(http.MethodGet, paths.APIBulkChanges, ""); status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d, want 401", status)
	}
	// Read-only: reads, but cannot submit.
	ro, _, err := svc.CreateToken(ctx, demo.AcmeManager, store.TokenOptions{Name: "dashboards", Scope: store.ScopeReadOnly}, "")
	if err != nil {
		t.Fatal(err)
	}
	roAPI := &apiClient{t: t, e: e, token: ro}
	if status, _ := roAPI.call(http.MethodGet, paths.APIBulkChanges, ""); status != http.StatusOK {
		t.Fatalf("read-only GET: %d", status)
	}
	if status, out := roAPI.call(http.MethodPost, paths.APIBulkChanges, `{"dry_run":true}`); status != http.StatusForbidden {
		t.Fatalf("read-only POST: %d %v, want 403", status, out)
	}
	// The admin's page lists every user's tokens.
	a := e.signIn(demo.AdminEmail)
	if res, body := a.get(paths.AdminTokens); res.StatusCode != http.StatusOK || !strings.Contains(body, demo.AcmeManager) || !strings.Contains(body, "revoked") {
		t.Fatalf("admin tokens page: %d", res.StatusCode)
	}
	if res, _ := c.get(paths.AdminTokens); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a manager on the admin tokens page: %d, want 403", res.StatusCode)
	}
}

// A token made on the page is shown once, with the chosen scope.
func TestTokenPageCreatesAToken(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	res, body := c.postForm(paths.AccountTokens, url.Values{"name": {"nightly report"}, "scope": {"read-only"}, "days": {"7"}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, "idsw_") || !strings.Contains(body, "read-only") {
		t.Fatalf("create: %d\n%s", res.StatusCode, body)
	}
	if res, body := c.postForm(paths.AccountTokens, url.Values{"name": {"bad\u202ename"}, "days": {"7"}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "text-direction") {
		t.Fatalf("a name with a bidi override: %d", res.StatusCode)
	}
}

// Finding 8: with a metrics token set, /metrics wants it.
func TestMetricsBehindAToken(t *testing.T) {
	const token = "metrics-token-0123456789"
	e := newEnv(t, func(c *web.Config) {
		c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "idswap_up 1") })
		c.MetricsToken = token
	})
	for auth, want := range map[string]int{"": http.StatusUnauthorized, "Bearer wrong": http.StatusUnauthorized, "Bearer " + token: http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+paths.Metrics, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", auth, res.StatusCode, want)
		}
	}
}
