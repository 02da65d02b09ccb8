package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/idswap/idswap/internal/alerting"
	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/report"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/webhook"
)

// shutdownGrace is how long jobs in flight get to finish when the process stops; after it they
// are cancelled and their leases released.
const shutdownGrace = 20 * time.Second

// queueLease is how long a claimed job is held without renewal: how long a dead process's jobs
// wait to be taken over.
const queueLease = 15 * time.Second

// newMailer picks where result e-mails go: the SMTP server when IDSWAP_SMTP_HOST is set,
// otherwise .eml files in the outbox folder (demo mode). outboxDir is "" for SMTP.
func newMailer(cfg *config.Config) (sender notify.Sender, outboxDir string, err error) {
	if cfg.SMTP.Host == "" {
		return notify.NewOutbox(cfg.OutboxDir()), cfg.OutboxDir(), nil
	}
	s, err := notify.NewSMTP(notify.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, User: cfg.SMTP.User,
		Password: cfg.SMTP.Password, TLS: cfg.SMTP.TLS})
	return s, "", err
}

// newEngine builds the bulk-change engine and the queue that runs its jobs, wired together: the
// queue runs the engine's handlers and wakes when the store enqueues. m, when not nil, is fed
// every final row and every carrier exchange.
func newEngine(cfg *config.Config, db *store.DB, log *slog.Logger, m *metrics.Metrics) (*process.Engine, *queue.Queue, string, error) {
	mail, outboxDir, err := newMailer(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	pc := process.Config{Store: db, Logger: log.With("component", "engine"), WritesEnabled: cfg.WritesEnabled,
		CarrierRate: cfg.CarrierRate, CallbackWait: cfg.CallbackWait, CheckInterval: cfg.CheckInterval,
		ConfirmHorizon: cfg.ConfirmHorizon, OnlineHorizon: cfg.OnlineHorizon, Mail: mail, MailFrom: cfg.SMTP.From}
	if m != nil {
		pc.OnRowFinal, pc.OnCarrierCall, pc.OnRateWait = m.RowFinal, m.CarrierCall, m.RateWait
		pc.OnEvent = func(ev process.Event) { m.Event(string(ev)) }
	}
	eng := process.New(pc)
	eng.SetPublicURL(cfg.PublicURL)
	// A 15 s lease (renewed every 5 s): a dead process's rows are taken over, and a row it had
	// claimed but not sent is sent, within seconds of a restart rather than a minute.
	q := queue.New(queue.Config{Store: db, Logger: log.With("component", "queue"), Workers: cfg.Workers, Grace: shutdownGrace,
		Lease: queueLease})
	for kind, h := range eng.Handlers() {
		q.Handle(kind, h)
	}
	// An admin's "sync now" is a job on the same queue (inventory.Service.RequestSync).
	inv := inventory.New(db)
	inv.Log, inv.Limit = log.With("component", "inventory"), eng.Limiter
	q.Handle(jobs.KindInventorySync, queue.Decode(inv.Handle))
	// The alert evaluator: a periodic job that opens and clears incidents and e-mails admins.
	alerts := alerting.New(alerting.Config{Store: db, Mail: mail, From: cfg.SMTP.From, Logger: log.With("component", "alerts"),
		BaseURL: func() string { return cfg.PublicURL }, QueueAge: cfg.AlertQueueAge, CarrierFailures: cfg.AlertCarrierFailures})
	q.Handle(jobs.KindEvaluateAlerts, alerts.Handle)
	// Tenants' webhooks: one job per delivery, retried with the queue's backoff.
	q.Handle(jobs.KindDeliverWebhook, queue.Decode((&webhook.Deliverer{Store: db, Logger: log.With("component", "webhooks")}).Handle))
	if err := alerts.Start(context.Background()); err != nil {
		return nil, nil, "", err
	}
	// The daily summary e-mails: a periodic job that sends each schedule's once a local day.
	daily := &report.Daily{Store: db, Mail: mail, From: cfg.SMTP.From, BaseURL: func() string { return cfg.PublicURL },
		Logger: log.With("component", "reports")}
	q.Handle(jobs.KindDailySummary, daily.Handle)
	if err := daily.Start(context.Background()); err != nil {
		return nil, nil, "", err
	}
	db.OnEnqueue = q.Wake
	return eng, q, outboxDir, nil
}

// startQueue runs q until stop is called; stop stops claiming and waits for the jobs in flight
// (at most the grace period, after which they are cancelled and released).
func startQueue(q *queue.Queue, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := q.Run(ctx); err != nil {
			log.Error("queue stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// closeLimiters gives back the carrier permits of a process that stops, once its queue has
// stopped; a failure only means they come back when their lease ends.
func closeLimiters(eng *process.Engine, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := eng.CloseLimiters(ctx); err != nil {
		log.Warn("carrier permits not given back; they come back when their lease ends", "err", err)
	}
}

// runWorker is `idswap worker`: the job workers without the portal, for scaling out. Several
// worker processes (and serve processes) can share one SQL Server database; each job runs in
// one of them. Callbacks still arrive at the portal (serve), which finishes the rows.
func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := &config.Config{}
	fs := newFlagSet("worker", stderr)
	cfg.RegisterServe(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	log := newLogger(cfg, stderr)
	// A worker has no HTTP listener, so it exports no /metrics of its own: its row and carrier
	// call histograms are not collected. The queue gauges come from the database and any serve
	// process shows them.
	eng, q, _, err := newEngine(cfg, db, log, nil)
	if err != nil {
		return err
	}
	stop := startQueue(q, log)
	fmt.Fprintf(stdout, "idswap worker %s is running %d workers on %s\n", q.WorkerID(), cfg.Workers, db.Dialect())
	<-ctx.Done()
	log.Info("shutting down: no new jobs; waiting for the ones in flight", "grace", shutdownGrace)
	stop()
	closeLimiters(eng, log)
	return nil
}

// carrierLimits are the carrier limiters of a command that calls the carrier outside the engine
// (the demo's set-up, `idswap sync`): they take the same permits in the database as the
// engines' limiters, so those calls count against IDSWAP_CARRIER_RATE together with theirs.
// One limiter per provider; Close gives their permits back when the command is done.
type carrierLimits struct {
	db   *store.DB
	rate float64

	mu         sync.Mutex
	byProvider map[int64]*process.CarrierLimiter
}

func newCarrierLimits(db *store.DB, rate float64) *carrierLimits {
	return &carrierLimits{db: db, rate: rate, byProvider: map[int64]*process.CarrierLimiter{}}
}

// Limit is the provider's limiter (a thingspace.Config.Limiter), made on first use.
func (c *carrierLimits) Limit(providerID int64) thingspace.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.byProvider[providerID]
	if !ok {
		l = process.NewCarrierLimiter(process.CarrierLimiterConfig{Store: c.db, ProviderID: providerID, Rate: c.rate})
		c.byProvider[providerID] = l
	}
	return l
}

// Close gives back every permit the limiters hold, so that the engines need not wait for their
// lease to run out.
func (c *carrierLimits) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, l := range c.byProvider {
		errs = append(errs, l.Close(ctx))
	}
	return errors.Join(errs...)
}

// onboardWith is the admin's onboarding service whose carrier calls (the connection test, the
// plan import) wait on limit.
func onboardWith(db *store.DB, limit func(int64) thingspace.Limiter) *onboard.Service {
	s := onboard.New(db)
	s.Limit = limit
	return s
}

// carrierRateFrom reads IDSWAP_CARRIER_RATE for a command that does not resolve the whole
// configuration (`idswap sync`), with config's default and rule.
func carrierRateFrom(getenv func(string) string) (float64, error) {
	v := getenv("IDSWAP_CARRIER_RATE")
	if v == "" {
		return config.DefaultCarrierRate, nil
	}
	rate, err := strconv.ParseFloat(v, 64)
	if err != nil || rate <= 0 {
		return 0, fmt.Errorf("IDSWAP_CARRIER_RATE %q: want a number of requests per second above 0", v)
	}
	return rate, nil
}
