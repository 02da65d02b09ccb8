package process

import (
	"context"

	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// Start is the jobs.KindStartBulkChange handler: at a scheduled request's start time it
// releases the request's rows to be sent (store.StartBulkChange writes the audit event and
// queues the bulk_change.scheduled_started webhook in the same transaction). A request paused,
// cancelled or started in the meantime is left as it is.
func (e *Engine) Start(ctx context.Context, _ store.Job, p jobs.StartBulkChange) error {
	started, err := e.store.StartBulkChange(ctx, p.BulkChangeID, e.cfg.By)
	if err != nil {
		return err
	}
	if started {
		e.log.Info("scheduled bulk change started", "bulk_change", p.BulkChangeID)
	}
	return nil
}
