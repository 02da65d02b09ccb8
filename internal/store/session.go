package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/idswap/idswap/internal/apperr"
)

// SessionStore keeps signed-in sessions in the UserSession table behind gorilla/sessions, so
// that ending one (sign-out, a password change, a disabled user) takes effect on the next
// request, even for a copy of the cookie taken earlier. The cookie of a signed-in session holds
// only a random id, signed and encrypted; the table holds the id's SHA-256 and the values.
//
// A visitor who is not signed in (the sign-in page's CSRF token, a flash message) keeps the
// values in the signed, encrypted cookie itself, as before: there is nothing to end, and a
// flood of anonymous requests writes no rows.
type SessionStore struct {
	db      *DB
	codecs  []securecookie.Codec
	Options sessions.Options
	// Idle ends a session not used for this long; Max ends any session this long after sign-in.
	Idle, Max time.Duration
	// UserKey is the Values key that holds the signed-in user's id (an int64): a session with
	// it is kept in the table, one without it in the cookie.
	UserKey string
}

// cookieSID is the key a signed-in session's cookie holds its id under; no Values key can be it.
const cookieSID = "\x00sid"

// Session end reasons, kept in UserSession.EndedReason.
const (
	SessionEndLogout   = "logout"
	SessionEndUser     = "ended by user"
	SessionEndPassword = "password changed"
	SessionEndDisabled = "user disabled"
	SessionEndRotated  = "signed in again"
)

// NewSessionStore returns a store whose cookies are signed with hashKey and encrypted with
// blockKey (32 bytes each).
func (db *DB) NewSessionStore(hashKey, blockKey []byte, idle, max time.Duration) *SessionStore {
	codec := securecookie.New(hashKey, blockKey)
	codec.MaxAge(int(max / time.Second))
	return &SessionStore{db: db, codecs: []securecookie.Codec{codec}, Idle: idle, Max: max,
		Options: sessions.Options{Path: "/", MaxAge: int(max / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode}}
}

// Get returns the request's session, loading it once per request.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or starts an empty one. A cookie that
// does not verify, or names a session that has ended, expired or idled out, gives an empty
// session and no error: the visitor is simply not signed in.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.Options
	sess.Options, sess.IsNew = &opts, true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	vals := map[any]any{}
	if err := securecookie.DecodeMulti(name, c.Value, &vals, s.codecs...); err != nil {
		return sess, nil // an old key or a forged cookie: start over
	}
	sid, ok := vals[cookieSID].(string)
	if !ok {
		sess.Values, sess.IsNew = vals, false
		return sess, nil
	}
	data, err := s.db.loadSession(r.Context(), hashSessionID(sid), s.Idle, r.RemoteAddr)
	if apperr.Is(err, apperr.NotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	stored := map[any]any{}
	if err := securecookie.DecodeMulti(name, data, &stored, s.codecs...); err != nil {
		return sess, nil
	}
	sess.ID, sess.Values, sess.IsNew = sid, stored, false
	return sess, nil
}

// Save writes the session: a signed-in one to its row (a new row, and a new id, the first
// time), an anonymous one to the cookie; MaxAge < 0 ends it.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.db.endSession(ctx, hashSessionID(sess.ID), SessionEndLogout); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	var cookieVals map[any]any
	if uid, ok := sess.Values[s.UserKey].(int64); ok {
		data, err := securecookie.EncodeMulti(sess.Name(), sess.Values, s.codecs...)
		if err != nil {
			return fmt.Errorf("store: encode session: %w", err)
		}
		if sess.ID == "" {
			sess.ID = newSessionID()
			if err := s.db.createSession(ctx, hashSessionID(sess.ID), uid, data, clientAddr(r), r.UserAgent(), s.Max); err != nil {
				return err
			}
		} else if err := s.db.saveSessionData(ctx, hashSessionID(sess.ID), data); err != nil {
			return err
		}
		cookieVals = map[any]any{cookieSID: sess.ID}
	} else {
		if sess.ID != "" { // signed out by removing the user: the row ends too
			if err := s.db.endSession(ctx, hashSessionID(sess.ID), SessionEndLogout); err != nil {
				return err
			}
			sess.ID = ""
		}
		cookieVals = sess.Values
	}
	enc, err := securecookie.EncodeMulti(sess.Name(), cookieVals, s.codecs...)
	if err != nil {
		return fmt.Errorf("store: encode session cookie: %w", err)
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), enc, sess.Options))
	return nil
}

// End ends a session now (used when a user signs in again over a live session).
func (s *SessionStore) End(ctx context.Context, sess *sessions.Session, reason string) error {
	if sess.ID == "" {
		return nil
	}
	err := s.db.endSession(ctx, hashSessionID(sess.ID), reason)
	sess.ID = ""
	return err
}

// CurrentSessionID is the UserSession row id of a loaded session, 0 if it has none, so a page
// can mark "this session".
func (s *SessionStore) CurrentSessionID(ctx context.Context, sess *sessions.Session) (int64, error) {
	if sess.ID == "" {
		return 0, nil
	}
	t, err := s.db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var id int64
	err = t.get(ctx, &id, `SELECT Id FROM UserSession WHERE IdHash = ?`, hashSessionID(sess.ID))
	return id, notFound(err, "no such session")
}

func newSessionID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's random source failing is not something to carry on from
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSessionID(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// clientAddr is the address recorded with a new session: the web layer puts the client address
// it trusts (see IDSWAP_TRUSTED_PROXIES) on the request's context; without it, the peer.
func clientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(ClientAddrKey{}).(string); ok {
		return a
	}
	return r.RemoteAddr
}

// ClientAddrKey is the context key under which the web layer records the client's address.
type ClientAddrKey struct{}

// UserSession is one signed-in session, as the "Sessions" page lists it.
type UserSession struct {
	ID           int64     `db:"Id"`
	UserID       int64     `db:"AppUserId"`
	RemoteAddr   *string   `db:"RemoteAddr"`
	UserAgent    *string   `db:"UserAgent"`
	CreatedDate  time.Time `db:"CreatedDate"`
	LastSeenDate time.Time `db:"LastSeenDate"`
	ExpiresDate  time.Time `db:"ExpiresDate"`
}

// sessionTouchEvery is how stale LastSeenDate may get before a request writes it again: the
// idle timeout is measured in minutes, and a write on every request would make SQLite's one
// writer the bottleneck of every page.
const sessionTouchEvery = time.Minute

func (db *DB) loadSession(ctx context.Context, idHash string, idle time.Duration, _ string) (string, error) {
	// A read transaction: on SQLite a write one would queue every page behind the one writer.
	t, err := db.beginRead(ctx)
	if err != nil {
		return "", err
	}
	defer t.Rollback()
	var row struct {
		ID       int64     `db:"Id"`
		Data     string    `db:"Data"`
		LastSeen time.Time `db:"LastSeenDate"`
		Expires  time.Time `db:"ExpiresDate"`
		Active   bool      `db:"IsActive"`
	}
	err = t.get(ctx, &row, `SELECT s.Id, s.Data, s.LastSeenDate, s.ExpiresDate, u.IsActive
		FROM UserSession s JOIN AppUser u ON u.Id = s.AppUserId
		WHERE s.IdHash = ? AND s.EndedDate IS NULL AND u.IsDeleted = 0`, idHash)
	if err != nil {
		return "", notFound(err, "no live session")
	}
	_ = t.Rollback()
	var reason string
	switch {
	case !row.Active:
		reason = SessionEndDisabled
	case !t.now.Before(row.Expires):
		reason = "expired"
	case idle > 0 && t.now.Sub(row.LastSeen) >= idle:
		reason = "idle"
	}
	if reason != "" {
		if err := db.endSessionRow(ctx, row.ID, reason); err != nil {
			return "", err
		}
		return "", apperr.E(apperr.NotFound, "the session has ended (%s)", reason)
	}
	if t.now.Sub(row.LastSeen) >= sessionTouchEvery {
		w, err := db.begin(ctx)
		if err != nil {
			return "", err
		}
		defer w.Rollback()
		if _, err := w.exec(ctx, `UPDATE UserSession SET LastSeenDate = ? WHERE Id = ?`, w.now, row.ID); err != nil {
			return "", err
		}
		if err := w.Commit(); err != nil {
			return "", err
		}
	}
	return row.Data, nil
}

func (db *DB) endSessionRow(ctx context.Context, id int64, reason string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE UserSession SET EndedDate = ?, EndedReason = ? WHERE Id = ? AND EndedDate IS NULL`, t.now, reason, id); err != nil {
		return err
	}
	return t.Commit()
}

func (db *DB) createSession(ctx context.Context, idHash string, userID int64, data, addr, agent string, max time.Duration) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if len(agent) > 400 {
		agent = agent[:400]
	}
	if len(addr) > 64 {
		addr = addr[:64]
	}
	if _, err := t.insert(ctx, "UserSession",
		[]string{"IdHash", "AppUserId", "Data", "RemoteAddr", "UserAgent", "CreatedDate", "LastSeenDate", "ExpiresDate"},
		idHash, userID, data, addr, agent, t.now, t.now, t.now.Add(max)); err != nil {
		return err
	}
	return t.Commit()
}

func (db *DB) saveSessionData(ctx context.Context, idHash, data string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE UserSession SET Data = ? WHERE IdHash = ? AND EndedDate IS NULL`, data, idHash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Ended while this request ran: its values go nowhere, and the next request is signed out.
		return nil
	}
	return t.Commit()
}

func (db *DB) endSession(ctx context.Context, idHash, reason string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE UserSession SET EndedDate = ?, EndedReason = ? WHERE IdHash = ? AND EndedDate IS NULL`,
		t.now, reason, idHash); err != nil {
		return err
	}
	return t.Commit()
}

// EndSessionsOf ends every live session of a user at once: the next request of any of them is
// signed out. Disabling a user, a password change and a password reset call it; reason is one
// of the SessionEnd… constants. It returns how many sessions it ended.
func (db *DB) EndSessionsOf(ctx context.Context, userID int64, reason string) (int, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	n, err := endSessionsOf(ctx, t, userID, reason)
	if err != nil {
		return 0, err
	}
	return n, t.Commit()
}

// endSessionsOf is EndSessionsOf inside a caller's transaction, so that a service that changes
// a password or disables a user can end the sessions in the same commit.
func endSessionsOf(ctx context.Context, t *tx, userID int64, reason string) (int, error) {
	res, err := t.exec(ctx, `UPDATE UserSession SET EndedDate = ?, EndedReason = ? WHERE AppUserId = ? AND EndedDate IS NULL`,
		t.now, reason, userID)
	if err != nil {
		return 0, fmt.Errorf("store: end sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SessionsOf lists a user's live sessions, most recently used first. Sessions past their idle
// or absolute end are left out (they end for good on their next use).
func (db *DB) SessionsOf(ctx context.Context, userID int64, idle time.Duration) ([]UserSession, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []UserSession
	err = t.sel(ctx, &out, `SELECT Id, AppUserId, RemoteAddr, UserAgent, CreatedDate, LastSeenDate, ExpiresDate
		FROM UserSession WHERE AppUserId = ? AND EndedDate IS NULL AND ExpiresDate > ? AND LastSeenDate > ?
		ORDER BY LastSeenDate DESC, Id DESC`, userID, t.now, t.now.Add(-idle))
	return out, err
}

// EndSessionOf ends one session of a user (the "Sessions" page's End button). A session of
// another user is NotFound, as if it did not exist.
func (db *DB) EndSessionOf(ctx context.Context, userID, sessionID int64) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE UserSession SET EndedDate = ?, EndedReason = ? WHERE Id = ? AND AppUserId = ? AND EndedDate IS NULL`,
		t.now, SessionEndUser, sessionID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "No session %d of yours is open.", sessionID)
	}
	return t.Commit()
}

// PruneSessions deletes sessions that ended (or expired) more than a day ago and sign-in
// throttle rows untouched for a day, so neither table grows for ever.
func (db *DB) PruneSessions(ctx context.Context) (int, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	cut := t.now.Add(-24 * time.Hour)
	res, err := t.exec(ctx, `DELETE FROM UserSession WHERE (EndedDate IS NOT NULL AND EndedDate < ?) OR ExpiresDate < ?`, cut, cut)
	if err != nil {
		return 0, err
	}
	if _, err := t.exec(ctx, `DELETE FROM LoginThrottle WHERE LastFailureDate < ?`, cut); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), t.Commit()
}

var _ sessions.Store = (*SessionStore)(nil)
