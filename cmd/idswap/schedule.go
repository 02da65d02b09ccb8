package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/idswap/idswap/internal/inventory"
)

// startSyncSchedule queues a sync of every provider every period (IDSWAP_SYNC_EVERY), the first
// one period after start: a restart does not sync at once, and a provider whose last sync is
// still queued or running gets no second one. Several serve processes sharing a database each
// tick; the queue check keeps them from piling up syncs. stop ends the loop.
func startSyncSchedule(inv *inventory.Service, every time.Duration, log *slog.Logger) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n, err := inv.QueueAll(ctx, "schedule")
				if err != nil {
					log.Error("scheduled inventory sync", "err", err)
					continue
				}
				log.Info("scheduled inventory sync", "queued", n)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
