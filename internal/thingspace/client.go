package thingspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultTokenURL        = "/api/ts/v1/oauth2/token"
	DefaultLoginPath       = "/api/m2m/v1/session/login"
	DefaultCallTimeout     = 30 * time.Second
	DefaultMaxFailedLogins = 3
	// DefaultListPageSize is the maxNumberOfDevices AllDevices asks for:
	// the bound of the carrier's SDK 1.7.0, within v5.12's 500 too (§12.2).
	DefaultListPageSize = 100
	// MaxListPageSize is the largest page any of the carrier's SDKs allows
	// (v5.12); New refuses a larger ListPageSize.
	MaxListPageSize = 500
)

// m2mPrefix is inserted before every path the documentation writes
// relative to the M2M API.
const m2mPrefix = "/api/m2m/v1"

// Config is everything a Client needs for one carrier account (provider).
type Config struct {
	// BaseURL is e.g. https://thingspace.verizon.com or the simulator's URL;
	// /api/m2m/v1/... paths are appended to it.
	BaseURL string
	// TokenURL is the OAuth token URL (legacy AuthTokenUrl). A relative value
	// is appended to BaseURL. Default DefaultTokenURL.
	TokenURL string
	// LoginPath is the session login (legacy AuthUrl), relative to BaseURL
	// unless absolute. Default DefaultLoginPath.
	LoginPath string
	// ClientID and ClientSecret are the ThingSpace key and secret (OAuth).
	ClientID, ClientSecret string
	// Username and Password are the UWS credentials for the M2M session.
	Username, Password string
	// AccountName is the ThingSpace account name (legacy AccountNumber),
	// e.g. "0000123456-00001"; leading zeros matter.
	AccountName string
	// ServiceType is the {serviceType} path segment of the change-identifier
	// call. UNCONFIRMED: the carrier documents no values for it, so it is
	// configuration, required only by ChangeIdentifier.
	ServiceType string
	// HTTPClient is optional; its Transport is wrapped, not changed.
	HTTPClient *http.Client
	// CallTimeout bounds every public call (auth and one renewal included)
	// unless the caller's context ends sooner. Default DefaultCallTimeout.
	CallTimeout time.Duration
	// Observer, when set, receives every HTTP exchange (token, login and API
	// calls) with the Authorization header, session token, passwords and
	// secrets redacted. It is called on the calling goroutine.
	Observer func(Exchange)
	// Limiter, when set (e.g. a *rate.Limiter shared per provider), is
	// waited on before every request to the M2M API, renewals included. A
	// Limiter that is also an Acquirer is asked before every HTTP request the
	// client sends, the OAuth token's included, and told when its answer has
	// been read.
	Limiter Limiter
	// MaxFailedLogins is how many consecutive refused logins this client
	// allows before it stops trying: the carrier locks the user after five,
	// and unlocking needs Verizon support. Default DefaultMaxFailedLogins;
	// negative means no limit of our own.
	MaxFailedLogins int
	// ListPageSize is the maxNumberOfDevices AllDevices asks for. Default
	// DefaultListPageSize; at most ListPageSizeLimit.
	ListPageSize int
	// ListPageSizeLimit raises the bound on ListPageSize above MaxListPageSize, for a
	// carrier (or a simulator started with a larger --max-page-size) known to take larger
	// pages. Zero or less than MaxListPageSize means MaxListPageSize.
	ListPageSizeLimit int
}

// Client talks to the ThingSpace M2M API for one account. It is safe for
// concurrent use; the OAuth token and the M2M session are cached inside and
// shared by every goroutine, and only one goroutine logs in at a time.
//
// Renewal rules: a 401 makes the client fetch a new token once and repeat the
// call; a ...SessionToken.Expired error makes it log in once and repeat the
// call. Nothing else is retried here: throttling (429) and 5xx come back as
// errors with their class and Retry-After, and the caller schedules retries.
type Client struct {
	cfg      Config
	http     *http.Client
	base     string
	tokenURL string
	loginURL string
	fetcher  *tokenFetcher
	tokens   singleValue
	session  singleValue

	loginMu      sync.Mutex
	failedLogins int
}

// New checks cfg and builds a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	var missing []string
	for name, v := range map[string]string{
		"BaseURL": cfg.BaseURL, "ClientID": cfg.ClientID, "ClientSecret": cfg.ClientSecret,
		"Username": cfg.Username, "Password": cfg.Password, "AccountName": cfg.AccountName,
	} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("thingspace: config: missing %s", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("thingspace: config: BaseURL %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.LoginPath == "" {
		cfg.LoginPath = DefaultLoginPath
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.ListPageSize == 0 {
		cfg.ListPageSize = DefaultListPageSize
	}
	if limit := max(cfg.ListPageSizeLimit, MaxListPageSize); cfg.ListPageSize < 0 || cfg.ListPageSize > limit {
		return nil, fmt.Errorf("thingspace: config: ListPageSize %d is outside 1..%d (the carrier SDK's bound)", cfg.ListPageSize, limit)
	}
	if cfg.MaxFailedLogins == 0 {
		cfg.MaxFailedLogins = DefaultMaxFailedLogins
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if a, ok := cfg.Limiter.(Acquirer); ok {
		rt = &limitingTransport{base: rt, limiter: a}
	}
	hc.Transport = &observingTransport{base: rt, observer: cfg.Observer, secrets: []string{cfg.ClientSecret, cfg.Password}}
	c := &Client{
		cfg:      cfg,
		http:     hc,
		base:     base,
		tokenURL: resolve(base, cfg.TokenURL),
		loginURL: resolve(base, cfg.LoginPath),
	}
	c.fetcher = newTokenFetcher(c)
	return c, nil
}

// resolve appends a relative path to base (keeping any path prefix of base)
// and keeps an absolute URL as it is.
func resolve(base, ref string) string {
	if u, err := url.Parse(ref); err == nil && u.Scheme != "" {
		return ref
	}
	return base + "/" + strings.TrimLeft(ref, "/")
}

// call describes one API request.
type call struct {
	op     string
	method string
	url    string
	body   any
	// session: the request carries VZ-M2M-Token and may log in first.
	session bool
	// logout: use the cached session only and never log in for it.
	logout bool
}

// do runs one API call with the renewal rules of Client, decoding a 2xx body
// into out. It returns the HTTP status of the final response.
func (c *Client) do(ctx context.Context, cl call, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return 0, &APIError{Op: cl.op, Class: ClassInvalid, Message: "encode request: " + err.Error()}
		}
	}
	tokenRenewed, sessionRenewed := false, false
	for {
		tok, err := c.tokens.get(ctx, c.fetcher.fetch)
		if err != nil {
			return 0, transportError(OpToken, err)
		}
		var sess string
		switch {
		case cl.logout:
			if sess = c.session.current(); sess == "" {
				return 0, nil
			}
		case cl.session:
			sess, err = c.session.get(ctx, func(ctx context.Context) (string, func() bool, error) {
				return c.login(ctx, tok)
			})
			if err != nil {
				if bearerRefused(err) && !tokenRenewed {
					c.tokens.invalidate(tok)
					tokenRenewed = true
					continue
				}
				return 0, transportError(OpLogin, err)
			}
		}
		status, err := c.send(ctx, cl.op, cl.method, cl.url, body, tok, sess, out)
		if err == nil {
			return status, nil
		}
		if bearerRefused(err) && !tokenRenewed {
			c.tokens.invalidate(tok)
			tokenRenewed = true
			continue
		}
		if ClassOf(err) == ClassSessionExpired && cl.session && !sessionRenewed {
			c.session.invalidate(sess)
			sessionRenewed = true
			continue
		}
		return status, err
	}
}

// bearerRefused: the gateway refused the bearer token (wrong or expired).
func bearerRefused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusUnauthorized
}

// send makes one HTTP request and decodes a 2xx answer into out.
func (c *Client) send(ctx context.Context, op, method, target string, body []byte, tok, sess string, out any) (int, error) {
	ctx = withOp(ctx, op)
	if _, inTransport := c.cfg.Limiter.(Acquirer); c.cfg.Limiter != nil && !inTransport {
		if err := c.cfg.Limiter.Wait(ctx); err != nil {
			return 0, transportError(op, err)
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, &APIError{Op: op, Class: ClassInvalid, Message: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if sess != "" {
		req.Header.Set("VZ-M2M-Token", sess)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, transportError(op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return resp.StatusCode, transportError(op, err)
	}
	if ae := classify(op, resp.StatusCode, resp.Header, data); ae != nil {
		return resp.StatusCode, ae
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			// A 2xx we cannot read (a proxy page, say): the carrier may have
			// acted, so it is unavailable rather than invalid.
			return resp.StatusCode, &APIError{Op: op, Class: ClassUnavailable, HTTPStatus: resp.StatusCode, Message: "undecodable response: " + err.Error(), Err: err}
		}
	}
	return resp.StatusCode, nil
}

// login opens an M2M session. It is only called through c.session.get, so
// one login runs at a time; it counts refusals and stops at MaxFailedLogins.
func (c *Client) login(ctx context.Context, tok string) (string, func() bool, error) {
	c.loginMu.Lock()
	failed := c.failedLogins
	c.loginMu.Unlock()
	if c.cfg.MaxFailedLogins > 0 && failed >= c.cfg.MaxFailedLogins {
		return "", nil, &APIError{Op: OpLogin, Class: ClassUnauthorized,
			Message: fmt.Sprintf("not logging in after %d refused logins (the carrier locks the user at 5); fix the credentials and build a new client", failed)}
	}
	var resp SessionResponse
	_, err := c.send(ctx, OpLogin, http.MethodPost, c.loginURL, mustJSON(LoginRequest{Username: c.cfg.Username, Password: c.cfg.Password}), tok, "", &resp)
	if err == nil && resp.SessionToken == "" {
		err = &APIError{Op: OpLogin, Class: ClassUnauthorized, Message: "login response has no sessionToken"}
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	var ae *APIError
	switch {
	case err == nil:
		c.failedLogins = 0
		return resp.SessionToken, nil, nil
	case errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 &&
		ae.HTTPStatus != http.StatusUnauthorized && ae.HTTPStatus != http.StatusTooManyRequests:
		// The carrier refused the credentials (a 401 is the bearer, not them).
		c.failedLogins++
	}
	return "", nil, err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with plain structs of strings
	}
	return b
}

func (c *Client) m2m(path string) string { return c.base + m2mPrefix + path }

// Limiter paces a client's requests to the carrier (see Config.Limiter).
type Limiter interface {
	Wait(ctx context.Context) error
}

// Acquirer is a limiter that holds its grant for the length of each request: Acquire blocks
// until the request may be sent, and release is called once its answer has been read (or it
// failed). A carrier that counts requests as they arrive sees each one between the two.
type Acquirer interface {
	Acquire(ctx context.Context) (release func(), err error)
}

// limitingTransport asks the Acquirer before every HTTP request and releases when the answer's
// body is closed: every request the client sends counts, the token's too.
type limitingTransport struct {
	base    http.RoundTripper
	limiter Acquirer
}

func (t *limitingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.limiter.Acquire(req.Context())
	if err != nil {
		if req.Body != nil {
			// A RoundTripper closes the body, even on error; the caller needs the Acquire error.
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody releases the request's grant when the answer is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
