package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// deviceLookup finds a device by any identifier it has or ever had — ICCID, IMEI, MDN or EID
// now, or an ICCID or IMEI of its history — within the user's tenant: one device opens its page,
// several (a SIM that moved) are listed, none is NotFound.
func (s *Server) deviceLookup(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	raw := strings.TrimSpace(c.QueryParam("id"))
	if raw == "" {
		return apperr.E(apperr.Invalid, "Give an identifier to look up: an ICCID, IMEI, MDN or EID.")
	}
	_, value, err := ident.Detect(raw)
	if err != nil {
		return apperr.Wrap(err, apperr.Invalid, "%s", err.Error())
	}
	ds, err := s.store.DevicesByIdentifier(ctx, scopeOf(u), value)
	if err != nil {
		return err
	}
	switch len(ds) {
	case 0:
		return apperr.E(apperr.NotFound, "No device has or had %s.", value)
	case 1:
		return redirect(c, paths.DeviceVia(ds[0].ID, value))
	}
	names := map[int64]string{}
	if u.IsAdmin() {
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		names = ts.names()
	}
	res := views.DeviceResults{Query: value}
	for _, d := range ds {
		res.Rows = append(res.Rows, deviceRow(d, names[d.TenantID]))
	}
	return render(c, http.StatusOK, views.DeviceChoicePage(views.DeviceChoicePageModel{Layout: layout(c, "Devices that had "+value, "devices"),
		Identifier: value, Results: res, ShowTenant: u.IsAdmin()}))
}
