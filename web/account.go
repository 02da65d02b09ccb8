package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// accountStore is what the account pages read and write: the user's sessions and API tokens.
type accountStore interface {
	SessionsOf(ctx context.Context, userID int64, idle time.Duration) ([]store.UserSession, error)
	EndSessionOf(ctx context.Context, userID, sessionID int64) error
	APITokens(ctx context.Context, userID int64) ([]store.APIToken, error)
	RevokeAPIToken(ctx context.Context, tokenID, ownerID int64, by, remoteAddr string) error
}

const accountTime = "2006-01-02 15:04 UTC"

// accountSessions lists where the user is signed in.
func (s *Server) accountSessions(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	ss, err := s.store.SessionsOf(ctx, u.ID, s.idle)
	if err != nil {
		return err
	}
	current, err := s.sessions.store.CurrentSessionID(ctx, session(c))
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	p := views.SessionsPageModel{Layout: layout(c, "Your sessions", "")}
	for _, x := range ss {
		r := views.SessionRow{ID: x.ID, Address: deref(x.RemoteAddr), Browser: browserName(deref(x.UserAgent)),
			SignedIn: x.CreatedDate.UTC().Format(accountTime), LastSeen: x.LastSeenDate.UTC().Format(accountTime),
			Expires: x.ExpiresDate.UTC().Format(accountTime), Current: x.ID == current, EndURL: paths.AccountSessionEnd(x.ID)}
		r.EndLabel = "End the session from " + r.Address + " signed in " + r.SignedIn
		p.Sessions = append(p.Sessions, r)
	}
	return render(c, http.StatusOK, views.SessionsPage(p))
}

// endAccountSession ends one of the user's own sessions; another's is 404.
func (s *Server) endAccountSession(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no session %q.", c.Param("id"))
	}
	if err := s.store.EndSessionOf(c.Request().Context(), currentUser(c).ID, id); err != nil {
		return err
	}
	if err := setFlash(c, "ok", "The session is ended: that browser is signed out."); err != nil {
		return err
	}
	return redirect(c, paths.AccountSessions)
}

// accountTokens lists the user's API tokens, with the form that makes a new one.
func (s *Server) accountTokens(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, views.TokenForm{Scope: store.ScopeReadOnly, Days: "90"}, "")
}

// adminTokens lists every user's API tokens.
func (s *Server) adminTokens(c echo.Context) error {
	ts, err := s.store.APITokens(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TokensPage(views.TokensPageModel{Layout: layout(c, "API tokens", ""), Admin: true,
		Tokens: s.tokenRows(ts)}))
}

func (s *Server) renderTokens(c echo.Context, status int, form views.TokenForm, created string) error {
	ts, err := s.store.APITokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return render(c, status, views.TokensPage(views.TokensPageModel{Layout: layout(c, "Your API tokens", ""),
		Tokens: s.tokenRows(ts), NewToken: created, Form: form}))
}

func (s *Server) tokenRows(ts []store.APIToken) []views.TokenRow {
	now := s.now()
	rows := make([]views.TokenRow, 0, len(ts))
	for _, t := range ts {
		r := views.TokenRow{ID: t.ID, Owner: t.UserEmail, Name: t.Name, Prefix: t.TokenPrefix, Scope: t.Scope,
			Created: t.CreatedDate.UTC().Format(accountTime), Expires: "never", LastUsed: "never", State: t.State(now)}
		if t.ExpiresDate != nil {
			r.Expires = t.ExpiresDate.UTC().Format(accountTime)
		}
		if t.LastUsedDate != nil {
			r.LastUsed = t.LastUsedDate.UTC().Format(accountTime) + " from " + deref(t.LastUsedAddr)
		}
		if r.State == "active" {
			r.RevokeURL = paths.AccountTokenRevoke(t.ID)
		}
		rows = append(rows, r)
	}
	return rows
}

// createAccountToken makes an API token for the signed-in user and shows it once.
func (s *Server) createAccountToken(c echo.Context) error {
	u := currentUser(c)
	form := views.TokenForm{Name: strings.TrimSpace(c.FormValue("name")), Scope: c.FormValue("scope"), Days: c.FormValue("days")}
	o := store.TokenOptions{Name: form.Name, Scope: form.Scope}
	if form.Days != "" {
		days, err := strconv.Atoi(form.Days)
		if err != nil || days < 1 || days > 1095 {
			form.Error = "Give the days until the token expires as a whole number from 1 to 1095."
			return s.renderTokens(c, http.StatusUnprocessableEntity, form, "")
		}
		o.TTL = time.Duration(days) * 24 * time.Hour
	}
	if msg := checkFreeText("The name", form.Name); msg != "" {
		form.Error = msg
		return s.renderTokens(c, http.StatusUnprocessableEntity, form, "")
	}
	token, _, err := s.auth.CreateToken(c.Request().Context(), u.Email, o, u.Email)
	if apperr.Is(err, apperr.Invalid) {
		form.Error = apperr.MessageOf(err)
		return s.renderTokens(c, http.StatusUnprocessableEntity, form, "")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store") // the page holds the token itself
	return s.renderTokens(c, http.StatusCreated, views.TokenForm{Scope: store.ScopeReadOnly, Days: "90"}, token)
}

// revokeAccountToken revokes a token: the user's own, or any for an admin.
func (s *Server) revokeAccountToken(c echo.Context) error {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no API token %q.", c.Param("id"))
	}
	owner := u.ID
	if u.IsAdmin() {
		owner = 0
	}
	if err := s.store.RevokeAPIToken(c.Request().Context(), id, owner, u.Email, c.RealIP()); err != nil {
		return err
	}
	if err := setFlash(c, "ok", "The token is revoked: the next request that sends it is refused."); err != nil {
		return err
	}
	back := paths.AccountTokens
	if u.IsAdmin() && strings.HasPrefix(c.Request().Referer(), c.Scheme()+"://"+c.Request().Host+paths.AdminTokens) {
		back = paths.AdminTokens
	}
	return redirect(c, back)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// browserName is a short, readable name for a User-Agent, enough to tell one's own devices
// apart; the full string is in the database.
func browserName(ua string) string {
	switch {
	case ua == "":
		return "unknown"
	case strings.Contains(ua, "Edg/"):
		return "Edge"
	case strings.Contains(ua, "Firefox/"):
		return "Firefox"
	case strings.Contains(ua, "Chrome/"):
		return "Chrome"
	case strings.Contains(ua, "Safari/"):
		return "Safari"
	}
	if len(ua) > 40 {
		return ua[:40] + "…"
	}
	return ua
}
