package store

import (
	"context"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// The log of a bulk change (M2MDeviceBulkChangeLog): every step of every row and of the batch
// as a whole. insertLogs is the one writer and BulkChangeLog the one reader; the engine writes
// it, the bulk change page and the row log read it.

// Log entry descriptions (M2MDeviceBulkChangeLog.LogEntryDescription), in the legacy vocabulary.
const (
	LogAccessToken        = "ThingSpace API: Access Token"
	LogSessionLogin       = "ThingSpace API: Session Login"
	LogChangeIdentifier   = "ThingSpace API: Change Identifier"
	LogDeviceLookup       = "ThingSpace API: Device Lookup"
	LogCarrierCall        = "ThingSpace API"
	LogCredentialsMissing = "Authentication credentials not found"
	LogAuthFailed         = "Authentication Failed"
	LogWritesDisabled     = "Write Operations Disabled"
	LogWaiting            = "Waiting for ThingSpace callback response"
	LogCarrierBusy        = "ThingSpace API: Retry Later"
	LogCallback           = "ThingSpace Callback"
	LogCarrierCheck       = "Carrier Check"
	LogResend             = "Carrier shows no change: sending again"
	LogNotConfirmed       = "Carrier did not confirm"
	LogChangeFailed       = "Change Failed"
	LogDatabaseUpdate     = "Database Update Successful"
	LogDatabaseError      = "Database Error"
	LogInvalidRow         = "Validation Error"
	LogBatchFailed        = "Bulk Change Failed"
	LogRetry              = "Retry Requested"
	LogCancelled          = "Rows Cancelled"
	LogScheduled          = "Scheduled"
	LogStarted            = "Scheduled Start"
	LogPaused             = "Paused"
	LogResumed            = "Resumed"
	LogComplete           = "Process Complete"
	LogCorrected          = "Corrected by the carrier"
	LogNeedsAttention     = "Needs attention"
	LogCallbackRejected   = "Callback rejected"
)

// Log entry statuses (M2MDeviceBulkChangeLog.ResponseStatus), as the legacy M2M logs wrote them.
const (
	LogStatusProcessed  = "PROCESSED"
	LogStatusProcessing = "PROCESSING"
	LogStatusError      = "ERROR"
)

// LogEntry is one M2MDeviceBulkChangeLog row: a step of one row of a bulk change, or of the
// batch as a whole (ChangeID 0; the column is NULL). Ids start at 1, so 0 is never a row: the
// writer can fill in a zero ChangeID from the step it belongs to, which is how the engine
// writes every entry.
type LogEntry struct {
	ID             int64     `db:"Id"`
	BulkChangeID   int64     `db:"BulkChangeId"`
	ChangeID       int64     `db:"M2MDeviceChangeId"` // 0: about the whole batch
	Description    string    `db:"LogEntryDescription"`
	RequestText    string    `db:"RequestText"`
	ResponseText   string    `db:"ResponseText"`
	ResponseStatus string    `db:"ResponseStatus"` // PROCESSED or ERROR (by HasErrors) when left empty
	HasErrors      bool      `db:"HasErrors"`
	ErrorText      string    `db:"ErrorText"`
	ErrorCode      string    `db:"ErrorCode"` // the carrier's errorCode or faultcode; failures are grouped by it
	ProcessedBy    string    `db:"ProcessedBy"`
	ProcessedDate  time.Time `db:"ProcessedDate"` // set by the store when zero
}

// insertLogs writes log entries inside the caller's transaction. Entries without a batch, row
// or author get the ones given.
func insertLogs(ctx context.Context, t *tx, bulkChangeID, changeID int64, by string, logs []LogEntry) error {
	if len(logs) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(logs))
	for _, l := range logs {
		if l.BulkChangeID == 0 {
			l.BulkChangeID = bulkChangeID
		}
		if l.ChangeID == 0 {
			l.ChangeID = changeID
		}
		if l.ProcessedBy == "" {
			l.ProcessedBy = by
		}
		if l.ProcessedDate.IsZero() {
			l.ProcessedDate = t.now
		}
		if l.ResponseStatus == "" {
			l.ResponseStatus = LogStatusProcessed
			if l.HasErrors {
				l.ResponseStatus = LogStatusError
			}
		}
		rows = append(rows, []any{l.BulkChangeID, nullIfZero(l.ChangeID), l.Description, nullIfEmpty(l.RequestText),
			nullIfEmpty(l.ResponseText), l.ResponseStatus, l.HasErrors, nullIfEmpty(l.ErrorText), nullIfEmpty(l.ErrorCode),
			l.ProcessedBy, l.ProcessedDate})
	}
	return insertMany(ctx, t, "M2MDeviceBulkChangeLog", []string{"BulkChangeId", "M2MDeviceChangeId", "LogEntryDescription",
		"RequestText", "ResponseText", "ResponseStatus", "HasErrors", "ErrorText", "ErrorCode", "ProcessedBy", "ProcessedDate"}, rows)
}

// AddLogs writes log entries on their own (each names its batch and, unless it is about the
// whole batch, its row).
func (db *DB) AddLogs(ctx context.Context, logs ...LogEntry) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := insertLogs(ctx, t, 0, 0, "", logs); err != nil {
		return err
	}
	return t.Commit()
}

// LogFilter chooses the entries of a bulk change that BulkChangeLog lists.
type LogFilter struct {
	// TenantID 0 means any tenant (admins, the engine). A bulk change of another tenant is
	// NotFound — the same answer as one that does not exist.
	TenantID     int64
	BulkChangeID int64
	// ChangeID lists the entries of that row only; a row that is not in the bulk change is
	// NotFound. 0 lists the entries of every row and of the batch, or with BatchOnly those about
	// the batch as a whole (carrier login, write gate, completion).
	ChangeID  int64
	BatchOnly bool
}

// BulkChangeLog lists the log entries a filter chooses, oldest first (in the order they were
// written when several share a time).
func (db *DB) BulkChangeLog(ctx context.Context, f LogFilter) ([]LogEntry, error) {
	if f.ChangeID != 0 && f.BatchOnly {
		return nil, apperr.E(apperr.Invalid, "a row's log has no entries about the whole batch")
	}
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	if err := checkTenant(ctx, t, f.TenantID, f.BulkChangeID); err != nil {
		return nil, err
	}
	q := `SELECT Id, BulkChangeId, COALESCE(M2MDeviceChangeId, 0) AS M2MDeviceChangeId, LogEntryDescription,
		COALESCE(RequestText, '') AS RequestText, COALESCE(ResponseText, '') AS ResponseText, ResponseStatus, HasErrors,
		COALESCE(ErrorText, '') AS ErrorText, COALESCE(ErrorCode, '') AS ErrorCode, ProcessedBy, ProcessedDate
		FROM M2MDeviceBulkChangeLog WHERE BulkChangeId = ?`
	args := []any{f.BulkChangeID}
	switch {
	case f.ChangeID != 0:
		var n int
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM M2M_DeviceChange WHERE Id = ? AND BulkChangeId = ?`, f.ChangeID, f.BulkChangeID); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.E(apperr.NotFound, "no row %d in bulk change %d", f.ChangeID, f.BulkChangeID)
		}
		q, args = q+` AND M2MDeviceChangeId = ?`, append(args, f.ChangeID)
	case f.BatchOnly:
		q += ` AND M2MDeviceChangeId IS NULL`
	}
	var out []LogEntry
	return out, t.sel(ctx, &out, q+` ORDER BY ProcessedDate, Id`, args...)
}

// FailureCodes returns, for each failed row of a request, the carrier's code written when it
// failed (rows that failed without one are absent).
func (db *DB) FailureCodes(ctx context.Context, bulkChangeID int64) (map[int64]string, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var rows []struct {
		ChangeID int64  `db:"M2MDeviceChangeId"`
		Code     string `db:"ErrorCode"`
	}
	err = t.sel(ctx, &rows, `SELECT M2MDeviceChangeId, ErrorCode FROM M2MDeviceBulkChangeLog
		WHERE BulkChangeId = ? AND M2MDeviceChangeId IS NOT NULL AND ErrorCode IS NOT NULL
		  AND LogEntryDescription IN (?, ?) ORDER BY Id`, bulkChangeID, LogChangeFailed, LogNotConfirmed)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ChangeID] = r.Code
	}
	return out, nil
}
