// Package webhook delivers a tenant's events to its HTTPS endpoints: one queue job per delivery
// (jobs.KindDeliverWebhook), retried with the queue's backoff until the endpoint answers 2xx,
// each attempt signed so the receiver can tell it came from idswap and was not replayed late.
//
// The signature is the header
//
//	Idswap-Signature: t=UNIX_SECONDS,v1=HEX
//
// where HEX is the lowercase hex HMAC-SHA256, keyed with the endpoint's secret, of
// t + "." + the raw request body. A receiver recomputes it over the body it got, compares in
// constant time, and refuses a t too far from its clock (Verify does both).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// SignatureHeader is the header that carries the signature.
const SignatureHeader = "Idswap-Signature"

// Sign is the Idswap-Signature value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature header against the body received at now, allowing tolerance
// between the two clocks. It is what a receiver written in Go would do.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhook: the signature header is not t=…,v1=…")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: signed %s away from now", d.Round(time.Second))
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return errors.New("webhook: the signature does not match the body")
	}
	return nil
}

// NewSecret makes an endpoint's signing secret: 32 random bytes, printable.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// CheckURL says what is wrong with an endpoint URL, or nil: it must be absolute HTTPS. With
// allowLoopbackHTTP (demo mode) plain http:// to this machine is allowed too, so a receiver
// can be tried out locally.
func CheckURL(raw string, allowLoopbackHTTP bool) error {
	if err := change.CheckLen("The URL", strings.TrimSpace(raw), change.MaxWebhookURL); err != nil {
		return err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return apperr.E(apperr.Invalid, "The URL must be absolute, such as https://erp.example.com/idswap-events; not %q.", raw)
	}
	if u.User != nil {
		return apperr.E(apperr.Invalid, "Leave credentials out of the URL; every delivery is signed instead.")
	}
	if u.Scheme == "http" {
		if !allowLoopbackHTTP || !isLoopback(u.Hostname()) {
			if allowLoopbackHTTP {
				return apperr.E(apperr.Invalid, "Use https://; plain http:// is allowed only to this machine (localhost, 127.0.0.1, ::1) in demo mode.")
			}
			return apperr.E(apperr.Invalid, "Use https://; events are sent only over TLS.")
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckEvents says what is wrong with a list of events, or nil.
func CheckEvents(events []string) error {
	if len(events) == 0 {
		return apperr.E(apperr.Invalid, "Choose at least one event: %s.", strings.Join(store.WebhookEvents, ", "))
	}
	for _, e := range events {
		known := false
		for _, k := range store.WebhookEvents {
			known = known || e == k
		}
		if !known {
			return apperr.E(apperr.Invalid, "%q is not an event; the events are %s.", e, strings.Join(store.WebhookEvents, ", "))
		}
	}
	return nil
}

// Store is what delivering reads and writes; *store.DB is one.
type Store interface {
	WebhookDelivery(ctx context.Context, id int64) (*store.WebhookDelivery, *store.WebhookEndpoint, string, error)
	RecordWebhookAttempt(ctx context.Context, id int64, code int, errText string, delivered, final bool) error
}

// Deliverer posts deliveries.
type Deliverer struct {
	Store  Store
	Client *http.Client // nil: 10 s timeout, no redirects followed
	Now    func() time.Time
	Logger *slog.Logger
}

// Handle is the jobs.KindDeliverWebhook handler. An answer other than 2xx, or none, is an
// error, so the queue tries again with its backoff; the delivery log records every attempt.
func (d *Deliverer) Handle(ctx context.Context, j store.Job, p jobs.DeliverWebhook) error {
	del, ep, secret, err := d.Store.WebhookDelivery(ctx, p.DeliveryID)
	if err != nil {
		return err
	}
	if del.Status == store.DeliveryDelivered || !ep.IsActive {
		return nil
	}
	code, sendErr := d.post(ctx, ep.URL, del, secret)
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
	}
	if err := d.Store.RecordWebhookAttempt(context.WithoutCancel(ctx), del.ID, code, errText, sendErr == nil, sendErr != nil && j.Last()); err != nil {
		return errors.Join(sendErr, err)
	}
	return sendErr
}

func (d *Deliverer) post(ctx context.Context, target string, del *store.WebhookDelivery, secret string) (int, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	body := []byte(del.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "idswap-webhooks/1")
	req.Header.Set("Idswap-Event", del.Event)
	req.Header.Set("Idswap-Delivery", strconv.FormatInt(del.ID, 10))
	req.Header.Set(SignatureHeader, Sign(secret, now(), body))
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("no answer: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("the endpoint answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}
