package thingspace

import (
	"context"
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

// tokenFetcher gets OAuth tokens through x/oauth2 client credentials: key
// and secret as HTTP Basic, grant_type=client_credentials in the form.
type tokenFetcher struct {
	cc *clientcredentials.Config
	// hc is the observing client; x/oauth2 reads it from the context.
	hc *http.Client
}

func newTokenFetcher(c *Client) *tokenFetcher {
	return &tokenFetcher{
		cc: &clientcredentials.Config{
			ClientID:     c.cfg.ClientID,
			ClientSecret: c.cfg.ClientSecret,
			TokenURL:     c.tokenURL,
			// Fixed style: auto-detect would send the secret in the body
			// after a refusal, and a failed Basic attempt counts as a failure.
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		hc: c.http,
	}
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
