package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// The admin's and the user's own actions on a user end that user's sessions at once: a copy of
// a session cookie taken before the action is refused after it, through the portal's HTTP
// server. Each case re-enables or signs in again afterwards to show the old session was ended,
// not merely blocked while the user is disabled.
func TestUserActionsEndThatUsersSessionsAtOnce(t *testing.T) {
	ctx := context.Background()
	mustStatus := func(t *testing.T, what string, res *http.Response, body string, want int) {
		t.Helper()
		if res.StatusCode != want {
			t.Fatalf("%s: %d, want %d\n%s", what, res.StatusCode, want, body)
		}
	}

	t.Run("disable", func(t *testing.T) {
		e := newEnv(t)
		victim := e.signIn(demo.AcmeManager)
		stolen := copyCookies(t, e, victim)
		bystander := e.signIn(demo.GlobexManager)
		if !signedIn(stolen) {
			t.Fatal("the copied cookie does not work even before the user is disabled")
		}
		u, err := e.db.UserByEmail(ctx, demo.AcmeManager)
		if err != nil {
			t.Fatal(err)
		}
		admin := e.signIn(demo.AdminEmail)
		res, body := admin.postForm(paths.UserActive(u.ID), url.Values{"active": {"false"}})
		mustStatus(t, "disable", res, body, http.StatusSeeOther)
		if signedIn(stolen) || signedIn(victim) {
			t.Fatal("a session of the disabled user still opens the portal")
		}
		res, body = admin.postForm(paths.UserActive(u.ID), url.Values{"active": {"true"}})
		mustStatus(t, "re-enable", res, body, http.StatusSeeOther)
		if signedIn(stolen) {
			t.Fatal("re-enabling the user brought back a session taken before they were disabled")
		}
		if !signedIn(bystander) {
			t.Fatal("another user's session ended too")
		}
		if c := e.signIn(demo.AcmeManager); !signedIn(c) {
			t.Fatal("the re-enabled user cannot sign in again")
		}
	})

	t.Run("admin resets the password", func(t *testing.T) {
		e := newEnv(t)
		victim := e.signIn(demo.AcmeManager)
		stolen := copyCookies(t, e, victim)
		bystander := e.signIn(demo.GlobexManager)
		u, err := e.db.UserByEmail(ctx, demo.AcmeManager)
		if err != nil {
			t.Fatal(err)
		}
		admin := e.signIn(demo.AdminEmail)
		res, body := admin.postForm(paths.UserPassword(u.ID), url.Values{"password": {"a-new-password-1"}})
		mustStatus(t, "reset", res, body, http.StatusSeeOther)
		if signedIn(stolen) || signedIn(victim) {
			t.Fatal("a session opened with the old password still opens the portal after the reset")
		}
		if !signedIn(bystander) || !signedIn(admin) {
			t.Fatal("the reset ended another user's session")
		}
	})

	t.Run("user changes their own password", func(t *testing.T) {
		e := newEnv(t)
		laptop := e.signIn(demo.AcmeManager)
		phone := e.signIn(demo.AcmeManager)
		stolen := copyCookies(t, e, phone)
		res, body := laptop.postForm(paths.AccountPassword, url.Values{"current": {demoPassword}, "next": {"a-new-password-2"}})
		mustStatus(t, "change", res, body, http.StatusSeeOther)
		if signedIn(stolen) || signedIn(phone) || signedIn(laptop) {
			t.Fatal("a session opened with the old password still opens the portal after the change")
		}
		c := e.client()
		c.get(paths.Login)
		res, _ = c.postForm(paths.Login, url.Values{"email": {demo.AcmeManager}, "password": {"a-new-password-2"}})
		mustStatus(t, "sign in with the new password", res, "", http.StatusSeeOther)
		if !signedIn(c) {
			t.Fatal("no session after signing in with the new password")
		}
	})
}

// The current password asked by "Change my password" is throttled like a sign-in (SECURITY.md,
// ASVS 2.2.1): after the account's free failures even the right password is refused for a
// while, so an open session is no place to guess it, and the refusal says to wait.
func TestOwnPasswordChangeIsThrottledLikeASignIn(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	for i := range 3 {
		res, body := c.postForm(paths.AccountPassword, url.Values{"current": {"wrong-guess-" + string(rune('a'+i))}, "next": {"a-new-password-3"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "current password is wrong") {
			t.Fatalf("wrong guess %d: %d\n%s", i+1, res.StatusCode, body)
		}
	}
	res, body := c.postForm(paths.AccountPassword, url.Values{"current": {demoPassword}, "next": {"a-new-password-3"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "wait a minute") {
		t.Fatalf("the right password right after three wrong guesses: %d, want 422 asking to wait\n%s", res.StatusCode, body)
	}
	if !signedIn(c) {
		t.Fatal("the refused change ended the session")
	}
}
