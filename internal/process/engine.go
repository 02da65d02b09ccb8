// Package process is the bulk-change engine (the legacy ProcessChangeICCIDorIMEI): for every row
// of a request it reads the provider's credentials, checks the write gate, sends the change to
// ThingSpace under a per-provider rate limit, takes the carrier's result from its callback (or,
// when none comes, from the line as the carrier shows it), writes the inventory, and completes
// the request with its result e-mail.
//
// Its promise: every row ends in a true final state, the inventory matches the carrier, and a
// row goes to the carrier at most once, unless the carrier is asked first and shows that the
// change did not happen. A row is claimed (PROCESSING, SubmittedDate set, its first carrier
// check scheduled) in one transaction before its request leaves; whatever happens after — the
// process killed before the send, after it, before the callback, during the finish — the check
// settles the row from what the carrier shows.
//
// The engine's work arrives as jobs (see Handlers); the queue runs them.
package process

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// Store is what the engine reads and writes.
type Store interface {
	Providers(ctx context.Context) ([]store.Provider, error)
	ThingSpaceCredentials(ctx context.Context, providerID int64) (*store.Credentials, error)
	ChangeWork(ctx context.Context, changeID int64) (*store.ChangeWork, error)
	ClaimChange(ctx context.Context, changeID int64, by string, checkAfter time.Duration, resend int) (time.Time, bool, error)
	StartBulkChange(ctx context.Context, bulkID int64, by string) (bool, error)
	RecordSent(ctx context.Context, changeID int64, requestID, by string, logs ...store.LogEntry) error
	ReturnChange(ctx context.Context, r store.ReturnedChange) (bool, error)
	ScheduleCheck(ctx context.Context, c jobs.CheckChange, at time.Time, by, details string, logs ...store.LogEntry) error
	FinishChange(ctx context.Context, f store.FinishedChange) (store.Finish, error)
	FailBulkChange(ctx context.Context, f store.BatchFailure) (store.Failed, error)
	AddLogs(ctx context.Context, logs ...store.LogEntry) error
	LogCallback(ctx context.Context, c store.CallbackRecord) (int64, error)
	LinkCallback(ctx context.Context, logID, bulkID, changeID int64) error
	ChangeForCallback(ctx context.Context, providerID, logID int64, requestID, iccid, imei string) (*store.DeviceChange, bool, error)
	CallbackListener(ctx context.Context, providerID int64) (*store.CallbackListener, error)
	SetCallbackListener(ctx context.Context, providerID int64, secret, username, password, by string) error
	MarkSent(ctx context.Context, changeID int64, submittedAt time.Time) (bool, error)
	CorrectChange(ctx context.Context, c store.CorrectedChange) (store.Correction, error)
	FlagChange(ctx context.Context, changeID int64, reason string, callbackLogID int64, by string, logs ...store.LogEntry) error
	RowsNotSeenOnline(ctx context.Context, bulkID int64) ([]store.DeviceChange, error)
	MarkOnline(ctx context.Context, changeID int64, at time.Time) error
	OnlineCounts(ctx context.Context, bulkID int64) (online, notYet int, err error)
	Enqueue(ctx context.Context, jobs ...store.NewJob) error
	OutboxEmail(ctx context.Context, id int64) (*store.OutboxEmail, error)
	MarkEmailSent(ctx context.Context, id int64, messageID string) error
	AddressEmail(ctx context.Context, id int64, to []string, from, subject string) (*store.OutboxEmail, error)
	ResultParties(ctx context.Context, bulkID int64) (store.ResultParties, error)
	MarkEmailFailed(ctx context.Context, id int64, cause string, final bool) error
	BulkChange(ctx context.Context, tenantID, id int64) (*store.BulkChange, error)
	DeviceChanges(ctx context.Context, bulkChangeID int64, f store.DeviceChangeFilter) ([]store.DeviceChange, int, error)
	FailureCodes(ctx context.Context, bulkChangeID int64) (map[int64]string, error)
	CarrierPermitStore
}

// Crash points: where Config.Hook is called, so that tests can stop the engine there.
const (
	// HookClaimed: the row is claimed (PROCESSING, SubmittedDate set); its request has not left.
	HookClaimed = "claimed"
	// HookSent: the carrier has answered the change request; nothing of the answer is written.
	HookSent = "sent"
	// HookFinish: a callback or a check has decided a row; the decision is not written.
	HookFinish = "finish"
)

// Config sets up an engine; zero fields take the defaults below.
type Config struct {
	Store  Store
	Logger *slog.Logger
	// WritesEnabled is the global write gate (IDSWAP_WRITES_ENABLED); a row is sent only when
	// it and the provider's WriteIsEnabled are both open.
	WritesEnabled bool
	// CarrierRate is ThingSpace requests per second per provider, shared by every worker of
	// every process on the database (token, login and lookups count; see CarrierLimiter).
	// Default 50.
	CarrierRate float64
	// OnRateWait, when set, is called after every wait for the carrier rate with its length.
	OnRateWait func(time.Duration)
	// CallbackWait is how long after a send the engine waits for the callback before it asks
	// the carrier about the line. Default 3m.
	CallbackWait time.Duration
	// A row the carrier has not confirmed stays PROCESSING, "waiting for the carrier", and the
	// carrier is asked about its line CallbackWait after the send, then CheckInterval,
	// 2×CheckInterval, 4×… apart (at most MaxCheckInterval), until ConfirmHorizon after the send;
	// only then is it API_FAILED "carrier did not confirm" — and a later callback still corrects
	// it. Defaults 1m, 1h and 24h (IDSWAP_CHECK_INTERVAL, IDSWAP_CONFIRM_HORIZON).
	CheckInterval    time.Duration
	MaxCheckInterval time.Duration
	ConfirmHorizon   time.Duration
	// Checks is how many checks of a send that got no answer must show the line unchanged
	// before the row is sent again. Default 3.
	Checks int
	// MaxResends bounds how often a row whose send went unanswered (timeout, 5xx) is sent
	// again after every check showed the carrier had not made the change. Default 2.
	MaxResends int
	// CallTimeout bounds one carrier call. Default 30s.
	CallTimeout time.Duration
	HTTPClient  *http.Client // for the carrier; optional
	// Mail delivers result e-mails; MailFrom is the sender when the provider has no FromEmail.
	Mail     notify.Sender
	MailFrom string
	// By is what the engine writes in ProcessedBy and ModifiedBy. Default "idswap engine".
	By string
	// OnRowFinal, when set, is called once for every row the engine ends (PROCESSED,
	// API_FAILED, ERROR) with the time from the row's creation to its end.
	OnRowFinal func(status change.Status, d time.Duration)
	// OnCarrierCall, when set, is called for every HTTP exchange with the carrier, with
	// credentials redacted (beside the engine's own log in M2MDeviceBulkChangeLog).
	OnCarrierCall func(thingspace.Exchange)
	// OnlineInterval and OnlineHorizon: after a request ends, its changed devices are looked
	// up OnlineInterval apart (doubling, at most 6h) until they connect with their new
	// identifiers or OnlineHorizon passes. Defaults 5m and 72h (IDSWAP_ONLINE_HORIZON).
	OnlineInterval time.Duration
	OnlineHorizon  time.Duration
	// OnEvent, when set, is called for every Event (corrections, rejected callbacks,
	// contradictions), for the metrics.
	OnEvent func(Event)
	// Hook, when set, is called at the crash points above; an error stops the job there, as
	// if the process had died. For tests; nil in production.
	Hook func(ctx context.Context, point string, changeID int64) error
}

// Engine runs bulk changes. It is safe for concurrent use by any number of workers.
type Engine struct {
	cfg   Config
	store Store
	log   *slog.Logger

	mu        sync.Mutex
	clients   map[int64]carrierClient   // by provider
	limiters  map[int64]*CarrierLimiter // by provider; outlive clients rebuilt for new credentials
	publicURL string
}

type carrierClient struct {
	client      *thingspace.Client
	fingerprint string
}

// New builds an engine.
func New(cfg Config) *Engine {
	if cfg.CarrierRate <= 0 {
		cfg.CarrierRate = 50
	}
	if cfg.CallbackWait <= 0 {
		cfg.CallbackWait = 3 * time.Minute
	}
	if cfg.Checks <= 0 {
		cfg.Checks = 3
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = time.Minute
	}
	if cfg.MaxCheckInterval <= 0 {
		cfg.MaxCheckInterval = max(time.Hour, cfg.CheckInterval)
	}
	if cfg.ConfirmHorizon <= 0 {
		cfg.ConfirmHorizon = 24 * time.Hour
	}
	if cfg.OnlineInterval <= 0 {
		cfg.OnlineInterval = 5 * time.Minute
	}
	if cfg.OnlineHorizon <= 0 {
		cfg.OnlineHorizon = store.OnlineHorizon
	}
	if cfg.MaxResends < 0 {
		cfg.MaxResends = 0
	} else if cfg.MaxResends == 0 {
		cfg.MaxResends = 2
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.By == "" {
		cfg.By = "idswap engine"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// Every change request passes beforeSend (see sendMarker) on its way out.
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.Transport = sendMarker{next: hc.Transport}
	cfg.HTTPClient = hc
	return &Engine{cfg: cfg, store: cfg.Store, log: cfg.Logger,
		clients: map[int64]carrierClient{}, limiters: map[int64]*CarrierLimiter{}}
}

// Handlers returns the engine's job handlers by job kind, for the queue to run.
func (e *Engine) Handlers() map[string]queue.Handler {
	return map[string]queue.Handler{
		jobs.KindSubmitChange:    queue.Decode(e.Submit),
		jobs.KindCheckChange:     queue.Decode(e.Check),
		jobs.KindSendEmail:       queue.Decode(e.SendEmail),
		jobs.KindWatchOnline:     queue.Decode(e.WatchOnline),
		jobs.KindStartBulkChange: queue.Decode(e.Start),
	}
}

// SetPublicURL sets how people and the carrier reach the portal: links in e-mails and the
// callback URL. serve calls it once it knows the address it listens on.
func (e *Engine) SetPublicURL(u string) {
	e.mu.Lock()
	e.publicURL = strings.TrimRight(u, "/")
	e.mu.Unlock()
}

func (e *Engine) baseURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.publicURL
}

// CallbackURL is the CarrierService listener URL of a provider's callback secret.
func (e *Engine) CallbackURL(secret string) string {
	return paths.Absolute(e.baseURL(), paths.ThingSpaceCallback+"/"+url.PathEscape(secret))
}

// RegisterCallbacks registers the CarrierService listener with the carrier for every provider
// that wants it (RegisterCarrierServiceCallBack) and whose write gates are open: registering
// replaces the account's listener, which must not happen behind the back of a system that is
// only reading. It returns the providers' errors joined; a provider's failure does not stop
// the others, and rows are settled by carrier checks even without callbacks.
func (e *Engine) RegisterCallbacks(ctx context.Context) error {
	if e.baseURL() == "" {
		return errors.New("process: no public URL to register as the callback listener")
	}
	ps, err := e.store.Providers(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range ps {
		if !p.RegisterCallback {
			continue
		}
		c, err := e.store.ThingSpaceCredentials(ctx, p.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("provider %d: %w", p.ID, err))
			continue
		}
		if c.CallbackSecret == "" {
			errs = append(errs, fmt.Errorf("provider %d has no callback secret; its listener was not registered", p.ID))
			continue
		}
		if !c.WriteIsEnabled || !e.cfg.WritesEnabled {
			e.log.Info("callback listener not registered: writes are disabled", "provider", p.ID)
			continue
		}
		client, err := e.client(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("provider %d: %w", p.ID, err))
			continue
		}
		l, err := e.listener(ctx, p.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("provider %d: %w", p.ID, err))
			continue
		}
		if err := e.register(ctx, client, e.CallbackURL(c.CallbackSecret), l); err != nil {
			errs = append(errs, fmt.Errorf("provider %d: register the CarrierService listener: %w", p.ID, err))
			continue
		}
		e.log.Info("callback listener registered", "provider", p.ID, "url", paths.Absolute(e.baseURL(), paths.ThingSpaceCallback+"/{secret}"))
	}
	return errors.Join(errs...)
}

// register registers one listener, trying again a few times while the carrier is busy or
// unreachable.
func (e *Engine) register(ctx context.Context, client *thingspace.Client, listener string, l *store.CallbackListener) error {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := client.RegisterCallback(ctx, thingspace.ServiceCarrier, listener, l.Username, l.Password)
		if err == nil || !thingspace.Retryable(err) || attempt == 4 {
			return err
		}
		wait = max(wait*2, thingspace.RetryAfter(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// client returns the carrier client of a provider, built anew when its credentials changed
// (so that fixed credentials are used at once, and a client that stopped logging in after
// refusals starts afresh). Every client of a provider waits on the provider's one limiter.
func (e *Engine) client(c *store.Credentials) (*thingspace.Client, error) {
	fp := fingerprint(c)
	e.mu.Lock()
	defer e.mu.Unlock()
	if cc, ok := e.clients[c.ServiceProviderID]; ok && cc.fingerprint == fp {
		return cc.client, nil
	}
	lim := e.limiterLocked(c.ServiceProviderID)
	client, err := thingspace.New(thingspace.Config{BaseURL: c.BaseURL, TokenURL: c.AuthTokenURL, LoginPath: c.AuthURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Username: c.Username, Password: c.Password,
		AccountName: c.AccountNumber, ServiceType: c.ServiceType, HTTPClient: e.cfg.HTTPClient,
		CallTimeout: e.cfg.CallTimeout, Observer: e.cfg.OnCarrierCall, Limiter: lim})
	if err != nil {
		return nil, err
	}
	e.clients[c.ServiceProviderID] = carrierClient{client: client, fingerprint: fp}
	return client, nil
}

// Limiter is the provider's one carrier limiter in this process, the engine's calls' own: the
// inventory sync, the connection test and the plan import take it too (cmd wires them), so
// every call to the carrier counts against IDSWAP_CARRIER_RATE.
func (e *Engine) Limiter(providerID int64) thingspace.Limiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.limiterLocked(providerID)
}

// CloseLimiters gives back every carrier permit this process holds (CarrierLimiter.Close), for
// serve and worker once their queue has stopped: the other processes have the whole rate at
// once instead of after the permits' lease.
func (e *Engine) CloseLimiters(ctx context.Context) error {
	e.mu.Lock()
	lims := make([]*CarrierLimiter, 0, len(e.limiters))
	for _, l := range e.limiters {
		lims = append(lims, l)
	}
	e.mu.Unlock()
	var errs []error
	for _, l := range lims {
		errs = append(errs, l.Close(ctx))
	}
	return errors.Join(errs...)
}

// limiterLocked returns the provider's limiter, made on first use; e.mu is held.
func (e *Engine) limiterLocked(providerID int64) *CarrierLimiter {
	lim, ok := e.limiters[providerID]
	if !ok {
		// One set of permits for the whole deployment, kept in the database: a request holds
		// one until a second after its answer, so no one-second window of the carrier's sees
		// more than the rate, from all processes together.
		lim = NewCarrierLimiter(CarrierLimiterConfig{Store: e.store, ProviderID: providerID,
			Rate: e.cfg.CarrierRate, MaxCall: e.cfg.CallTimeout, Logger: e.log, OnWait: e.cfg.OnRateWait})
		e.limiters[providerID] = lim
	}
	return lim
}

func fingerprint(c *store.Credentials) string {
	h := sha256.New()
	for _, v := range []string{c.BaseURL, c.AuthTokenURL, c.AuthURL, c.ClientID, c.ClientSecret, c.Username, c.Password,
		c.AccountNumber, c.ServiceType} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hook calls Config.Hook at a crash point.
func (e *Engine) hook(ctx context.Context, point string, changeID int64) error {
	if e.cfg.Hook == nil {
		return nil
	}
	return e.cfg.Hook(ctx, point, changeID)
}

// detached is a context for writing down what already happened, which must not be lost
// because the job's own context ended (shutdown) a moment after the carrier answered.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// finish ends a row and reports it.
func (e *Engine) finish(ctx context.Context, f store.FinishedChange) error {
	f.By = e.cfg.By
	res, err := e.store.FinishChange(ctx, f)
	if err != nil {
		return err
	}
	if !res.Done {
		return nil
	}
	e.rowFinal(f.To, res.Row.CreatedDate)
	e.completed(res.Completion)
	return nil
}

// failBatch ends a request that cannot run and reports its rows.
func (e *Engine) failBatch(ctx context.Context, f store.BatchFailure) error {
	f.By = e.cfg.By
	res, err := e.store.FailBulkChange(ctx, f)
	if err != nil {
		return err
	}
	if len(res.Rows) > 0 {
		e.log.Warn("bulk change failed as a whole", "bulk_change", f.BulkChangeID, "reason", f.Reason, "rows", len(res.Rows))
	}
	for _, r := range res.Rows {
		e.rowFinal(change.StatusError, r.CreatedDate)
	}
	e.completed(res.Completion)
	return nil
}

func (e *Engine) rowFinal(s change.Status, created time.Time) {
	if e.cfg.OnRowFinal != nil {
		e.cfg.OnRowFinal(s, time.Since(created))
	}
}

func (e *Engine) completed(c *store.Completion) {
	if c != nil {
		e.log.Info("bulk change complete", "bulk_change", c.BulkChangeID, "status", c.Status, "total", c.Counts.Total,
			"succeeded", c.Counts.Processed, "failed", c.Counts.Failed(), "cancelled", c.Counts.Cancelled)
	}
}

// later asks the queue to wait at least the carrier's Retry-After before the next attempt.
func later(err error) error { return jobs.Later(err, thingspace.RetryAfter(err)) }
