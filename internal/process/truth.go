package process

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/idswap/idswap/internal/store"
)

// Event is something the metrics count (Config.OnEvent).
type Event string

// Events.
const (
	// EventCorrected: a finished row was corrected by the carrier's later word.
	EventCorrected Event = "corrected"
	// EventCallbackRejected: a callback's echoed credentials did not match the listener's.
	EventCallbackRejected Event = "callback_rejected"
	// EventNeedsAttention: the carrier contradicted a finished row in a way only an admin can settle.
	EventNeedsAttention Event = "needs_attention"
)

func (e *Engine) note(ev Event) {
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(ev)
	}
}

// listener returns a provider's callback listener credentials, making them first if the
// provider has none yet (a provider set up before listeners had their own).
func (e *Engine) listener(ctx context.Context, providerID int64) (*store.CallbackListener, error) {
	l, err := e.store.CallbackListener(ctx, providerID)
	if err != nil || l.Username != "" {
		return l, err
	}
	user, pass := "idswap-"+randomToken(6), randomToken(24)
	if err := e.store.SetCallbackListener(ctx, providerID, "", user, pass, e.cfg.By); err != nil {
		return nil, err
	}
	return e.store.CallbackListener(ctx, providerID)
}

// RotateCallback gives a provider's listener a new URL secret, username and password and
// registers it with the carrier. They are stored first: a callback the carrier sends before it
// has the new registration goes to the old URL and is refused (404), and the carrier retries it;
// if the registration fails, the error says so and rotating again (or restarting, which
// registers the stored listener) finishes the job.
func (e *Engine) RotateCallback(ctx context.Context, providerID int64, by string) error {
	if e.baseURL() == "" {
		return errors.New("process: no public URL to register as the callback listener")
	}
	c, err := e.store.ThingSpaceCredentials(ctx, providerID)
	if err != nil {
		return err
	}
	if !c.WriteIsEnabled || !e.cfg.WritesEnabled {
		return fmt.Errorf("provider %d: writes are disabled, so its listener is not registered", providerID)
	}
	secret := randomToken(32)
	if err := e.store.SetCallbackListener(ctx, providerID, secret, "idswap-"+randomToken(6), randomToken(24), by); err != nil {
		return err
	}
	l, err := e.store.CallbackListener(ctx, providerID)
	if err != nil {
		return err
	}
	client, err := e.client(c)
	if err != nil {
		return err
	}
	if err := e.register(ctx, client, e.CallbackURL(secret), l); err != nil {
		return fmt.Errorf("provider %d: the new listener is stored but not registered: %w", providerID, err)
	}
	e.log.Info("callback listener rotated", "provider", providerID, "by", by)
	return nil
}

// randomToken is n random bytes, URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// lookupRow asks the carrier about a row's line.
func (e *Engine) lookupRow(ctx context.Context, changeID int64) (lineState, []store.LogEntry, error) {
	w, err := e.store.ChangeWork(ctx, changeID)
	if err != nil {
		return lineUnknown, nil, err
	}
	state, logs, err := e.lookup(ctx, w)
	return state, withRow(logs, w), err
}

// beforeSendKey carries the function a change request calls just before it leaves.
type beforeSendKey struct{}

// sendMarker is the engine's transport: it calls the request's beforeSend (Submit's, which
// records SentDate) before a change request (the only PUT the engine makes) goes on the wire,
// and does not send it when that fails. A claimed row without SentDate therefore was never sent.
type sendMarker struct{ next http.RoundTripper }

func (m sendMarker) RoundTrip(req *http.Request) (*http.Response, error) {
	if fn, ok := req.Context().Value(beforeSendKey{}).(func() error); ok && req.Method == http.MethodPut {
		if err := fn(); err != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, err
		}
	}
	next := m.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

// errAttemptOver: the row's attempt was taken over (returned, finished or claimed again)
// before its change request left, so it must not leave.
var errAttemptOver = errors.New("process: the row's attempt is over; the change was not sent")

// withBeforeSend makes the change request of an attempt record its SentDate before it leaves.
func (e *Engine) withBeforeSend(ctx context.Context, changeID int64, a *sendMark) context.Context {
	return context.WithValue(ctx, beforeSendKey{}, func() error {
		ok, err := e.store.MarkSent(ctx, changeID, a.submittedAt)
		switch {
		case err != nil:
			a.err = err
			return err
		case !ok:
			a.over = true
			return errAttemptOver
		}
		a.sent = true
		return nil
	})
}

// sendMark is what beforeSend found.
type sendMark struct {
	submittedAt time.Time
	sent        bool  // SentDate was recorded: the request left (or may have)
	over        bool  // the attempt was over: nothing left
	err         error // SentDate could not be recorded: nothing left
}
