package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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
	in := changeInput{key: newToken(), typ: string(change.ChangeICCID)}
	if !u.IsAdmin() {
		in.tenantID = *u.TenantID
	}
	var notices []string
	if retry := c.QueryParam("retry"); retry != "" {
		id, err := strconv.ParseInt(retry, 10, 64)
		if err != nil {
			return apperr.E(apperr.NotFound, "There is no bulk change %q.", retry)
		}
		d, err := s.requests.RetryDraft(ctx, tenantScope(u), id)
		if err != nil {
			return err
		}
		in.tenantID, in.providerID, in.typ, in.reason, in.rows = d.TenantID, d.ProviderID, string(d.Type), d.Reason, d.Rows
		notices = append(notices, fmt.Sprintf("The %s that failed in bulk change %d are loaded below. Check them, then submit them as a new request.",
			countNoun(len(d.Rows), "row", "rows"), id))
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
	return render(c, http.StatusOK, views.ChangePage(f))
}

// changeStep applies one step — check, add a device, apply fixes, drop rows, upload a file,
// choose plans — and shows the form again.
func (s *Server) changeStep(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := s.readChangeInput(c)
	if err != nil {
		return err
	}
	st := formState{}
	in.rows, st = applyEdits(c, in.rows, st)
	res, err := s.requests.Check(ctx, in.draft())
	if err != nil {
		return err
	}
	if in.action == "drop-invalid" && res.Invalid > 0 {
		kept := make([]change.Row, 0, len(in.rows))
		for _, r := range res.Rows {
			if r.OK() {
				kept = append(kept, in.rows[r.Index])
			}
		}
		st.notices = append(st.notices, fmt.Sprintf("Dropped the %s with problems.", countNoun(len(in.rows)-len(kept), "row", "rows")))
		in.rows = kept
		if res, err = s.requests.Check(ctx, in.draft()); err != nil {
			return err
		}
	}
	return s.renderChange(c, in, res, st)
}

// changeCheck is the live check of the rows as they are typed or pasted: it answers with the
// results region only (and the steps, out of band), so the text box being typed in stays put.
func (s *Server) changeCheck(c echo.Context) error {
	in, err := s.readChangeInput(c)
	if err != nil {
		return err
	}
	res, err := s.requests.Check(c.Request().Context(), in.draft())
	if err != nil {
		return err
	}
	f, err := s.changeForm(c, in, res, formState{live: true})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ChangeResults(f.Results, f.Errors), views.ChangeSteps(f.Steps, true))
}

// submitChange stores the request — or shows what stops it — and opens the bulk change page.
func (s *Server) submitChange(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	in, err := s.readChangeInput(c)
	if err != nil {
		return err
	}
	d := in.draft()
	if n := len(in.rows); n > change.ConfirmAbove && strings.TrimSpace(in.confirm) != strconv.Itoa(n) {
		res, err := s.requests.Check(ctx, d)
		if err != nil {
			return err
		}
		return s.renderChange(c, in, res, formState{submitting: true,
			confirmError: fmt.Sprintf("Type %d, the number of rows, to confirm a request of more than %d rows.", n, change.ConfirmAbove)})
	}
	sub, err := s.requests.Submit(ctx, d, request.Submitter{User: u, IdempotencyKey: in.key, RemoteAddr: c.RealIP()})
	if errors.Is(err, request.ErrNotReady) {
		return s.renderChange(c, in, sub.Result, formState{submitting: true})
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Bulk change %d was already submitted; here it is.", sub.ID)
	if sub.Created {
		msg = fmt.Sprintf("Bulk change %d is submitted: %s queued.", sub.ID, countNoun(len(in.rows), "change", "changes"))
	}
	if err := setFlash(c, "ok", msg); err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/bulk-changes/%d", sub.ID))
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
		return render(c, status, views.ChangeWizard(f))
	}
	return render(c, status, views.ChangePage(f))
}

// tenantScope is the tenant a user's reads are limited to: 0 (every tenant) for admins.
func tenantScope(u *store.User) int64 {
	if u.IsAdmin() {
		return 0
	}
	return *u.TenantID
}
