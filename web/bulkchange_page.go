package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const (
	bulkChangePageSize = 25
	changeRowPageSize  = 50
)

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
	p := views.BulkChangePageModel{Layout: layout(c, fmt.Sprintf("Bulk change #%d", b.ID), "changes"), ID: b.ID,
		Type: b.Type.Label(), Provider: b.ProviderName, Tenant: b.TenantName, By: b.CreatedBy, Reason: b.Reason, Priority: b.Priority.Words(),
		Created: fmtTime(b.CreatedDate), Total: b.Counts.Total, Status: s.bulkStatus(c, b), Filter: filter, Rows: rows,
		BatchLog: logEntries(batchLog)}
	p.UndoOf, p.UndoneBy = undoLinks(b)
	return render(c, http.StatusOK, views.BulkChangePage(p))
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
	cs, total, page, err := listPage(readPage(q.Get("page")), changeRowPageSize, func(limit, offset int) ([]store.DeviceChange, int, error) {
		f.Limit, f.Offset = limit, offset
		return s.store.DeviceChanges(c.Request().Context(), b.ID, f)
	})
	if err != nil {
		return views.BulkChangeRows{}, views.RowFilter{}, err
	}
	base := paths.BulkChange(b.ID)
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
		row := views.ChangeRow{ID: d.ID, Number: d.Number, Changes: rowChanges(d.RowIdentifiers), Status: d.Status.Words(), StatusClass: string(d.Status),
			Details: rowDetails(d), RequestID: d.RequestID, Created: fmtTime(d.CreatedDate), Submitted: fmtTimePtr(d.SubmittedDate),
			Processed: fmtTimePtr(d.ProcessedDate), LogURL: paths.BulkChangeRowLog(b.ID, d.ID)}
		if d.DeviceID != nil {
			row.DeviceURL = paths.Device(*d.DeviceID)
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

// rowDetails is what the row's Details column says (change.RowNotes): its StatusDetails, whether
// a changed row's device has been seen online since, after what an admin must know first.
func rowDetails(d store.DeviceChange) string {
	n := change.RowNotes{Status: d.Status, Details: d.StatusDetails, Attention: d.AttentionReason}
	if d.OnlineSince != nil {
		n.OnlineSince = fmtTime(*d.OnlineSince)
	}
	if d.CorrectedDate != nil {
		n.Corrected = fmtTime(*d.CorrectedDate)
	}
	return n.Words()
}
