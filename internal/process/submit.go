package process

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// Codes written to M2MDeviceBulkChangeLog.ErrorCode for failures that are idswap's, not the
// carrier's (the carrier's own codes are written as it sends them).
const (
	CodeCredentialsMissing = "CREDENTIALS_NOT_FOUND"
	CodeCredentialsInvalid = "CREDENTIALS_INVALID"
	CodeWritesDisabled     = "WRITES_DISABLED"
	CodeAuthFailed         = "AUTH_FAILED"
	CodeNotConfirmed       = "NOT_CONFIRMED"
	CodeGaveUp             = "CARRIER_UNAVAILABLE"
	CodeInvalidRow         = "INVALID_ROW"
	CodeNoResponse         = "NO_RESPONSE"
)

// Submit is the jobs.KindSubmitChange handler: it sends one row to the carrier.
//
// The order matters. The row is claimed first — PROCESSING, SubmittedDate set, its first
// carrier check scheduled — so that only one job can go on with it. Then the credentials and
// both write gates are checked: a request that cannot run fails as a whole (ERROR, retryable
// by an admin) and this row with it, unsent. Only then does the request leave. What the
// carrier answered decides the rest:
//   - accepted: the requestId is recorded; the callback (or the check) finishes the row;
//   - refused before acting (429, an expired session, a request never sent): the row goes back
//     to NEW and the job is retried with backoff, honouring Retry-After;
//   - the token or login refused: the request fails as a whole;
//   - refused as invalid (400): the row is API_FAILED with the carrier's code;
//   - no answer, or a 5xx (the carrier may have acted): nothing is sent again; the scheduled
//     check asks the carrier about the line before anything else happens.
func (e *Engine) Submit(ctx context.Context, j store.Job, p jobs.SubmitChange) error {
	w, err := e.store.ChangeWork(ctx, p.ChangeID)
	if apperr.Is(err, apperr.NotFound) {
		e.log.Warn("submit: the row is gone", "change", p.ChangeID)
		return nil
	}
	if err != nil {
		return err
	}
	if w.Status == change.StatusProcessing && w.RequestID == "" && w.SubmittedDate != nil {
		// Claimed by an earlier run of this job that died (or by another job): if its change
		// request never left, settle the row now instead of after the whole check schedule.
		if w, err = e.recoverClaim(ctx, w); err != nil || w == nil {
			return err
		}
	}
	if w.Status != change.StatusNew {
		// PROCESSING: its claim scheduled the check that settles it. Final or cancelled:
		// nothing to do.
		return nil
	}
	req, err := changeRequest(w)
	if err != nil {
		return e.finish(ctx, store.FinishedChange{ChangeID: w.ID, From: change.StatusNew, To: change.StatusError,
			Details: err.Error(), Logs: []store.LogEntry{{Description: store.LogInvalidRow, HasErrors: true,
				ErrorText: err.Error(), ErrorCode: CodeInvalidRow, RequestText: w.ChangeRequest}}})
	}
	submittedAt, ok, err := e.store.ClaimChange(ctx, w.ID, e.cfg.By, e.cfg.CallbackWait, p.Resend)
	if err != nil || !ok {
		return err // not ok: cancelled, or another job has it
	}
	// What follows is read after the claim, so that a decision to fail the whole request is
	// tied to this attempt (FailBulkChange ignores it once the attempt is over) and never
	// undoes an admin's retry that came in between.
	fail := func(reason, code string, logs ...store.LogEntry) error {
		return e.failBatch(ctx, store.BatchFailure{BulkChangeID: w.BulkChangeID, Reason: reason, ErrorCode: code,
			ChangeID: w.ID, SubmittedAt: submittedAt, Logs: logs})
	}
	creds, err := e.store.ThingSpaceCredentials(ctx, w.ServiceProviderID)
	switch {
	case apperr.Is(err, apperr.NotFound):
		reason := fmt.Sprintf("Authentication credentials not found for service provider %d", w.ServiceProviderID)
		return fail(reason, CodeCredentialsMissing, store.LogEntry{Description: store.LogCredentialsMissing, HasErrors: true,
			ErrorText: reason, RequestText: "usp_ThingSpace_Get_AuthenticationByProviderId"})
	case err != nil:
		return fail(fmt.Sprintf("The ThingSpace credentials of service provider %d cannot be read: %v", w.ServiceProviderID, err),
			CodeCredentialsInvalid)
	}
	if gate := writeGate(creds.WriteIsEnabled, e.cfg.WritesEnabled); gate != "" {
		return fail(gate, CodeWritesDisabled, store.LogEntry{Description: store.LogWritesDisabled, HasErrors: true, ErrorText: gate})
	}
	client, err := e.client(creds)
	if err != nil {
		return fail(fmt.Sprintf("The ThingSpace credentials of service provider %d are incomplete: %v", w.ServiceProviderID, err),
			CodeCredentialsInvalid)
	}
	if err := e.hook(ctx, HookClaimed, w.ID); err != nil {
		return err
	}
	var xs exchanges
	mark := &sendMark{submittedAt: submittedAt}
	requestID, sendErr := client.ChangeIdentifier(thingspace.WithObserver(e.withBeforeSend(ctx, w.ID, mark), xs.add), req)
	if err := e.hook(ctx, HookSent, w.ID); err != nil {
		return err
	}
	if mark.over {
		// Another run took the row over before this request left: it is that run's now.
		e.log.Info("submit: the row was taken over before its change left", "change", w.ID)
		return nil
	}

	// From here on, write down what happened even if the job's context ends.
	rec, cancel := detached(ctx)
	defer cancel()
	a := &attempt{job: j, row: w, submittedAt: submittedAt, requestID: requestID, sendErr: sendErr,
		exchanges: xs.list(), logs: xs.logs(), cut: ctx.Err() != nil}
	outcome := classifySend(sendErr, a.exchanges)
	if !mark.sent && outcome != accepted {
		outcome = notSent // beforeSend stopped it, or it never got that far: nothing left
	}
	switch {
	case outcome == accepted:
		return e.sendAccepted(rec, a)
	case outcome == ambiguous:
		return e.sendUnanswered(rec, a)
	case outcome == refused:
		return e.sendRefused(rec, a)
	case thingspace.ClassOf(sendErr) == thingspace.ClassUnauthorized, thingspace.ClassOf(sendErr) == thingspace.ClassInvalid:
		return e.sendUnauthorized(rec, a)
	default: // not sent, or refused before the carrier acted: safe to send again later
		return e.sendNotTaken(rec, a)
	}
}

// recoverClaim settles a row that an earlier run claimed and that has no answer recorded. When
// its change request never left (no SentDate), the carrier is asked about the line at once: the
// new identifiers finish it PROCESSED; otherwise it goes back to NEW and is returned for this
// run to send — the earlier run can no longer send it (MarkSent fails once the claim is gone),
// so it is never sent twice. A request that did leave (SentDate) may be at the carrier: the
// checks settle it, as for any unanswered send. It returns the row as it is now, or nil when
// there is nothing left to do.
func (e *Engine) recoverClaim(ctx context.Context, w *store.ChangeWork) (*store.ChangeWork, error) {
	if w.SentDate != nil {
		return nil, nil
	}
	submittedAt := *w.SubmittedDate
	state, logs, err := e.lookup(ctx, w)
	if err != nil {
		if len(logs) > 0 {
			if lerr := e.store.AddLogs(ctx, withRow(logs, w)...); lerr != nil {
				return nil, lerr
			}
		}
		return nil, later(err)
	}
	what := "The row was claimed but its change never left (the process stopped first); " + state.String()
	if state == lineChanged {
		logs = append(logs, store.LogEntry{Description: store.LogCarrierCheck, ResponseText: what})
		return nil, e.finish(ctx, store.FinishedChange{ChangeID: w.ID, From: change.StatusProcessing, SubmittedAt: &submittedAt,
			To: change.StatusProcessed, Details: "ICCID/IMEI change completed successfully (confirmed by the carrier's device list)", Logs: logs})
	}
	logs = append(logs, store.LogEntry{Description: store.LogResend, ResponseText: what + "; it is sent now"})
	// (what says "never left": the recovery's mark in the log)
	ok, err := e.store.ReturnChange(ctx, store.ReturnedChange{ChangeID: w.ID, SubmittedAt: submittedAt,
		Details: "Sending: the process stopped before the change left", NotSent: true, Logs: logs, By: e.cfg.By})
	if err != nil || !ok {
		return nil, err
	}
	return e.store.ChangeWork(ctx, w.ID)
}

// attempt is one send of a row to the carrier and what came of it.
type attempt struct {
	job         store.Job
	row         *store.ChangeWork
	submittedAt time.Time // the claim this attempt made
	requestID   string
	sendErr     error
	exchanges   []thingspace.Exchange
	logs        []store.LogEntry // the carrier exchanges, as log entries
	cut         bool             // the job's context had ended by the time the send returned
}

// sendAccepted records the carrier's requestId; the callback (or the check) finishes the row.
func (e *Engine) sendAccepted(ctx context.Context, a *attempt) error {
	return e.store.RecordSent(ctx, a.row.ID, a.requestID, e.cfg.By, a.logs...)
}

// sendUnanswered writes down that the answer was lost: the carrier may have made the change,
// so nothing is sent again before the scheduled check asks about the line.
func (e *Engine) sendUnanswered(ctx context.Context, a *attempt) error {
	logs := append(a.logs, store.LogEntry{Description: store.LogWaiting, ResponseStatus: store.LogStatusProcessing,
		ErrorText: a.sendErr.Error(), ResponseText: "The carrier's answer to the change was lost; it may have been made. " +
			"Nothing is sent again before the carrier is asked about the line."})
	return e.store.AddLogs(ctx, withRow(logs, a.row)...)
}

// sendRefused ends a row the carrier refused as invalid: API_FAILED with the carrier's code.
func (e *Engine) sendRefused(ctx context.Context, a *attempt) error {
	code, msg := carrierError(a.sendErr)
	logs := append(a.logs, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true, ErrorCode: code, ErrorText: msg})
	return e.finish(ctx, store.FinishedChange{ChangeID: a.row.ID, From: change.StatusProcessing, SubmittedAt: &a.submittedAt,
		To: change.StatusAPIFailed, Details: msg, Logs: logs})
}

// sendUnauthorized fails the whole request: the carrier refused our token or login, or the
// client cannot even build the request, so nothing of it can run until someone fixes the
// provider.
func (e *Engine) sendUnauthorized(ctx context.Context, a *attempt) error {
	reason := authReason(a.sendErr)
	code, _ := carrierError(a.sendErr)
	if code == "" {
		code = CodeAuthFailed
	}
	logs := append(a.logs, store.LogEntry{Description: store.LogAuthFailed, HasErrors: true, ErrorCode: code, ErrorText: a.sendErr.Error()})
	return e.failBatch(ctx, store.BatchFailure{BulkChangeID: a.row.BulkChangeID, Reason: reason, ErrorCode: code,
		ChangeID: a.row.ID, SubmittedAt: a.submittedAt, Logs: logs})
}

// sendNotTaken handles a send the carrier did not act on (not sent, or refused before acting):
// the row goes back to NEW and the job is retried, honouring Retry-After; on the job's last
// attempt the row ends (giveUp).
func (e *Engine) sendNotTaken(ctx context.Context, a *attempt) error {
	j := a.job
	if j.Last() && !a.cut {
		return e.giveUp(ctx, a.row, a.submittedAt, a.sendErr, a.logs, j)
	}
	logs := append(a.logs, store.LogEntry{Description: store.LogCarrierBusy, ResponseStatus: store.LogStatusProcessing,
		HasErrors: true, ErrorText: a.sendErr.Error(), ErrorCode: errorCode(a.sendErr, a.exchanges),
		ResponseText: fmt.Sprintf("Not accepted (attempt %d of %d); the change will be sent again", j.Attempts, j.MaxAttempts)})
	if _, err := e.store.ReturnChange(ctx, store.ReturnedChange{ChangeID: a.row.ID, SubmittedAt: a.submittedAt,
		Details: "Waiting to send again: " + shortError(a.sendErr), Logs: logs, By: e.cfg.By}); err != nil {
		return err
	}
	return later(a.sendErr)
}

// giveUp ends a row that the carrier would not take on the job's last attempt.
func (e *Engine) giveUp(ctx context.Context, w *store.ChangeWork, submittedAt time.Time, sendErr error, logs []store.LogEntry, j store.Job) error {
	if op := opOf(sendErr); op == thingspace.OpToken || op == thingspace.OpLogin {
		// The carrier's authentication never answered: the whole request waits for an admin.
		reason := "Authentication Failed - ThingSpace did not answer: " + shortError(sendErr)
		return e.failBatch(ctx, store.BatchFailure{BulkChangeID: w.BulkChangeID, Reason: reason, ErrorCode: CodeAuthFailed,
			ChangeID: w.ID, SubmittedAt: submittedAt, Logs: logs})
	}
	msg := fmt.Sprintf("ThingSpace did not take the change after %d attempts: %s", j.Attempts, shortError(sendErr))
	logs = append(logs, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true, ErrorCode: CodeGaveUp, ErrorText: msg})
	if err := e.finish(ctx, store.FinishedChange{ChangeID: w.ID, From: change.StatusProcessing, SubmittedAt: &submittedAt,
		To: change.StatusAPIFailed, Details: msg, Logs: logs}); err != nil {
		return err
	}
	return sendErr // buried, for people to see
}

// writeGate says why writes are closed, or "" when both gates are open.
func writeGate(provider, global bool) string {
	switch {
	case !provider && !global:
		return "Write operations are disabled (for this provider and for idswap as a whole: IDSWAP_WRITES_ENABLED)"
	case !provider:
		return "Write operations are disabled for this provider (WriteIsEnabled)"
	case !global:
		return "Write operations are disabled for idswap as a whole (IDSWAP_WRITES_ENABLED)"
	}
	return ""
}

// changeRequest builds the carrier request of a row: the line named by its current ICCID (or
// MDN, or IMEI), the new identifier(s) in deviceIdsTo, the change4gOption of the request's type
// and the plan to switch to, if any.
func changeRequest(w *store.ChangeWork) (thingspace.ChangeIdentifierRequest, error) {
	var req thingspace.ChangeIdentifierRequest
	switch {
	case w.ICCID != "":
		req.DeviceIDs = []thingspace.DeviceID{{ID: w.ICCID, Kind: thingspace.KindICCID}}
	case w.MSISDN != "":
		req.DeviceIDs = []thingspace.DeviceID{{ID: w.MSISDN, Kind: thingspace.KindMDN}}
	case w.IMEI != "":
		req.DeviceIDs = []thingspace.DeviceID{{ID: w.IMEI, Kind: thingspace.KindIMEI}}
	default:
		return req, errors.New("the row names no current identifier of the line")
	}
	if w.Type.NeedsICCID() {
		if w.NewICCID == "" {
			return req, fmt.Errorf("a %s row needs a new ICCID", w.Type)
		}
		req.DeviceIDsTo = append(req.DeviceIDsTo, thingspace.DeviceID{ID: w.NewICCID, Kind: thingspace.KindICCID})
	}
	if w.Type.NeedsIMEI() {
		if w.NewIMEI == "" {
			return req, fmt.Errorf("a %s row needs a new IMEI", w.Type)
		}
		req.DeviceIDsTo = append(req.DeviceIDsTo, thingspace.DeviceID{ID: w.NewIMEI, Kind: thingspace.KindIMEI})
	}
	opt, ok := thingspace.ParseChange4GOption(string(w.Type))
	if !ok {
		return req, fmt.Errorf("change type %q has no change4gOption", w.Type)
	}
	req.Change4GOption = opt
	req.ServicePlan = w.ServicePlan
	return req, nil
}

// sendOutcome is what a change request's answer means for the row.
type sendOutcome int

const (
	notSent   sendOutcome = iota // never reached the carrier, or refused before it acted
	accepted                     // the carrier took it: a requestId
	refused                      // the carrier refused it as it is (4xx with a code)
	ambiguous                    // no answer, or a 5xx: the carrier may have acted
)

// classifySend reads a ChangeIdentifier result together with the exchanges it made. The
// exchanges say what the error alone cannot: whether the PUT left at all (a cancelled wait on
// the rate limiter, a refused login) and what its last answer was.
func classifySend(err error, xs []thingspace.Exchange) sendOutcome {
	if err == nil {
		return accepted
	}
	var last *thingspace.Exchange
	for i := range xs {
		if xs[i].Op == thingspace.OpChangeIdentifier {
			last = &xs[i]
		}
	}
	if last == nil {
		return notSent
	}
	switch thingspace.ClassOf(err) {
	case thingspace.ClassThrottled, thingspace.ClassSessionExpired, thingspace.ClassUnauthorized:
		return notSent
	case thingspace.ClassInvalid, thingspace.ClassNotFound:
		return refused
	}
	// Unavailable. A 4xx as the PUT's last answer (an expired session, then a login or a
	// wait that failed) means the change was never acted on; anything else may have been.
	if s := last.StatusCode; s >= 400 && s < 500 && s != http.StatusRequestTimeout {
		return notSent
	}
	return ambiguous
}
