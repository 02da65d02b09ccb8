package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// Finding devices for a request: the inventory search, and demo mode's shelf of spares.

// searchDevices finds devices of the tenant and provider to add to the request.
func (s *Server) searchDevices(c echo.Context, tenantID, providerID int64, q string, rows []change.Row) (views.DeviceSearch, error) {
	out := views.DeviceSearch{Query: q}
	switch {
	case tenantID == 0:
		out.Message = "Choose the tenant first."
		return out, nil
	case len(ident.Digits(q)) < 3:
		out.Message = "Type at least 3 digits of an ICCID, IMEI, MDN or EID."
		return out, nil
	}
	ds, total, err := s.store.Devices(c.Request().Context(), store.DeviceFilter{TenantID: tenantID, ServiceProviderID: providerID,
		Query: q, Limit: searchHits})
	if err != nil {
		return out, err
	}
	in := map[string]bool{}
	for _, r := range rows {
		if _, v, err := ident.Detect(r.Current); err == nil {
			in[v] = true
		}
	}
	out.Total = total
	for _, d := range ds {
		add := d.ICCID
		if add == "" {
			add = d.IMEI
		}
		out.Hits = append(out.Hits, views.SearchHit{Add: add, ICCID: d.ICCID, IMEI: d.IMEI, MDN: d.MSISDN, Status: d.StatusName,
			Plan: d.RatePlan, Description: d.Description, Active: d.IsActiveStatus,
			AlreadyInTheRequest: in[d.ICCID] || in[d.IMEI] || (d.MSISDN != "" && in[d.MSISDN]) || (d.EID != "" && in[d.EID])})
	}
	if total == 0 {
		out.Message = fmt.Sprintf("No device of this tenant and provider has an identifier matching “%s”.", q)
	}
	return out, nil
}

// changeSearch answers the search box as it is typed. It does not get the rows (they may be
// 10,000 lines, too many for a URL), so only a full step marks the devices already in the request;
// adding one twice is refused with a notice either way.
func (s *Server) changeSearch(c echo.Context) error {
	u := currentUser(c)
	tenantID := scopeOf(u)
	if u.IsAdmin() {
		tenantID, _ = strconv.ParseInt(c.QueryParam("tenant"), 10, 64)
	}
	providerID, _ := strconv.ParseInt(c.QueryParam("provider"), 10, 64)
	res, err := s.searchDevices(c, tenantID, providerID, strings.TrimSpace(c.QueryParam("q")), nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ChangeRequestSearchRegion(res))
}

// demoStock is a handful of the demo carrier's unused SIMs and devices — devices of every
// network type — that no device and no open request holds. It is nil outside demo mode, and
// when the carrier does not answer (the form works without it).
func (s *Server) demoStock(ctx context.Context) *views.DemoStock {
	if s.stock == nil {
		return nil
	}
	sp, err := s.stock.Spares(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "demo stock unavailable", "err", err)
		return nil
	}
	const handful = 6
	var imeis []string
	for _, d := range sp.Devices {
		imeis = append(imeis, d.IMEI)
	}
	iccids, imeis, err := s.requests.FreeIdentifiers(ctx, sp.ICCIDs, imeis)
	if err != nil {
		s.log.WarnContext(ctx, "demo stock check failed", "err", err)
		return nil
	}
	free := map[string]bool{}
	for _, i := range imeis {
		free[i] = true
	}
	out := &views.DemoStock{ICCIDs: iccids[:min(handful, len(iccids))]}
	// Round-robin over network types, so a visitor can try a swap that changes the network.
	byNet := map[string][]SpareDevice{}
	var nets []string
	for _, d := range sp.Devices {
		if !free[d.IMEI] {
			continue
		}
		if _, ok := byNet[d.NetworkType]; !ok {
			nets = append(nets, d.NetworkType)
		}
		byNet[d.NetworkType] = append(byNet[d.NetworkType], d)
	}
	for round := 0; len(out.Devices) < handful; round++ {
		took := false
		for _, n := range nets {
			if round < len(byNet[n]) && len(out.Devices) < handful {
				d := byNet[n][round]
				out.Devices = append(out.Devices, views.StockDevice{IMEI: d.IMEI, Model: strings.TrimSpace(d.Make + " " + d.Model), Network: d.NetworkType})
				took = true
			}
		}
		if !took {
			break
		}
	}
	return out
}
