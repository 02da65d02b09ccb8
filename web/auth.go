package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

func (s *Server) loginForm(c echo.Context) error {
	if currentUser(c) != nil {
		return redirect(c, safeNext(c.QueryParam("next")))
	}
	return render(c, http.StatusOK, views.LoginPage(views.LoginPageModel{Layout: layout(c, "Sign in", ""),
		Next: c.QueryParam("next"), DemoLogins: s.demo}))
}

func (s *Server) login(c echo.Context) error {
	email, next := strings.TrimSpace(c.FormValue("email")), c.FormValue("next")
	u, err := s.auth.Login(c.Request().Context(), email, c.FormValue("password"), c.RealIP())
	if apperr.Is(err, apperr.Unauthorized) {
		return render(c, http.StatusUnauthorized, views.LoginPage(views.LoginPageModel{Layout: layout(c, "Sign in", ""),
			Email: email, Error: apperr.MessageOf(err), Next: next, DemoLogins: s.demo}))
	}
	if err != nil {
		return err
	}
	if err := s.sessions.rotate(c, u.ID); err != nil {
		return err
	}
	return redirect(c, safeNext(next))
}

func (s *Server) logout(c echo.Context) error {
	sess := session(c)
	sess.Options.MaxAge = -1
	if err := saveSession(c); err != nil {
		return err
	}
	return redirect(c, paths.Login)
}

// safeNext keeps a post-sign-in redirect on this site: only a path, never //host or a scheme.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
