package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
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
	page := max(1, atoiDefault(q.Get("page"), 1))
	f := store.BulkChangeFilter{Limit: bulkChangePageSize, Offset: (page - 1) * bulkChangePageSize,
		CreatedBy: strings.TrimSpace(q.Get("requester"))}
	form := views.BulkChangeForm{Requester: f.CreatedBy, From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{}}

	if v := q.Get("status"); v != "" {
		if !slices.Contains(change.BatchStatuses, change.BatchStatus(v)) {
			return apperr.E(apperr.Invalid, "status %q is not a bulk change status", v)
		}
		f.Status = change.BatchStatus(v)
	}
	if v := q.Get("type"); v != "" {
		t, err := change.ParseType(v)
		if err != nil {
			return err
		}
		f.Type = t
	}
	f.ProviderID = int64(atoiDefault(q.Get("provider"), 0))
	f.From, f.To = parseDateRange(form.From, form.To, form.Errors)

	var tenantOpts []views.Option
	if u.IsAdmin() {
		tenant := int64(atoiDefault(q.Get("tenant"), 0))
		f.TenantID, f.AllTenants = tenant, tenant == 0
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		tenantOpts = ts.options(tenant)
	} else {
		f.TenantID = scopeOf(u)
	}

	status := http.StatusOK
	res := views.BulkChangeResults{ShowTenant: u.IsAdmin(), Filtered: f.Status != "" || f.Type != "" || f.ProviderID != 0 ||
		f.CreatedBy != "" || f.From != nil || f.To != nil || (u.IsAdmin() && !f.AllTenants)}
	if len(form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		res.Error = "Nothing was listed: " + strings.Join(mapValues(form.Errors), "; ") + "."
	} else {
		bs, total, err := s.store.BulkChanges(ctx, f)
		if err != nil {
			return err
		}
		for _, b := range bs {
			res.Rows = append(res.Rows, bulkChangeRow(b))
		}
		res.Pager = pager(c.Request().URL, page, bulkChangePageSize, total)
	}
	if isHTMX(c) {
		return render(c, status, views.BulkChangeTable(res))
	}
	p := views.BulkChanges{Layout: layout(c, "Bulk changes", "changes"), Form: form, ShowTenant: u.IsAdmin(),
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

// parseDateRange reads two yyyy-mm-dd dates: from inclusive, to inclusive (so the filter's end
// is the next midnight). A bad date is an error next to its field.
func parseDateRange(from, to string, errs map[string]string) (*time.Time, *time.Time) {
	var f, t *time.Time
	if from != "" {
		d, err := time.Parse(dateLayout, from)
		if err != nil {
			errs["from"] = fmt.Sprintf("%q is not a date (yyyy-mm-dd)", from)
		} else {
			f = &d
		}
	}
	if to != "" {
		d, err := time.Parse(dateLayout, to)
		if err != nil {
			errs["to"] = fmt.Sprintf("%q is not a date (yyyy-mm-dd)", to)
		} else {
			end := d.AddDate(0, 0, 1)
			t = &end
		}
	}
	if f != nil && t != nil && !f.Before(*t) {
		errs["to"] = "the end date is before the start date"
	}
	return f, t
}
