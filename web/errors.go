package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// codeStatuses pairs each error code with its HTTP status: the only such mapping in idswap,
// read one way by statusOf and the other by codeFor.
var codeStatuses = []struct {
	code   apperr.Code
	status int
}{
	{apperr.Invalid, http.StatusUnprocessableEntity},
	{apperr.NotFound, http.StatusNotFound},
	{apperr.Unauthorized, http.StatusUnauthorized},
	{apperr.Forbidden, http.StatusForbidden},
	{apperr.Conflict, http.StatusConflict},
	{apperr.Unavailable, http.StatusServiceUnavailable},
}

// statusOf maps an error code to its HTTP status.
func statusOf(code apperr.Code) int {
	for _, cs := range codeStatuses {
		if cs.code == code {
			return cs.status
		}
	}
	return http.StatusInternalServerError
}

// handleError is echo's one error handler. It logs internal errors (only those: the others are
// the user's and already say what to do), then answers in the form the caller wants: JSON for
// the API, a fragment for htmx, a page otherwise.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	msg := apperr.MessageOf(err)
	var (
		status int
		he     *echo.HTTPError
		se     *statusError
	)
	switch {
	case errors.As(err, &se):
		status, msg = se.status, se.msg
	case errors.As(err, &he):
		status = he.Code
		msg = errorHeading(he.Code) + "."
		if status == http.StatusNotFound {
			msg = "There is no page at this address."
		}
	default:
		status = statusOf(apperr.CodeOf(err))
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "err", err, "path", c.Request().URL.Path,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}

	// The request's context may be over (a timeout, or the middleware that set one has
	// returned): the answer is still owed, so render it detached from that context.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	var werr error
	switch {
	case strings.HasPrefix(c.Request().URL.Path, paths.APIPrefix):
		werr = c.JSON(status, apiError{Error: msg, Code: codeFor(status)})
	case isHTMX(c):
		// A form that fails its checks renders itself with 422 and never gets here; any other
		// error of an htmx request goes to the page's alert area instead of the swap target.
		retarget(c, "#alerts", "innerHTML")
		werr = render(c, status, views.ErrorRegion(msg))
	default:
		heading := errorHeading(status)
		werr = render(c, status, views.ErrorPage(views.ErrorPageModel{Layout: layout(c, heading, ""), Status: status, Heading: heading, Message: msg}))
	}
	if werr != nil {
		// The error page itself failed to render: say so in the log, and still answer.
		s.log.ErrorContext(c.Request().Context(), "writing the error answer failed", "err", werr)
		if !c.Response().Committed {
			_ = c.String(status, msg)
		}
	}
}

// codeFor is the error code an API answer of this status carries: a 400 and a 415 are
// Invalid too.
func codeFor(status int) apperr.Code {
	if status == http.StatusBadRequest || status == http.StatusUnsupportedMediaType {
		return apperr.Invalid
	}
	for _, cs := range codeStatuses {
		if cs.status == status {
			return cs.code
		}
	}
	return apperr.Internal
}

// errorHeading is an error page's heading and title in the words a person uses, not the HTTP
// status text ("Conflict", "Unprocessable Entity").
func errorHeading(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "Something in what was sent needs fixing"
	case http.StatusUnauthorized:
		return "Please sign in first"
	case http.StatusForbidden:
		return "You cannot open this"
	case http.StatusNotFound:
		return "Nothing here"
	case http.StatusMethodNotAllowed:
		return "This address cannot do that"
	case http.StatusConflict:
		return "Someone changed this in the meantime"
	case http.StatusRequestEntityTooLarge:
		return "What was sent is too big"
	case http.StatusTooManyRequests:
		return "Too many tries: wait a moment"
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return "The service is busy: try again shortly"
	}
	if status >= 500 {
		return "Something went wrong on our side"
	}
	return "This did not work"
}
