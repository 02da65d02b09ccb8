package process

import (
	"context"
	"time"

	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// WatchOnline is the jobs.KindWatchOnline handler: after a request finished, it asks the carrier
// about each changed line whose device has not been seen online since the change, and records
// OnlineSince when the device list's lastConnectionDate is after the row's end and the line has
// the new identifiers. Lines left are looked at again later (OnlineInterval, doubling, at most
// maxWatchInterval), until OnlineHorizon after the request ended; then they stay "not seen online yet". Every
// lookup waits on the provider's rate limiter like any other carrier call.
func (e *Engine) WatchOnline(ctx context.Context, j store.Job, p jobs.WatchOnline) error {
	rows, err := e.store.RowsNotSeenOnline(ctx, p.BulkChangeID)
	if err != nil || len(rows) == 0 {
		return err
	}
	var ended time.Time
	for _, r := range rows {
		if r.ProcessedDate != nil && r.ProcessedDate.After(ended) {
			ended = *r.ProcessedDate
		}
	}
	left := 0
	for i := range rows {
		r := &rows[i]
		w, err := e.store.ChangeWork(ctx, r.ID)
		if err != nil {
			return err
		}
		var xs exchanges
		state, since, err := e.lastConnection(thingspace.WithObserver(ctx, xs.add), w)
		if lerr := e.store.AddLogs(ctx, withRow(xs.logs(), w)...); lerr != nil {
			return lerr
		}
		if err != nil {
			return later(err) // the carrier is busy: the whole round again, with backoff
		}
		if state == lineChanged && since != nil && r.ProcessedDate != nil && !since.Before(r.ProcessedDate.Add(-time.Second)) {
			if err := e.store.MarkOnline(ctx, r.ID, *since); err != nil {
				return err
			}
			continue
		}
		left++
	}
	if left == 0 || time.Since(ended) >= e.cfg.OnlineHorizon {
		return nil
	}
	d := e.cfg.OnlineInterval
	for i := 1; i < p.Round && d < maxWatchInterval; i++ {
		d *= 2
	}
	next := p
	next.Round++
	return e.store.Enqueue(ctx, store.NewJob{Kind: jobs.KindWatchOnline, Payload: next, RunAt: time.Now().Add(min(d, maxWatchInterval))})
}

// maxWatchInterval bounds the wait between two looks at a request's devices: about 16 looks in
// 72 hours, each one lookup a line not yet seen, each in the row's log.
const maxWatchInterval = 6 * time.Hour

// lastConnection asks the carrier about a changed row's line: whether it has the new
// identifiers, and when its device last connected.
func (e *Engine) lastConnection(ctx context.Context, w *store.ChangeWork) (lineState, *time.Time, error) {
	creds, err := e.store.ThingSpaceCredentials(ctx, w.ServiceProviderID)
	if err != nil {
		return lineUnknown, nil, err
	}
	client, err := e.client(creds)
	if err != nil {
		return lineUnknown, nil, err
	}
	id := thingspace.DeviceID{ID: w.MSISDN, Kind: thingspace.KindMDN}
	if w.MSISDN == "" {
		id = thingspace.DeviceID{ID: w.NewICCID, Kind: thingspace.KindICCID}
		if w.NewICCID == "" {
			id = thingspace.DeviceID{ID: w.NewIMEI, Kind: thingspace.KindIMEI}
		}
	}
	dev, err := client.FindDevice(ctx, id)
	if thingspace.ClassOf(err) == thingspace.ClassNotFound {
		return lineUnknown, nil, nil
	}
	if err != nil {
		return lineUnknown, nil, err
	}
	state := stateOf(w, dev)
	if dev.LastConnectionDate == "" {
		return state, nil, nil
	}
	at, err := time.Parse(time.RFC3339, dev.LastConnectionDate)
	if err != nil {
		return state, nil, nil // a date we cannot read says nothing
	}
	return state, &at, nil
}
