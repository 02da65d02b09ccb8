package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	gsessions "github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// sessions keeps the signed-in user and the CSRF token in an encrypted, signed cookie.
type sessions struct {
	store *gsessions.CookieStore
}

const (
	sessionName  = "idswap"
	ctxSession   = "session"
	keyUserID    = "uid"
	keyCSRF      = "csrf"
	keyFlashKind = "flash_kind"
	keyFlashMsg  = "flash_msg"
)

func newSessions(key []byte, secure bool) *sessions {
	// Derive separate signing and encryption keys from the one configured key.
	st := gsessions.NewCookieStore(derive(key, "idswap session hash"), derive(key, "idswap session block"))
	st.Options = &gsessions.Options{
		Path:     "/",
		MaxAge:   12 * 3600, // a working day; the user signs in again after that
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	return &sessions{store: st}
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// middleware loads the session (a fresh one if the cookie is missing or does not verify).
func (s *sessions) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.store.Get(c.Request(), sessionName)
		if err != nil {
			// A cookie from an old key: start over rather than fail the request.
			sess, _ = s.store.New(c.Request(), sessionName)
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
func rotate(c echo.Context, userID int64) error {
	sess := session(c)
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
