package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// The admin console: one file per page (admin_*.go). Handlers parse the form, call the
// onboarding or inventory service, and answer a failed form by rendering the page again with
// the service's message next to the form and 422; a form that worked redirects (303) with a
// flash. The services write the audit events.

// adminIndex is the console's start page.
func (s *Server) adminIndex(c echo.Context) error {
	return render(c, http.StatusOK, views.AdminPage(views.AdminPageModel{Layout: layout(c, "Admin", "admin")}))
}

// actor is the signed-in user as the audit records them.
func actor(c echo.Context) store.Actor {
	a := store.Actor{RemoteAddr: c.RealIP()}
	if u := currentUser(c); u != nil {
		id := u.ID
		a.UserID, a.Name = &id, u.Email
	}
	return a
}

// formFailure says whether err is the person's to fix (bad input, a name taken, a thing that
// is not there); its message goes next to the form. Other errors go to the error handler.
func formFailure(err error) (string, bool) {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict, apperr.NotFound, apperr.Unavailable:
		return apperr.MessageOf(err), true
	}
	return "", false
}

// idParam reads the :id of a route.
func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.E(apperr.NotFound, "There is nothing at %q.", c.Param("id"))
	}
	return id, nil
}

// formID reads a form or query field holding an id; 0 when empty or not a number.
func formID(c echo.Context, name string) int64 {
	id, _ := strconv.ParseInt(c.FormValue(name), 10, 64)
	return id
}

// done flashes what was done and sends the browser to the page.
func done(c echo.Context, to, msg string) error {
	if err := setFlash(c, "ok", msg); err != nil {
		return err
	}
	return redirect(c, to)
}
