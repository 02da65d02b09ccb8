package tssim

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
)

// Handler serves the carrier API (/api/ts/v1/oauth2/token, /api/m2m/v1/...)
// and the simulator's own /sim/v1/stock and /sim/v1/stats.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/ts/v1/oauth2/token", s.api(KindToken, "", authNone, s.handleToken))
	mux.HandleFunc("POST /api/m2m/v1/session/login", s.api(KindLogin, "", authBearer, s.handleLogin))
	mux.HandleFunc("POST /api/m2m/v1/session/logout", s.api(KindLogout, "", authSession, s.handleLogout))
	mux.HandleFunc("PUT /api/m2m/v1/devices/{serviceType}/actions/deviceId", s.api(KindChangeIdentifier, "", authSession, s.handleChange))
	mux.HandleFunc("POST /api/m2m/v1/devices/actions/list", s.api(KindListDevices, "", authSession, s.handleList))
	mux.HandleFunc("GET /api/m2m/v1/plans/{accountName}", s.api(KindPlans, "", authSession, s.handlePlans))
	mux.HandleFunc("POST /api/m2m/v1/callbacks/{accountName}", s.api(KindRegisterCallback, KindCallbacks, authSession, s.handleRegisterCallback))
	mux.HandleFunc("GET /api/m2m/v1/callbacks/{accountName}", s.api(KindListCallbacks, KindCallbacks, authSession, s.handleListCallbacks))
	mux.HandleFunc("DELETE /api/m2m/v1/callbacks/{accountName}/name/{serviceName}", s.api(KindDeleteCallback, KindCallbacks, authSession, s.handleDeleteCallback))
	mux.HandleFunc("GET /sim/v1/stock", s.plain(KindStock, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stock())
	}))
	mux.HandleFunc("GET /sim/v1/stats", s.plain(KindStats, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	}))
	mux.HandleFunc("/", s.plain(KindUnknown, func(w http.ResponseWriter, _ *http.Request) {
		writeFault(w, http.StatusNotFound, FaultNoResource, "No matching resource found for given API Request", "")
	}))
	return mux
}

type authLevel int

const (
	authNone    authLevel = iota // the token endpoint checks Basic itself
	authBearer                   // OAuth bearer only (login)
	authSession                  // bearer and VZ-M2M-Token
)

// caller is who made an authenticated request.
type caller struct {
	account *accountState // nil unless authSession
	session string
}

// statusRecorder remembers the status for Stats.Calls.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Sim) plain(kind string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h(rec, r)
		s.mu.Lock()
		s.stats.countCall(kind, rec.status)
		s.mu.Unlock()
	}
}

// api wraps an API endpoint in the gateway's behaviour, in this order:
// latency, rate limit (429), hang (504), injected 5xx, bearer (401), session.
func (s *Sim) api(kind, group string, auth authLevel, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return s.plain(kind, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		delay := s.latencyLocked()
		s.mu.Unlock()
		if !s.sleep(r, delay) {
			writeFault(w, http.StatusGatewayTimeout, FaultBackendTimeout, "Runtime Error", "Simulator closing")
			return
		}

		s.mu.Lock()
		now := time.Now()
		retryAfter, throttled := s.throttleLocked(now)
		hang := !throttled && s.chanceLocked(rate(s.cfg.TimeoutRate, kind, group))
		fail := !throttled && !hang && s.chanceLocked(rate(s.cfg.ErrorRate, kind, group))
		unavailable := fail && s.rng.IntN(2) == 0
		hangFor := s.cfg.Hang
		s.mu.Unlock()
		switch {
		case throttled:
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
			writeFault(w, http.StatusTooManyRequests, FaultThrottled, "Message throttled out", "You have exceeded your quota")
			return
		case hang:
			s.sleep(r, hangFor)
			writeFault(w, http.StatusGatewayTimeout, FaultBackendTimeout, "Runtime Error", "Send timeout")
			return
		case unavailable:
			writeFault(w, http.StatusServiceUnavailable, FaultBackendUnavailable, "Runtime Error", "Error connecting to the back end")
			return
		case fail:
			writeError(w, http.StatusInternalServerError, CodeUnexpectedError, "Unexpected error")
			return
		}

		var c caller
		if auth >= authBearer && !s.checkBearer(w, r) {
			return
		}
		if auth == authSession {
			var ok bool
			if c, ok = s.checkSession(w, r); !ok {
				return
			}
		}
		h(w, r, c)
	})
}

func rate(m map[string]float64, kind, group string) float64 {
	if p, ok := m[kind]; ok {
		return p
	}
	return m[group]
}

// sleep waits d unless the request or the simulator ends first.
func (s *Sim) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	return s.waitUnless(r.Context().Done(), d)
}

func (s *Sim) latencyLocked() time.Duration {
	l := s.cfg.Latency
	d := l.Mean
	if l.Jitter > 0 {
		d += time.Duration(s.rng.Int64N(int64(2*l.Jitter)+1)) - l.Jitter
	}
	return max(d, 0)
}

// throttleLocked counts the request in the current one-second window and
// says whether it is over the limit, with the whole seconds left.
func (s *Sim) throttleLocked(now time.Time) (retryAfter int, throttled bool) {
	if s.cfg.RateLimit <= 0 {
		return 0, false
	}
	if now.Sub(s.window.start) >= time.Second {
		s.window = rateWindow{start: now}
	}
	if float64(s.window.count) >= math.Ceil(s.cfg.RateLimit) {
		left := s.window.start.Add(time.Second).Sub(now)
		return max(1, int(math.Ceil(left.Seconds()))), true
	}
	s.window.count++
	return 0, false
}

// checkBearer answers 401 with the gateway's fault for a missing, unknown or
// expired bearer token.
func (s *Sim) checkBearer(w http.ResponseWriter, r *http.Request) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", `OAuth2 realm="WSO2 API Manager"`)
		writeFault(w, http.StatusUnauthorized, FaultMissingCredentials, "Missing Credentials",
			"Make sure your API invocation call has a header: 'Authorization: Bearer ACCESS_TOKEN'")
		return false
	}
	s.mu.Lock()
	t := s.tokens[tok]
	ok := t != nil && time.Now().Before(t.expires)
	s.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `OAuth2 realm="WSO2 API Manager", error="invalid_token"`)
		writeFault(w, http.StatusUnauthorized, FaultInvalidCredentials, "Invalid Credentials",
			"Access failure for API: /api/m2m/v1. Make sure you have given the correct access token")
		return false
	}
	return true
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkSession answers 400 with the carrier's session codes. An unknown but
// well-formed token (e.g. after logout) is treated as expired; UNCONFIRMED.
func (s *Sim) checkSession(w http.ResponseWriter, r *http.Request) (caller, bool) {
	tok := r.Header.Get("VZ-M2M-Token")
	switch {
	case tok == "":
		writeError(w, http.StatusBadRequest, CodeSessionFormat, "VZ-M2M-Token header is missing")
		return caller{}, false
	case !guidPattern.MatchString(tok):
		writeError(w, http.StatusBadRequest, CodeSessionInvalid, "VZ-M2M-Token is not a valid session token")
		return caller{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	ss := s.sessions[tok]
	if ss == nil || ss.expired || now.Sub(ss.lastUsed) > s.cfg.SessionIdle {
		writeError(w, http.StatusBadRequest, CodeSessionExpired, "Session token expired")
		return caller{}, false
	}
	ss.lastUsed = now // the carrier's timeout is sliding
	return caller{account: s.accountLocked(ss.account), session: tok}, true
}

func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request, _ caller) {
	id, secret, ok := r.BasicAuth()
	s.mu.Lock()
	var acct *accountState
	for _, a := range s.st.Accounts {
		if ok && a.ClientID == id && a.ClientSecret == secret {
			acct = a
		}
	}
	s.mu.Unlock()
	if acct == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="ThingSpace"`)
		writeJSON(w, http.StatusUnauthorized, thingspace.OAuthError{Error: "invalid_client", ErrorDescription: "Client Authentication failed."})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") == "" {
		writeJSON(w, http.StatusBadRequest, thingspace.OAuthError{Error: "invalid_request", ErrorDescription: "Missing grant_type parameter value"})
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, thingspace.OAuthError{Error: "unsupported_grant_type", ErrorDescription: "Unsupported grant_type value " + g})
		return
	}
	s.mu.Lock()
	now := time.Now()
	// The carrier hands out the same token until its hour is up (§1.2).
	tok := s.clientToken[id]
	t := s.tokens[tok]
	if t == nil || !now.Before(t.expires) {
		tok = s.uuidLocked()
		t = &oauthToken{clientID: id, expires: now.Add(s.cfg.TokenLifetime)}
		s.tokens[tok] = t
		s.clientToken[id] = tok
	}
	expiresIn := int64(math.Ceil(t.expires.Sub(now).Seconds()))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, thingspace.OAuthToken{AccessToken: tok, TokenType: "Bearer", ExpiresIn: expiresIn, Scope: "am_application_scope default"})
}

func (s *Sim) handleLogin(w http.ResponseWriter, r *http.Request, _ caller) {
	var req thingspace.LoginRequest
	if !decode(w, r, &req, false) {
		return
	}
	if req.Username == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, CodeRequestUndefined, "username and password are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var acct *accountState
	for _, a := range s.st.Accounts {
		if a.Username == req.Username {
			acct = a
		}
	}
	switch {
	case acct == nil:
		writeError(w, http.StatusBadRequest, CodeLoginInvalid, "Invalid username or password")
		return
	case acct.Locked:
		writeError(w, http.StatusBadRequest, CodeLoginLocked, "User is locked after too many failed logins; contact support")
		return
	case acct.Password != req.Password:
		acct.FailedLogins++
		acct.Locked = acct.FailedLogins >= MaxFailedLogins
		s.persistLocked()
		writeError(w, http.StatusBadRequest, CodeLoginInvalid, "Invalid username or password")
		return
	}
	if acct.FailedLogins != 0 {
		acct.FailedLogins = 0
		s.persistLocked()
	}
	tok := s.uuidLocked()
	s.sessions[tok] = &session{account: acct.Name, lastUsed: time.Now()}
	writeJSON(w, http.StatusOK, thingspace.SessionResponse{SessionToken: tok})
}

func (s *Sim) handleLogout(w http.ResponseWriter, _ *http.Request, c caller) {
	s.mu.Lock()
	delete(s.sessions, c.session)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, thingspace.SessionResponse{SessionToken: c.session})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, thingspace.ErrorResponse{ErrorCode: code, ErrorMessage: msg})
}

func writeFault(w http.ResponseWriter, status int, code, msg, desc string) {
	writeJSON(w, status, thingspace.GatewayFault{Fault: thingspace.GatewayFaultDetail{Code: thingspace.FaultCode(code), Message: msg, Description: desc}})
}

// decode reads a JSON body; an empty body is allowed when emptyOK.
func decode(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20))
	err := dec.Decode(v)
	if err == nil || (emptyOK && errors.Is(err, io.EOF)) {
		return true
	}
	writeError(w, http.StatusBadRequest, CodeDeserializationFailed, "Request body is not valid JSON: "+err.Error())
	return false
}
