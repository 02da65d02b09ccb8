// Package notify sends idswap's e-mail: through an SMTP server with go-mail when one is
// configured, or, in demo mode, into an outbox folder as .eml files that the admin outbox page
// shows. It also renders the result e-mail of a bulk change (HTML from the templ component in
// notify/mailview, plain text here). It knows nothing of the database: the engine hands it a Message.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one e-mail with its parts.
type Message struct {
	// ID is the Message-ID without angle brackets. It is fixed per outbox entry, so a message
	// sent again after a crash carries the same id and mail programs show it once.
	ID          string
	From        string
	To          []string
	Subject     string
	Date        time.Time
	Text        string // the plain-text part
	HTML        string // the HTML part, an alternative to Text
	Attachments []Attachment
}

// Attachment is a file attached to a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// build turns a Message into a go-mail message.
func build(m *Message) (*mail.Msg, error) {
	if len(m.To) == 0 {
		return nil, errors.New("notify: the message has no recipient")
	}
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("notify: sender %q: %w", m.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("notify: recipients %q: %w", strings.Join(m.To, ", "), err)
	}
	msg.Subject(m.Subject)
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID)
	} else {
		msg.SetMessageID()
	}
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType(ct))); err != nil {
			return nil, fmt.Errorf("notify: attach %s: %w", a.Name, err)
		}
	}
	return msg, nil
}

// Render writes a message as an RFC 5322 (.eml) document.
func Render(m *Message) ([]byte, error) {
	msg, err := build(m)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("notify: write the message: %w", err)
	}
	return b.Bytes(), nil
}

// SMTPConfig is an SMTP server (IDSWAP_SMTP_*).
type SMTPConfig struct {
	Host     string
	Port     int
	User     string // empty: no authentication
	Password string
	// TLS is "none" (plain, for a local relay), "starttls" (upgrade, required) or "tls"
	// (implicit TLS from the first byte, usually port 465).
	TLS string
	// TLSConfig overrides the TLS settings (tests trust their own certificate with it).
	TLSConfig *tls.Config
	Timeout   time.Duration // per connection; default 30s
}

// SMTP sends through an SMTP server, one connection per message.
type SMTP struct{ cfg SMTPConfig }

// NewSMTP checks cfg and returns a sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("notify: SMTP host is empty")
	}
	switch cfg.TLS {
	case "", "starttls", "none", "tls":
	default:
		return nil, fmt.Errorf("notify: SMTP TLS must be none, starttls or tls, not %q", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &SMTP{cfg: cfg}, nil
}

// Send delivers m. Errors name the server but never the password.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := build(m)
	if err != nil {
		return err
	}
	opts := []mail.Option{mail.WithTimeout(s.cfg.Timeout)}
	if s.cfg.Port != 0 {
		opts = append(opts, mail.WithPort(s.cfg.Port))
	}
	switch s.cfg.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "tls":
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(s.cfg.TLSConfig))
	}
	if s.cfg.User != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.cfg.User), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("notify: SMTP client for %s: %w", s.cfg.Host, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("notify: send through %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// Outbox writes messages into a folder as .eml files instead of sending them (demo mode).
type Outbox struct{ dir string }

// NewOutbox returns a sender that writes into dir, creating it when needed.
func NewOutbox(dir string) *Outbox { return &Outbox{dir: dir} }

// Dir is the folder the outbox writes to.
func (o *Outbox) Dir() string { return o.dir }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FileName is the name of the .eml file a message with this Message-ID is written to.
func FileName(messageID string) string {
	local, _, _ := strings.Cut(messageID, "@")
	return unsafeName.ReplaceAllString(local, "_") + ".eml"
}

// Path is where the message with this Message-ID is, or would be, written.
func (o *Outbox) Path(messageID string) string { return filepath.Join(o.dir, FileName(messageID)) }

// Send writes m to the outbox folder, whole or not at all (temporary file, then rename).
func (o *Outbox) Send(_ context.Context, m *Message) error {
	if m.ID == "" {
		return errors.New("notify: an outbox message needs an ID to name its file")
	}
	data, err := Render(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o750); err != nil {
		return fmt.Errorf("notify: outbox folder: %w", err)
	}
	path := o.Path(m.ID)
	tmp, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close() // the write error is the one to report; the file is removed anyway
		return fmt.Errorf("notify: outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	return nil
}
