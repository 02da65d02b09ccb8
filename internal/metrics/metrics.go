// Package metrics is idswap's Prometheus instrumentation: how long rows take and how they end,
// how the carrier answers, and how far the job queue is behind. It keeps its own registry — no
// global state — and is fed through hooks the engine calls (RowFinal, CarrierCall, RateWait), while the
// queue's numbers are read from the database at scrape time.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// QueueStats reads the job queue's state; *store.DB is one.
type QueueStats interface {
	JobStats(ctx context.Context, now time.Time) (store.JobStats, error)
}

// Metrics holds idswap's collectors and the registry that serves them.
type Metrics struct {
	reg         *prometheus.Registry
	rowSeconds  prometheus.Histogram
	rowsFinal   *prometheus.CounterVec
	callSeconds *prometheus.HistogramVec
	callErrors  *prometheus.CounterVec
	throttled   *prometheus.CounterVec
	events      *prometheus.CounterVec
	authFails   *prometheus.CounterVec
	rateWait    prometheus.Histogram
}

// Config is what New needs. Queue may be nil (no queue gauges, for a process without a
// database); Now defaults to time.Now; Logger to slog's default.
type Config struct {
	Queue  QueueStats
	Now    func() time.Time
	Logger *slog.Logger
}

// New builds the collectors and registers them, with Go's runtime and process collectors, in a
// registry of their own.
func New(cfg Config) *Metrics {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		rowSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "idswap_row_processing_seconds",
			Help: "Time from a bulk change row's creation to its final status.",
			// From a carrier that answers at once to one that never calls back (minutes).
			Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
		}),
		// Every final status is present from the start, so that rates over it are defined at once.
		rowsFinal: counterVec("idswap_rows_final_total", "Bulk change rows that reached a final status, by that status.",
			[]string{"status"}, finalStatuses()...),
		callSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idswap_thingspace_call_seconds",
			Help:    "Latency of ThingSpace API calls, by operation.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"op"}),
		callErrors: counterVec("idswap_thingspace_errors_total",
			"ThingSpace API calls that failed, by operation and code: the carrier's errorCode or fault code, else the HTTP status, else \"transport\".",
			[]string{"op", "code"}),
		events: counterVec("idswap_carrier_truth_events_total",
			"Rows corrected by the carrier's later word, callbacks rejected and contradictions flagged, by event.",
			[]string{"event"}, "corrected", "callback_rejected", "needs_attention"),
		// The two sign-in calls are present from the start: an alert on refused credentials reads
		// a series that exists.
		authFails: counterVec("idswap_thingspace_auth_failures_total",
			"ThingSpace calls refused for the credentials (a token or login refused, or 401/403), by operation: a provider's key, secret or UWS user needs fixing.",
			[]string{"op"}, thingspace.OpToken, thingspace.OpLogin),
		throttled: counterVec("idswap_login_throttled_total",
			"Bursts of failed sign-ins that began to be slowed down, by what was throttled: account (an e-mail address) or addr (a client address).",
			[]string{"kind"}, "account", "addr"),
		rateWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "idswap_carrier_rate_wait_seconds",
			Help: "Time a carrier request waited for its slot of the deployment-wide carrier rate (IDSWAP_CARRIER_RATE).",
			// From a free slot at once to a queue of workers many times the rate deep.
			Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
	}
	m.reg.MustRegister(m.rowSeconds, m.rowsFinal, m.callSeconds, m.callErrors, m.throttled, m.events, m.authFails, m.rateWait,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.Queue != nil {
		m.reg.MustRegister(newQueueCollector(cfg.Queue, cfg.Now, cfg.Logger))
		if ts, ok := cfg.Queue.(TruthStats); ok {
			m.reg.MustRegister(newTruthCollector(ts, cfg.Logger))
		}
	}
	return m
}

// counterVec is a counter by labels, with a series for each value of present (of its one
// label) from the start.
func counterVec(name, help string, labels []string, present ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	for _, v := range present {
		c.WithLabelValues(v)
	}
	return c
}

// finalStatuses are the row statuses a row ends in.
func finalStatuses() []string {
	var out []string
	for _, s := range change.Statuses {
		if !s.Open() {
			out = append(out, string(s))
		}
	}
	return out
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RowFinal records a row that reached its final status after d. The engine calls it through
// its OnRowFinal hook.
func (m *Metrics) RowFinal(status change.Status, d time.Duration) {
	m.rowsFinal.WithLabelValues(string(status)).Inc()
	m.rowSeconds.Observe(d.Seconds())
}

// LoginThrottled counts a burst of failed sign-ins that began to be slowed down (auth's
// OnThrottle hook).
func (m *Metrics) LoginThrottled(kind string) { m.throttled.WithLabelValues(kind).Inc() }

// CarrierCall records one ThingSpace HTTP exchange. The engine calls it through its
// OnCarrierCall hook (the client's Observer).
func (m *Metrics) CarrierCall(ex thingspace.Exchange) {
	op := ex.Op
	if op == "" {
		op = "unknown"
	}
	m.callSeconds.WithLabelValues(op).Observe(ex.Duration.Seconds())
	if ex.Err != nil {
		m.callErrors.WithLabelValues(op, errorCode(ex)).Inc()
		var ae *thingspace.APIError
		if errors.As(ex.Err, &ae) && ae.Class == thingspace.ClassUnauthorized {
			m.authFails.WithLabelValues(op).Inc()
		}
	}
}

// RateWait records how long one carrier request waited for the carrier rate. The engine calls
// it through its OnRateWait hook.
func (m *Metrics) RateWait(d time.Duration) { m.rateWait.Observe(d.Seconds()) }

// errorCode names a failed call: the carrier's own code when it sent one, else the HTTP status,
// else "transport" (no answer at all: refused connection, timeout).
func errorCode(ex thingspace.Exchange) string {
	var ae *thingspace.APIError
	if errors.As(ex.Err, &ae) && ae.Code != "" {
		return ae.Code
	}
	if ex.StatusCode != 0 {
		return strconv.Itoa(ex.StatusCode)
	}
	if ae != nil && ae.HTTPStatus != 0 {
		return strconv.Itoa(ae.HTTPStatus)
	}
	return "transport"
}

// queueCollector reads the Job table when Prometheus scrapes, so the numbers are those of the
// database — shared by every worker process — not of this process alone.
type queueCollector struct {
	queue  QueueStats
	now    func() time.Time
	log    *slog.Logger
	depth  *prometheus.Desc
	run    *prometheus.Desc
	age    *prometheus.Desc
	errors prometheus.Counter
}

func newQueueCollector(q QueueStats, now func() time.Time, log *slog.Logger) *queueCollector {
	return &queueCollector{queue: q, now: now, log: log,
		depth: prometheus.NewDesc("idswap_queue_depth", "Jobs waiting for a worker (due now or scheduled for a retry).", nil, nil),
		run:   prometheus.NewDesc("idswap_queue_running", "Jobs claimed by a worker.", nil, nil),
		age: prometheus.NewDesc("idswap_queue_oldest_job_age_seconds",
			"How long the queued job that has been due the longest has waited; 0 when none is due.", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "idswap_queue_stats_errors_total",
			Help: "Scrapes that could not read the job queue from the database."}),
	}
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.run
	ch <- c.age
	c.errors.Describe(ch)
}

// Collect implements prometheus.Collector. A database that does not answer leaves the queue
// gauges out of this scrape (and counts it) rather than failing the whole scrape.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.now()
	s, err := c.queue.JobStats(ctx, now)
	if err != nil {
		c.errors.Inc()
		c.log.Warn("metrics: read the job queue", "err", err)
	} else {
		age := 0.0
		if s.OldestDue != nil {
			age = max(0, now.Sub(*s.OldestDue).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Queued))
		ch <- prometheus.MustNewConstMetric(c.run, prometheus.GaugeValue, float64(s.Running))
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
	}
	c.errors.Collect(ch)
}
