package web

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/static"
)

// secureHeaders sets the headers every answer carries. No inline script or style is allowed:
// the pages need neither.
func secureHeaders(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
				"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			if secure {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			return next(c)
		}
	}
}

// logRequests writes one structured line per request.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // let the error handler write the answer so the status below is final
		}
		req, res := c.Request(), c.Response()
		attrs := []any{
			slog.String("method", req.Method),
			slog.String("path", loggedPath(req.URL.Path)),
			slog.Int("status", res.Status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
		}
		if u := currentUser(c); u != nil {
			attrs = append(attrs, slog.String("user", u.Email))
		}
		level := slog.LevelInfo
		if strings.HasPrefix(req.URL.Path, static.Prefix) || req.URL.Path == paths.Healthz || req.URL.Path == paths.Metrics {
			level = slog.LevelDebug
		}
		s.log.Log(req.Context(), level, "http", attrs...)
		return nil
	}
}

const ctxUser = "user"

// loadUser puts the signed-in user, if any, on the context.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := session(c)
		if id, ok := sess.Values[keyUserID].(int64); ok {
			u, err := s.store.UserByID(c.Request().Context(), id)
			switch {
			case err == nil && u.IsActive:
				c.Set(ctxUser, u)
			case err == nil || apperr.Is(err, apperr.NotFound):
				// The user was removed or disabled since signing in.
				delete(sess.Values, keyUserID)
			default:
				return err
			}
		}
		return next(c)
	}
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

// requireUser sends people who are not signed in to the sign-in page, coming back here after.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		target := paths.Login
		if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/" {
			target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		return redirect(c, target)
	}
}

// requireAdmin answers 403 to anyone but an admin.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u == nil || !u.IsAdmin() {
			return apperr.E(apperr.Forbidden, "Only administrators may open this page.")
		}
		return next(c)
	}
}

// csrf checks the session's token on every request that changes something, from a form field
// (_csrf) or, for htmx, the X-CSRF-Token header. The token is made on first use and rotated at
// sign-in.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := session(c)
		token, _ := sess.Values[keyCSRF].(string)
		if token == "" {
			token = newToken()
			sess.Values[keyCSRF] = token
			if err := saveSession(c); err != nil {
				return err
			}
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			got := c.Request().Header.Get("X-CSRF-Token")
			if got == "" {
				got = c.FormValue("_csrf")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				return apperr.E(apperr.Forbidden, "The form had expired or did not come from this site. Reload the page and try again.")
			}
		}
		return next(c)
	}
}

func csrfToken(c echo.Context) string {
	sess := session(c)
	if sess == nil {
		return "" // a route outside the session has no form to protect
	}
	t, _ := sess.Values[keyCSRF].(string)
	return t
}

// limitBody refuses a request body larger than maxBody before anything reads it — the CSRF
// check reads form fields, so it must come first — and caps what can be read of the rest. A
// browser sends the length of a form with a file, so the person gets this clear message.
func limitBody(maxBody int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > maxBody {
				return apperr.E(apperr.Invalid, "The request is %.1f MB; at most %d MB is accepted. Upload files of at most %d MB.",
					float64(r.ContentLength)/(1<<20), maxBody>>20, maxUpload>>20)
			}
			if r.Body != nil && !strings.EqualFold(r.Method, http.MethodGet) {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBody)
			}
			return next(c)
		}
	}
}
