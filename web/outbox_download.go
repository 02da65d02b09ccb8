package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/store"
)

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
