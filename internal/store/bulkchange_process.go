package store

import (
	"context"
	"fmt"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
)

// ChangeWork is a row with what the engine needs to know about its request.
type ChangeWork struct {
	DeviceChange
	TenantID          int64
	ServiceProviderID int64
	Type              change.Type
	BatchStatus       change.BatchStatus
}

// ChangeWork reads a row and its request's provider, type and status.
func (db *DB) ChangeWork(ctx context.Context, changeID int64) (*ChangeWork, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var w ChangeWork
	if err := t.get(ctx, &w.DeviceChange, deviceChangeSelect+` WHERE Id = ?`, changeID); err != nil {
		return nil, notFound(err, "no device change %d", changeID)
	}
	var b struct {
		TenantID   int64  `db:"TenantId"`
		ProviderID int64  `db:"ServiceProviderId"`
		TypeID     int    `db:"ChangeRequestTypeId"`
		Status     string `db:"Status"`
	}
	if err := t.get(ctx, &b, `SELECT TenantId, ServiceProviderId, ChangeRequestTypeId, Status FROM DeviceBulkChange WHERE Id = ?`,
		w.BulkChangeID); err != nil {
		return nil, notFound(err, "no bulk change %d", w.BulkChangeID)
	}
	typ, err := change.TypeByID(b.TypeID)
	if err != nil {
		return nil, err
	}
	w.TenantID, w.ServiceProviderID, w.Type, w.BatchStatus = b.TenantID, b.ProviderID, typ, change.BatchStatus(b.Status)
	return &w, nil
}

// moveRow moves one row from one status to another, if it still has the first (and, when the
// extra condition is given, meets it). The transition is checked by change.CheckMove. set adds
// assignments (", Col = ?") whose arguments are setArgs; cond adds conditions (" AND Col = ?")
// whose arguments are condArgs.
func moveRow(ctx context.Context, t *tx, id int64, from, to change.Status, set string, setArgs []any, cond string, condArgs ...any) (bool, error) {
	if err := change.CheckMove(from, to); err != nil {
		return false, err
	}
	q := `UPDATE M2M_DeviceChange SET Status = ?, ModifiedDate = ?` + set + ` WHERE Id = ? AND Status = ?` + cond
	args := append([]any{string(to), t.now}, setArgs...)
	args = append(append(args, id, string(from)), condArgs...)
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("store: move change %d to %s: %w", id, to, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// moveBatch moves a request from its current status to another, checked by CheckBatchMove.
func moveBatch(ctx context.Context, t *tx, id int64, from, to change.BatchStatus, set string, args ...any) error {
	if err := change.CheckBatchMove(from, to); err != nil {
		return err
	}
	all := append([]any{string(to), t.now}, args...)
	_, err := t.exec(ctx, `UPDATE DeviceBulkChange SET Status = ?, ModifiedDate = ?`+set+` WHERE Id = ? AND Status = ?`,
		append(all, id, string(from))...)
	return err
}

// lockBatch takes the request's row for the rest of the transaction. Every step that can end a
// row's openness (finish, fail, cancel, retry) locks its request first, so the step that
// finishes the last open row sees every other one finished, on SQL Server as on SQLite.
func lockBatch(ctx context.Context, t *tx, id int64) (change.BatchStatus, error) {
	if _, err := t.exec(ctx, `UPDATE DeviceBulkChange SET ModifiedDate = ? WHERE Id = ?`, t.now, id); err != nil {
		return "", fmt.Errorf("store: lock bulk change %d: %w", id, err)
	}
	var s string
	if err := t.get(ctx, &s, `SELECT Status FROM DeviceBulkChange WHERE Id = ?`, id); err != nil {
		return "", notFound(err, "no bulk change %d", id)
	}
	return change.BatchStatus(s), nil
}

// beginOnBatchOf begins a write transaction on device change changeID's request, locking the
// request first (lockBatchOf), and returns the request's id. The caller defers the rollback
// and commits as with begin.
func (db *DB) beginOnBatchOf(ctx context.Context, changeID int64) (*tx, int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return nil, 0, err
	}
	bulkID, err := lockBatchOf(ctx, t, changeID)
	if err != nil {
		_ = t.Rollback()
		return nil, 0, err
	}
	return t, bulkID, nil
}

// lockBatchOf locks the request of device change changeID (see lockBatch) and returns its id:
// batch, then row, the lock order of every write transaction (see withRetry).
func lockBatchOf(ctx context.Context, t *tx, changeID int64) (int64, error) {
	var bulkID int64
	if err := t.get(ctx, &bulkID, `SELECT BulkChangeId FROM M2M_DeviceChange WHERE Id = ?`, changeID); err != nil {
		return 0, notFound(err, "no device change %d", changeID)
	}
	_, err := lockBatch(ctx, t, bulkID)
	return bulkID, err
}

// ClaimChange records that a NEW row is about to be sent, before the request leaves: the row
// becomes PROCESSING with SubmittedDate = now, its request becomes PROCESSING if it was NEW, and
// the first carrier check of this attempt is scheduled checkAfter from now, so that a row whose
// sender dies at any later moment is still settled. ok is false when the row is not NEW (it
// was cancelled, or another worker took it): nothing is written and nothing may be sent; or
// when its request is PAUSED (or SCHEDULED): the row is held (HeldDate) for ResumeBulkChange.
//
// Because the claim sets SubmittedDate, "Status = 'NEW' AND SubmittedDate IS NULL" is exactly
// the set of rows that have not been sent and cannot be in flight (see CancelOpenRows).
func (db *DB) claimChangeOnce(ctx context.Context, changeID int64, by string, checkAfter time.Duration, resend int) (submittedAt time.Time, ok bool, err error) {
	t, bulkID, err := db.beginOnBatchOf(ctx, changeID)
	if err != nil {
		return time.Time{}, false, err
	}
	defer t.Rollback()
	var status change.BatchStatus
	if err := t.get(ctx, &status, `SELECT Status FROM DeviceBulkChange WHERE Id = ?`, bulkID); err != nil {
		return time.Time{}, false, notFound(err, "no bulk change %d", bulkID)
	}
	if status == change.BatchPaused || status == change.BatchScheduled {
		// Read under the request's lock, which PauseBulkChange takes too: a pause that came
		// after this job was queued (or even after it read the row) is seen here, and the row is
		// held for ResumeBulkChange instead of sent. Its job ends; resume queues another.
		_, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET HeldDate = ?, StatusDetails = ?, ModifiedBy = ?, ModifiedDate = ?
			WHERE Id = ? AND Status = ? AND SubmittedDate IS NULL`, t.now, "Paused: waits to be resumed", by, t.now,
			changeID, string(change.StatusNew))
		if err != nil {
			return time.Time{}, false, fmt.Errorf("store: hold change %d: %w", changeID, err)
		}
		return time.Time{}, false, t.Commit()
	}
	ok, err = moveRow(ctx, t, changeID, change.StatusNew, change.StatusProcessing,
		`, SubmittedDate = ?, SentDate = NULL, RequestId = NULL, HeldDate = NULL, StatusDetails = ?, ModifiedBy = ?`, []any{t.now, "Sending to ThingSpace", by}, ``)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	if err := moveBatch(ctx, t, bulkID, change.BatchNew, change.BatchProcessing, ``); err != nil {
		return time.Time{}, false, err
	}
	if err := enqueue(ctx, t, NewJob{Kind: jobs.KindCheckChange, RunAt: t.now.Add(checkAfter),
		Payload: jobs.CheckChange{BulkChangeID: bulkID, ChangeID: changeID, SubmittedAt: t.now, Check: 1, Resend: resend}}); err != nil {
		return time.Time{}, false, err
	}
	return t.now, true, t.Commit()
}

// RecordSent records that the carrier accepted a row's change: its RequestId, which the
// callback will carry, and the log of the exchange. The row stays PROCESSING; a callback that
// came before this was written (the carrier can be that quick) has already finished it, and
// then only the RequestId is filled in.
func (db *DB) recordSentOnce(ctx context.Context, changeID int64, requestID, by string, logs ...LogEntry) error {
	t, bulkID, err := db.beginOnBatchOf(ctx, changeID)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET RequestId = ?,
		StatusDetails = CASE WHEN Status = ? THEN ? ELSE StatusDetails END, ModifiedBy = ?, ModifiedDate = ?
		WHERE Id = ?`, clipChangeColumn("RequestId", requestID), string(change.StatusProcessing), LogWaiting,
		by, t.now, changeID); err != nil {
		return fmt.Errorf("store: record request id: %w", err)
	}
	if err := insertLogs(ctx, t, bulkID, changeID, by, logs); err != nil {
		return err
	}
	return t.Commit()
}

// ReturnedChange puts a PROCESSING row back to NEW: the carrier showed (by refusing the request
// before acting, or by the state of the line) that the change did not happen.
type ReturnedChange struct {
	ChangeID    int64
	SubmittedAt time.Time // the attempt being returned; a row sent again since is left alone
	Details     string
	// Resend, when above zero, enqueues a new jobs.KindSubmitChange with this resend count; zero
	// leaves the sending to the job that is already retrying.
	Resend int
	// Send enqueues the new jobs.KindSubmitChange even when Resend is zero (a row whose change
	// never left, so sending it is not sending it again).
	Send bool
	// NotSent returns the row only if its change still has not left (no SentDate): a sender
	// that marked it in the meantime keeps it.
	NotSent bool
	Logs    []LogEntry
	By      string
}

// ReturnChange moves a sent row back to NEW and clears its SubmittedDate and RequestId, so it
// can be sent again (and cancelled again). ok is false when the row had moved on.
func (db *DB) returnChangeOnce(ctx context.Context, r ReturnedChange) (ok bool, err error) {
	t, bulkID, err := db.beginOnBatchOf(ctx, r.ChangeID)
	if err != nil {
		return false, err
	}
	defer t.Rollback()
	cond := ` AND SubmittedDate = ?`
	if r.NotSent {
		cond += ` AND SentDate IS NULL`
	}
	ok, err = moveRow(ctx, t, r.ChangeID, change.StatusProcessing, change.StatusNew,
		`, SubmittedDate = NULL, SentDate = NULL, RequestId = NULL, StatusDetails = ?, ModifiedBy = ?`, []any{r.Details, r.By},
		cond, r.SubmittedAt.UTC())
	if err != nil {
		return false, err
	}
	// The log is written either way: the carrier calls happened.
	if err := insertLogs(ctx, t, bulkID, r.ChangeID, r.By, r.Logs); err != nil {
		return false, err
	}
	if !ok {
		return false, t.Commit()
	}
	if r.Resend > 0 || r.Send {
		urgent, err := bulkUrgent(ctx, t, bulkID)
		if err != nil {
			return false, err
		}
		if err := enqueue(ctx, t, NewJob{Kind: jobs.KindSubmitChange,
			Payload: jobs.SubmitChange{BulkChangeID: bulkID, ChangeID: r.ChangeID, Resend: r.Resend}, Fair: true, Urgent: urgent}); err != nil {
			return false, err
		}
	}
	return true, t.Commit()
}

// scheduleCheckOnce enqueues the next carrier check of a row, with the log of the last one, and
// shows details ("waiting for the carrier …") on the row while its attempt is still the one
// checked. The request is not written, but it is locked first all the same, so that this step
// keeps the one lock order of every write transaction (see withRetry).
func (db *DB) scheduleCheckOnce(ctx context.Context, c jobs.CheckChange, at time.Time, by, details string, logs ...LogEntry) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := lockBatch(ctx, t, c.BulkChangeID); err != nil {
		return err
	}
	if details != "" {
		if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET StatusDetails = ?, ModifiedBy = ?, ModifiedDate = ?
			WHERE Id = ? AND Status = ? AND SubmittedDate = ?`, details, by, t.now, c.ChangeID,
			string(change.StatusProcessing), c.SubmittedAt.UTC()); err != nil {
			return fmt.Errorf("store: show the row waiting: %w", err)
		}
	}
	if err := insertLogs(ctx, t, c.BulkChangeID, c.ChangeID, by, logs); err != nil {
		return err
	}
	if err := enqueue(ctx, t, NewJob{Kind: jobs.KindCheckChange, Payload: c, RunAt: at.UTC().Truncate(time.Millisecond)}); err != nil {
		return err
	}
	return t.Commit()
}

// FinishedChange is the end of one row.
type FinishedChange struct {
	ChangeID int64
	From     change.Status // the status the row must still have
	// SubmittedAt, when set, must still be the row's SubmittedDate: a check decides only about
	// the attempt it was scheduled for.
	SubmittedAt *time.Time
	To          change.Status
	Details     string // StatusDetails shown on the page and in the e-mail
	// RequestID fills in the carrier's requestId when the row did not have it yet (a callback
	// matched by the line's identifiers).
	RequestID string
	// CallbackLogID is the ThingSpaceCallBackResponseLog row the result came from, if any.
	CallbackLogID int64
	Logs          []LogEntry
	By            string
}

// Finish is what FinishChange did.
type Finish struct {
	// Done is false when the row had already moved on (a duplicated callback, a late check):
	// nothing was written.
	Done bool
	Row  DeviceChange // as it was before
	// Completion is set when this was the last open row of its request.
	Completion *Completion
}

// Completion is a request that has just finished.
type Completion struct {
	BulkChangeID int64
	Status       change.BatchStatus
	Counts       change.Counts
	OutboxID     int64 // the result e-mail waiting to be sent
}

// FinishChange ends a row in one transaction: its final status; for a PROCESSED row the swap
// of identifiers on Device and ThingSpaceDevice with the history row
// (usp_UpdateIdentifierForThingSpace) and the new plan; the log entries; the callback that
// decided it; and, when no row of the request is open any more, the request's final status,
// counts and result e-mail (see completeIfDone). Either all of it is written or none.
func (db *DB) finishChangeOnce(ctx context.Context, f FinishedChange) (Finish, error) {
	if f.To.Open() || f.To == change.StatusCancelled {
		return Finish{}, fmt.Errorf("store: FinishChange to %s: not an end the engine decides", f.To)
	}
	t, err := db.begin(ctx)
	if err != nil {
		return Finish{}, err
	}
	defer t.Rollback()
	var out Finish
	if err := t.get(ctx, &out.Row, deviceChangeSelect+` WHERE Id = ?`, f.ChangeID); err != nil {
		return Finish{}, notFound(err, "no device change %d", f.ChangeID)
	}
	row := out.Row
	if _, err := lockBatch(ctx, t, row.BulkChangeID); err != nil {
		return Finish{}, err
	}
	cond, condArgs := ``, []any{}
	if f.SubmittedAt != nil {
		cond, condArgs = ` AND SubmittedDate = ?`, []any{f.SubmittedAt.UTC()}
	}
	moved, err := moveRow(ctx, t, f.ChangeID, f.From, f.To, `, StatusDetails = ?, HasErrors = ?, IsProcessed = 1,
		ProcessedDate = ?, ProcessedBy = ?, ModifiedBy = ?, RequestId = COALESCE(RequestId, ?)`,
		[]any{f.Details, f.To.Failed(), t.now, f.By, f.By, nullIfEmpty(f.RequestID)}, cond, condArgs...)
	if err != nil {
		return Finish{}, err
	}
	if !moved {
		// Decided too late (a duplicate, or a check that lost to the callback): nothing
		// changes, but the carrier calls that led here are kept in the log.
		if err := insertLogs(ctx, t, row.BulkChangeID, row.ID, f.By, f.Logs); err != nil {
			return Finish{}, err
		}
		return out, t.Commit()
	}
	logs := f.Logs
	if f.To == change.StatusProcessed {
		more, err := applyChange(ctx, t, row, f.By)
		if err != nil {
			return Finish{}, err
		}
		logs = append(logs, more...)
	}
	if err := insertLogs(ctx, t, row.BulkChangeID, row.ID, f.By, logs); err != nil {
		return Finish{}, err
	}
	if f.CallbackLogID != 0 {
		if err := stampCallback(ctx, t, f.CallbackLogID, row.BulkChangeID, row.ID); err != nil {
			return Finish{}, err
		}
	}
	if f.To.Failed() {
		if err := rowFailedWebhooks(ctx, t, row, string(f.To), f.Details); err != nil {
			return Finish{}, err
		}
	}
	if out.Completion, err = completeIfDone(ctx, t, row.BulkChangeID, f.By); err != nil {
		return Finish{}, err
	}
	out.Done = true
	return out, t.Commit()
}

// applyChange writes a confirmed change into the inventory and returns the log entries that
// say how that went.
func applyChange(ctx context.Context, t *tx, row DeviceChange, by string) ([]LogEntry, error) {
	if row.DeviceID == nil {
		return []LogEntry{{Description: LogDatabaseError, HasErrors: true,
			ErrorText: "the row names no device; the inventory was not updated"}}, nil
	}
	var reason string
	if e, err := change.ParseEnvelope(row.ChangeRequest); err == nil {
		reason = e.Identifier.Reason
	}
	var provider int64
	if err := t.get(ctx, &provider, `SELECT ServiceProviderId FROM DeviceBulkChange WHERE Id = ?`, row.BulkChangeID); err != nil {
		return nil, err
	}
	n, err := updateIdentifier(ctx, t, IdentifierUpdate{ServiceProviderID: provider, DeviceID: *row.DeviceID,
		OldICCID: row.ICCID, OldIMEI: row.IMEI, NewICCID: row.NewICCID, NewIMEI: row.NewIMEI, ProcessedBy: by,
		Reason: reason, BulkChangeID: row.BulkChangeID, ChangeID: row.ID})
	if err != nil {
		return nil, err
	}
	sp := "usp_UpdateIdentifierForThingSpace"
	if n == 0 {
		return []LogEntry{{Description: LogDatabaseError, RequestText: sp, HasErrors: true,
			ErrorText: "no rows affected when executing " + sp + ": the device no longer has its old identifiers"}}, nil
	}
	if row.ServicePlan != "" {
		iccid := row.ICCID
		if row.NewICCID != "" {
			iccid = row.NewICCID
		}
		if _, err := t.exec(ctx, `UPDATE Device SET RatePlan = ?, CarrierRatePlanId = (SELECT Id FROM ThingSpaceCarrierRatePlan
			WHERE ServiceProviderId = ? AND RatePlanCode = ? AND IsDeleted = 0) WHERE Id = ?`,
			row.ServicePlan, provider, row.ServicePlan, *row.DeviceID); err != nil {
			return nil, fmt.Errorf("store: update the device's plan: %w", err)
		}
		if _, err := t.exec(ctx, `UPDATE ThingSpaceDevice SET RatePlan = ? WHERE ServiceProviderId = ? AND ICCID = ? AND IsDeleted = 0`,
			row.ServicePlan, provider, iccid); err != nil {
			return nil, fmt.Errorf("store: update the carrier device's plan: %w", err)
		}
	}
	return []LogEntry{{Description: LogDatabaseUpdate, RequestText: sp, ResponseText: "successfully updated Device, ThingSpaceDevice and DeviceIdentifierChangeHistory"}}, nil
}

// completeIfDone finishes a request whose rows are all final and that has not been finished
// since it last ran: its final status (change.Counts.Outcome), ProcessedDate, a log entry, an
// audit event and the result e-mail in EmailOutbox with the job that sends it. It returns nil while a row is open. The
// caller has locked the request (lockBatch).
func completeIfDone(ctx context.Context, t *tx, bulkID int64, by string) (*Completion, error) {
	var open int
	if err := t.get(ctx, &open, `SELECT COUNT(*) FROM M2M_DeviceChange WHERE BulkChangeId = ? AND Status IN (`+openStatuses+`)`, bulkID); err != nil {
		return nil, err
	}
	if open > 0 {
		return nil, nil
	}
	var b struct {
		Status        string     `db:"Status"`
		ProcessedDate *time.Time `db:"ProcessedDate"`
		TenantID      int64      `db:"TenantId"`
	}
	if err := t.get(ctx, &b, `SELECT Status, ProcessedDate, TenantId FROM DeviceBulkChange WHERE Id = ?`, bulkID); err != nil {
		return nil, err
	}
	if b.ProcessedDate != nil {
		return nil, nil // finished already; it runs again only after a retry clears ProcessedDate
	}
	var byStatus []struct {
		Status string `db:"Status"`
		N      int    `db:"N"`
	}
	if err := t.sel(ctx, &byStatus, `SELECT Status, COUNT(*) AS N FROM M2M_DeviceChange WHERE BulkChangeId = ? GROUP BY Status`, bulkID); err != nil {
		return nil, err
	}
	var counts change.Counts
	for _, s := range byStatus {
		counts.Add(change.Status(s.Status), s.N)
	}
	from := change.BatchStatus(b.Status)
	final, _ := counts.Outcome(from)
	if final != from {
		if err := change.CheckBatchMove(from, final); err != nil {
			return nil, err
		}
	}
	if _, err := t.exec(ctx, `UPDATE DeviceBulkChange SET Status = ?, ProcessedDate = ?, ProcessedBy = ?, ModifiedBy = ?, ModifiedDate = ?
		WHERE Id = ? AND ProcessedDate IS NULL`, string(final), t.now, by, by, t.now, bulkID); err != nil {
		return nil, fmt.Errorf("store: complete bulk change %d: %w", bulkID, err)
	}
	summary := change.Describe(final, counts).Headline
	if err := insertLogs(ctx, t, bulkID, 0, by, []LogEntry{{Description: LogComplete, ResponseText: summary,
		ResponseStatus: string(final), HasErrors: final != change.BatchProcessed && final != change.BatchCancelled}}); err != nil {
		return nil, err
	}
	tenant := b.TenantID
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: by, Action: ActionBulkChangeComplete,
		EntityType: "DeviceBulkChange", EntityID: fmt.Sprint(bulkID),
		Details: BulkChangeCompleteDetails{Status: final, Total: counts.Total, Processed: counts.Processed,
			Failed: counts.Failed(), Cancelled: counts.Cancelled}}); err != nil {
		return nil, err
	}
	outboxID, err := insertOutbox(ctx, t, bulkID, false)
	if err != nil {
		return nil, err
	}
	if counts.Processed > 0 {
		// Watch the changed devices until they connect with their new identifiers.
		if err := enqueue(ctx, t, NewJob{Kind: jobs.KindWatchOnline, Payload: jobs.WatchOnline{BulkChangeID: bulkID, Round: 1}}); err != nil {
			return nil, err
		}
	}
	if err := enqueueWebhooks(ctx, t, b.TenantID, EventBulkChangeCompleted, BulkChangeEvent{BulkChangeID: bulkID, Status: string(final),
		Total: counts.Total, Processed: counts.Processed, Failed: counts.Failed(), Cancelled: counts.Cancelled}); err != nil {
		return nil, err
	}
	return &Completion{BulkChangeID: bulkID, Status: final, Counts: counts, OutboxID: outboxID}, nil
}

// BatchFailure is a request that cannot run at all: no credentials, the carrier refused the
// token or the login, writes are disabled.
type BatchFailure struct {
	BulkChangeID int64
	Reason       string // shown on the request's page (StatusDetails) and on each unsent row
	ErrorCode    string
	// ChangeID is the row whose attempt found the problem: the worker had claimed it and did
	// not send it. SubmittedAt is that claim. When the row has moved on since (another worker,
	// an admin's retry), the finding is stale and nothing is written. 0 when no row is involved.
	ChangeID    int64
	SubmittedAt time.Time
	Logs        []LogEntry
	By          string
}

// Failed is what FailBulkChange did.
type Failed struct {
	Rows       []DeviceChange // the rows it moved to ERROR
	Completion *Completion    // set when no row of the request is open any more
}

// FailBulkChange ends a request that cannot run: the request becomes ERROR with the reason in
// its StatusDetails, every row not yet sent becomes ERROR with the same reason (rows already at
// the carrier carry on), the reason goes to the log, and when nothing is open the request is
// complete. An admin can retry it (RetryBulkChange) once the cause is fixed.
func (db *DB) failBulkChangeOnce(ctx context.Context, f BatchFailure) (Failed, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return Failed{}, err
	}
	defer t.Rollback()
	status, err := lockBatch(ctx, t, f.BulkChangeID)
	if err != nil {
		return Failed{}, err
	}
	if f.ChangeID != 0 {
		ok, err := moveRow(ctx, t, f.ChangeID, change.StatusProcessing, change.StatusNew,
			`, SubmittedDate = NULL, SentDate = NULL, RequestId = NULL`, nil, ` AND SubmittedDate = ?`, f.SubmittedAt.UTC())
		if err != nil {
			return Failed{}, err
		}
		if !ok { // stale: the row's attempt is over; only its log is kept
			if err := insertLogs(ctx, t, f.BulkChangeID, f.ChangeID, f.By, f.Logs); err != nil {
				return Failed{}, err
			}
			return Failed{}, t.Commit()
		}
	}
	var out Failed
	if err := t.sel(ctx, &out.Rows, deviceChangeSelect+` WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL`,
		f.BulkChangeID, string(change.StatusNew)); err != nil {
		return Failed{}, err
	}
	if err := change.CheckMove(change.StatusNew, change.StatusError); err != nil {
		return Failed{}, err
	}
	if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET Status = ?, StatusDetails = ?, HasErrors = 1, IsProcessed = 1,
		ProcessedDate = ?, ProcessedBy = ?, ModifiedBy = ?, ModifiedDate = ?
		WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL`,
		string(change.StatusError), f.Reason, t.now, f.By, f.By, t.now, f.BulkChangeID, string(change.StatusNew)); err != nil {
		return Failed{}, fmt.Errorf("store: fail the rows of bulk change %d: %w", f.BulkChangeID, err)
	}
	logs := f.Logs
	if status != change.BatchError {
		if err := moveBatch(ctx, t, f.BulkChangeID, status, change.BatchError, `, StatusDetails = ?, ModifiedBy = ?`, f.Reason, f.By); err != nil {
			return Failed{}, err
		}
		logs = append(logs, LogEntry{Description: LogBatchFailed, HasErrors: true, ErrorText: f.Reason, ErrorCode: f.ErrorCode,
			ResponseText: fmt.Sprintf("%d rows not sent", len(out.Rows))})
	}
	if err := insertLogs(ctx, t, f.BulkChangeID, f.ChangeID, f.By, logs); err != nil {
		return Failed{}, err
	}
	if out.Completion, err = completeIfDone(ctx, t, f.BulkChangeID, f.By); err != nil {
		return Failed{}, err
	}
	return out, t.Commit()
}

// UnsentFailedRows counts the rows of a request that failed without ever being sent: what
// RetryBulkChange would queue again.
func (db *DB) UnsentFailedRows(ctx context.Context, bulkID int64) (int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var n int
	err = t.get(ctx, &n, `SELECT COUNT(*) FROM M2M_DeviceChange
		WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL`, bulkID, string(change.StatusError))
	return n, err
}

// RetryBulkChange runs a request that failed as a whole again: its rows that were never sent
// go back to NEW with a new jobs.KindSubmitChange each, and the request goes from ERROR to
// PROCESSING. tenantID 0 means any tenant. It returns how many rows were queued; a request that
// did not fail as a whole, or has no row left to send, is a Conflict.
func (db *DB) retryBulkChangeOnce(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) (int, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	if err := checkTenant(ctx, t, tenantID, bulkID); err != nil {
		return 0, err
	}
	status, err := lockBatch(ctx, t, bulkID)
	if err != nil {
		return 0, err
	}
	if change.CheckBatchMove(status, change.BatchProcessing) != nil || status != change.BatchError {
		return 0, apperr.E(apperr.Conflict, "Bulk change %d is %s: only a bulk change that failed as a whole can be retried.", bulkID, status)
	}
	if err := change.CheckMove(change.StatusError, change.StatusNew); err != nil {
		return 0, err
	}
	var ids []int64
	if err := t.sel(ctx, &ids, `SELECT Id FROM M2M_DeviceChange WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL ORDER BY Id`,
		bulkID, string(change.StatusError)); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, apperr.E(apperr.Conflict, "Bulk change %d has no row left to send.", bulkID)
	}
	if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET Status = ?, StatusDetails = NULL, HasErrors = 0, IsProcessed = 0,
		ProcessedDate = NULL, ProcessedBy = NULL, HeldDate = NULL, ModifiedBy = ?, ModifiedDate = ?
		WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL`,
		string(change.StatusNew), by, t.now, bulkID, string(change.StatusError)); err != nil {
		return 0, err
	}
	if err := moveBatch(ctx, t, bulkID, status, change.BatchProcessing,
		`, StatusDetails = NULL, ProcessedDate = NULL, ProcessedBy = NULL, ModifiedBy = ?`, by); err != nil {
		return 0, err
	}
	urgent, err := bulkUrgent(ctx, t, bulkID)
	if err != nil {
		return 0, err
	}
	if err := enqueue(ctx, t, fairSubmits(bulkID, ids, urgent)...); err != nil {
		return 0, err
	}
	if err := insertLogs(ctx, t, bulkID, 0, by, []LogEntry{{Description: LogRetry,
		ResponseText: fmt.Sprintf("%d rows queued again by %s", len(ids), by)}}); err != nil {
		return 0, err
	}
	var tenant int64
	if err := t.get(ctx, &tenant, `SELECT TenantId FROM DeviceBulkChange WHERE Id = ?`, bulkID); err != nil {
		return 0, err
	}
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: by, Action: ActionBulkChangeRetry, EntityType: "DeviceBulkChange",
		EntityID: fmt.Sprint(bulkID), RemoteAddr: remoteAddr, Details: RowsDetails{Rows: int64(len(ids))}}); err != nil {
		return 0, err
	}
	return len(ids), t.Commit()
}

// CancelOpenRows withdraws every row of a request that has not been sent — NEW with no
// SubmittedDate; a row being sent has one (ClaimChange), so it is never caught half-way — and
// writes the log and audit entry. When nothing is left open the request completes (status and
// result e-mail). tenantID 0 means any tenant; another tenant's request is NotFound. It returns
// how many rows it cancelled.
func (db *DB) cancelOpenRowsOnce(ctx context.Context, tenantID, bulkChangeID int64, by string) (int, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	if err := checkTenant(ctx, t, tenantID, bulkChangeID); err != nil {
		return 0, err
	}
	if _, err := lockBatch(ctx, t, bulkChangeID); err != nil {
		return 0, err
	}
	if err := change.CheckMove(change.StatusNew, change.StatusCancelled); err != nil {
		return 0, err
	}
	res, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET Status = ?, StatusDetails = ?, IsProcessed = 1, ProcessedDate = ?,
		ProcessedBy = ?, ModifiedBy = ?, ModifiedDate = ?
		WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL`,
		string(change.StatusCancelled), "Cancelled by "+by, t.now, by, by, t.now, bulkChangeID, string(change.StatusNew))
	if err != nil {
		return 0, fmt.Errorf("store: cancel rows: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, t.Commit()
	}
	if err := insertLogs(ctx, t, bulkChangeID, 0, by, []LogEntry{{Description: LogCancelled,
		ResponseText: fmt.Sprintf("%d rows not yet sent were cancelled by %s", n, by)}}); err != nil {
		return 0, err
	}
	var tenant int64
	if err := t.get(ctx, &tenant, `SELECT TenantId FROM DeviceBulkChange WHERE Id = ?`, bulkChangeID); err != nil {
		return 0, err
	}
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: by, Action: ActionBulkChangeCancel, EntityType: "DeviceBulkChange",
		EntityID: fmt.Sprint(bulkChangeID), Details: RowsDetails{Rows: n}}); err != nil {
		return 0, err
	}
	if _, err := completeIfDone(ctx, t, bulkChangeID, by); err != nil {
		return 0, err
	}
	return int(n), t.Commit()
}

// checkTenant makes another tenant's request NotFound (tenantID 0: any tenant).
func checkTenant(ctx context.Context, t *tx, tenantID, bulkID int64) error {
	q, args := `SELECT COUNT(*) FROM DeviceBulkChange WHERE Id = ? AND IsDeleted = 0`, []any{bulkID}
	if tenantID != 0 {
		q, args = q+` AND TenantId = ?`, append(args, tenantID)
	}
	var n int
	if err := t.get(ctx, &n, q, args...); err != nil {
		return err
	}
	if n == 0 {
		return apperr.E(apperr.NotFound, "no bulk change %d", bulkID)
	}
	return nil
}

// bulkUrgent reports whether a request is urgent, for the jobs that send its rows again.
func bulkUrgent(ctx context.Context, t *tx, bulkID int64) (bool, error) {
	var p string
	if err := t.get(ctx, &p, `SELECT Priority FROM DeviceBulkChange WHERE Id = ?`, bulkID); err != nil {
		return false, fmt.Errorf("store: priority of bulk change %d: %w", bulkID, err)
	}
	return change.Priority(p).Urgent(), nil
}
