// Package web is idswap's HTTP side: the route table, the middleware chain in its one order,
// the handlers (one file per area), the single error handler, the JSON API and the ThingSpace
// callback receiver. Handlers parse HTTP, call a service or the store, and render a view model;
// the decisions live in internal/.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// Authenticator signs people and programs in.
type Authenticator interface {
	Login(ctx context.Context, email, password, remoteAddr string) (*store.User, error)
	UserByToken(ctx context.Context, token, remoteAddr string) (*store.User, *store.APIToken, error)
	CreateToken(ctx context.Context, email string, o store.TokenOptions, by string) (string, *store.APIToken, error)
}

// Store is what the handlers read and write directly. Each handler group uses a part of it.
type Store interface {
	UserByID(ctx context.Context, id int64) (*store.User, error)
	Tenants(ctx context.Context) ([]store.Tenant, error)
	Devices(ctx context.Context, f store.DeviceFilter) ([]store.Device, int, error)
	DeviceFacets(ctx context.Context, f store.DeviceFilter) ([]store.DeviceFacet, error)
	Providers(ctx context.Context) ([]store.Provider, error)
	BulkChange(ctx context.Context, tenantID, id int64) (*store.BulkChange, error)
	BulkChanges(ctx context.Context, f store.BulkChangeFilter) ([]store.BulkChange, int, error)
	DeviceChanges(ctx context.Context, bulkChangeID int64, f store.DeviceChangeFilter) ([]store.DeviceChange, int, error)
	Ping(ctx context.Context) error
	CheckCurrent(ctx context.Context) error
	SetManagersMayMarkUrgent(ctx context.Context, tenantID int64, allowed bool, a store.Actor) error
	pageStore
	accountStore
	webhookStore
	reportStore
	dailyStore

	// The engine's side: callbacks, an admin's retry, the outbox.
	ProviderIDByCallbackSecret(ctx context.Context, secret string) (int64, error)
	RetryBulkChange(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) (int, error)
	CancelOpenRows(ctx context.Context, tenantID, bulkChangeID int64, by string) (int, error)
	PauseBulkChange(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) error
	ResumeBulkChange(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) (change.BatchStatus, error)
	TenantSchedule(ctx context.Context, tenantID int64) (store.TenantSchedule, error)
	SetTenantSchedule(ctx context.Context, tenantID int64, s store.TenantSchedule, a store.Actor) error
	OutboxEmails(ctx context.Context, limit, offset int) ([]store.OutboxEmail, int, error)
	OutboxEmail(ctx context.Context, id int64) (*store.OutboxEmail, error)

	// The admin console's reads (admin_*.go); its writes go through Onboard and Inventory.
	DeviceModels(ctx context.Context) ([]store.DeviceModel, error)
	SyncRuns(ctx context.Context, providerID int64, limit int) ([]store.SyncRun, error)
	PendingSyncs(ctx context.Context) (map[int64]bool, error)
	OutsideChanges(ctx context.Context, providerID int64, limit int) ([]store.OutsideChange, error)

	// The rows the carrier contradicted, and an admin settling one (admin_attention.go).
	NeedsAttention(ctx context.Context, limit int) ([]store.Attention, error)
	ClearAttention(ctx context.Context, changeID int64, a store.Actor) error
	// A request's changed rows seen online since, and not yet (bulk change page).
	OnlineCounts(ctx context.Context, bulkID int64) (online, notYet int, err error)
}

// Engine is the bulk-change engine as the handlers use it.
type Engine interface {
	// HandleCallback stores and acts on one ThingSpace callback of a provider; an error means
	// it could not be stored and the carrier should send it again.
	HandleCallback(ctx context.Context, providerID int64, body []byte) error
	// ComposeEmail renders an outbox e-mail as it is (or was) sent.
	ComposeEmail(ctx context.Context, outboxID int64) (*notify.Message, error)
}

// Config is everything the web layer is built from.
type Config struct {
	Logger     *slog.Logger
	Store      Store
	Auth       Authenticator
	SessionKey []byte
	SecureOnly bool // Secure cookies and HSTS (set when served over TLS)
	// SessionIdle ends a session unused this long, SessionMax any session this long after
	// sign-in (IDSWAP_SESSION_IDLE, IDSWAP_SESSION_MAX); zero means the defaults.
	SessionIdle, SessionMax time.Duration
	DemoLogins              []views.DemoLogin // shown on the sign-in page in demo mode
	// Metrics serves /metrics (Prometheus) outside the session; nil leaves the route out (as
	// when it has a listener of its own, IDSWAP_METRICS_ADDR). MetricsToken, when set, is the
	// bearer token it wants.
	Metrics      http.Handler
	MetricsToken string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed; none: the TCP peer is
	// the client.
	TrustedProxies []*net.IPNet
	// MaxInflight caps the requests served at once (0: DefaultMaxInflight); past it, 503.
	MaxInflight int
	// Now is the clock of the dashboard's "this week"; nil means time.Now.
	Now func() time.Time
	// Requests checks and submits change requests, for the portal and the API alike.
	Requests RequestService
	// DemoStock, in demo mode only, lists the demo carrier's unused SIMs and devices; nil otherwise.
	DemoStock DemoStock
	Engine    Engine // nil: callbacks are refused with 503
	// OutboxDir is the folder demo mode writes e-mails into as .eml files; empty when mail
	// goes to an SMTP server.
	OutboxDir string
	// WebhookLoopbackHTTP allows webhook endpoints at http:// on this machine (demo mode).
	WebhookLoopbackHTTP bool
	// Incidents feeds the admins' incident banner (internal/alerting); nil: no banner.
	Incidents IncidentSource
	// Onboard and Inventory are the admin console's services (tenants, users, providers,
	// plans, device models; sync and assignment) and the change-my-password page's.
	Onboard   *onboard.Service
	Inventory *inventory.Service
}

// Server is the HTTP handler of the whole portal and API.
type Server struct {
	e         *echo.Echo
	log       *slog.Logger
	store     Store
	auth      Authenticator
	sessions  *sessions
	demo      []views.DemoLogin
	metrics   http.Handler
	maxFlight int
	idle      time.Duration // the session idle timeout, for the sessions page
	now       func() time.Time
	requests  RequestService
	stock     DemoStock // nil outside demo mode
	engine    Engine
	outboxDir string
	incidents IncidentSource
	// webhookLoopback allows http:// webhook endpoints on this machine (demo mode).
	webhookLoopback bool
	onboard         *onboard.Service
	inventory       *inventory.Service
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{
		e:               echo.New(),
		log:             cfg.Logger,
		store:           cfg.Store,
		auth:            cfg.Auth,
		sessions:        newSessions(cfg.Store, cfg.SessionKey, cfg.SecureOnly, cfg.SessionIdle, cfg.SessionMax),
		demo:            cfg.DemoLogins,
		metrics:         requireMetricsTokenIfAny(cfg.Metrics, cfg.MetricsToken),
		maxFlight:       cfg.MaxInflight,
		idle:            cfg.SessionIdle,
		now:             cfg.Now,
		requests:        cfg.Requests,
		stock:           cfg.DemoStock,
		engine:          cfg.Engine,
		outboxDir:       cfg.OutboxDir,
		incidents:       cfg.Incidents,
		webhookLoopback: cfg.WebhookLoopbackHTTP,
		onboard:         cfg.Onboard,
		inventory:       cfg.Inventory,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxFlight <= 0 {
		s.maxFlight = DefaultMaxInflight
	}
	s.e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	if s.idle <= 0 {
		s.idle = DefaultSessionIdle
	}
	s.e.HideBanner, s.e.HidePort = true, true
	s.e.HTTPErrorHandler = s.handleError
	s.routes(cfg.SecureOnly)
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// HTTPServer wraps the handler in an http.Server with timeouts that keep slow clients from
// holding connections open for ever.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}
