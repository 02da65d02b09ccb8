package web

import (
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
)

// maxCallbackBytes bounds a callback body; the carrier's are a few hundred bytes.
const maxCallbackBytes = 1 << 20

// thingspaceCallback receives a CarrierService callback: POST /thingspace/callbacks/{secret}.
// The secret names the provider (an unknown one is 404 and nothing is stored). The body is
// stored raw before anything is decided from it, and the answer is 200 at once — for
// duplicates and unknown request ids too, since sending them again would change nothing. Only
// a failure to store the callback is an error (500), so that the carrier sends it again. A
// callback whose echoed username and password are not the listener's is stored as rejected and
// answered 401.
func (s *Server) thingspaceCallback(c echo.Context) error {
	ctx := c.Request().Context()
	providerID, err := s.store.ProviderIDByCallbackSecret(ctx, c.Param("secret"))
	if apperr.Is(err, apperr.NotFound) {
		return c.NoContent(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxCallbackBytes+1))
	if err != nil {
		return c.NoContent(http.StatusBadRequest)
	}
	if len(body) > maxCallbackBytes {
		return c.NoContent(http.StatusRequestEntityTooLarge)
	}
	if s.engine == nil {
		return c.NoContent(http.StatusServiceUnavailable)
	}
	err = s.engine.HandleCallback(ctx, providerID, body)
	if apperr.Is(err, apperr.Unauthorized) { // process.ErrCallbackRejected
		// Stored as rejected, nothing changed: the echoed credentials are not the listener's.
		return c.NoContent(http.StatusUnauthorized)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "callback not stored; the carrier will send it again", "provider", providerID, "err", err)
		return c.NoContent(http.StatusInternalServerError)
	}
	return c.NoContent(http.StatusOK)
}

// callbackPrefix is the path of the callback receiver, before the secret.
const callbackPrefix = paths.ThingSpaceCallback + "/"

// loggedPath is a request path fit for the log: the callback URL's secret is blanked.
func loggedPath(path string) string {
	if strings.HasPrefix(path, callbackPrefix) {
		return callbackPrefix + "[REDACTED]"
	}
	return path
}
