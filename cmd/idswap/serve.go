package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
	"github.com/idswap/idswap/web"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := &config.Config{}
	fs := newFlagSet("serve", stderr)
	cfg.RegisterServe(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, stdout)
}

// setMemoryLimit applies IDSWAP_MEMORY_LIMIT (the runtime's soft limit: the collector works
// harder before the heap grows past it). The limit is the whole process's, so only main sets it
// to debug.SetMemoryLimit: tests run serve inside the test binary, beside everything else.
var setMemoryLimit = func(int64) {}

// app is one running idswap process: everything serve builds, in the order it is torn down.
type app struct {
	cfg    *config.Config
	log    *slog.Logger
	db     *store.DB
	demo   *demoCarrier // nil outside demo mode
	engine *process.Engine
	queue  *queue.Queue
	web    *web.Server
	start  time.Time

	// metrics is served at /metrics; the engine's OnRowFinal and OnCarrierCall hooks feed it.
	metrics *metrics.Metrics
}

func newApp(ctx context.Context, cfg *config.Config, getenv func(string) string, logOut io.Writer) (*app, error) {
	start := time.Now()
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: newLogger(cfg, logOut), db: db, start: start}
	if cfg.MemoryLimit > 0 {
		setMemoryLimit(cfg.MemoryLimit)
	}
	var (
		demoLogins []views.DemoLogin
		stock      web.DemoStock // nil outside demo mode: the form offers no spares
	)
	if cfg.Demo {
		if a.demo, err = startDemo(ctx, cfg, db, a.log); err != nil {
			return nil, errors.Join(err, db.Close())
		}
		demoLogins = a.demo.logins
		stock = simStock{baseURL: a.demo.baseURL}
	}
	a.metrics = metrics.New(metrics.Config{Queue: db, Logger: a.log})
	var outboxDir string
	if a.engine, a.queue, outboxDir, err = newEngine(cfg, db, a.log, a.metrics); err != nil {
		a.close()
		return nil, err
	}
	// Undo asks the carrier whether each old SIM and device is free, through the engine's
	// client and rate limit.
	requests := request.New(db)
	requests.UseCarrier(a.engine)
	authSvc := auth.New(db)
	authSvc.TokenTTL, authSvc.OnThrottle = cfg.TokenTTL, a.metrics.LoginThrottled
	var portalMetrics http.Handler
	if cfg.MetricsAddr == "" {
		portalMetrics = a.metrics.Handler()
	}
	a.web = web.New(web.Config{
		Logger:         a.log,
		Store:          db,
		Auth:           authSvc,
		SessionKey:     cfg.SessionKey,
		SecureOnly:     cfg.SecureOnly,
		SessionIdle:    cfg.SessionIdle,
		SessionMax:     cfg.SessionMax,
		TrustedProxies: cfg.TrustedProxies,
		MaxInflight:    cfg.MaxInflight,
		MetricsToken:   cfg.MetricsToken,
		DemoLogins:     demoLogins,
		Metrics:        portalMetrics,
		Requests:       requests,
		DemoStock:      stock,
		Engine:         a.engine,
		OutboxDir:      outboxDir,
		Incidents:      db,
		Onboard:        onboardWith(db, a.engine.Limiter),
		Inventory:      inventory.New(db),
		// Demo mode lets a webhook go to a receiver on this machine over plain http.
		WebhookLoopbackHTTP: cfg.Demo,
	})
	return a, nil
}

// serve listens, says where, registers the carrier's callback listener at the address it got,
// starts the workers, and runs until ctx ends. Then it shuts down in order: stop taking
// requests (letting those in flight finish), stop claiming jobs (letting those in flight finish
// or releasing them at the end of the grace period); the database closes last (close).
func (a *app) serve(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (use --addr to pick another address)", a.cfg.Addr, err)
	}
	// Connections past four per request slot wait in the kernel's accept queue instead of each
	// holding a goroutine and its buffers here: with the in-flight cap (503 past it) this keeps
	// memory flat under a flood (make load).
	ln = netutil.LimitListener(ln, 4*a.cfg.MaxInflight)
	srv := a.web.HTTPServer(a.cfg.Addr)
	url := "http://" + ln.Addr().String()
	if a.cfg.PublicURLFromAddr {
		// Links in e-mails and the carrier's callback URL must name the port actually bound.
		a.cfg.PublicURL = url
	}
	fmt.Fprintf(stdout, "idswap is running at %s (ready in %s)\n", url, time.Since(a.start).Round(time.Millisecond))
	if a.demo != nil {
		a.demo.printWelcome(stdout, a.cfg)
	}
	a.engine.SetPublicURL(a.cfg.PublicURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if a.cfg.MetricsAddr != "" {
		// /metrics on a listener of its own (an internal interface), not on the portal's.
		mln, err := net.Listen("tcp", a.cfg.MetricsAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen for metrics on %s: %w (IDSWAP_METRICS_ADDR)", a.cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET "+paths.Metrics, web.MetricsHandler(a.metrics.Handler(), a.cfg.MetricsToken))
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		fmt.Fprintf(stdout, "metrics at http://%s%s\n", mln.Addr(), paths.Metrics)
	}
	go a.pruneSessions(ctx)

	// The listener must be registered before the first row is sent, or its callback is lost
	// (a carrier check would still settle it, minutes later).
	regCtx, cancelReg := context.WithTimeout(ctx, 30*time.Second)
	if err := a.engine.RegisterCallbacks(regCtx); err != nil {
		a.log.Warn("the ThingSpace callback listener is not registered; rows will be settled by asking the carrier", "err", err)
	}
	cancelReg()
	stopQueue := startQueue(a.queue, a.log)
	// The demo is built by syncing its simulator, so the schedule runs in demo mode as well.
	stopSchedule := startSyncSchedule(inventory.New(a.db), a.cfg.SyncEvery, a.log.With("component", "schedule"))

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
		serveErr = err
	}
	stopSchedule()
	stopQueue()
	closeLimiters(a.engine, a.log)
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

// pruneSessions deletes ended sessions and old sign-in throttle rows once an hour.
func (a *app) pruneSessions(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.db.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning ended sessions failed", "err", err)
		} else if n > 0 {
			a.log.Debug("pruned ended sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *app) close() {
	if a.demo != nil {
		a.demo.close()
	}
	if err := a.db.Close(); err != nil {
		a.log.Error("close the database", "err", err)
	}
}
