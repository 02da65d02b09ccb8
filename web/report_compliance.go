package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// The compliance report: every identifier change confirmed in a period, for one tenant (an
// admin may take all). The file is made whole in memory so that its SHA-256 is known before it
// is sent: the page shows it, the download carries it in a header, and the audit trail records
// it with the period and the row count. The file holds no time of its own making, so the same
// period gives the same bytes and the same hash for as long as the data is the same. Both the
// CSV and the .xlsx go through the one spreadsheet writer (internal/sheet): free text that a
// spreadsheet would run as a formula is neutralised and identifiers stay text.

// reportStore is what the reports read and record.
type reportStore interface {
	EachComplianceRow(ctx context.Context, f store.ComplianceFilter, fn func(store.ComplianceRow) error) error
	RecordAudit(ctx context.Context, ev store.AuditEvent) error
}

var complianceHeader = sheet.Texts("bulk_change_id", "row_id", "tenant", "change_type", "requested_by", "reason", "requested_utc",
	"old_iccid", "new_iccid", "old_imei", "new_imei", "mdn", "eid", "service_plan", "sent_utc", "confirmed_utc", "carrier_request_id")

// complianceFile makes the report's file in format, its SHA-256 and its first rows for the preview.
func (s *Server) complianceFile(ctx context.Context, f store.ComplianceFilter, format sheet.Format) (data []byte, sum string, rows int, preview []store.ComplianceRow, err error) {
	var buf bytes.Buffer
	w := sheet.New(format, &buf)
	if err := w.Write(complianceHeader...); err != nil {
		return nil, "", 0, nil, err
	}
	err = s.store.EachComplianceRow(ctx, f, func(r store.ComplianceRow) error {
		rows++
		if len(preview) < 20 {
			preview = append(preview, r)
		}
		return w.Write(sheet.Int(r.BulkChangeID), sheet.Int(r.ChangeID), sheet.Text(r.TenantName), sheet.Text(r.ChangeType),
			sheet.Text(r.RequestedBy), sheet.Text(r.Reason), sheet.Text(fmtTime(r.RequestedAt)), sheet.ID(r.ICCID), sheet.ID(r.NewICCID),
			sheet.ID(r.IMEI), sheet.ID(r.NewIMEI), sheet.ID(r.MSISDN), sheet.ID(r.EID), sheet.Text(r.ServicePlan),
			sheet.Text(fmtTimePtr(r.SentAt)), sheet.Text(fmtTimePtr(r.ConfirmedAt)), sheet.Text(r.RequestID))
	})
	if err != nil {
		return nil, "", 0, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, "", 0, nil, err
	}
	h := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(h[:]), rows, preview, nil
}

// complianceFilter reads tenant, from and to; a manager's tenant is always their own.
func complianceFilter(u *store.User, q url.Values, errs map[string]string) (store.ComplianceFilter, bool) {
	f := store.ComplianceFilter{TenantID: scopeOf(u)}
	if u.IsAdmin() {
		f.TenantID, _ = strconv.ParseInt(q.Get("tenant"), 10, 64)
	}
	if q.Get("from") == "" || q.Get("to") == "" {
		return f, false
	}
	from, to := parseDateRange(q.Get("from"), q.Get("to"), errs)
	if from == nil || to == nil || len(errs) > 0 {
		return f, false
	}
	f.From, f.To = *from, *to
	return f, true
}

// complianceReport is the page: the form, and for a chosen period the count, hash and preview.
func (s *Server) complianceReport(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := c.QueryParams()
	errs := map[string]string{}
	f, ok := complianceFilter(u, q, errs)
	p := views.ComplianceReport{Layout: layout(c, "Compliance report", "reports"), From: q.Get("from"), To: q.Get("to"), Errors: errs}
	if u.IsAdmin() {
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		p.Tenants = ts.options(f.TenantID)
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if ok {
		_, sum, rows, preview, err := s.complianceFile(ctx, f, sheet.CSV)
		if err != nil {
			return err
		}
		p.Made, p.Rows, p.SHA256 = true, rows, sum
		p.DownloadURL = paths.ComplianceReportCSV + "?" + c.Request().URL.RawQuery
		p.DownloadXLSXURL = paths.ComplianceReportXLSX + "?" + c.Request().URL.RawQuery
		for _, r := range preview {
			p.Preview = append(p.Preview, views.ComplianceLine{BulkChangeURL: paths.BulkChange(r.BulkChangeID), BulkChangeID: r.BulkChangeID,
				Tenant: r.TenantName, RequestedBy: r.RequestedBy, Reason: r.Reason, OldICCID: r.ICCID, NewICCID: r.NewICCID,
				OldIMEI: r.IMEI, NewIMEI: r.NewIMEI, Sent: fmtTimePtr(r.SentAt), Confirmed: fmtTimePtr(r.ConfirmedAt), CarrierRequest: r.RequestID})
		}
	}
	return render(c, status, views.ComplianceReportPage(p))
}

// complianceDownload is the report's file (CSV or .xlsx); the audit trail records each download
// with the file's SHA-256.
func (s *Server) complianceDownload(c echo.Context, format sheet.Format) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := c.QueryParams()
	errs := map[string]string{}
	f, ok := complianceFilter(u, q, errs)
	if !ok {
		msg := "Choose the period: from and to, as yyyy-mm-dd."
		for _, k := range []string{"from", "to"} {
			if errs[k] != "" {
				msg = k + ": " + errs[k] + "."
			}
		}
		return apperr.E(apperr.Invalid, "%s", msg)
	}
	data, sum, rows, _, err := s.complianceFile(ctx, f, format)
	if err != nil {
		return err
	}
	var tenant *int64
	if f.TenantID != 0 {
		tenant = &f.TenantID
	}
	if err := s.store.RecordAudit(ctx, store.AuditEvent{TenantID: tenant, UserID: &u.ID, Actor: u.Email, Action: store.ActionComplianceReport,
		EntityType: "Report", EntityID: "compliance", RemoteAddr: c.RealIP(),
		Details: store.ComplianceReportDetails{From: q.Get("from"), To: q.Get("to"), Format: string(format), Rows: rows, SHA256: sum}}); err != nil {
		return err
	}
	name := fmt.Sprintf("idswap-compliance-%s-to-%s.%s", q.Get("from"), q.Get("to"), format)
	if f.TenantID != 0 {
		name = fmt.Sprintf("idswap-compliance-tenant-%d-%s-to-%s.%s", f.TenantID, q.Get("from"), q.Get("to"), format)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, name))
	h.Set("Idswap-Content-SHA256", sum)
	return c.Blob(http.StatusOK, format.ContentType(), data)
}
