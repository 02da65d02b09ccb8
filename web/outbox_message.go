package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

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
	row := outboxRow(*m)
	p := views.OutboxMessage{Layout: layout(c, row.Subject, "outbox"), Row: row}
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
