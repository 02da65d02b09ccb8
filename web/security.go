package web

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
)

// statusError is an answer with an exact HTTP status and message, for the few refusals whose
// status is not an apperr code's (400 for a malformed query, 415 for a body that is not JSON).
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &statusError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// ipExtractor decides the client address every handler, log line and audit event uses
// (c.RealIP). By default it is the TCP peer: a header anyone can send is believed only from a
// proxy named in IDSWAP_TRUSTED_PROXIES, and then the right-most address in X-Forwarded-For
// that is not itself such a proxy.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// shedLoad caps the requests served at once. Past the cap idswap answers 503 with Retry-After
// at once, from memory, instead of queueing work it cannot finish: a flood then costs a few
// bytes per request rather than a goroutine, a database connection wait and a buffer each.
// The carrier's callbacks (the carrier retries, but late) and the health checks (an
// orchestrator must see a busy process as alive) are never shed.
func shedLoad(max int) echo.MiddlewareFunc {
	slots := make(chan struct{}, max)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if p == paths.Healthz || p == paths.Readyz || strings.HasPrefix(p, paths.ThingSpaceCallback+"/") {
				return next(c)
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				return next(c)
			default:
				h := c.Response().Header()
				h.Set("Retry-After", "1")
				h.Set(echo.HeaderContentType, echo.MIMETextPlainCharsetUTF8)
				// Close the connection after the answer: the connection cap (serve's
				// LimitListener) then frees a slot for a connection waiting to be accepted,
				// instead of a flood's idle connections holding every slot while the clients
				// behind them time out.
				h.Set(echo.HeaderConnection, "close")
				c.Response().WriteHeader(http.StatusServiceUnavailable)
				_, err := c.Response().Write([]byte("idswap is busy; try again in a second.\n"))
				return err
			}
		}
	}
}

// requireMetricsToken guards /metrics with a bearer token (IDSWAP_METRICS_TOKEN) when one is set.
func requireMetricsToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="idswap metrics"`)
			http.Error(w, "metrics need Authorization: Bearer <IDSWAP_METRICS_TOKEN>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// DefaultMaxInflight is the cap on requests served at once when IDSWAP_MAX_INFLIGHT is unset:
// far above what two cores and one database serve usefully, far below what exhausts memory.
const DefaultMaxInflight = 256

func requireMetricsTokenIfAny(h http.Handler, token string) http.Handler {
	if h == nil {
		return nil
	}
	return requireMetricsToken(token, h)
}

// MetricsHandler is the /metrics handler behind its token, for a listener of its own
// (IDSWAP_METRICS_ADDR).
func MetricsHandler(h http.Handler, token string) http.Handler { return requireMetricsToken(token, h) }

// Query bounds: a search term is an identifier or part of a name, and SQLite refuses LIKE
// patterns past 50,000 bytes with an error that would otherwise be a 500.
const (
	maxSearchTerm = 200  // q, id and the audit search's identifier fields
	maxQueryValue = 2048 // any other query parameter (next= carries a path)
)

// boundQuery refuses a query string with an over-long value with a clear 400, before any
// handler builds SQL from it.
func boundQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for name, vs := range c.QueryParams() {
			limit := maxQueryValue
			if searchParams[name] {
				limit = maxSearchTerm
			}
			for _, v := range vs {
				if n := change.TextLen(v); n > limit { // counted as every text field is
					return badRequest("The %s parameter has %d characters; at most %d are accepted. Search for a shorter part.", name, n, limit)
				}
			}
		}
		return next(c)
	}
}

var searchParams = map[string]bool{"q": true, "id": true, "via": true, "user": true, "batch": true}

// requireJSON refuses an API body that does not say it is JSON (415): the API reads nothing
// else, and a form post that happened to parse as JSON is not a request anyone meant.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodDelete {
			return next(c)
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON {
			return &statusError{status: http.StatusUnsupportedMediaType,
				msg: "Send the body as JSON with Content-Type: application/json."}
		}
		return next(c)
	}
}

// Server timeouts. WriteTimeout bounds how long one answer may take to write, which frees the
// goroutine and buffers of a client that stops reading; streamed CSV exports lift it for
// themselves (longWrites).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute // a 10,000-row CSV upload over a slow line
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 30 * time.Second // a kept-alive connection holds one of serve's capped slots
	exportTimeout     = 30 * time.Minute // a streamed export of the whole audit trail
)

// longWrites gives a streamed CSV export (?format=csv, or a path ending in .csv) a write
// deadline of its own instead of the server's WriteTimeout, through http.ResponseController, and
// so does checking or storing a whole change request (bulkRequest).
func longWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet && (c.QueryParam("format") == "csv" || strings.HasSuffix(r.URL.Path, ".csv")) {
			// ErrNotSupported only under a test recorder; a real connection always supports it.
			_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(exportTimeout))
		} else if bulkRequest(c) {
			// A whole change request may take bulkTimeout to check or store; its answer still
			// has to be written after that.
			_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(bulkTimeout + 30*time.Second))
		}
		return next(c)
	}
}
