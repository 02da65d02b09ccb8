package process

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// ErrCallbackRejected is HandleCallback's answer to a callback whose echoed username and
// password are not the listener's: it was stored as rejected and changed nothing. Its code is
// apperr.Unauthorized, so the receiver (which does not import this package) answers 401.
var ErrCallbackRejected error = apperr.E(apperr.Unauthorized, "the callback's credentials do not match the listener's")

// HandleCallback takes one CarrierService callback for a provider. It checks the username and
// password the carrier echoes against the listener's (constant time), stores the body (the
// password blanked) before anything is decided from it, and then finds the row: the one that
// owns the callback's requestId, or — only when no row owns it — the row of the line whose send
// got no answer (see store.ChangeForCallback). An open row is finished. A finished row that the
// callback agrees with is left alone (a duplicate or a replay); one it contradicts is corrected
// or flagged for an admin (lateCallback). Callbacks for unknown requests are stored and
// otherwise ignored. ErrCallbackRejected means the credentials did not match; any other error
// means the callback could not be stored or acted on, and the carrier should send it again.
func (e *Engine) HandleCallback(ctx context.Context, providerID int64, body []byte) error {
	listener, err := e.store.CallbackListener(ctx, providerID)
	if err != nil {
		return err
	}
	cb, perr := thingspace.ParseCallback(body)
	rec := store.CallbackRecord{ServiceProviderID: providerID, Body: string(body)}
	if perr == nil {
		rec.RequestID, rec.Status, rec.Count = cb.RequestID, cb.Status, cb.CallbackCount
		rec.ICCID, _ = thingspace.FindID(cb.DeviceIDs, thingspace.KindICCID)
		rec.Body = string(redactPassword(body, cb.Password))
		if !sameSecret(cb.Username, listener.Username) || !sameSecret(cb.Password, listener.Password) {
			rec.Rejected = "the username and password echoed by the callback are not the listener's"
		}
	}
	logID, err := e.store.LogCallback(ctx, rec)
	if err != nil {
		return err
	}
	if perr != nil {
		e.log.Warn("callback stored but not understood", "provider", providerID, "callback_log", logID, "err", perr)
		return nil
	}
	if rec.Rejected != "" {
		e.log.Warn("callback rejected: wrong credentials", "provider", providerID, "request_id", cb.RequestID, "callback_log", logID)
		e.note(EventCallbackRejected)
		return ErrCallbackRejected
	}
	iccid, _ := thingspace.FindID(cb.DeviceIDs, thingspace.KindICCID)
	imei, _ := thingspace.FindID(cb.DeviceIDs, thingspace.KindIMEI)
	row, byLine, err := e.store.ChangeForCallback(ctx, providerID, logID, cb.RequestID, iccid, imei)
	if apperr.Is(err, apperr.NotFound) {
		e.log.Info("callback for no open change", "provider", providerID, "request_id", cb.RequestID, "callback_log", logID)
		return nil
	}
	if err != nil {
		return err
	}
	if row.Status != change.StatusProcessing {
		return e.lateCallback(ctx, providerID, row, cb, logID, body)
	}
	if err := e.hook(ctx, HookFinish, row.ID); err != nil {
		return err
	}
	entry := store.LogEntry{Description: store.LogCallback, RequestText: "CarrierService callback " + cb.RequestID,
		ResponseText: string(redactPassword(body, cb.Password))}
	if byLine {
		entry.RequestText += " (matched by the line: the send had no answer)"
	}
	waiting := func(why string) error {
		entry.HasErrors, entry.ErrorText = true, why
		entry.BulkChangeID, entry.ChangeID, entry.ResponseStatus = row.BulkChangeID, row.ID, store.LogStatusProcessing
		if err := e.store.LinkCallback(ctx, logID, row.BulkChangeID, row.ID); err != nil {
			return err
		}
		return e.store.AddLogs(ctx, entry)
	}
	outcome, why := cb.Outcome()
	if outcome == thingspace.OutcomeUnclear {
		// No status, or a status the body contradicts: the carrier's callback has no
		// published model, so a guess could fail a change the carrier made. The row stays
		// PROCESSING and the check already scheduled by its send asks the carrier about the line.
		return waiting(why + "; the carrier will be asked about the line")
	}
	if outcome == thingspace.OutcomeSucceeded {
		if got := cb.NewDeviceIDs(); len(got) > 0 && !namesNew(got, row) {
			// Success, but not with the identifiers we asked for: let a check look at the line.
			return waiting("the callback reports other new identifiers than the row's; the carrier will be asked")
		}
		var logs []store.LogEntry
		if listener.ConfirmSuccesses {
			var notYet string
			if logs, notYet, err = e.confirmSuccess(ctx, row); err != nil {
				return err
			}
			if notYet != "" {
				return waiting(notYet)
			}
		}
		return e.finish(ctx, store.FinishedChange{ChangeID: row.ID, From: change.StatusProcessing, To: change.StatusProcessed,
			RequestID: cb.RequestID, CallbackLogID: logID, Details: "ICCID/IMEI change completed successfully",
			Logs: append(logs, entry)})
	}
	code, msg := callbackFault(cb)
	entry.HasErrors, entry.ErrorCode, entry.ErrorText = true, code, msg
	entry.Description = store.LogChangeFailed
	return e.finish(ctx, store.FinishedChange{ChangeID: row.ID, From: change.StatusProcessing, To: change.StatusAPIFailed,
		RequestID: cb.RequestID, CallbackLogID: logID, Details: msg, Logs: []store.LogEntry{entry}})
}

// confirmSuccess asks the carrier about the line of a row a Success callback would finish, for a
// provider that confirms successes. It returns the lookup's logs and, when the line does not show
// the change (or the carrier could not be asked), why the row stays waiting; those logs are then
// stored already.
func (e *Engine) confirmSuccess(ctx context.Context, row *store.DeviceChange) (logs []store.LogEntry, notYet string, err error) {
	state, logs, lerr := e.lookupRow(ctx, row.ID)
	if lerr == nil && state == lineChanged {
		return logs, "", nil
	}
	msg := "the provider confirms successes with the carrier, and "
	if lerr != nil {
		msg += "the carrier could not be asked: " + lerr.Error()
	} else {
		msg += state.String()
	}
	if err := e.store.AddLogs(ctx, withChange(logs, row)...); err != nil {
		return nil, "", err
	}
	return logs, msg + "; the scheduled check asks again", nil
}

// lateCallback handles a callback for a row that has already finished. The carrier's later word
// wins: a Success for a row that was given up (API_FAILED: not confirmed in time, say) corrects
// it to PROCESSED — inventory, history, the request's counts and status, a correction e-mail —
// in one transaction. A Failed for a row that is PROCESSED is a contradiction a callback alone
// cannot settle (the inventory would have to be undone on its word): the row goes on the admins'
// "needs attention" list. A callback that agrees with the row is a duplicate or a replay and
// changes nothing.
func (e *Engine) lateCallback(ctx context.Context, providerID int64, row *store.DeviceChange, cb *thingspace.Callback, logID int64, body []byte) error {
	outcome, _ := cb.Outcome()
	agrees := outcome == thingspace.OutcomeUnclear ||
		(outcome == thingspace.OutcomeSucceeded && row.Status == change.StatusProcessed) ||
		(outcome == thingspace.OutcomeFailed && row.Status.Failed()) ||
		row.Status == change.StatusCancelled // never sent: nothing of the carrier's can be about it
	if agrees {
		return e.store.LinkCallback(ctx, logID, row.BulkChangeID, row.ID)
	}
	entry := store.LogEntry{Description: store.LogCallback, RequestText: "CarrierService callback " + cb.RequestID + " (after the row finished)",
		ResponseText: string(redactPassword(body, cb.Password))}
	if outcome == thingspace.OutcomeSucceeded && change.CheckCorrection(row.Status, change.StatusProcessed) == nil {
		if got := cb.NewDeviceIDs(); len(got) > 0 && !namesNew(got, row) {
			return e.flag(ctx, row, logID, "a late Success callback names other new identifiers than the row's", entry)
		}
		listener, err := e.store.CallbackListener(ctx, providerID)
		if err != nil {
			return err
		}
		logs := []store.LogEntry{entry}
		if listener.ConfirmSuccesses {
			state, lk, err := e.lookupRow(ctx, row.ID)
			if err != nil {
				return err // the carrier sends the callback again
			}
			logs = append(logs, lk...)
			if state != lineChanged {
				return e.flag(ctx, row, logID, "a late Success callback, but "+state.String(), logs...)
			}
		}
		return e.correct(ctx, store.CorrectedChange{ChangeID: row.ID, From: row.Status, To: change.StatusProcessed,
			RequestID: cb.RequestID, CallbackLogID: logID, Logs: logs,
			Details: "ICCID/IMEI change completed successfully (the carrier's callback came after the row was closed " +
				string(row.Status) + ": corrected)"})
	}
	code, msg := callbackFault(cb)
	reason := fmt.Sprintf("the carrier's callback says the change failed (%s), but the row is %s", strings.TrimSpace(code+" "+msg), row.Status)
	if outcome == thingspace.OutcomeSucceeded {
		reason = fmt.Sprintf("the carrier's callback says the change succeeded, but the row is %s", row.Status)
	}
	return e.flag(ctx, row, logID, reason, entry)
}

// correct applies a correction and reports it.
func (e *Engine) correct(ctx context.Context, c store.CorrectedChange) error {
	c.By = e.cfg.By
	res, err := e.store.CorrectChange(ctx, c)
	if err != nil {
		return err
	}
	if !res.Done {
		return nil
	}
	e.log.Warn("row corrected by the carrier's later word", "bulk_change", res.Row.BulkChangeID, "change", c.ChangeID,
		"from", c.From, "to", c.To, "closed_at", res.Row.ProcessedDate, "batch", res.Batch, "correction_email", res.OutboxID)
	e.note(EventCorrected)
	return nil
}

// flag puts a row on the "needs attention" list.
func (e *Engine) flag(ctx context.Context, row *store.DeviceChange, logID int64, reason string, logs ...store.LogEntry) error {
	if err := e.store.FlagChange(ctx, row.ID, reason, logID, e.cfg.By, logs...); err != nil {
		return err
	}
	e.log.Warn("row needs attention", "bulk_change", row.BulkChangeID, "change", row.ID, "reason", reason)
	e.note(EventNeedsAttention)
	return nil
}

// callbackFault is a failed callback's code and message.
func callbackFault(cb *thingspace.Callback) (code, msg string) {
	msg = cb.Status
	if cb.FaultResponse != nil {
		code, msg = cb.FaultResponse.FaultCode, cb.FaultResponse.FaultString
	}
	if msg == "" {
		msg = "the carrier reported a failure without a reason"
	}
	return code, msg
}

// sameSecret compares two secrets in constant time (hashed first, so that not even their
// lengths leak).
func sameSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// redactPassword blanks the echoed listener password in a callback body before it is stored or
// logged; the rest is kept byte for byte.
func redactPassword(body []byte, password string) []byte {
	if password == "" {
		return body
	}
	enc, err := json.Marshal(password)
	if err != nil {
		return body
	}
	return []byte(strings.ReplaceAll(string(body), string(enc), `"[REDACTED]"`))
}

// namesNew reports whether a successful callback's new identifiers are the row's.
func namesNew(ids []thingspace.DeviceID, row *store.DeviceChange) bool {
	if v, ok := thingspace.FindID(ids, thingspace.KindICCID); ok && row.NewICCID != "" && v != row.NewICCID {
		return false
	}
	if v, ok := thingspace.FindID(ids, thingspace.KindIMEI); ok && row.NewIMEI != "" && v != row.NewIMEI {
		return false
	}
	return true
}

// withChange attaches log entries to a row.
func withChange(logs []store.LogEntry, row *store.DeviceChange) []store.LogEntry {
	for i := range logs {
		logs[i].BulkChangeID, logs[i].ChangeID = row.BulkChangeID, row.ID
	}
	return logs
}
