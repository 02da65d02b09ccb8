package thingspace_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Secrets holding each character that RFC 6749's form-encoding changes, a
// space and non-ASCII letters. The carrier's SDK sends key and secret raw;
// the simulator compares them raw, so each must get a token and run a change.
func TestRawCredentialsWithSpecialCharacters(t *testing.T) {
	for _, sec := range []string{"Ab+c/d=e&f%g h", "plus+plus", "slash/slash", "equals=", "and&and", "pct%41pct", "a space",
		"Zürich-Ærø-ñ", "ключ-秘密"} {
		t.Run(sec, func(t *testing.T) {
			seed := tssim.DemoSeed()
			seed.Accounts[0].ClientID = "key+/=&% ü"
			seed.Accounts[0].ClientSecret = sec
			r := MustRigSeed(t, tssim.Config{}, seed, func(c *thingspace.Config) {
				c.ClientID, c.ClientSecret = seed.Accounts[0].ClientID, sec
			})
			r.MustRegister(t)
			reqID := MustChange(t, r.Client, iccidChange(line1ICCID, spareSIM))
			if cb := r.Listener.MustNext(t); cb.RequestID != reqID || !cb.Succeeded() {
				t.Errorf("callback %+v", cb)
			}
			if got := r.Sim.Stats().Call(tssim.KindToken, http.StatusOK); got != 1 {
				t.Errorf("%d tokens issued, want 1", got)
			}
			// The RFC 6749 encoding of the same credentials is refused: the
			// simulator really compares raw bytes.
			if url.QueryEscape(sec) != sec {
				req, _ := http.NewRequest(http.MethodPost, r.Server.URL+"/api/ts/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(seed.Accounts[0].ClientID), url.QueryEscape(sec))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("URL-encoded credentials answered %d, want 401", resp.StatusCode)
				}
			}
		})
	}
}

// The token request carries the form the SDK sends and nothing else: no
// client_id or client_secret in the body.
func TestTokenRequestHasNoCredentialsInTheBody(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	if _, err := r.Client.Plans(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ex := range r.Exchanges() {
		if ex.Op != thingspace.OpToken {
			continue
		}
		_, body, _ := strings.Cut(ex.RequestText, "\n\n")
		if strings.TrimSpace(body) != "grant_type=client_credentials" {
			t.Errorf("token request body %q, want only grant_type", body)
		}
		if !strings.Contains(ex.RequestText, "Authorization: Basic") {
			t.Errorf("token request has no Basic header:\n%s", ex.RequestText)
		}
	}
}
