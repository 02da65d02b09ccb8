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

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/metrics"
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

// app is one running idswap process: everything serve builds, in the order it is torn down.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	db    *store.DB
	demo  *demoCarrier // nil outside demo mode
	web   *web.Server
	start time.Time

	// metrics is served at /metrics; the engine's OnRowFinal and OnCarrierCall hooks feed it
	// (metrics.RowFinal, metrics.CarrierCall).
	metrics *metrics.Metrics
}

func newApp(ctx context.Context, cfg *config.Config, getenv func(string) string, logOut io.Writer) (*app, error) {
	start := time.Now()
	db, err := openDB(ctx, cfg, getenv, false)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: newLogger(cfg, logOut), db: db, start: start}
	var (
		demoLogins []views.DemoLogin
		stock      web.DemoStock // nil outside demo mode: the form offers no spares
	)
	if cfg.Demo {
		if a.demo, err = startDemo(ctx, cfg, db, a.log); err != nil {
			db.Close()
			return nil, err
		}
		demoLogins = a.demo.logins
		stock = simStock{baseURL: a.demo.baseURL}
	}
	a.metrics = metrics.New(metrics.Config{Queue: db, Logger: a.log})
	a.web = web.New(web.Config{
		Logger:     a.log,
		Store:      db,
		Auth:       auth.New(db),
		SessionKey: cfg.SessionKey,
		SecureOnly: cfg.SecureOnly,
		DemoLogins: demoLogins,
		Metrics:    a.metrics.Handler(),
		Requests:   request.New(db),
		DemoStock:  stock,
	})
	return a, nil
}

// serve listens, says where, and runs until ctx ends; then it stops taking requests and lets
// the ones in flight finish.
func (a *app) serve(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (use --addr to pick another address)", a.cfg.Addr, err)
	}
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
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (a *app) close() {
	if a.demo != nil {
		a.demo.close()
	}
	a.db.Close()
}
