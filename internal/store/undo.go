package store

import (
	"context"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// finalBatchStatuses is the SQL list of the batch statuses a request ends in. A request in any
// other status (NEW, PROCESSING, or one added later such as a scheduled or paused request) is
// open.
var finalBatchStatuses = func() string {
	var out []string
	for _, s := range change.BatchStatuses {
		if s.Final() {
			out = append(out, "'"+string(s)+"'")
		}
	}
	return strings.Join(out, ", ")
}()

// OpenUndo returns the id of an undo of the request that has not finished, or 0 when none has.
func (db *DB) OpenUndo(ctx context.Context, bulkChangeID int64) (int64, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	return openUndo(ctx, t, bulkChangeID)
}

func openUndo(ctx context.Context, t *tx, bulkChangeID int64) (int64, error) {
	var ids []int64
	if err := t.sel(ctx, &ids, `SELECT Id FROM DeviceBulkChange WHERE UndoOfBulkChangeId = ? AND IsDeleted = 0
		AND Status NOT IN (`+finalBatchStatuses+`) ORDER BY Id`, bulkChangeID); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// checkNoOpenUndo refuses a second undo of a request while one is open. Two undos submitted at
// the same moment would both pass it, but they name the same devices, so the open-row unique
// index on DeviceId (migration 00003) lets only one of them be stored.
func checkNoOpenUndo(ctx context.Context, t *tx, bulkChangeID int64) error {
	id, err := openUndo(ctx, t, bulkChangeID)
	if err != nil {
		return err
	}
	if id != 0 {
		return apperr.E(apperr.Conflict, "Bulk change %d is being undone already by bulk change %d; wait for it to finish.", bulkChangeID, id)
	}
	return nil
}

// UndoCandidate is a row of a request with what an undo needs to know about its device now.
type UndoCandidate struct {
	DeviceChange
	// The device's identifiers now ("" when the device is gone from the inventory).
	DeviceICCID  string `db:"DeviceICCID"`
	DeviceIMEI   string `db:"DeviceIMEI"`
	DeviceMSISDN string `db:"DeviceMSISDN"`
	DeviceFound  bool   `db:"DeviceFound"`
	// LaterBulkChangeID is the newest request that changed the same device after this row, with
	// the carrier's confirmation (PROCESSED); 0 when none did.
	LaterBulkChangeID int64 `db:"LaterBulkChangeId"`
}

// UndoCandidates lists every row of a request in order (Number set) with its device's
// identifiers now and the newest later processed change of the device: what decides whether
// the row can be undone. The caller has checked that the request belongs to the user's tenant.
func (db *DB) UndoCandidates(ctx context.Context, bulkChangeID int64) ([]UndoCandidate, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	// deviceChangeSelect's columns, each qualified: the device has columns of the same names.
	q := `SELECT c.Id, c.BulkChangeId, c.DeviceId, COALESCE(c.ICCID, '') AS ICCID, COALESCE(c.IMEI, '') AS IMEI,
	COALESCE(c.MSISDN, '') AS MSISDN, COALESCE(c.EID, '') AS EID, COALESCE(c.NewICCID, '') AS NewICCID,
	COALESCE(c.NewIMEI, '') AS NewIMEI, COALESCE(c.ServicePlan, '') AS ServicePlan, c.Status,
	COALESCE(c.StatusDetails, '') AS StatusDetails, c.HasErrors, c.IsProcessed, c.ChangeRequest, COALESCE(c.RequestId, '') AS RequestId,
	c.SubmittedDate, COALESCE(c.ProcessedBy, '') AS ProcessedBy, c.ProcessedDate, c.CreatedDate, c.ModifiedDate,
	c.SentDate, c.CorrectedDate, COALESCE(c.AttentionReason, '') AS AttentionReason, c.OnlineSince,
	COALESCE(d.ICCID, '') AS DeviceICCID, COALESCE(d.IMEI, '') AS DeviceIMEI, COALESCE(d.MSISDN, '') AS DeviceMSISDN,
	CASE WHEN d.Id IS NULL THEN 0 ELSE 1 END AS DeviceFound,
	COALESCE((SELECT MAX(l.BulkChangeId) FROM M2M_DeviceChange l
		WHERE l.DeviceId = c.DeviceId AND l.Id > c.Id AND l.Status = ?), 0) AS LaterBulkChangeId
FROM M2M_DeviceChange c
LEFT JOIN Device d ON d.Id = c.DeviceId AND d.IsDeleted = 0
WHERE c.BulkChangeId = ? ORDER BY c.Id`
	var out []UndoCandidate
	if err := t.sel(ctx, &out, q, string(change.StatusProcessed), bulkChangeID); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Number = i + 1
	}
	return out, nil
}
