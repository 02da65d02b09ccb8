package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// passwordForm is where any signed-in user changes their own password.
func (s *Server) passwordForm(c echo.Context) error {
	return render(c, http.StatusOK, views.PasswordPage(views.PasswordPageModel{Layout: layout(c, "Change my password", "password")}))
}

// changePassword checks the current password and sets the new one.
func (s *Server) changePassword(c echo.Context) error {
	if err := s.onboard.ChangeOwnPassword(c.Request().Context(), actor(c), c.FormValue("current"), c.FormValue("next")); err != nil {
		if msg, ok := formFailure(err); ok {
			return render(c, http.StatusUnprocessableEntity, views.PasswordPage(views.PasswordPageModel{
				Layout: layout(c, "Change my password", "password"), Error: msg}))
		}
		return err
	}
	// The change ended every session of the user, this one included (store.ChangePassword).
	return done(c, paths.Login, "Your password is changed: sign in with the new one.")
}
