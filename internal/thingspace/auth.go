package thingspace

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// flight is one fetch in progress; goroutines that need the same value wait
// on done instead of starting a second fetch.
type flight struct {
	done  chan struct{}
	value string
	err   error
}

// singleValue caches one credential string (bearer token or session token)
// and makes sure only one goroutine fetches it at a time. Waiters share the
// fetcher's result, error included, so a failed login is never repeated by
// every goroutine that was waiting for it.
type singleValue struct {
	mu       sync.Mutex
	value    string
	valid    func() bool // nil means valid while set
	inflight *flight
}

// get returns the cached value or runs fetch once for all callers.
func (s *singleValue) get(ctx context.Context, fetch func(context.Context) (string, func() bool, error)) (string, error) {
	s.mu.Lock()
	if s.value != "" && (s.valid == nil || s.valid()) {
		v := s.value
		s.mu.Unlock()
		return v, nil
	}
	if f := s.inflight; f != nil {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.value, f.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	s.inflight = f
	s.mu.Unlock()

	v, valid, err := fetch(ctx)

	s.mu.Lock()
	s.inflight = nil
	if err == nil {
		s.value, s.valid = v, valid
	}
	s.mu.Unlock()
	f.value, f.err = v, err
	close(f.done)
	return v, err
}

// invalidate forgets the cached value only if it is still the one the caller
// saw refused; a value another goroutine already renewed is kept, so many
// concurrent 401s cause one refetch, not many.
func (s *singleValue) invalidate(bad string) {
	s.mu.Lock()
	if s.value == bad {
		s.value, s.valid = "", nil
	}
	s.mu.Unlock()
}

// current returns the cached value without fetching.
func (s *singleValue) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// tokenFetcher gets OAuth tokens through x/oauth2 client credentials, with
// the key and secret sent raw as HTTP Basic: Basic base64(key + ":" + secret).
//
// Why not AuthStyleInHeader: x/oauth2 follows RFC 6749 §2.3.1 and
// URL-encodes key and secret before Base64, while the carrier's own SDK
// (thingspace-api.md §12.1) sends them raw. A secret holding + / = & % or a
// space then differs on the wire and the carrier answers 401 invalid_client.
// x/oauth2 has no raw style, so it runs with AuthStyleInParams and an empty
// ClientID and ClientSecret (it then adds nothing to the form), and
// rawBasicAuth, a transport used for the token request alone, adds the
// header. Auto-detection is never used: it would send the secret in the body
// after a refusal, and a failed Basic attempt counts as a failure.
type tokenFetcher struct {
	cc *clientcredentials.Config
	// hc is the observing client behind rawBasicAuth; x/oauth2 reads it from
	// the context.
	hc *http.Client
}

func newTokenFetcher(c *Client) *tokenFetcher {
	hc := *c.http
	hc.Transport = &rawBasicAuth{user: c.cfg.ClientID, pass: c.cfg.ClientSecret, base: c.http.Transport}
	return &tokenFetcher{
		cc: &clientcredentials.Config{
			TokenURL:  c.tokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		},
		hc: &hc,
	}
}

// rawBasicAuth sets Authorization: Basic base64(user + ":" + pass) with both
// parts exactly as configured (no URL-encoding), as the carrier's SDK does.
// It sits outside the observing transport, so the audit sees the header
// (redacted) as it goes out.
type rawBasicAuth struct {
	user, pass string
	base       http.RoundTripper
}

func (t *rawBasicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context()) // a RoundTripper must not change the caller's request
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(t.user+":"+t.pass)))
	return t.base.RoundTrip(r)
}

func (f *tokenFetcher) fetch(ctx context.Context) (string, func() bool, error) {
	ctx = context.WithValue(withOp(ctx, OpToken), oauth2.HTTPClient, f.hc)
	tok, err := f.cc.Token(ctx)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			return "", nil, classify(OpToken, re.Response.StatusCode, re.Response.Header, re.Body)
		}
		return "", nil, transportError(OpToken, err)
	}
	if tok.AccessToken == "" {
		return "", nil, &APIError{Op: OpToken, Class: ClassUnauthorized, Message: "token response has no access_token"}
	}
	// Token.Valid already renews 10 s before expiry.
	return tok.AccessToken, tok.Valid, nil
}
