package store

import (
	"context"
	"fmt"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// The carrier is the truth (issue 11): the callback listener's own credentials, the moment a
// change request left, corrections of finished rows by the carrier's later word, and the
// contradictions only an admin can settle.

// CallbackListener is what the carrier echoes in every callback of a provider's listener, and
// how the provider takes successes.
type CallbackListener struct {
	Username string
	Password string
	// ConfirmSuccesses: a Success callback is applied only after a lookup shows the line
	// with the new identifiers (one more carrier call a row).
	ConfirmSuccesses bool
}

// CallbackListener reads a provider's listener credentials (the password unsealed). A provider
// whose listener was registered before it had credentials has empty ones: the carrier then
// echoes empty ones.
func (db *DB) CallbackListener(ctx context.Context, providerID int64) (*CallbackListener, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var r struct {
		Username string `db:"CallbackUsername"`
		Password string `db:"CallbackPassword"`
		Confirm  bool   `db:"ConfirmSuccesses"`
	}
	if err := t.get(ctx, &r, `SELECT COALESCE(CallbackUsername, '') AS CallbackUsername,
		COALESCE(CallbackPassword, '') AS CallbackPassword, ConfirmSuccesses
		FROM ThingSpaceAuthentication WHERE ServiceProviderId = ? AND IsDeleted = 0`, providerID); err != nil {
		return nil, notFound(err, "Authentication credentials not found for service provider %d", providerID)
	}
	l := &CallbackListener{Username: r.Username, ConfirmSuccesses: r.Confirm}
	if r.Password != "" {
		var err error
		if l.Password, err = db.sealer.open(r.Password); err != nil {
			return nil, fmt.Errorf("CallbackPassword of provider %d: %w", providerID, err)
		}
	}
	return l, nil
}

// SetCallbackListener stores a provider's listener: the secret of its URL and the username and
// password the carrier is to echo (sealed). An empty secret keeps the current one. It writes
// an audit event; the caller registers the listener with the carrier.
func (db *DB) SetCallbackListener(ctx context.Context, providerID int64, secret, username, password, by string) error {
	if username == "" || password == "" {
		return apperr.E(apperr.Invalid, "a callback listener needs a username and a password")
	}
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	set, args := `CallbackUsername = ?, CallbackPassword = ?`, []any{username, db.sealer.seal(password)}
	if secret != "" {
		set += `, CallbackSecret = ?, CallbackSecretHash = ?`
		args = append(args, db.sealer.seal(secret), CallbackSecretHash(secret))
	}
	res, err := t.exec(ctx, `UPDATE ThingSpaceAuthentication SET `+set+`, ModifiedBy = ?, ModifiedDate = ?
		WHERE ServiceProviderId = ? AND IsDeleted = 0`, append(args, by, t.now, providerID)...)
	if err != nil {
		return fmt.Errorf("store: set the callback listener: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "Authentication credentials not found for service provider %d", providerID)
	}
	if err := insertAudit(ctx, t, AuditEvent{Actor: by, Action: ActionProviderCallback, EntityType: "ServiceProvider",
		EntityID: fmt.Sprint(providerID), Details: CallbackRotateDetails{NewSecret: secret != ""}}); err != nil {
		return err
	}
	return t.Commit()
}

// CallbackRotateDetails are the details of ActionProviderCallback.
type CallbackRotateDetails struct {
	NewSecret bool `json:"new_secret"`
}

// SetConfirmSuccesses switches a provider's "confirm successes with the carrier" option.
func (db *DB) SetConfirmSuccesses(ctx context.Context, providerID int64, on bool, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE ThingSpaceAuthentication SET ConfirmSuccesses = ?,
		ModifiedBy = ?, ModifiedDate = ? WHERE ServiceProviderId = ? AND IsDeleted = 0`, on, by, time.Now().UTC(), providerID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "Authentication credentials not found for service provider %d", providerID)
	}
	return t.Commit()
}

// MarkSent records, just before a row's change request leaves, that it is leaving for the
// attempt claimed at submittedAt. A claimed row without it was never sent: after a crash it can
// be sent at once, where a row with it may have reached the carrier. ok is false when the
// attempt is over (the row was returned, finished or claimed again): the request must not leave.
func (db *DB) MarkSent(ctx context.Context, changeID int64, submittedAt time.Time) (ok bool, err error) {
	t, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET SentDate = COALESCE(SentDate, ?)
		WHERE Id = ? AND Status = ? AND SubmittedDate = ?`,
		time.Now().UTC(), changeID, string(change.StatusProcessing), submittedAt.UTC())
	if err != nil {
		return false, fmt.Errorf("store: mark change %d sent: %w", changeID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, t.Commit()
}

// CorrectedChange is the carrier's later word about a finished row.
type CorrectedChange struct {
	ChangeID int64
	From     change.Status // the final status the row must still have
	To       change.Status
	Details  string
	// RequestID fills in the carrier's requestId when the row did not have it yet.
	RequestID     string
	CallbackLogID int64
	Logs          []LogEntry
	By            string
}

// Correction is what CorrectChange did.
type Correction struct {
	Done bool // false: the row no longer had From; nothing was written
	Row  DeviceChange
	// Batch is the request's status after the correction, and OutboxID the correction e-mail.
	Batch    change.BatchStatus
	Counts   change.Counts
	OutboxID int64
}

// correctChangeOnce moves a finished row to what the carrier says after all, in one transaction:
// the row's status; for PROCESSED the inventory and the history (as FinishChange writes them);
// the log; an audit event; and, when the request had finished, its counts and status recomputed
// and a short correction e-mail to the requester. The request is locked before the row.
func (db *DB) correctChangeOnce(ctx context.Context, c CorrectedChange) (Correction, error) {
	if err := change.CheckCorrection(c.From, c.To); err != nil {
		return Correction{}, err
	}
	t, bulkID, err := db.beginOnBatchOf(ctx, c.ChangeID)
	if err != nil {
		return Correction{}, err
	}
	defer t.Rollback()
	var out Correction
	if err := t.get(ctx, &out.Row, deviceChangeSelect+` WHERE Id = ?`, c.ChangeID); err != nil {
		return Correction{}, notFound(err, "no device change %d", c.ChangeID)
	}
	res, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET Status = ?, StatusDetails = ?, HasErrors = ?, CorrectedDate = ?,
		ModifiedBy = ?, ModifiedDate = ?, RequestId = COALESCE(RequestId, ?) WHERE Id = ? AND Status = ?`,
		string(c.To), c.Details, c.To.Failed(), t.now, c.By, t.now, nullIfEmpty(clipChangeColumn("RequestId", c.RequestID)),
		c.ChangeID, string(c.From))
	if err != nil {
		return Correction{}, fmt.Errorf("store: correct change %d: %w", c.ChangeID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if err := insertLogs(ctx, t, bulkID, c.ChangeID, c.By, c.Logs); err != nil {
			return Correction{}, err
		}
		return out, t.Commit()
	}
	logs := c.Logs
	if c.To == change.StatusProcessed {
		more, err := applyChange(ctx, t, out.Row, c.By)
		if err != nil {
			return Correction{}, err
		}
		logs = append(logs, more...)
	}
	if err := insertLogs(ctx, t, bulkID, c.ChangeID, c.By, logs); err != nil {
		return Correction{}, err
	}
	if c.CallbackLogID != 0 {
		if err := stampCallback(ctx, t, c.CallbackLogID, bulkID, c.ChangeID); err != nil {
			return Correction{}, err
		}
	}
	var b struct {
		Status        string     `db:"Status"`
		ProcessedDate *time.Time `db:"ProcessedDate"`
		TenantID      int64      `db:"TenantId"`
		Details       string     `db:"StatusDetails"`
	}
	if err := t.get(ctx, &b, `SELECT Status, ProcessedDate, TenantId, COALESCE(StatusDetails, '') AS StatusDetails
		FROM DeviceBulkChange WHERE Id = ?`, bulkID); err != nil {
		return Correction{}, err
	}
	tenant := b.TenantID
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: c.By, Action: ActionChangeCorrected,
		EntityType: "M2M_DeviceChange", EntityID: fmt.Sprint(c.ChangeID),
		Details: CorrectionDetails{BulkChangeID: bulkID, From: c.From, To: c.To}}); err != nil {
		return Correction{}, err
	}
	out.Done, out.Batch = true, change.BatchStatus(b.Status)
	if b.ProcessedDate == nil {
		return out, t.Commit() // still running: completeIfDone decides the request's end as usual
	}
	// The request had finished: its status follows its rows. A request that failed as a whole
	// (ERROR with the reason in StatusDetails, see FailBulkChange) stays so (Counts.Outcome);
	// one that is ERROR only because every row failed is decided afresh. The correction is
	// written over the final status without the forward-only batch moves, because the carrier,
	// not the engine, moved it.
	var byStatus []struct {
		Status string `db:"Status"`
		N      int    `db:"N"`
	}
	if err := t.sel(ctx, &byStatus, `SELECT Status, COUNT(*) AS N FROM M2M_DeviceChange WHERE BulkChangeId = ? GROUP BY Status`, bulkID); err != nil {
		return Correction{}, err
	}
	for _, s := range byStatus {
		out.Counts.Add(change.Status(s.Status), s.N)
	}
	from := out.Batch
	if from == change.BatchError && b.Details == "" {
		from = change.BatchProcessing
	}
	final, ok := out.Counts.Outcome(from)
	if !ok {
		return Correction{}, fmt.Errorf("store: bulk change %d finished with open rows", bulkID)
	}
	if _, err := t.exec(ctx, `UPDATE DeviceBulkChange SET Status = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`,
		string(final), c.By, t.now, bulkID); err != nil {
		return Correction{}, fmt.Errorf("store: recompute bulk change %d: %w", bulkID, err)
	}
	summary := fmt.Sprintf("Corrected: %s (was %s)", change.Describe(final, out.Counts).Headline, out.Batch.Words())
	if err := insertLogs(ctx, t, bulkID, 0, c.By, []LogEntry{{Description: LogCorrected, ResponseText: summary,
		ResponseStatus: string(final), HasErrors: final != change.BatchProcessed && final != change.BatchCancelled}}); err != nil {
		return Correction{}, err
	}
	out.Batch = final
	if out.OutboxID, err = insertOutbox(ctx, t, bulkID, true); err != nil {
		return Correction{}, err
	}
	return out, t.Commit()
}

// CorrectionDetails are the details of ActionChangeCorrected.
type CorrectionDetails struct {
	BulkChangeID int64         `json:"bulk_change_id"`
	From         change.Status `json:"from"`
	To           change.Status `json:"to"`
}

// flagChangeOnce puts a finished row on the admins' "needs attention" list: the carrier said two
// things about it that cannot be settled automatically. The row's status and the inventory stay
// as they are; the reason, the log and the callback are kept.
func (db *DB) flagChangeOnce(ctx context.Context, changeID int64, reason string, callbackLogID int64, by string, logs ...LogEntry) error {
	t, bulkID, err := db.beginOnBatchOf(ctx, changeID)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET AttentionReason = ?, AttentionDate = COALESCE(AttentionDate, ?),
		ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`, clipChangeColumn("AttentionReason", reason), t.now, by, t.now, changeID); err != nil {
		return fmt.Errorf("store: flag change %d: %w", changeID, err)
	}
	logs = append(logs, LogEntry{Description: LogNeedsAttention, HasErrors: true, ErrorText: reason})
	if err := insertLogs(ctx, t, bulkID, changeID, by, logs); err != nil {
		return err
	}
	if callbackLogID != 0 {
		if err := stampCallback(ctx, t, callbackLogID, bulkID, changeID); err != nil {
			return err
		}
	}
	return t.Commit()
}

// Attention is a row on the "needs attention" list.
type Attention struct {
	ChangeID     int64  `db:"Id"`
	BulkChangeID int64  `db:"BulkChangeId"`
	TenantID     int64  `db:"TenantId"`
	DeviceID     *int64 `db:"DeviceId"`
	// The row's identifiers before the change and the new ones it asked for.
	RowIdentifiers
	Status change.Status `db:"Status"`
	Reason string        `db:"AttentionReason"`
	Since  time.Time     `db:"AttentionDate"`
}

// NeedsAttention lists the flagged rows, oldest first (the filtered index
// IX_M2M_DeviceChange_Attention holds exactly them).
func (db *DB) NeedsAttention(ctx context.Context, limit int) ([]Attention, error) {
	if limit <= 0 {
		limit = 100
	}
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []Attention
	page, args := db.dialect.page(limit, 0)
	err = t.sel(ctx, &out, `SELECT m.Id, m.BulkChangeId, b.TenantId, m.DeviceId,
		COALESCE(m.ICCID, '') AS ICCID, COALESCE(m.IMEI, '') AS IMEI, COALESCE(m.MSISDN, '') AS MSISDN,
		COALESCE(m.EID, '') AS EID, COALESCE(m.NewICCID, '') AS NewICCID, COALESCE(m.NewIMEI, '') AS NewIMEI, m.Status, COALESCE(m.AttentionReason, '') AS AttentionReason, m.AttentionDate
		FROM M2M_DeviceChange m JOIN DeviceBulkChange b ON b.Id = m.BulkChangeId
		WHERE m.AttentionDate IS NOT NULL ORDER BY m.AttentionDate, m.Id `+page, args...)
	return out, err
}

// ClearAttention takes a row off the "needs attention" list once an admin has settled it: the
// row's log and the audit (change.settled, with the reason that was cleared) say who did.
func (db *DB) ClearAttention(ctx context.Context, changeID int64, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var row struct {
		BulkID   int64  `db:"BulkChangeId"`
		TenantID int64  `db:"TenantId"`
		Reason   string `db:"AttentionReason"`
	}
	if err := t.get(ctx, &row, `SELECT m.BulkChangeId, b.TenantId, COALESCE(m.AttentionReason, '') AS AttentionReason
		FROM M2M_DeviceChange m JOIN DeviceBulkChange b ON b.Id = m.BulkChangeId
		WHERE m.Id = ? AND m.AttentionDate IS NOT NULL`, changeID); err != nil {
		return notFound(err, "device change %d needs no attention", changeID)
	}
	bulkID, by := row.BulkID, a.Name
	if _, err := lockBatch(ctx, t, bulkID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET AttentionReason = NULL, AttentionDate = NULL, ModifiedBy = ?,
		ModifiedDate = ? WHERE Id = ?`, by, t.now, changeID); err != nil {
		return err
	}
	if err := insertLogs(ctx, t, bulkID, changeID, by, []LogEntry{{Description: LogNeedsAttention,
		ResponseText: "settled by " + by}}); err != nil {
		return err
	}
	if err := a.audit(ctx, t, ActionChangeSettled, "M2M_DeviceChange", changeID, &row.TenantID,
		SettledDetails{BulkChangeID: bulkID, Reason: row.Reason}); err != nil {
		return err
	}
	return t.Commit()
}

// SettledDetails are the details of ActionChangeSettled.
type SettledDetails struct {
	BulkChangeID int64  `json:"bulk_change_id"`
	Reason       string `json:"reason"` // what the row was flagged for
}

// TruthCounts are the numbers behind the issue-11 metrics.
type TruthCounts struct {
	Corrected        int `db:"Corrected"`
	CallbacksRefused int `db:"Rejected"`
	Attention        int `db:"Attention"`
	Waiting          int `db:"Waiting"` // rows sent and not yet confirmed by the carrier
	// NotOnline: rows changed within the online horizon whose device has not been seen online.
	NotOnline int `db:"NotOnline"`
	// OutsideChanges: identifier changes the inventory sync found at the carrier that idswap
	// did not make (OutsideChangeReason), over every sync run: it only grows.
	OutsideChanges int `db:"OutsideChanges"`
}

// OnlineHorizon is how long after a change its device is watched for coming online
// (IDSWAP_ONLINE_HORIZON's default).
const OnlineHorizon = 72 * time.Hour

// TruthCounts counts corrected rows, rejected callbacks, open contradictions, rows waiting for
// the carrier, rows changed in the last OnlineHorizon not yet seen online, and the outside
// changes the inventory syncs found (each run's count, which the sync keeps as it records them
// in the identifier history: a sum over a small table, not a scan of the history).
func (db *DB) TruthCounts(ctx context.Context) (TruthCounts, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return TruthCounts{}, err
	}
	defer t.Rollback()
	var c TruthCounts
	err = t.get(ctx, &c, `SELECT
		(SELECT COUNT(*) FROM M2M_DeviceChange WHERE CorrectedDate IS NOT NULL) AS Corrected,
		(SELECT COUNT(*) FROM ThingSpaceCallBackResponseLog WHERE RejectedReason IS NOT NULL) AS Rejected,
		(SELECT COUNT(*) FROM M2M_DeviceChange WHERE AttentionDate IS NOT NULL) AS Attention,
		(SELECT COUNT(*) FROM M2M_DeviceChange WHERE Status = ?) AS Waiting,
		(SELECT COUNT(*) FROM M2M_DeviceChange WHERE Status = ? AND OnlineSince IS NULL AND ProcessedDate >= ?) AS NotOnline,
		(SELECT COALESCE(SUM(ChangedOutside), 0) FROM InventorySyncRun) AS OutsideChanges`,
		string(change.StatusProcessing), string(change.StatusProcessed), time.Now().UTC().Add(-OnlineHorizon))
	return c, err
}

// RowsNotSeenOnline lists a request's PROCESSED rows whose device has not been seen online since
// the change.
func (db *DB) RowsNotSeenOnline(ctx context.Context, bulkID int64) ([]DeviceChange, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []DeviceChange
	err = t.sel(ctx, &out, deviceChangeSelect+` WHERE BulkChangeId = ? AND Status = ?
		AND OnlineSince IS NULL ORDER BY Id`, bulkID, string(change.StatusProcessed))
	return out, err
}

// MarkOnline records when a changed row's device was first seen online with its new
// identifiers. Only the row is written.
func (db *DB) MarkOnline(ctx context.Context, changeID int64, at time.Time) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET OnlineSince = ?
		WHERE Id = ? AND OnlineSince IS NULL`, at.UTC(), changeID); err != nil {
		return err
	}
	return t.Commit()
}

// OnlineCounts counts a request's changed rows whose device was seen online since, and those
// not (yet).
func (db *DB) OnlineCounts(ctx context.Context, bulkID int64) (online, notYet int, err error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer t.Rollback()
	var c struct {
		Online int `db:"Online"`
		NotYet int `db:"NotYet"`
	}
	err = t.get(ctx, &c, `SELECT
		COALESCE(SUM(CASE WHEN OnlineSince IS NOT NULL THEN 1 ELSE 0 END), 0) AS Online,
		COALESCE(SUM(CASE WHEN OnlineSince IS NULL THEN 1 ELSE 0 END), 0) AS NotYet
		FROM M2M_DeviceChange WHERE BulkChangeId = ? AND Status = ?`, bulkID, string(change.StatusProcessed))
	return c.Online, c.NotYet, err
}
