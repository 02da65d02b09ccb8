package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// readBulkChangeFilter reads the filter of a list of requests from a query string: the one
// parser of the portal's list and the API's. It reads status (any case), type, provider,
// requester, from and to (yyyy-mm-dd, both inclusive), and for an admin the tenant named by
// tenantKey ("tenant" in the portal's form, "tenant_id" in the API; absent or 0: every tenant).
// A manager's tenant is always their own. A value that cannot be a filter is an Invalid error;
// a date that does not parse is an error next to its field, in errs.
func readBulkChangeFilter(u *store.User, q url.Values, tenantKey string, errs map[string]string) (store.BulkChangeFilter, error) {
	f := store.BulkChangeFilter{CreatedBy: strings.TrimSpace(q.Get("requester"))}
	if v := q.Get("status"); v != "" {
		st, ok := parseBatchStatus(v)
		if !ok {
			return f, apperr.E(apperr.Invalid, "status must be one of %s; not %q.", batchStatusList(), v)
		}
		f.Status = st
	}
	if v := q.Get("type"); v != "" {
		t, err := change.ParseType(v)
		if err != nil {
			return f, err
		}
		f.Type = t
	}
	f.ProviderID, _ = strconv.ParseInt(q.Get("provider"), 10, 64)
	f.From, f.To = parseDateRange(q.Get("from"), q.Get("to"), errs)
	if u.IsAdmin() {
		f.TenantID, _ = strconv.ParseInt(q.Get(tenantKey), 10, 64)
		f.AllTenants = f.TenantID == 0
	} else {
		f.TenantID = scopeOf(u)
	}
	return f, nil
}

func parseBatchStatus(v string) (change.BatchStatus, bool) {
	for _, bs := range change.BatchStatuses {
		if strings.EqualFold(v, string(bs)) {
			return bs, true
		}
	}
	return "", false
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

// batchStatusList is every batch status, for a message: "SCHEDULED, NEW, …, CANCELLED".
func batchStatusList() string {
	names := make([]string, len(change.BatchStatuses))
	for i, st := range change.BatchStatuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}
