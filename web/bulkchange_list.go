package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// bulkChanges is the list of requests: a manager's tenant's, or every tenant's (or one) for an
// admin, filtered by status, change type, provider, requester and creation date.
func (s *Server) bulkChanges(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := c.QueryParams()
	page := readPage(q.Get("page"))
	form := views.BulkChangeForm{Requester: strings.TrimSpace(q.Get("requester")), From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{}}
	f, err := readBulkChangeFilter(u, q, "tenant", form.Errors)
	if err != nil {
		return err
	}

	var tenantOpts []views.Option
	if u.IsAdmin() {
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		tenantOpts = ts.options(f.TenantID)
	}

	status := http.StatusOK
	res := views.BulkChangeResults{ShowTenant: u.IsAdmin(), Filtered: f.Status != "" || f.Type != "" || f.ProviderID != 0 ||
		f.CreatedBy != "" || f.From != nil || f.To != nil || (u.IsAdmin() && !f.AllTenants)}
	if len(form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		res.Error = "Nothing was listed: " + strings.Join(mapValues(form.Errors), "; ") + "."
	} else {
		bs, total, shown, err := listPage(page, bulkChangePageSize, func(limit, offset int) ([]store.BulkChange, int, error) {
			f.Limit, f.Offset = limit, offset
			return s.store.BulkChanges(ctx, f)
		})
		if err != nil {
			return err
		}
		zones := map[int64]*time.Location{}
		for _, b := range bs {
			row := bulkChangeRow(b)
			if b.StartAt != nil && b.StartedDate == nil && !b.Status.Final() {
				if zones[b.TenantID] == nil {
					zones[b.TenantID] = s.tenantZone(c, b.TenantID)
				}
				row.StartsAt = "starts " + fmtZoned(*b.StartAt, zones[b.TenantID])
			}
			res.Rows = append(res.Rows, row)
		}
		res.Pager = pager(c.Request().URL, shown, bulkChangePageSize, total)
	}
	if isHTMX(c) {
		return render(c, status, views.BulkChangesTableRegion(res))
	}
	p := views.BulkChangesPageModel{Layout: layout(c, "Bulk changes", "changes"), Form: form, ShowTenant: u.IsAdmin(),
		Tenants: tenantOpts, Results: res}
	for _, st := range change.BatchStatuses {
		p.Statuses = append(p.Statuses, views.Option{Value: string(st), Label: string(st), Selected: st == f.Status})
	}
	for _, t := range change.Types {
		p.Types = append(p.Types, views.Option{Value: string(t), Label: t.Label(), Selected: t == f.Type})
	}
	ps, err := s.store.Providers(ctx)
	if err != nil {
		return err
	}
	for _, pr := range ps {
		p.Providers = append(p.Providers, views.Option{Value: fmt.Sprint(pr.ID), Label: pr.DisplayName, Selected: pr.ID == f.ProviderID})
	}
	return render(c, status, views.BulkChangesPage(p))
}
