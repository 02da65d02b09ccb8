package web_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/web"
)

// copyCookies makes a second browser holding the same cookies as c: an attacker's copy.
func copyCookies(t *testing.T, e *env, c *client) *client {
	t.Helper()
	u, _ := url.Parse(e.srv.URL)
	thief := e.client()
	thief.http.Jar.SetCookies(u, c.http.Jar.Cookies(u))
	return thief
}

func signedIn(c *client) bool {
	res, _ := c.get(paths.Devices)
	return res.StatusCode == http.StatusOK
}

// Finding 1: ending a user's sessions (a password change or reset) and disabling the user
// sign out every browser of theirs at once.
func TestEndSessionsOfAndDisableSignOutAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c1, c2 := e.signIn("manager@acme.example"), e.signIn("manager@acme.example")
	other := e.signIn("manager@globex.example")
	u, err := e.db.UserByEmail(ctx, "manager@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.db.EndSessionsOf(ctx, u.ID, store.SessionEndPassword); err != nil || n != 2 {
		t.Fatalf("EndSessionsOf: %d %v, want 2 sessions", n, err)
	}
	if signedIn(c1) || signedIn(c2) {
		t.Fatal("a session survived EndSessionsOf")
	}
	if !signedIn(other) {
		t.Fatal("another user's session was ended too")
	}
	// Disabling: the session row is live, the user is not.
	g, _ := e.db.UserByEmail(ctx, "manager@globex.example")
	raw, err := sql.Open("sqlite", e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE AppUser SET IsActive = 0 WHERE Id = ?`, g.ID); err != nil {
		t.Fatal(err)
	}
	if signedIn(other) {
		t.Fatal("a disabled user's session still works")
	}
}

// Sessions end after the idle timeout and after the absolute lifetime.
func TestSessionIdleAndAbsoluteLimits(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	e := newEnv(t, func(c *web.Config) { c.SessionIdle, c.SessionMax = 10*time.Minute, time.Hour })
	e.db.Now = func() time.Time { return now }
	c := e.signIn("manager@acme.example")
	now = now.Add(9 * time.Minute)
	if !signedIn(c) {
		t.Fatal("signed out before the idle timeout")
	}
	now = now.Add(9 * time.Minute) // 9 minutes after the last use: still within
	if !signedIn(c) {
		t.Fatal("signed out although used 9 minutes ago")
	}
	now = now.Add(11 * time.Minute)
	if signedIn(c) {
		t.Fatal("still signed in after 11 idle minutes")
	}
	c = e.signIn("manager@acme.example")
	for range 7 { // used every 9 minutes: never idle, but past the hour
		now = now.Add(9 * time.Minute)
		signedIn(c)
	}
	if signedIn(c) {
		t.Fatal("still signed in 63 minutes after sign-in, past the absolute lifetime")
	}
}

// A user sees their sessions and ends one; the cookie of the ended one stops working.
func TestSessionsPageEndsASession(t *testing.T) {
	e := newEnv(t)
	laptop, phone := e.signIn("manager@acme.example"), e.signIn("manager@acme.example")
	res, body := laptop.get(paths.AccountSessions)
	if res.StatusCode != http.StatusOK || strings.Count(body, `class="session-row"`) != 2 || !strings.Contains(body, "This session") {
		t.Fatalf("sessions page: %d\n%s", res.StatusCode, body)
	}
	ctx := context.Background()
	u, _ := e.db.UserByEmail(ctx, "manager@acme.example")
	ss, err := e.db.SessionsOf(ctx, u.ID, time.Hour)
	if err != nil || len(ss) != 2 {
		t.Fatalf("SessionsOf: %v %v", ss, err)
	}
	// The phone signed in last, so it is listed first.
	if res, _ := laptop.postForm(paths.AccountSessionEnd(ss[0].ID), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end: %d", res.StatusCode)
	}
	if signedIn(phone) || !signedIn(laptop) {
		t.Fatal("ending the phone's session: the wrong session ended")
	}
	// Another user cannot end it (nor learn it exists).
	g := e.signIn("manager@globex.example")
	if res, _ := g.postForm(paths.AccountSessionEnd(ss[1].ID), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another user's end: %d, want 404", res.StatusCode)
	}
	if !signedIn(laptop) {
		t.Fatal("another user ended the session")
	}
}
