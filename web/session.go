package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	gsessions "github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/store"
)

// sessions keeps the signed-in user and the CSRF token. A signed-in session lives in the
// database (store.SessionStore): the cookie holds only a random id, so signing out, a password
// change or a disabled user ends every copy of the cookie at once. Before sign-in the values
// live in the encrypted, signed cookie.
type sessions struct {
	store sessionBackend
}

// sessionBackend is a gorilla/sessions store that can also end a session on the server.
type sessionBackend interface {
	gsessions.Store
	End(ctx context.Context, sess *gsessions.Session, reason string) error
	CurrentSessionID(ctx context.Context, sess *gsessions.Session) (int64, error)
}

// sessionMaker is what makes the server-side store; *store.DB is one.
type sessionMaker interface {
	NewSessionStore(hashKey, blockKey []byte, idle, max time.Duration) *store.SessionStore
}

const (
	sessionName  = "idswap"
	ctxSession   = "session"
	keyUserID    = "uid"
	keyCSRF      = "csrf"
	keyFlashKind = "flash_kind"
	keyFlashMsg  = "flash_msg"

	// DefaultSessionIdle and DefaultSessionMax apply when Config leaves them zero.
	DefaultSessionIdle = time.Hour
	DefaultSessionMax  = 12 * time.Hour // a working day; the user signs in again after that
)

func newSessions(db any, key []byte, secure bool, idle, max time.Duration) *sessions {
	if idle <= 0 {
		idle = DefaultSessionIdle
	}
	if max <= 0 {
		max = DefaultSessionMax
	}
	// Derive separate signing and encryption keys from the one configured key.
	hashKey, blockKey := derive(key, "idswap session hash"), derive(key, "idswap session block")
	if m, ok := db.(sessionMaker); ok {
		st := m.NewSessionStore(hashKey, blockKey, idle, max)
		st.UserKey = keyUserID
		st.Options.Secure = secure
		return &sessions{store: st}
	}
	// No database (a unit test of rendering alone): cookie sessions, which nothing can end.
	st := gsessions.NewCookieStore(hashKey, blockKey)
	st.Options = &gsessions.Options{Path: "/", MaxAge: int(max / time.Second), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	return &sessions{store: cookieOnly{st}}
}

type cookieOnly struct{ *gsessions.CookieStore }

func (cookieOnly) End(context.Context, *gsessions.Session, string) error { return nil }
func (cookieOnly) CurrentSessionID(context.Context, *gsessions.Session) (int64, error) {
	return 0, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// middleware loads the session (a fresh one if the cookie is missing, does not verify, or names
// a session that has ended).
func (s *sessions) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		// The store records the client address with a new session: the one echo trusts.
		r = r.WithContext(context.WithValue(r.Context(), store.ClientAddrKey{}, c.RealIP()))
		c.SetRequest(r)
		sess, err := s.store.Get(r, sessionName)
		if err != nil {
			return err
		}
		c.Set(ctxSession, sess)
		return next(c)
	}
}

func session(c echo.Context) *gsessions.Session {
	sess, _ := c.Get(ctxSession).(*gsessions.Session)
	return sess
}

func saveSession(c echo.Context) error {
	return session(c).Save(c.Request(), c.Response())
}

// rotate gives a signing-in user a new session: old values, including the CSRF token, are
// dropped so that nothing planted before sign-in survives it.
func (s *sessions) rotate(c echo.Context, userID int64) error {
	sess := session(c)
	if err := s.store.End(c.Request().Context(), sess, store.SessionEndRotated); err != nil {
		return err
	}
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Values[keyUserID] = userID
	sess.Values[keyCSRF] = newToken()
	return saveSession(c)
}

func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// setFlash stores a message for the next page.
func setFlash(c echo.Context, kind, msg string) error {
	sess := session(c)
	sess.Values[keyFlashKind], sess.Values[keyFlashMsg] = kind, msg
	return saveSession(c)
}
