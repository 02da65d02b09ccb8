// Package alerting watches what an admin must act on — a provider's credentials refused by the
// carrier, the job queue falling behind, the carrier failing many calls — and turns each
// stretch of time a condition holds into one incident: a banner on every admin page while it
// is open, and one e-mail to the admins when it opens and one when it clears. It reads the
// database (shared by every process), not one process's metrics, and runs as a periodic job
// of the queue (jobs.KindEvaluateAlerts), so it runs once per interval however many processes
// there are.
package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// Store is the part of the database the evaluator reads and writes; *store.DB is one.
type Store interface {
	ProviderSignIns(ctx context.Context) ([]store.ProviderSignIn, error)
	FailedCarrierCalls(ctx context.Context, since time.Time) (int, error)
	JobStats(ctx context.Context, now time.Time) (store.JobStats, error)
	SyncIncident(ctx context.Context, c store.Condition) (string, error)
	IncidentsToNotify(ctx context.Context) ([]store.Incident, error)
	MarkIncidentNotified(ctx context.Context, id int64, cleared bool) error
	AdminEmails(ctx context.Context) ([]string, error)
	ScheduleJob(ctx context.Context, kind string, payload any, runAt time.Time) (bool, error)
}

// Config sets the thresholds. Zero values take the defaults in brackets.
type Config struct {
	Store  Store
	Mail   notify.Sender // nil: incidents are still opened and shown, nobody is e-mailed
	From   string
	Logger *slog.Logger
	Now    func() time.Time
	// BaseURL is the portal's public URL, for the link in the e-mail; read when an e-mail is
	// written, since serve learns its address after start. nil: links are relative.
	BaseURL func() string
	// QueueAge: the oldest due job waiting longer than this is an incident [15m].
	QueueAge time.Duration
	// CarrierFailures: more failed carrier calls than this within Window is an incident [20].
	CarrierFailures int
	Window          time.Duration // [10m]
	Interval        time.Duration // between evaluations [1m]
}

// Evaluator opens and clears incidents.
type Evaluator struct{ cfg Config }

// New applies the defaults.
func New(cfg Config) *Evaluator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.QueueAge <= 0 {
		cfg.QueueAge = 15 * time.Minute
	}
	if cfg.CarrierFailures <= 0 {
		cfg.CarrierFailures = 20
	}
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Minute
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	return &Evaluator{cfg: cfg}
}

// Start makes sure an evaluation is queued; every process calls it at start, and only one job
// is kept.
func (e *Evaluator) Start(ctx context.Context) error {
	_, err := e.cfg.Store.ScheduleJob(ctx, jobs.KindEvaluateAlerts, struct{}{}, e.cfg.Now())
	return err
}

// Handle is the jobs.KindEvaluateAlerts handler. It queues the next run first, so that an
// evaluation that fails (the database away for a moment) never stops the ones after it; its
// error is logged, not retried, since the next run comes within the interval anyway.
func (e *Evaluator) Handle(ctx context.Context, _ store.Job) error {
	if _, err := e.cfg.Store.ScheduleJob(ctx, jobs.KindEvaluateAlerts, struct{}{}, e.cfg.Now().Add(e.cfg.Interval)); err != nil {
		return err
	}
	if err := e.Evaluate(ctx); err != nil {
		e.cfg.Logger.ErrorContext(ctx, "alerts: evaluation failed", "err", err)
	}
	return nil
}

// Conditions evaluates every watched condition now.
func (e *Evaluator) Conditions(ctx context.Context) ([]store.Condition, error) {
	now := e.cfg.Now()
	var out []store.Condition
	signIns, err := e.cfg.Store.ProviderSignIns(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range signIns {
		c := store.Condition{Kind: store.IncidentCredentialsRefused, Subject: strconv.FormatInt(p.ProviderID, 10), Holds: p.Refused()}
		if c.Holds {
			c.Title = fmt.Sprintf("ThingSpace refused the credentials of %s", p.ProviderName)
			c.Detail = fmt.Sprintf("Last refused at %s UTC. Nothing of this provider can run until its key, secret or UWS user is fixed; then retry the failed requests.",
				p.LastRefused.UTC().Format("2006-01-02 15:04"))
		}
		out = append(out, c)
	}

	js, err := e.cfg.Store.JobStats(ctx, now)
	if err != nil {
		return nil, err
	}
	behind := time.Duration(0)
	if js.OldestDue != nil {
		behind = now.Sub(*js.OldestDue)
	}
	q := store.Condition{Kind: store.IncidentQueueBehind, Holds: behind > e.cfg.QueueAge}
	if q.Holds {
		q.Title = fmt.Sprintf("The oldest queued job has waited %s", behind.Round(time.Second))
		q.Detail = fmt.Sprintf("%d jobs are queued and %d running; the threshold is %s. Are the workers running? Is the carrier throttling?",
			js.Queued, js.Running, e.cfg.QueueAge)
	}
	out = append(out, q)

	failed, err := e.cfg.Store.FailedCarrierCalls(ctx, now.Add(-e.cfg.Window))
	if err != nil {
		return nil, err
	}
	f := store.Condition{Kind: store.IncidentCarrierFailing, Holds: failed > e.cfg.CarrierFailures}
	if f.Holds {
		f.Title = fmt.Sprintf("ThingSpace failed %d calls in the last %s", failed, e.cfg.Window)
		f.Detail = fmt.Sprintf("More than %d failed calls in %s. The audit search (entry type: carrier log) shows them with the carrier's codes.",
			e.cfg.CarrierFailures, e.cfg.Window)
	}
	return append(out, f), nil
}

// Evaluate opens and clears incidents as the conditions say, then tells the admins of every
// opening and clearing not yet told (including ones a failed e-mail left untold last time).
func (e *Evaluator) Evaluate(ctx context.Context) error {
	conds, err := e.Conditions(ctx)
	if err != nil {
		return err
	}
	for _, c := range conds {
		did, err := e.cfg.Store.SyncIncident(ctx, c)
		if err != nil {
			return err
		}
		if did != "" {
			e.cfg.Logger.WarnContext(ctx, "alerts: incident "+did, "kind", c.Kind, "subject", c.Subject, "title", c.Title)
		}
	}
	return e.notify(ctx)
}

func (e *Evaluator) notify(ctx context.Context) error {
	pending, err := e.cfg.Store.IncidentsToNotify(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	if e.cfg.Mail == nil {
		return nil
	}
	to, err := e.cfg.Store.AdminEmails(ctx)
	if err != nil || len(to) == 0 {
		return err
	}
	var errs []error
	for _, in := range pending {
		// An incident that opened and cleared between two runs gets both e-mails, in order.
		if in.NotifiedOpenDate == nil {
			if err := e.send(ctx, in, to, false); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if in.ClearedDate != nil && in.NotifiedClearDate == nil {
			errs = append(errs, e.send(ctx, in, to, true))
		}
	}
	return errors.Join(errs...)
}

// send e-mails one opening or clearing and records it. The Message-ID is fixed per incident
// and phase, so a message sent again after a crash before the record is recognisably the same.
func (e *Evaluator) send(ctx context.Context, in store.Incident, to []string, cleared bool) error {
	base := ""
	if e.cfg.BaseURL != nil {
		base = e.cfg.BaseURL()
	}
	m := Message(in, cleared, paths.Absolute(base, paths.Dashboard))
	m.From, m.To = e.cfg.From, to
	if err := e.cfg.Mail.Send(ctx, m); err != nil {
		return fmt.Errorf("alerts: e-mail for incident %d: %w", in.ID, err)
	}
	return e.cfg.Store.MarkIncidentNotified(ctx, in.ID, cleared)
}

// Message is the e-mail of an incident's opening, or of its clearing.
func Message(in store.Incident, cleared bool, portalURL string) *notify.Message {
	phase, subject := "opened", "[idswap] "+in.Title
	var b strings.Builder
	if cleared {
		phase, subject = "cleared", "[idswap] Cleared: "+in.Title
		fmt.Fprintf(&b, "Cleared at %s UTC, after %s.\n\n", in.ClearedDate.UTC().Format("2006-01-02 15:04"),
			in.ClearedDate.Sub(in.OpenedDate).Round(time.Second))
	} else {
		fmt.Fprintf(&b, "Since %s UTC.\n\n", in.OpenedDate.UTC().Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(&b, "%s\n\n%s\n\nidswap: %s\n", in.Title, in.Detail, portalURL)
	return &notify.Message{ID: fmt.Sprintf("incident-%d-%s@idswap", in.ID, phase), Subject: subject, Text: b.String()}
}
