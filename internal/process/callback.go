package process

import (
	"context"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// HandleCallback takes one CarrierService callback for a provider: it stores the body raw
// first, then finds the row — by requestId, or, when the callback overtook the answer to the
// request or that answer was lost, by the line's identifiers — and finishes it. Duplicates,
// late callbacks and callbacks for unknown requests are stored and otherwise ignored. An error
// means the callback could not be stored; the carrier should send it again.
func (e *Engine) HandleCallback(ctx context.Context, providerID int64, body []byte) error {
	cb, perr := thingspace.ParseCallback(body)
	rec := store.CallbackRecord{ServiceProviderID: providerID, Body: string(body)}
	if perr == nil {
		rec.RequestID, rec.Status, rec.Count = cb.RequestID, cb.Status, cb.CallbackCount
		rec.ICCID, _ = thingspace.FindID(cb.DeviceIDs, thingspace.KindICCID)
	}
	logID, err := e.store.LogCallback(ctx, rec)
	if err != nil {
		return err
	}
	if perr != nil {
		e.log.Warn("callback stored but not understood", "provider", providerID, "callback_log", logID, "err", perr)
		return nil
	}
	iccid, _ := thingspace.FindID(cb.DeviceIDs, thingspace.KindICCID)
	imei, _ := thingspace.FindID(cb.DeviceIDs, thingspace.KindIMEI)
	row, err := e.store.ChangeForCallback(ctx, providerID, cb.RequestID, iccid, imei)
	if apperr.Is(err, apperr.NotFound) {
		e.log.Info("callback for no open change", "provider", providerID, "request_id", cb.RequestID, "callback_log", logID)
		return nil
	}
	if err != nil {
		return err
	}
	if row.Status != change.StatusProcessing {
		return e.store.LinkCallback(ctx, logID, row.BulkChangeID, row.ID) // a duplicate, or too late
	}
	if err := e.hook(ctx, HookFinish, row.ID); err != nil {
		return err
	}
	entry := store.LogEntry{Description: store.LogCallback, RequestText: "CarrierService callback " + cb.RequestID, ResponseText: string(body)}
	outcome, why := cb.Outcome()
	if outcome == thingspace.OutcomeUnclear {
		// No status, or a status the body contradicts: the carrier's callback has no
		// published model, so a guess could fail a change the carrier made. The row stays
		// PROCESSING and the check already scheduled by its send asks the carrier about the line.
		entry.HasErrors, entry.ErrorText = true, why+"; the carrier will be asked about the line"
		entry.BulkChangeID, entry.ChangeID, entry.ResponseStatus = row.BulkChangeID, row.ID, store.LogStatusProcessing
		if err := e.store.LinkCallback(ctx, logID, row.BulkChangeID, row.ID); err != nil {
			return err
		}
		return e.store.AddLogs(ctx, entry)
	}
	if outcome == thingspace.OutcomeSucceeded {
		if got := cb.NewDeviceIDs(); len(got) > 0 && !namesNew(got, row) {
			// Success, but not with the identifiers we asked for: let a check look at the line.
			entry.HasErrors, entry.ErrorText = true, "the callback reports other new identifiers than the row's; the carrier will be asked"
			entry.BulkChangeID, entry.ChangeID, entry.ResponseStatus = row.BulkChangeID, row.ID, store.LogStatusProcessing
			return e.store.AddLogs(ctx, entry)
		}
		return e.finish(ctx, store.FinishedChange{ChangeID: row.ID, From: change.StatusProcessing, To: change.StatusProcessed,
			RequestID: cb.RequestID, CallbackLogID: logID, Details: "ICCID/IMEI change completed successfully",
			Logs: []store.LogEntry{entry}})
	}
	code, msg := "", cb.Status
	if cb.FaultResponse != nil {
		code, msg = cb.FaultResponse.FaultCode, cb.FaultResponse.FaultString
	}
	if msg == "" {
		msg = "the carrier reported a failure without a reason"
	}
	entry.HasErrors, entry.ErrorCode, entry.ErrorText = true, code, msg
	entry.Description = store.LogChangeFailed
	return e.finish(ctx, store.FinishedChange{ChangeID: row.ID, From: change.StatusProcessing, To: change.StatusAPIFailed,
		RequestID: cb.RequestID, CallbackLogID: logID, Details: msg, Logs: []store.LogEntry{entry}})
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
