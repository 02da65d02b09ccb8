package process

import (
	"context"
	"fmt"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// lineState is what the carrier shows about a row's line.
type lineState int

const (
	lineUnknown   lineState = iota // not found, or it has identifiers that are neither old nor new
	lineChanged                    // it has the row's new identifiers
	lineUnchanged                  // it still has the row's old identifiers
)

func (s lineState) String() string {
	switch s {
	case lineChanged:
		return "the line has the new identifiers"
	case lineUnchanged:
		return "the line still has the old identifiers"
	}
	return "the carrier does not show the line with either the old or the new identifiers"
}

// WaitingForCarrier starts the StatusDetails of a row the carrier has not confirmed yet.
const WaitingForCarrier = "Waiting for the carrier to confirm"

// Check is the jobs.KindCheckChange handler: a sent row's callback has not come, so the carrier is
// asked about the line. The new identifiers finish the row PROCESSED. A send that got no answer
// and whose line still shows the old identifiers after Checks checks is sent again — the
// carrier has shown, check after check, that the change did not happen — up to MaxResends
// times. Otherwise the row stays PROCESSING, "waiting for the carrier", and is asked about again
// on a backoff schedule (CheckInterval doubling, at most MaxCheckInterval) until ConfirmHorizon
// after its send; only then is it API_FAILED "carrier did not confirm", and even then a later
// callback corrects it (see HandleCallback).
func (e *Engine) Check(ctx context.Context, j store.Job, p jobs.CheckChange) error {
	w, err := e.store.ChangeWork(ctx, p.ChangeID)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if w.Status != change.StatusProcessing || w.SubmittedDate == nil || !w.SubmittedDate.Equal(p.SubmittedAt) {
		return nil // finished, or sent again since: this check's attempt is over
	}

	state, logs, err := e.lookup(ctx, w)
	if err != nil {
		if !j.Last() {
			if len(logs) > 0 {
				if lerr := e.store.AddLogs(ctx, withRow(logs, w)...); lerr != nil {
					return lerr
				}
			}
			return later(err)
		}
		// Out of attempts to ask: count this check as one that learned nothing.
		logs = append(logs, store.LogEntry{Description: store.LogCarrierCheck, HasErrors: true, ErrorText: err.Error(),
			ResponseStatus: store.LogStatusProcessing, ErrorCode: errorCode(err, nil)})
	}
	if err := e.hook(ctx, HookFinish, w.ID); err != nil {
		return err
	}
	rec, cancel := detached(ctx)
	defer cancel()
	since := time.Since(p.SubmittedAt)
	what := fmt.Sprintf("Check %d, %s after the send: %s", p.Check, since.Round(time.Millisecond), state)
	horizon := p.SubmittedAt.Add(e.cfg.ConfirmHorizon)

	switch {
	case state == lineChanged:
		logs = append(logs, store.LogEntry{Description: store.LogCarrierCheck, ResponseText: what})
		return e.finish(rec, store.FinishedChange{ChangeID: w.ID, From: change.StatusProcessing, SubmittedAt: &p.SubmittedAt,
			To: change.StatusProcessed, Details: "ICCID/IMEI change completed successfully (confirmed by the carrier's device list)", Logs: logs})

	case w.RequestID == "" && w.SentDate == nil && since < e.sendGrace():
		// Claimed, its change has not left, and its sender may still be on the way (token,
		// login, the rate limiter): taking the row from it now could go on for ever on a slow
		// day. Look again once the sender has surely given up or died.
		return e.lookAgainAt(rec, p, p.SubmittedAt.Add(e.sendGrace()), what+"; the change has not left yet", logs)

	case w.RequestID == "" && w.SentDate == nil:
		// Claimed, but its change never left and its sender has had every chance (it died
		// before it): send it now. Not a resend.
		logs = append(logs, store.LogEntry{Description: store.LogResend, ResponseText: what +
			"; the change never left (the process stopped first), so it is sent now"})
		_, err := e.store.ReturnChange(rec, store.ReturnedChange{ChangeID: w.ID, SubmittedAt: p.SubmittedAt,
			Details: "Sending: the process stopped before the change left", Resend: p.Resend, Send: true, NotSent: true, Logs: logs, By: e.cfg.By})
		return err

	case w.RequestID == "" && state == lineUnchanged && p.Check >= e.cfg.Checks && p.Resend < e.cfg.MaxResends:
		if w.SentDate != nil && time.Since(*w.SentDate) < e.answerGrace() {
			// The change left, and its answer may still be on its way back or being written
			// down: the line is unchanged because a carrier applies a change after it accepts
			// it, not because the change was not made. Sending it again now would send it
			// twice (seen on a loaded machine, where the quick checks ran before the answer was
			// recorded). Look again once the sender has surely had its answer or given up.
			return e.lookAgainAt(rec, p, w.SentDate.Add(e.answerGrace()), what+"; the change's answer may still be on its way", logs)
		}
		logs = append(logs, store.LogEntry{Description: store.LogResend, ResponseText: what +
			"; the unanswered send did not make the change, so it is sent again"})
		_, err := e.store.ReturnChange(rec, store.ReturnedChange{ChangeID: w.ID, SubmittedAt: p.SubmittedAt,
			Details: "Sending again: the carrier shows the change was not made", Resend: p.Resend + 1, Logs: logs, By: e.cfg.By})
		return err

	case time.Now().Before(horizon):
		next := p
		next.Check++
		at := time.Now().Add(e.checkDelay(p.Check))
		if at.After(horizon) {
			at = horizon
		}
		logs = append(logs, store.LogEntry{Description: store.LogWaiting, ResponseStatus: store.LogStatusProcessing,
			ResponseText: what + "; asking again at " + at.UTC().Format(time.RFC3339)})
		details := fmt.Sprintf("%s (asked %d times; next at %s; gives up at %s)", WaitingForCarrier, p.Check,
			at.UTC().Format(time.RFC3339), horizon.UTC().Format(time.RFC3339))
		return e.store.ScheduleCheck(rec, next, at, e.cfg.By, details, logs...)

	default:
		msg := fmt.Sprintf("Carrier did not confirm the change within %s: %s", e.cfg.ConfirmHorizon, state)
		logs = append(logs, store.LogEntry{Description: store.LogNotConfirmed, HasErrors: true, ErrorCode: CodeNotConfirmed,
			ErrorText: msg, ResponseText: what})
		return e.finish(rec, store.FinishedChange{ChangeID: w.ID, From: change.StatusProcessing, SubmittedAt: &p.SubmittedAt,
			To: change.StatusAPIFailed, Details: msg, Logs: logs})
	}
}

// sendGrace is how long after its claim a row's sender may still be about to send it: its token,
// login and change calls, each bounded by CallTimeout, and a wait for the rate limiter.
func (e *Engine) sendGrace() time.Duration { return 4 * e.cfg.CallTimeout }

// lookAgainAt schedules the row's next check at at, while its sender may still be at work, with a
// note of why; the row's status details stay as they are.
func (e *Engine) lookAgainAt(ctx context.Context, p jobs.CheckChange, at time.Time, why string, logs []store.LogEntry) error {
	next := p
	next.Check++
	logs = append(logs, store.LogEntry{Description: store.LogWaiting, ResponseStatus: store.LogStatusProcessing,
		ResponseText: why + "; asking again at " + at.UTC().Format(time.RFC3339)})
	return e.store.ScheduleCheck(ctx, next, at, e.cfg.By, "", logs...)
}

// answerGrace is how long after a change request left (SentDate) its answer may still come back
// and be written down: the call is bounded by CallTimeout, and recording what came back takes a
// moment more. Only after it is an unrecorded answer a lost one.
func (e *Engine) answerGrace() time.Duration { return 2 * e.cfg.CallTimeout }

// checkDelay is the wait after the n-th check (n from 1): CheckInterval, doubling, at most
// MaxCheckInterval.
func (e *Engine) checkDelay(n int) time.Duration {
	d := e.cfg.CheckInterval
	for i := 1; i < n && d < e.cfg.MaxCheckInterval; i++ {
		d *= 2
	}
	return min(d, e.cfg.MaxCheckInterval)
}

// lookup asks the carrier about a row's line: by its MDN, which no identifier change alters,
// then by the new identifier, then by the old ICCID. It returns the log entries of the
// exchanges it made; an error is a carrier failure worth asking again.
func (e *Engine) lookup(ctx context.Context, w *store.ChangeWork) (lineState, []store.LogEntry, error) {
	creds, err := e.store.ThingSpaceCredentials(ctx, w.ServiceProviderID)
	if err != nil {
		return lineUnknown, nil, fmt.Errorf("cannot ask the carrier: %w", err)
	}
	client, err := e.client(creds)
	if err != nil {
		return lineUnknown, nil, fmt.Errorf("cannot ask the carrier: %w", err)
	}
	var ids []thingspace.DeviceID
	if w.MSISDN != "" {
		ids = append(ids, thingspace.DeviceID{ID: w.MSISDN, Kind: thingspace.KindMDN})
	}
	if w.NewICCID != "" {
		ids = append(ids, thingspace.DeviceID{ID: w.NewICCID, Kind: thingspace.KindICCID})
	} else if w.NewIMEI != "" {
		ids = append(ids, thingspace.DeviceID{ID: w.NewIMEI, Kind: thingspace.KindIMEI})
	}
	if w.ICCID != "" {
		ids = append(ids, thingspace.DeviceID{ID: w.ICCID, Kind: thingspace.KindICCID})
	}
	var xs exchanges
	callCtx := thingspace.WithObserver(ctx, xs.add)
	for _, id := range ids {
		dev, err := client.FindDevice(callCtx, id)
		if thingspace.ClassOf(err) == thingspace.ClassNotFound {
			continue
		}
		if err != nil {
			return lineUnknown, xs.logs(), err
		}
		return stateOf(w, dev), xs.logs(), nil
	}
	return lineUnknown, xs.logs(), nil
}

// stateOf compares the carrier's device with the row.
func stateOf(w *store.ChangeWork, d *thingspace.Device) lineState {
	iccid, _ := d.ID(thingspace.KindICCID)
	imei, _ := d.ID(thingspace.KindIMEI)
	if mdn, ok := d.ID(thingspace.KindMDN); ok && w.MSISDN != "" && mdn != w.MSISDN {
		return lineUnknown // the identifier is on another line now
	}
	isNew := (w.NewICCID == "" || iccid == w.NewICCID) && (w.NewIMEI == "" || imei == w.NewIMEI)
	isOld := (w.NewICCID == "" || iccid == w.ICCID) && (w.NewIMEI == "" || imei == w.IMEI)
	switch {
	case isNew:
		return lineChanged
	case isOld:
		return lineUnchanged
	}
	return lineUnknown
}
