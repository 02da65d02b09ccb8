package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// bulkStatus builds the live status region. Its poll URL carries the state it shows (v), so
// the next poll can tell whether anything changed and tell the row table to reload.
func (s *Server) bulkStatus(c echo.Context, b *store.BulkChange) views.BulkChangeStatus {
	u := currentUser(c)
	done := b.Counts.Total - b.Counts.Open()
	out := change.Describe(b.Status, b.Counts)
	st := views.BulkChangeStatus{ID: b.ID, Status: out.Words, StatusClass: string(b.Status), StatusDetails: b.StatusDetails,
		Final: b.Status.Final(), Summary: fmt.Sprintf("%d of %d rows finished", done, b.Counts.Total),
		Counts: countCells(b.Counts), Progress: progressOf(b.Counts), CSRF: csrfToken(c), CSVURL: paths.BulkChangeRowsCSV(b.ID),
		XLSXURL: paths.BulkChangeRowsXLSX(b.ID)}
	if st.Final {
		st.Finished = fmtTimePtr(b.ProcessedDate)
		st.Summary = out.Summary
	} else {
		st.PollURL = paths.BulkChangeStatusAt(b.ID, statusVersion(b))
	}
	// The actions' handlers live elsewhere (cancel and admin retry: the engine; retry of the
	// failed rows: the request wizard); this page only offers them when they apply.
	if !st.Final && b.Counts.New > 0 {
		st.CancelURL = paths.BulkChangeCancel(b.ID)
	}
	// Pause and resume: the same people as cancel (anyone who sees the request).
	if b.Status.Pausable() {
		st.PauseURL = paths.BulkChangePause(b.ID)
	}
	if b.Status == change.BatchPaused {
		st.ResumeURL = paths.BulkChangeResume(b.ID)
	}
	if b.StartAt != nil && b.StartedDate == nil && !st.Final {
		st.StartsAt = "Starts " + fmtZoned(*b.StartAt, s.tenantZone(c, b.TenantID)) + "."
	}
	if b.Counts.Failed() > 0 {
		st.RetryURL = paths.RetryFailedRows(b.ID)
	}
	// Undo is offered once the request has finished with a line changed; its page says what
	// can be undone and why not (undo.go).
	if st.Final && b.Counts.Processed > 0 {
		st.UndoURL = paths.BulkChangeUndo(b.ID)
	}
	// Whether the changed lines came back online with their new identifiers: the carrier's
	// "changed" is not yet a working device. A failed query hides the line, not the page.
	if b.Counts.Processed > 0 {
		on, notYet, err := s.store.OnlineCounts(c.Request().Context(), b.ID)
		if err != nil {
			s.log.WarnContext(c.Request().Context(), "count rows online", slog.Int64("bulk_change", b.ID), slog.Any("err", err))
		} else {
			st.Online = change.OnlineSummary(on, notYet)
		}
	}
	// "Run again" only when it can run: some row was never sent. A failed query hides it;
	// the page still shows everything else.
	if u.IsAdmin() && b.Status == change.BatchError {
		n, err := s.store.UnsentFailedRows(c.Request().Context(), b.ID)
		if err != nil {
			s.log.WarnContext(c.Request().Context(), "count unsent rows", slog.Int64("bulk_change", b.ID), slog.Any("err", err))
		}
		if n > 0 {
			st.AdminRetryURL = paths.BulkChangeRetry(b.ID)
		}
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
		triggerEvent(c, "bulk-rows-changed")
	}
	return render(c, http.StatusOK, views.BulkChangeStatusRegion(s.bulkStatus(c, b)))
}

// tenantZone is the tenant's time zone, for times people schedule by; UTC when it cannot be
// read (the page still shows the time, named as UTC).
func (s *Server) tenantZone(c echo.Context, tenantID int64) *time.Location {
	ts, err := s.store.TenantSchedule(c.Request().Context(), tenantID)
	if err != nil {
		s.log.WarnContext(c.Request().Context(), "read the tenant's time zone", slog.Int64("tenant", tenantID), slog.Any("err", err))
		return time.UTC
	}
	loc, err := change.LoadZone(ts.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
