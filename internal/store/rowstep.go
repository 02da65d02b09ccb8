package store

import (
	"context"
	"fmt"

	"github.com/idswap/idswap/internal/change"
)

// RowStep is one step of a row's life, written the way the engine writes it: the row's new
// status with its details, a log entry, the inventory swap when the row succeeds, and the batch's
// status once no row is open. Tests and demos use it to move a batch while the engine is not
// running; the engine has its own path. Every transition goes through change.CheckMove and
// change.CheckBatchMove, so a step can never make a state the engine could not.
type RowStep struct {
	ChangeID  int64
	To        change.Status
	Details   string // StatusDetails
	RequestID string // the carrier's request id; "" keeps the one stored
	// Log, when set, is written with the step; its BulkChangeID and ChangeID are filled in.
	Log *RowLogEntry
	By  string
}

// StepRow applies a RowStep in one transaction. It returns false, writing nothing, when the row
// is no longer in a status that may move to s.To — someone else (the engine) moved it first —
// so a test that drives rows stays correct when the engine drives them too.
func (db *DB) StepRow(ctx context.Context, s RowStep) (bool, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer t.Rollback()
	var c DeviceChange
	if err := t.get(ctx, &c, deviceChangeSelect+` WHERE Id = ?`, s.ChangeID); err != nil {
		return false, notFound(err, "no device change %d", s.ChangeID)
	}
	if c.Status == s.To || change.CheckMove(c.Status, s.To) != nil {
		return false, nil
	}
	final := !s.To.Open()
	set := `Status = ?, StatusDetails = ?, HasErrors = ?, IsProcessed = ?, ModifiedBy = ?, ModifiedDate = ?`
	args := []any{string(s.To), nullIfEmpty(s.Details), s.To.Failed(), final, s.By, t.now}
	if s.RequestID != "" {
		set, args = set+`, RequestId = ?`, append(args, s.RequestID)
	}
	if s.To == change.StatusProcessing {
		set, args = set+`, SubmittedDate = ?`, append(args, t.now)
	}
	if final {
		set, args = set+`, ProcessedBy = ?, ProcessedDate = ?`, append(args, s.By, t.now)
	}
	res, err := t.exec(ctx, `UPDATE M2M_DeviceChange SET `+set+` WHERE Id = ? AND Status = ?`,
		append(args, c.ID, string(c.Status))...)
	if err != nil {
		return false, fmt.Errorf("store: step row %d: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if s.To == change.StatusProcessed && c.DeviceID != nil {
		var b BulkChange
		if err := t.get(ctx, &b, bulkChangeSelect+` WHERE b.Id = ?`, c.BulkChangeID); err != nil {
			return false, err
		}
		if _, err := updateIdentifier(ctx, t, IdentifierUpdate{ServiceProviderID: b.ServiceProviderID, DeviceID: *c.DeviceID,
			OldICCID: c.ICCID, OldIMEI: c.IMEI, NewICCID: c.NewICCID, NewIMEI: c.NewIMEI, ProcessedBy: s.By,
			Reason: b.Reason, BulkChangeID: c.BulkChangeID, ChangeID: c.ID}); err != nil {
			return false, err
		}
	}
	if s.Log != nil {
		e := *s.Log
		e.BulkChangeID, e.ChangeID = c.BulkChangeID, &c.ID
		if err := insertRowLog(ctx, t, e); err != nil {
			return false, err
		}
	}
	if err := settleBatch(ctx, t, c.BulkChangeID, s.By); err != nil {
		return false, err
	}
	return true, t.Commit()
}

// settleBatch moves a batch to PROCESSING once a row has moved, and to its outcome once no row
// is open.
func settleBatch(ctx context.Context, t *tx, bulkChangeID int64, by string) error {
	var b BulkChange
	if err := t.get(ctx, &b, bulkChangeSelect+` WHERE b.Id = ?`, bulkChangeID); err != nil {
		return err
	}
	if err := fillBulkChanges(ctx, t, []*BulkChange{&b}); err != nil {
		return err
	}
	to, final := b.Counts.Outcome()
	if !final {
		to = change.BatchProcessing
	}
	if to == b.Status || change.CheckBatchMove(b.Status, to) != nil {
		return nil
	}
	set, args := `Status = ?, ModifiedBy = ?, ModifiedDate = ?`, []any{string(to), by, t.now}
	if final {
		set, args = set+`, ProcessedBy = ?, ProcessedDate = ?`, append(args, by, t.now)
	}
	_, err := t.exec(ctx, `UPDATE DeviceBulkChange SET `+set+` WHERE Id = ? AND Status = ?`, append(args, b.ID, string(b.Status))...)
	return err
}

// AppendRowLog writes one log entry on its own: a step of the batch as a whole when ChangeID is
// nil. Its ProcessedDate is the transaction's time when zero.
func (db *DB) AppendRowLog(ctx context.Context, e RowLogEntry) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := insertRowLog(ctx, t, e); err != nil {
		return err
	}
	return t.Commit()
}

func insertRowLog(ctx context.Context, t *tx, e RowLogEntry) error {
	if e.ProcessedDate.IsZero() {
		e.ProcessedDate = t.now
	}
	if e.ResponseStatus == "" {
		e.ResponseStatus = "OK"
		if e.HasErrors {
			e.ResponseStatus = "ERROR"
		}
	}
	var changeID any
	if e.ChangeID != nil {
		changeID = *e.ChangeID
	}
	_, err := t.insert(ctx, "M2MDeviceBulkChangeLog",
		[]string{"BulkChangeId", "M2MDeviceChangeId", "LogEntryDescription", "RequestText", "ResponseText",
			"ResponseStatus", "HasErrors", "ErrorText", "ErrorCode", "ProcessedBy", "ProcessedDate"},
		e.BulkChangeID, changeID, e.Description, nullIfEmpty(e.RequestText), nullIfEmpty(e.ResponseText),
		e.ResponseStatus, e.HasErrors, nullIfEmpty(e.ErrorText), nullIfEmpty(e.ErrorCode), e.ProcessedBy, e.ProcessedDate)
	return err
}
