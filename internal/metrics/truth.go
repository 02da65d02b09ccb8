package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idswap/idswap/internal/store"
)

// TruthStats reads the numbers of "every change ends as the carrier says"; *store.DB is one.
type TruthStats interface {
	TruthCounts(ctx context.Context) (store.TruthCounts, error)
}

// Event counts one engine event (process.Event: corrected, callback_rejected, needs_attention).
// The engine calls it through its OnEvent hook.
func (m *Metrics) Event(name string) {
	m.events.WithLabelValues(name).Inc()
}

// truthCollector reads, at scrape time, what the database says about rows corrected late,
// callbacks rejected, contradictions open, rows waiting for the carrier, changed rows not yet
// seen online and outside changes the syncs found: the whole installation's numbers, not this
// process's (a sync runs in whichever process took its job).
type truthCollector struct {
	stats                                   TruthStats
	log                                     *slog.Logger
	corrected, rejected, attention, waiting *prometheus.Desc
	notOnline, outside                      *prometheus.Desc
}

func newTruthCollector(s TruthStats, log *slog.Logger) *truthCollector {
	return &truthCollector{stats: s, log: log,
		corrected: prometheus.NewDesc("idswap_rows_corrected", "Rows whose final status the carrier's later word corrected.", nil, nil),
		rejected:  prometheus.NewDesc("idswap_callbacks_rejected", "Callbacks stored as rejected: their echoed credentials were not the listener's.", nil, nil),
		attention: prometheus.NewDesc("idswap_rows_needing_attention", "Rows the carrier contradicted in a way only an admin can settle.", nil, nil),
		waiting:   prometheus.NewDesc("idswap_rows_waiting_for_carrier", "Rows sent and not yet confirmed by the carrier.", nil, nil),
		notOnline: prometheus.NewDesc("idswap_rows_not_seen_online",
			"Rows changed within the online horizon (store.OnlineHorizon) whose device has not yet connected with its new identifiers.", nil, nil),
		outside: prometheus.NewDesc("idswap_outside_changes_found_total",
			"Identifier changes the inventory sync found at the carrier that idswap did not make (\"changed at the carrier, found by sync\"), over every sync run.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *truthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.corrected
	ch <- c.rejected
	ch <- c.attention
	ch <- c.waiting
	ch <- c.notOnline
	ch <- c.outside
}

// Collect implements prometheus.Collector; a database that does not answer leaves these
// gauges out of the scrape.
func (c *truthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.stats.TruthCounts(ctx)
	if err != nil {
		c.log.Warn("metrics: read the carrier-truth counts", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.corrected, prometheus.GaugeValue, float64(s.Corrected))
	ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.GaugeValue, float64(s.CallbacksRefused))
	ch <- prometheus.MustNewConstMetric(c.attention, prometheus.GaugeValue, float64(s.Attention))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(c.notOnline, prometheus.GaugeValue, float64(s.NotOnline))
	ch <- prometheus.MustNewConstMetric(c.outside, prometheus.CounterValue, float64(s.OutsideChanges))
}
