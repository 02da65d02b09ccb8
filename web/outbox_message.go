package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const outboxPageSize = 50

// outbox lists the result e-mails (admins only).
func (s *Server) outbox(c echo.Context) error {
	page := max(1, atoiDefault(c.QueryParam("page"), 1))
	mails, total, err := s.store.OutboxEmails(c.Request().Context(), outboxPageSize, (page-1)*outboxPageSize)
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
	if m.BulkChangeID != nil {
		r.BulkChangeID, r.BulkURL = *m.BulkChangeID, paths.BulkChange(*m.BulkChangeID)
	}
	return r
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(timeZoneLayout)
}

// outboxEntry reads the e-mail the path names.
func (s *Server) outboxEntry(c echo.Context) (*store.OutboxEmail, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, apperr.E(apperr.NotFound, "There is no e-mail %q in the outbox.", c.Param("id"))
	}
	return s.store.OutboxEmail(c.Request().Context(), id)
}

// composeEmail renders an outbox e-mail through the engine.
func (s *Server) composeEmail(c echo.Context, id int64) (*notify.Message, error) {
	if s.engine == nil {
		return nil, apperr.E(apperr.Unavailable, "The engine that writes e-mails is not running in this process.")
	}
	return s.engine.ComposeEmail(c.Request().Context(), id)
}

// compose finds the e-mail the request names and renders it: what every part download needs.
func (s *Server) compose(c echo.Context) (*store.OutboxEmail, *notify.Message, error) {
	m, err := s.outboxEntry(c)
	if err != nil {
		return nil, nil, err
	}
	msg, err := s.composeEmail(c, m.ID)
	return m, msg, err
}

// outboxMessage shows one e-mail with its parts.
func (s *Server) outboxMessage(c echo.Context) error {
	m, err := s.outboxEntry(c)
	if err != nil {
		return err
	}
	p := views.OutboxMessage{Layout: layout(c, m.Subject, "outbox"), Row: outboxRow(*m)}
	msg, err := s.composeEmail(c, m.ID)
	if err != nil {
		p.ComposeProblem = "The message cannot be shown: " + apperr.MessageOf(err)
		return render(c, http.StatusOK, views.OutboxMessagePage(p))
	}
	p.From, p.MessageID, p.Text = msg.From, msg.ID, msg.Text
	p.HTMLURL = paths.OutboxHTML(m.ID)
	for _, a := range msg.Attachments {
		p.Attachments = append(p.Attachments, views.OutboxAttachment{Name: a.Name, Size: len(a.Data),
			URL: paths.OutboxAttachment(m.ID, a.Name)})
	}
	if path := s.emlPath(m); path != "" {
		p.EMLURL = paths.OutboxEML(m.ID)
	}
	return render(c, http.StatusOK, views.OutboxMessagePage(p))
}

// outboxHTML serves an e-mail's HTML part on its own. Mail HTML carries inline styles, which
// the portal's CSP forbids; this answer gets a CSP of its own that allows them and nothing
// else (no script, no external resource).
func (s *Server) outboxHTML(c echo.Context) error {
	_, msg, err := s.compose(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	return c.HTML(http.StatusOK, msg.HTML)
}

// outboxAttachment serves one attachment of an e-mail as a download.
func (s *Server) outboxAttachment(c echo.Context) error {
	m, msg, err := s.compose(c)
	if err != nil {
		return err
	}
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		return apperr.E(apperr.NotFound, "No such attachment.")
	}
	for _, a := range msg.Attachments {
		if a.Name == name {
			c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", a.Name))
			return c.Blob(http.StatusOK, a.ContentType, a.Data)
		}
	}
	return apperr.E(apperr.NotFound, "E-mail %d has no attachment %q.", m.ID, name)
}

// outboxEML serves the .eml file demo mode wrote for an e-mail.
func (s *Server) outboxEML(c echo.Context) error {
	m, err := s.outboxEntry(c)
	if err != nil {
		return err
	}
	path := s.emlPath(m)
	if path == "" {
		return apperr.E(apperr.NotFound, "E-mail %d has no .eml file: it was not written to the demo outbox.", m.ID)
	}
	return c.Attachment(path, notify.FileName(m.MessageID))
}

// emlPath is the .eml file of a sent e-mail in the demo outbox, or "" when there is none.
func (s *Server) emlPath(m *store.OutboxEmail) string {
	if s.outboxDir == "" || m.MessageID == "" {
		return ""
	}
	path := notify.NewOutbox(s.outboxDir).Path(m.MessageID)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) || err != nil {
		return ""
	}
	return path
}
