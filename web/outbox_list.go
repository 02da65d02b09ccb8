package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const outboxPageSize = 50

// outbox lists the result e-mails (admins only).
func (s *Server) outbox(c echo.Context) error {
	mails, total, page, err := listPage(readPage(c.QueryParam("page")), outboxPageSize, func(limit, offset int) ([]store.OutboxEmail, int, error) {
		return s.store.OutboxEmails(c.Request().Context(), limit, offset)
	})
	if err != nil {
		return err
	}
	rows := make([]views.OutboxRow, 0, len(mails))
	for _, m := range mails {
		rows = append(rows, outboxRow(m))
	}
	pg := pager(c.Request().URL, page, outboxPageSize, total)
	if isHTMX(c) {
		return render(c, http.StatusOK, views.OutboxTableRegion(rows, pg))
	}
	return render(c, http.StatusOK, views.OutboxPage(views.Outbox{Layout: layout(c, "Outbox", "outbox"), Rows: rows, Pager: pg,
		Demo: s.outboxDir != "", Dir: s.outboxDir}))
}

func outboxRow(m store.OutboxEmail) views.OutboxRow {
	r := views.OutboxRow{ID: m.ID, URL: paths.OutboxMessage(m.ID), To: m.To, Subject: m.Subject, Status: m.Status,
		Attempts: m.Attempts, LastError: m.LastError, Created: stamp(&m.CreatedDate), Sent: stamp(m.SentDate)}
	if !m.Addressed() {
		// The e-mail job chooses recipients and subject on its first attempt (process.SendEmail).
		r.Subject, r.To = "Result e-mail (addressed when it is first sent)", "not yet chosen"
	}
	if m.BulkChangeID != nil {
		r.BulkChangeID, r.BulkURL = *m.BulkChangeID, paths.BulkChange(*m.BulkChangeID)
		if m.BulkStatus != "" {
			r.Outcome, r.OutcomeClass = m.BulkStatus.Words(), string(m.BulkStatus)
		}
	}
	return r
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(timeZoneLayout)
}
