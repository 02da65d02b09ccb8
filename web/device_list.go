package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const devicePageSize = 50

// The inventory is where changes start: filter and sort the lines, select some (on this page,
// or every line the filter matches), and open the wizard with them; or export what the filter
// matches.

// inventoryQuery is the inventory's filter and sort as the query string gives them. The same
// parameters select "every line matching the filter" for the wizard (inventoryRows).
type inventoryQuery struct {
	q, status, plan, net, model, seen, sort string
	desc                                    bool
	tenantID                                int64
}

// inventoryParams are the query parameters of the filter; the wizard reads the same ones.
var inventoryParams = []string{"q", "tenant", "status", "plan", "net", "model", "seen", "sort", "dir"}

func readInventoryQuery(c echo.Context) inventoryQuery {
	p := c.QueryParams()
	if c.Request().Method == http.MethodPost {
		p, _ = c.FormParams()
	}
	iq := inventoryQuery{q: strings.TrimSpace(p.Get("q")), status: p.Get("status"), plan: p.Get("plan"), net: p.Get("net"),
		model: p.Get("model"), seen: p.Get("seen"), sort: p.Get("sort"), desc: p.Get("dir") == "desc"}
	iq.tenantID, _ = strconv.ParseInt(p.Get("tenant"), 10, 64)
	if _, ok := store.DeviceSorts[iq.sort]; !ok {
		iq.sort = ""
	}
	return iq
}

// lastSeenChoices are the "last seen" filter's choices: a bound in days, kept or excluded.
var lastSeenChoices = []views.Option{
	{Value: "", Label: "Any time"},
	{Value: "7", Label: "In the last 7 days"},
	{Value: "30", Label: "In the last 30 days"},
	{Value: "not30", Label: "Not for 30 days or more"},
	{Value: "not90", Label: "Not for 90 days or more"},
}

// filter turns the query into the store's filter within the user's scope: a manager's own
// tenant always, an admin's chosen tenant or every tenant.
func (iq inventoryQuery) filter(u *store.User, now time.Time) store.DeviceFilter {
	f := store.DeviceFilter{Query: iq.q, Plan: iq.plan, NetworkType: iq.net, Model: iq.model, Sort: iq.sort, Desc: iq.desc}
	if u.IsAdmin() {
		f.TenantID, f.AllTenants = iq.tenantID, iq.tenantID == 0
	} else {
		f.TenantID = scopeOf(u)
	}
	f.StatusID, _ = strconv.Atoi(iq.status)
	if days, ok := strings.CutPrefix(iq.seen, "not"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			f.NotSeenSince = now.AddDate(0, 0, -n)
		}
	} else if n, err := strconv.Atoi(iq.seen); err == nil {
		f.SeenSince = now.AddDate(0, 0, -n)
	}
	return f
}

// values is the query as URL parameters, without the page.
func (iq inventoryQuery) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", iq.q)
	if iq.tenantID != 0 {
		v.Set("tenant", strconv.FormatInt(iq.tenantID, 10))
	}
	set("status", iq.status)
	set("plan", iq.plan)
	set("net", iq.net)
	set("model", iq.model)
	set("seen", iq.seen)
	set("sort", iq.sort)
	if iq.desc {
		v.Set("dir", "desc")
	}
	return v
}

// devices is the inventory: the user's tenant's devices (an admin's: every tenant's, or one),
// filtered, sorted and paged; ?format=csv exports every line the filter matches.
func (s *Server) devices(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	iq := readInventoryQuery(c)
	f := iq.filter(u, time.Now())
	if format := sheet.Format(c.QueryParam("format")); format == sheet.CSV || format == sheet.XLSX {
		return s.exportInventory(c, f, format)
	}
	page := readPage(c.QueryParam("page"))
	tenantNames := map[int64]string{}
	var tenantOpts []views.Option
	if u.IsAdmin() {
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		tenantNames, tenantOpts = ts.names(), ts.options(iq.tenantID)
	}
	ds, total, page, err := listPage(page, devicePageSize, func(limit, offset int) ([]store.Device, int, error) {
		f.Limit, f.Offset = limit, offset
		return s.store.Devices(ctx, f)
	})
	if err != nil {
		return err
	}
	res := views.DeviceResults{Query: iq.q, Pager: pager(c.Request().URL, page, devicePageSize, total), Total: total,
		Filtered: len(iq.values()) > 0, Hidden: hiddenFilter(iq), ShowTenant: u.IsAdmin(), Offset: f.Offset,
		ExportURL:     paths.Devices + "?" + withParam(iq.values(), "format", "csv").Encode(),
		ExportXLSXURL: paths.Devices + "?" + withParam(iq.values(), "format", "xlsx").Encode(), SelectAllMax: change.MaxRows,
		Sorts: sortLinks(iq)}
	for _, d := range ds {
		res.Rows = append(res.Rows, deviceRow(d, tenantNames[d.TenantID]))
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.DevicesTableRegion(res))
	}
	facets, err := s.store.DeviceFacets(ctx, f)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DevicesPage(views.DevicesPageModel{Layout: layout(c, "Devices", "devices"),
		Query: iq.q, TenantID: iq.tenantID, Tenants: tenantOpts, ShowTenant: u.IsAdmin(), Filters: filterOptions(iq, facets),
		Results: res}))
}

func withParam(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for kk, vs := range v {
		out[kk] = slices.Clone(vs)
	}
	out.Set(k, val)
	return out
}

// hiddenFilter is the filter as hidden fields of the selection form, so "every line matching
// the filter" means the filter the person sees.
func hiddenFilter(iq inventoryQuery) []views.Option {
	var out []views.Option
	v := iq.values()
	for _, k := range inventoryParams {
		if s := v.Get(k); s != "" && k != "sort" && k != "dir" {
			out = append(out, views.Option{Value: s, Label: k})
		}
	}
	return out
}

// sortLinks are the column headers' links: a click sorts by the column, a second click
// reverses it.
func sortLinks(iq inventoryQuery) map[string]views.SortLink {
	out := map[string]views.SortLink{}
	for key := range store.DeviceSorts {
		next := iq
		next.sort, next.desc = key, false
		l := views.SortLink{}
		if iq.sort == key {
			l.Dir = "ascending"
			if iq.desc {
				l.Dir = "descending"
			} else {
				next.desc = true
			}
		}
		l.URL = paths.Devices + "?" + next.values().Encode()
		out[key] = l
	}
	return out
}

// filterOptions lists the filter choices the tenant's lines have.
func filterOptions(iq inventoryQuery, fs []store.DeviceFacet) views.DeviceFilters {
	var out views.DeviceFilters
	statuses, plans, nets, models := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	for _, f := range fs {
		statuses[strconv.Itoa(f.StatusID)] = f.Status
		if f.Plan != "" {
			plans[f.Plan] = f.Plan
		}
		if f.NetworkType != "" {
			nets[f.NetworkType] = f.NetworkType
		}
		if f.Model != "" {
			models[f.Manufacturer+"|"+f.Model] = strings.TrimSpace(f.Manufacturer + " " + f.Model)
		}
	}
	opts := func(m map[string]string, chosen string) []views.Option {
		var o []views.Option
		for k, v := range m {
			o = append(o, views.Option{Value: k, Label: v, Selected: k == chosen})
		}
		slices.SortFunc(o, func(a, b views.Option) int { return strings.Compare(a.Label, b.Label) })
		return o
	}
	out.Statuses, out.Plans, out.Networks, out.Models = opts(statuses, iq.status), opts(plans, iq.plan), opts(nets, iq.net), opts(models, iq.model)
	for _, o := range lastSeenChoices {
		o.Selected = o.Value == iq.seen
		out.LastSeen = append(out.LastSeen, o)
	}
	return out
}

func deviceRow(d store.Device, tenant string) views.DeviceRow {
	r := views.DeviceRow{ID: d.ID, URL: paths.Device(d.ID), ICCID: d.ICCID, IMEI: d.IMEI, MDN: d.MSISDN,
		EID: d.EID, Status: d.StatusName, StatusClass: strings.ToLower(d.StatusName), Plan: d.RatePlan,
		PlanName: d.RatePlanName, Description: d.Description, Tenant: tenant,
		Model: strings.TrimSpace(d.Manufacturer + " " + d.Model), Network: d.NetworkType, LastSeen: "never"}
	if d.LastSeen != nil {
		r.LastSeen = d.LastSeen.UTC().Format("2006-01-02")
	}
	return r
}

// exportInventory streams every line the filter matches, a thousand at a time, through the one
// spreadsheet writer: the template's columns first (current filled in), so the file can be
// edited into a change request and uploaded as it is.
func (s *Server) exportInventory(c echo.Context, f store.DeviceFilter, format sheet.Format) error {
	return s.streamSheet(c, format, "inventory."+string(format), templateHeader(change.InventoryInfoColumns...),
		func(write func(cells ...sheet.Cell) error) error {
			return s.eachDevice(c.Request().Context(), f, func(d store.Device) error { return write(inventoryRecord(d)...) })
		})
}

// eachDevice calls fn with every device f matches, in f's order, a page at a time.
func (s *Server) eachDevice(ctx context.Context, f store.DeviceFilter, fn func(store.Device) error) error {
	const batch = 1000
	f.Limit = batch
	for f.Offset = 0; ; f.Offset += batch {
		ds, _, err := s.store.Devices(ctx, f)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(ds) < batch {
			return nil
		}
	}
}

// inventoryRecord is one line of the inventory export, in the columns of templateHeader and
// change.InventoryInfoColumns.
func inventoryRecord(d store.Device) []sheet.Cell {
	seen := ""
	if d.LastSeen != nil {
		seen = d.LastSeen.UTC().Format(time.RFC3339)
	}
	return []sheet.Cell{sheet.ID(currentOf(d.MSISDN, d.ICCID, d.IMEI)), sheet.Text(""), sheet.Text(""), sheet.Text(""),
		sheet.ID(d.ICCID), sheet.ID(d.IMEI), sheet.ID(d.MSISDN), sheet.ID(d.EID), sheet.Text(d.StatusName), sheet.Text(d.RatePlan),
		sheet.Text(d.Manufacturer), sheet.Text(d.Model), sheet.Text(d.NetworkType), sheet.Text(seen), sheet.Text(d.Description)}
}

// inventoryRows are the devices the inventory's selection names, as rows of a new request:
// the chosen ids (?device=ID…), or every line matching the filter (?all=1 with the filter's
// parameters), at most MaxRows. Lines of one tenant and provider only go in one request:
// the first line's; notices say what was left out.
func (s *Server) inventoryRows(c echo.Context, u *store.User) (tenantID, providerID int64, rows []change.Row, notices []string, err error) {
	ctx := c.Request().Context()
	p := c.QueryParams()
	var f store.DeviceFilter
	switch {
	case p.Get("all") == "1":
		f = readInventoryQuery(c).filter(u, time.Now())
	case len(p["device"]) > 0:
		f = inventoryQuery{}.filter(u, time.Now())
		if u.IsAdmin() {
			f.TenantID, f.AllTenants = 0, true
		}
		for _, v := range p["device"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, 0, nil, nil, fmt.Errorf("web: device %q: %w", v, err)
			}
			f.IDs = append(f.IDs, id)
		}
		if len(f.IDs) > devicePageSize*4 {
			notices = append(notices, fmt.Sprintf("Only the first %d selected lines are loaded.", devicePageSize*4))
			f.IDs = f.IDs[:devicePageSize*4]
		}
	default:
		return 0, 0, nil, nil, nil
	}
	others, over := 0, false
	err = s.eachDevice(ctx, f, func(d store.Device) error {
		if tenantID == 0 {
			tenantID, providerID = d.TenantID, d.ServiceProviderID
		}
		switch {
		case d.TenantID != tenantID || d.ServiceProviderID != providerID:
			others++
		case len(rows) == change.MaxRows:
			over = true
		default:
			cur := d.ICCID
			if cur == "" {
				cur = d.IMEI
			}
			rows = append(rows, change.Row{Current: cur})
		}
		return nil
	})
	if others > 0 {
		notices = append(notices, fmt.Sprintf("%s of another tenant or provider are left out: one request changes the lines of one tenant and provider.",
			views.CountNoun(others, "line", "lines")))
	}
	if over {
		notices = append(notices, fmt.Sprintf("Only the first %d lines are loaded: a request has at most %d rows.", change.MaxRows, change.MaxRows))
	}
	if len(rows) > 0 {
		notices = append(notices, fmt.Sprintf("%s from the inventory are loaded below with their current identifiers. Give each its new identifier.",
			views.CountNoun(len(rows), "line", "lines")))
	}
	return tenantID, providerID, rows, notices, err
}
