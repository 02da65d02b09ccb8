package store

import (
	"context"
	"time"

	"github.com/idswap/idswap/internal/change"
)

// ActionComplianceReport records a compliance report made, with the SHA-256 of its file.
const ActionComplianceReport AuditAction = "report.compliance"

// ComplianceReportDetails are the details of ActionComplianceReport.
type ComplianceReportDetails struct {
	From   string `json:"from"` // yyyy-mm-dd, inclusive
	To     string `json:"to"`   // yyyy-mm-dd, inclusive
	Format string `json:"format"`
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
}

// ComplianceRow is one identifier change the carrier confirmed: who asked and why, when it was
// sent and confirmed, the identifiers before and after, and the carrier's request id.
type ComplianceRow struct {
	ChangeID     int64     `db:"Id"`
	BulkChangeID int64     `db:"BulkChangeId"`
	TenantName   string    `db:"TenantName"`
	ChangeType   string    `db:"ChangeType"`
	RequestedBy  string    `db:"CreatedBy"`
	Reason       string    `db:"Reason"`
	RequestedAt  time.Time `db:"RequestedAt"`
	RowIdentifiers
	ServicePlan string     `db:"ServicePlan"`
	RequestID   string     `db:"RequestId"`
	SentAt      *time.Time `db:"SubmittedDate"`
	ConfirmedAt *time.Time `db:"ProcessedDate"`
}

// ComplianceFilter is the period (From inclusive, To exclusive, UTC) and tenant (0: every
// tenant) of a compliance report.
type ComplianceFilter struct {
	TenantID int64
	From, To time.Time
}

// EachComplianceRow calls fn for every identifier change confirmed in the period, in the order
// they were confirmed. Only PROCESSED rows changed an identifier; refused and cancelled ones are
// on the request's own page and CSV.
func (db *DB) EachComplianceRow(ctx context.Context, f ComplianceFilter, fn func(ComplianceRow) error) error {
	t, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	rows, err := t.query(ctx, `SELECT c.Id, c.BulkChangeId, tn.Name AS TenantName, ct.Name AS ChangeType,
		b.CreatedBy, COALESCE(b.Reason, '') AS Reason, b.CreatedDate AS RequestedAt,
		COALESCE(c.ICCID, '') AS ICCID, COALESCE(c.IMEI, '') AS IMEI, COALESCE(c.MSISDN, '') AS MSISDN, COALESCE(c.EID, '') AS EID,
		COALESCE(c.NewICCID, '') AS NewICCID, COALESCE(c.NewIMEI, '') AS NewIMEI, COALESCE(c.ServicePlan, '') AS ServicePlan,
		COALESCE(c.RequestId, '') AS RequestId, c.SubmittedDate, c.ProcessedDate
		FROM M2M_DeviceChange c
		JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		JOIN Tenant tn ON tn.Id = b.TenantId
		JOIN DeviceChangeRequestType ct ON ct.Id = b.ChangeRequestTypeId
		WHERE c.Status = ? AND c.ProcessedDate >= ? AND c.ProcessedDate < ? AND (? = 0 OR b.TenantId = ?)
		ORDER BY c.ProcessedDate, c.Id`, string(change.StatusProcessed), f.From.UTC(), f.To.UTC(), f.TenantID, f.TenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r ComplianceRow
		var sent, confirmed dbTime
		var requested dbTime
		if err := rows.Scan(&r.ChangeID, &r.BulkChangeID, &r.TenantName, &r.ChangeType, &r.RequestedBy, &r.Reason, &requested,
			&r.ICCID, &r.IMEI, &r.MSISDN, &r.EID, &r.NewICCID, &r.NewIMEI, &r.ServicePlan, &r.RequestID, &sent, &confirmed); err != nil {
			return err
		}
		if p := requested.ptr(); p != nil {
			r.RequestedAt = *p
		}
		r.SentAt, r.ConfirmedAt = sent.ptr(), confirmed.ptr()
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
