package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// The htmx side of HTTP, in one place: how a handler knows htmx asked, and the response
// headers that steer what htmx does with the answer.

// isHTMX reports whether htmx made the request (and wants a fragment back).
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// redirect sends the browser elsewhere: HX-Redirect for htmx (a 3xx would be followed inside
// the swap), 303 otherwise so that a POST becomes a GET.
func redirect(c echo.Context, to string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// triggerEvent tells htmx to fire an event in the browser once the answer is swapped in.
func triggerEvent(c echo.Context, event string) { c.Response().Header().Set("HX-Trigger", event) }

// retarget swaps the answer into another element than the one that asked, and how.
func retarget(c echo.Context, selector, swap string) {
	h := c.Response().Header()
	h.Set("HX-Retarget", selector)
	h.Set("HX-Reswap", swap)
}
