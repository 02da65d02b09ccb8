package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const (
	bulkChangePageSize = 25
	changeRowPageSize  = 50
)

// bulkChanges is the list of requests: a manager's tenant's, or every tenant's (or one) for an
// admin, filtered by status, change type, provider, requester and creation date.
func (s *Server) bulkChanges(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := c.QueryParams()
	page := max(1, atoiDefault(q.Get("page"), 1))
	f := store.BulkChangeFilter{Limit: bulkChangePageSize, Offset: (page - 1) * bulkChangePageSize,
		CreatedBy: strings.TrimSpace(q.Get("requester"))}
	form := views.BulkChangeForm{Requester: f.CreatedBy, From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{}}

	if v := q.Get("status"); v != "" {
		if !slices.Contains(change.BatchStatuses, change.BatchStatus(v)) {
			return apperr.E(apperr.Invalid, "status %q is not a bulk change status", v)
		}
		f.Status = change.BatchStatus(v)
	}
	if v := q.Get("type"); v != "" {
		t, err := change.ParseType(v)
		if err != nil {
			return err
		}
		f.Type = t
	}
	f.ProviderID = int64(atoiDefault(q.Get("provider"), 0))
	f.From, f.To = parseDateRange(form.From, form.To, form.Errors)

	var tenantOpts []views.Option
	if u.IsAdmin() {
		tenant := int64(atoiDefault(q.Get("tenant"), 0))
		f.TenantID, f.AllTenants = tenant, tenant == 0
		ts, err := s.store.Tenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			tenantOpts = append(tenantOpts, views.Option{Value: fmt.Sprint(t.ID), Label: t.Name, Selected: t.ID == tenant})
		}
	} else {
		f.TenantID = *u.TenantID
	}

	status := http.StatusOK
	res := views.BulkChangeResults{ShowTenant: u.IsAdmin(), Filtered: f.Status != "" || f.Type != "" || f.ProviderID != 0 ||
		f.CreatedBy != "" || f.From != nil || f.To != nil || (u.IsAdmin() && !f.AllTenants)}
	if len(form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		res.Error = "Nothing was listed: " + strings.Join(mapValues(form.Errors), "; ") + "."
	} else {
		bs, total, err := s.store.BulkChanges(ctx, f)
		if err != nil {
			return err
		}
		for _, b := range bs {
			res.Rows = append(res.Rows, bulkChangeRow(b))
		}
		res.Pager = pager(c.Request().URL, page, bulkChangePageSize, total)
	}
	if isHTMX(c) {
		return render(c, status, views.BulkChangeTable(res))
	}
	p := views.BulkChanges{Layout: layout(c, "Bulk changes", "changes"), Form: form, ShowTenant: u.IsAdmin(),
		Tenants: tenantOpts, Results: res}
	for _, st := range change.BatchStatuses {
		p.Statuses = append(p.Statuses, views.Option{Value: string(st), Label: string(st), Selected: st == f.Status})
	}
	for _, t := range change.Types {
		p.Types = append(p.Types, views.Option{Value: string(t), Label: t.Label(), Selected: t == f.Type})
	}
	ps, err := s.store.Providers(ctx)
	if err != nil {
		return err
	}
	for _, pr := range ps {
		p.Providers = append(p.Providers, views.Option{Value: fmt.Sprint(pr.ID), Label: pr.DisplayName, Selected: pr.ID == f.ProviderID})
	}
	return render(c, status, views.BulkChangesPage(p))
}

// parseDateRange reads two yyyy-mm-dd dates: from inclusive, to inclusive (so the filter's end
// is the next midnight). A bad date is an error next to its field.
func parseDateRange(from, to string, errs map[string]string) (*time.Time, *time.Time) {
	var f, t *time.Time
	if from != "" {
		d, err := time.Parse("2006-01-02", from)
		if err != nil {
			errs["from"] = fmt.Sprintf("%q is not a date (yyyy-mm-dd)", from)
		} else {
			f = &d
		}
	}
	if to != "" {
		d, err := time.Parse("2006-01-02", to)
		if err != nil {
			errs["to"] = fmt.Sprintf("%q is not a date (yyyy-mm-dd)", to)
		} else {
			end := d.AddDate(0, 0, 1)
			t = &end
		}
	}
	if f != nil && t != nil && !f.Before(*t) {
		errs["to"] = "the end date is before the start date"
	}
	return f, t
}

// bulkChangeFor reads the request named in the URL, as the user may see it: another tenant's is
// NotFound, like one that does not exist.
func (s *Server) bulkChangeFor(c echo.Context) (*store.BulkChange, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	return s.store.BulkChange(c.Request().Context(), scopeOf(currentUser(c)), id)
}

// bulkChangePage is one request: its facts, the live status region and the row table. For an
// htmx request (the row filter, the pager, the live refresh) it answers with the row table only.
func (s *Server) bulkChangePage(c echo.Context) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	rows, filter, err := s.changeRows(c, b)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.BulkChangeRowsRegion(rows))
	}
	ctx := c.Request().Context()
	batchLog, err := s.store.BulkChangeLog(ctx, store.LogFilter{TenantID: scopeOf(currentUser(c)), BulkChangeID: b.ID, BatchOnly: true})
	if err != nil {
		return err
	}
	p := views.BulkChangePage{Layout: layout(c, fmt.Sprintf("Bulk change #%d", b.ID), "changes"), ID: b.ID,
		Type: b.Type.Label(), Provider: b.ProviderName, Tenant: b.TenantName, By: b.CreatedBy, Reason: b.Reason,
		Created: fmtTime(b.CreatedDate), Total: b.Counts.Total, Status: s.bulkStatus(c, b), Filter: filter, Rows: rows,
		BatchLog: logEntries(batchLog)}
	return render(c, http.StatusOK, views.BulkChangePageView(p))
}

// changeRows reads the page of rows the query asks for (status filter, page number).
func (s *Server) changeRows(c echo.Context, b *store.BulkChange) (views.BulkChangeRows, views.RowFilter, error) {
	q := c.QueryParams()
	var f store.DeviceChangeFilter
	if v := q.Get("status"); v != "" {
		if !slices.Contains(change.Statuses, change.Status(v)) {
			return views.BulkChangeRows{}, views.RowFilter{}, apperr.E(apperr.Invalid, "status %q is not a row status", v)
		}
		f.Status = change.Status(v)
	}
	page := max(1, atoiDefault(q.Get("page"), 1))
	f.Limit, f.Offset = changeRowPageSize, (page-1)*changeRowPageSize
	cs, total, err := s.store.DeviceChanges(c.Request().Context(), b.ID, f)
	if err != nil {
		return views.BulkChangeRows{}, views.RowFilter{}, err
	}
	base := fmt.Sprintf("/bulk-changes/%d", b.ID)
	self := url.Values{}
	if f.Status != "" {
		self.Set("status", string(f.Status))
	}
	if page > 1 {
		self.Set("page", strconv.Itoa(page))
	}
	r := views.BulkChangeRows{URL: withQuery(base, self), Live: !b.Status.Final(),
		Pager: pager(&url.URL{Path: base, RawQuery: self.Encode()}, page, changeRowPageSize, total), Empty: "No row of this request is " + string(f.Status) + "."}
	if f.Status == "" {
		r.Empty = "This request has no rows."
	}
	for _, d := range cs {
		row := views.ChangeRow{ID: d.ID, Changes: rowChanges(d.RowIdentifiers), Status: string(d.Status), StatusClass: string(d.Status),
			Details: rowDetails(d), RequestID: d.RequestID, Created: fmtTime(d.CreatedDate), Submitted: fmtTimePtr(d.SubmittedDate),
			Processed: fmtTimePtr(d.ProcessedDate), LogURL: fmt.Sprintf("%s/rows/%d/log", base, d.ID)}
		if d.DeviceID != nil {
			row.DeviceURL = fmt.Sprintf("/devices/%d", *d.DeviceID)
		}
		r.Rows = append(r.Rows, row)
	}
	filter := views.RowFilter{Action: base}
	for _, st := range change.Statuses {
		filter.Options = append(filter.Options, views.Option{Value: string(st), Label: string(st), Selected: st == f.Status})
	}
	return r, filter, nil
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// bulkStatus builds the live status region. Its poll URL carries the state it shows (v), so
// the next poll can tell whether anything changed and tell the row table to reload.
func (s *Server) bulkStatus(c echo.Context, b *store.BulkChange) views.BulkChangeStatus {
	u := currentUser(c)
	base := fmt.Sprintf("/bulk-changes/%d", b.ID)
	done := b.Counts.Total - b.Counts.Open()
	st := views.BulkChangeStatus{ID: b.ID, Status: string(b.Status), StatusClass: string(b.Status), StatusDetails: b.StatusDetails,
		Final: b.Status.Final(), Summary: fmt.Sprintf("%d of %d rows finished", done, b.Counts.Total),
		Counts: countCells(b.Counts), Progress: progressOf(b.Counts), CSRF: csrfToken(c), CSVURL: base + "/rows.csv"}
	if st.Final {
		st.Finished = fmtTimePtr(b.ProcessedDate)
		st.Summary = b.Status.OutcomeWords()
		st.Summary = strings.ToUpper(st.Summary[:1]) + st.Summary[1:] + fmt.Sprintf(": %d of %d rows processed", b.Counts.Processed, b.Counts.Total)
	} else {
		st.PollURL = base + "/status?v=" + url.QueryEscape(statusVersion(b))
	}
	// The actions' handlers live elsewhere (cancel and admin retry: the engine; retry of the
	// failed rows: the request wizard); this page only offers them when they apply.
	if !st.Final && b.Counts.New > 0 {
		st.CancelURL = base + "/cancel"
	}
	if b.Counts.Failed() > 0 {
		st.RetryURL = fmt.Sprintf("/bulk-changes/new?retry=%d", b.ID)
	}
	if u.IsAdmin() && b.Status == change.BatchError {
		st.AdminRetryURL = base + "/retry"
	}
	return st
}

// statusVersion is the state the status region shows, as a short string.
func statusVersion(b *store.BulkChange) string {
	c := b.Counts
	mod := ""
	if b.ModifiedDate != nil {
		mod = strconv.FormatInt(b.ModifiedDate.UnixMilli(), 36)
	}
	return fmt.Sprintf("%s.%d.%d.%d.%d.%d.%d.%s", b.Status, c.New, c.Processing, c.Processed, c.APIFailed, c.Error, c.Cancelled, mod)
}

// bulkChangeStatus is the status region alone, which polls itself while the batch runs. When
// the state differs from the one the browser shows, it also tells the row table to reload
// (HX-Trigger). A finished batch's region comes back without its trigger, and the polling stops.
func (s *Server) bulkChangeStatus(c echo.Context) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	if c.QueryParam("v") != statusVersion(b) {
		c.Response().Header().Set("HX-Trigger", "bulk-rows-changed")
	}
	return render(c, http.StatusOK, views.BulkChangeStatusRegion(s.bulkStatus(c, b)))
}

// bulkChangeRowLog is one row's log: a panel for htmx, a page otherwise.
func (s *Server) bulkChangeRowLog(c echo.Context) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	rowID, err := strconv.ParseInt(c.Param("rowID"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no row %q in bulk change %d.", c.Param("rowID"), b.ID)
	}
	es, err := s.store.BulkChangeLog(c.Request().Context(), store.LogFilter{TenantID: scopeOf(currentUser(c)), BulkChangeID: b.ID, ChangeID: rowID})
	if err != nil {
		return err
	}
	l := views.RowLog{Title: fmt.Sprintf("Log of row %d", rowID), Entries: logEntries(es)}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.RowLogPanel(l))
	}
	return render(c, http.StatusOK, views.RowLogPageView(views.RowLogPage{
		Layout: layout(c, l.Title, "changes"), BackURL: fmt.Sprintf("/bulk-changes/%d", b.ID), Log: l}))
}

// bulkChangeCSV streams every row of a request as CSV, row by row as the database returns them.
func (s *Server) bulkChangeCSV(c echo.Context) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	header := []string{"row_id", "bulk_change_id", "device_id", "iccid", "imei", "mdn", "eid", "new_iccid", "new_imei",
		"service_plan", "status", "details", "carrier_request_id", "created_utc", "submitted_utc", "processed_utc"}
	return s.streamCSV(c, fmt.Sprintf("bulk-change-%d-rows.csv", b.ID), header, func(write func(...string) error) error {
		return s.store.EachDeviceChange(c.Request().Context(), b.ID, func(d store.DeviceChange) error {
			return write(strconv.FormatInt(d.ID, 10), strconv.FormatInt(b.ID, 10), idText(d.DeviceID), d.ICCID, d.IMEI, d.MSISDN, d.EID,
				d.NewICCID, d.NewIMEI, d.ServicePlan, string(d.Status), d.StatusDetails, d.RequestID, fmtTime(d.CreatedDate),
				fmtTimePtr(d.SubmittedDate), fmtTimePtr(d.ProcessedDate))
		})
	})
}

// rowDetails is what the row's Details column says: its StatusDetails ("Waiting for the carrier
// to confirm …" while the carrier has not; for a changed row whether its device has been seen
// online since), after what an admin must know first — that the
// carrier contradicted the row (needs attention) or corrected it after it had finished.
func rowDetails(d store.DeviceChange) string {
	out := d.StatusDetails
	if d.Status == change.StatusProcessed {
		if d.OnlineSince != nil {
			out += " · Online with the new identifiers since " + fmtTime(*d.OnlineSince)
		} else {
			out += " · Not seen online yet"
		}
	}
	if d.CorrectedDate != nil {
		out = "Corrected by the carrier at " + fmtTime(*d.CorrectedDate) + ": " + out
	}
	if d.AttentionReason != "" {
		out = "Needs attention: " + d.AttentionReason + ". " + out
	}
	return out
}
