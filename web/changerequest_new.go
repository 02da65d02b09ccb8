package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// The new change request: one form that grows step by step (start, devices, row checks, rate
// plan, review). The rows live in the form's text box — nothing is stored before submit — and
// every post re-checks them all through internal/request, the same checks the API runs.
// docs/DECISIONS.md says why the draft lives in the page.

// RequestService checks and submits change requests (internal/request).
type RequestService interface {
	Check(ctx context.Context, d request.Draft) (*request.Result, error)
	Submit(ctx context.Context, d request.Draft, by request.Submitter) (request.Submitted, error)
	RetryDraft(ctx context.Context, tenantID, bulkChangeID int64) (request.Draft, error)
	FreeIdentifiers(ctx context.Context, iccids, imeis []string) ([]string, []string, error)
	PlanUndo(ctx context.Context, tenantID, bulkChangeID int64) (*request.UndoPlan, error)
	SubmitUndo(ctx context.Context, tenantID, bulkChangeID int64, key string, by request.Submitter) (request.Submitted, *request.UndoPlan, error)
	MayMarkUrgent(ctx context.Context, u *store.User, tenantID int64) (bool, error)
}

// DemoStock lists what the demo carrier has on the shelf.
type DemoStock interface {
	Spares(ctx context.Context) (Spares, error)
}

// Spares are unused SIMs and devices.
type Spares struct {
	ICCIDs  []string
	Devices []SpareDevice
}

// SpareDevice is an unused device.
type SpareDevice struct{ IMEI, Make, Model, NetworkType string }

// How much of a large request the page shows: enough to work with, few enough that a 10,000-row
// request does not make the browser crawl. The counts and the text box always cover every row.
const (
	shownErrorRows = 100
	shownValidRows = 50
	shownCostRows  = 100
	maxUpload      = 5 << 20
	searchHits     = 10
)

// newChange shows the empty form, or (?retry=ID) one filled with a request's failed rows.
func (s *Server) newChange(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	in := changeInput{key: newToken(), typ: string(change.ChangeICCID), requester: u}
	if !u.IsAdmin() {
		in.tenantID = scopeOf(u)
	}
	var notices []string
	if t := change.Type(c.QueryParam("type")); slices.Contains(change.Types, t) {
		in.typ = string(t)
	}
	// Lines chosen in the inventory (device_list.go), or a device page's "Change SIM / device".
	tenantID, providerID, rows, ns, err := s.inventoryRows(c, u)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		in.tenantID, in.providerID, in.rows = tenantID, providerID, rows
	}
	notices = append(notices, ns...)
	if retry := c.QueryParam("retry"); retry != "" {
		id, err := strconv.ParseInt(retry, 10, 64)
		if err != nil {
			return apperr.E(apperr.NotFound, "There is no bulk change %q.", retry)
		}
		d, err := s.requests.RetryDraft(ctx, scopeOf(u), id)
		if err != nil {
			return backToRequest(c, id, err)
		}
		in.tenantID, in.providerID, in.typ, in.reason, in.rows = d.TenantID, d.ProviderID, string(d.Type), d.Reason, d.Rows
		notices = append(notices, fmt.Sprintf("The %s that failed in bulk change %d are loaded below, each with the reason in its note. Check them, then submit them as a new request.",
			views.CountNoun(len(d.Rows), "row", "rows"), id))
		if d.NeedNew > 0 {
			notices = append(notices, fmt.Sprintf("The carrier refused the new identifier of %s: give each another one before you submit.",
				views.CountNoun(d.NeedNew, "row", "rows")))
		}
	}
	in.zone = time.UTC
	if in.tenantID != 0 {
		in.zone = s.tenantZone(c, in.tenantID)
	}
	var res *request.Result
	if len(in.rows) > 0 {
		var err error
		if res, err = s.requests.Check(ctx, in.draft()); err != nil {
			return err
		}
	}
	f, err := s.changeForm(c, in, res, formState{notices: notices, fresh: res == nil})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ChangeRequestPage(f))
}

// renderChange shows the form after a step: the whole page, or the form region for htmx. It
// answers 422 while anything is wrong, so that keyboard focus goes to the first problem.
func (s *Server) renderChange(c echo.Context, in changeInput, res *request.Result, st formState) error {
	f, err := s.changeForm(c, in, res, st)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if st.submitting || len(f.Errors) > 0 || f.Results.Invalid > 0 {
		status = http.StatusUnprocessableEntity
	}
	for _, p := range f.Results.Plans {
		if p.Error != "" {
			status = http.StatusUnprocessableEntity
		}
	}
	if isHTMX(c) {
		return render(c, status, views.ChangeRequestFormRegion(f))
	}
	return render(c, status, views.ChangeRequestPage(f))
}
