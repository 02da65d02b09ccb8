package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
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

// changeInput is what the request form posted, before any step is applied.
type changeInput struct {
	key        string
	tenantID   int64 // the tenant acted for: a manager's own, whatever the form says
	providerID int64
	typ        string
	reason     string
	rows       []change.Row
	query      string
	action     string
	confirm    string
	plans      map[string]string
}

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
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	ctx := c.Request().Context()
	if err := views.ChangeResults(f.Results, f.Errors).Render(ctx, c.Response()); err != nil {
		return err
	}
	return views.ChangeSteps(f.Steps, true).Render(ctx, c.Response())
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

// readChangeInput reads the form. A manager's tenant is always their own: a tenant field they
// send is ignored.
func (s *Server) readChangeInput(c echo.Context) (changeInput, error) {
	u := currentUser(c)
	form, err := c.FormParams()
	if err != nil {
		return changeInput{}, apperr.Wrap(err, apperr.Invalid, "The form could not be read. Reload the page and try again.")
	}
	in := changeInput{
		key:     form.Get("idem"),
		typ:     form.Get("type"),
		reason:  form.Get("reason"),
		rows:    change.ParseRows(form.Get("rows")).Rows,
		query:   strings.TrimSpace(form.Get("q")),
		action:  form.Get("action"),
		confirm: form.Get("confirm"),
		plans:   map[string]string{},
	}
	if in.key == "" {
		in.key = newToken()
	}
	in.providerID, _ = strconv.ParseInt(form.Get("provider"), 10, 64)
	if u.IsAdmin() {
		in.tenantID, _ = strconv.ParseInt(form.Get("tenant"), 10, 64)
	} else {
		in.tenantID = *u.TenantID
	}
	for k, vs := range form {
		key, ok := strings.CutPrefix(k, "plan.")
		if !ok || len(vs) == 0 || vs[0] == "" {
			continue // no choice yet
		}
		if vs[0] == "keep" {
			in.plans[key] = change.KeepPlan
		} else {
			in.plans[key] = vs[0]
		}
	}
	return in, nil
}

func (in changeInput) draft() request.Draft {
	return request.Draft{TenantID: in.tenantID, ProviderID: in.providerID, Type: change.Type(in.typ),
		Reason: in.reason, Rows: in.rows, PlanChoices: in.plans}
}

// formState is what a step adds to the form beyond the request itself.
type formState struct {
	notices      []string
	fieldErrors  map[string]string // from the step: csv
	fresh        bool              // nothing entered yet: no "missing" errors
	live         bool              // a live check: only the results region is rendered
	submitting   bool              // a submit was refused: say what every group still needs
	confirmError string
}

// applyEdits applies the steps that change the rows: fixes typed into the rows with problems,
// dropping a row, adding a device found by search, and the rows of an uploaded file.
func applyEdits(c echo.Context, rows []change.Row, st formState) ([]change.Row, formState) {
	form, _ := c.FormParams() // read already by readChangeInput
	// A fix or a drop names the row by its index and carries the row as it was shown; it applies
	// only if the row is still that, so an edit of the text box in between cannot misplace it.
	still := func(i int) bool {
		return i >= 0 && i < len(rows) && strings.TrimSpace(change.FormatRows(rows[i:i+1])) == form.Get(fmt.Sprintf("fix.%d.orig", i))
	}
	for k := range form {
		rest, ok := strings.CutPrefix(k, "fix.")
		if !ok || !strings.HasSuffix(rest, ".orig") {
			continue
		}
		i, err := strconv.Atoi(strings.TrimSuffix(rest, ".orig"))
		if err != nil || !still(i) {
			continue
		}
		get := func(col string) string { return strings.TrimSpace(form.Get(fmt.Sprintf("fix.%d.%s", i, col))) }
		rows[i] = change.Row{Current: get("current"), NewICCID: get("new_iccid"), NewIMEI: get("new_imei"), Note: rows[i].Note}
	}
	if d := form.Get("drop"); d != "" {
		if i, err := strconv.Atoi(d); err == nil && i >= 0 && i < len(rows) {
			// Fixes above may have changed the row: the drop is meant for the row shown, by index.
			rows = append(rows[:i:i], rows[i+1:]...)
			st.notices = append(st.notices, fmt.Sprintf("Row %d was dropped.", i+1))
		}
	}
	if add := strings.TrimSpace(form.Get("add")); add != "" {
		if containsCurrent(rows, add) {
			st.notices = append(st.notices, fmt.Sprintf("%s is in the request already.", add))
		} else {
			rows = append(rows, change.Row{Current: add})
			st.notices = append(st.notices, fmt.Sprintf("%s was added as row %d: give its new identifiers.", add, len(rows)))
		}
	}
	if fh, err := c.FormFile("csv"); err == nil && fh.Size > 0 {
		added, notice, msg := readUpload(fh)
		if msg != "" {
			st.fieldErrors = map[string]string{"csv": msg}
		} else {
			rows = append(rows, added...)
			st.notices = append(st.notices, notice)
		}
	}
	return rows, st
}

// containsCurrent reports whether a row names this device already, by the same identifier.
func containsCurrent(rows []change.Row, current string) bool {
	_, want, err := ident.Detect(current)
	if err != nil {
		return false
	}
	for _, r := range rows {
		if _, v, err := ident.Detect(r.Current); err == nil && v == want {
			return true
		}
	}
	return false
}

// changeForm builds the view model of the form from the input and the checks.
func (s *Server) changeForm(c echo.Context, in changeInput, res *request.Result, st formState) (views.ChangeForm, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	f := views.ChangeForm{IdempotencyKey: in.key, ShowTenant: u.IsAdmin(), Reason: in.reason,
		RowsText: change.FormatRows(in.rows), Errors: map[string]string{}, Notices: st.notices,
		Search: views.DeviceSearch{Query: in.query}}
	if !st.live {
		f.Layout = layout(c, "New change request", "new")
		ps, err := s.store.Providers(ctx)
		if err != nil {
			return f, err
		}
		for _, p := range ps {
			f.Providers = append(f.Providers, views.Option{Value: fmt.Sprint(p.ID), Label: p.DisplayName,
				Selected: p.ID == in.providerID || len(ps) == 1})
		}
		if u.IsAdmin() {
			ts, err := s.store.Tenants(ctx)
			if err != nil {
				return f, err
			}
			for _, t := range ts {
				f.Tenants = append(f.Tenants, views.Option{Value: fmt.Sprint(t.ID), Label: t.Name, Selected: t.ID == in.tenantID})
			}
		}
		for _, t := range change.Types {
			f.Types = append(f.Types, views.TypeOption{Value: string(t), Label: t.Label(), Hint: typeHint(t), Checked: string(t) == in.typ})
		}
		if in.query != "" {
			search, err := s.searchDevices(c, in.tenantID, in.providerID, in.query, in.rows)
			if err != nil {
				return f, err
			}
			f.Search = search
		}
		f.Stock = s.demoStock(ctx)
	}
	for k, v := range st.fieldErrors {
		f.Errors[k] = v
	}
	if res != nil && !st.fresh {
		for k, v := range res.Fields {
			if k == request.FieldRows && len(in.rows) == 0 && in.action != "submit" && !st.submitting {
				continue // no rows yet is where everyone starts, not an error
			}
			f.Errors[k] = v
		}
	}
	f.Results = checkResults(res, in, st)
	if f.Results.Review != nil && st.confirmError != "" {
		f.Results.Review.ConfirmError = st.confirmError
	}
	if f.Results.Review != nil {
		f.Results.Review.Confirm = in.confirm
	}
	f.Steps = steps(in, res)
	return f, nil
}

func typeHint(t change.Type) string {
	switch t {
	case change.ChangeICCID:
		return "ChangeICCID — give the new ICCID"
	case change.ChangeIMEI:
		return "ChangeIMEI — give the new IMEI"
	}
	return "ChangeIMEIandICCID — give both"
}

// steps marks how far the request has come.
func steps(in changeInput, res *request.Result) []views.Step {
	labels := []string{"1. Start", "2. Devices", "3. Row checks", "4. Rate plan", "5. Review and submit"}
	done := make([]bool, len(labels))
	if res != nil {
		f := res.Fields
		done[0] = f[request.FieldTenant] == "" && f[request.FieldProvider] == "" && f[request.FieldType] == "" && f[request.FieldReason] == ""
		done[1] = len(in.rows) > 0 && f[request.FieldRows] == ""
		done[2] = done[1] && res.Tenant != nil && res.Provider != nil && res.Invalid == 0
		done[3] = done[2] && len(res.Groups) > 0
		for _, g := range res.Groups {
			if !g.Chosen || g.Problem != "" {
				done[3] = false
			}
		}
	}
	out := make([]views.Step, len(labels))
	current := false
	for i, l := range labels {
		out[i].Label = l
		switch {
		case done[i] && i < len(labels)-1:
			out[i].State = "done"
		case !current:
			out[i].State, current = "current", true
		}
	}
	return out
}

// checkResults builds the results region: rows with problems first (as many as are useful to
// show), a preview of the good rows, then the plans and the review when they apply.
func checkResults(res *request.Result, in changeInput, st formState) views.CheckResults {
	var r views.CheckResults
	if res == nil {
		return r
	}
	switch {
	case res.Fields[request.FieldRows] != "" && len(in.rows) > 0: // too many to check
		r.Message = res.Fields[request.FieldRows]
	case len(res.Rows) > 0 && (res.Tenant == nil || res.Provider == nil):
		r.Message, r.Partial = "Only the format of the rows is checked so far: choose the tenant and the service provider to check the devices against their inventory.", true
	}
	if len(res.Rows) == 0 {
		return r
	}
	r.Checked, r.Total, r.Invalid = true, len(res.Rows), res.Invalid
	for _, row := range res.Rows {
		if !row.OK() {
			if len(r.ErrorRows) == shownErrorRows {
				r.HiddenErrors++
				continue
			}
			e := views.ErrorRow{Index: row.Index, Number: row.Index + 1, Orig: strings.TrimSpace(change.FormatRows([]change.Row{row.Input})),
				Current: row.Input.Current, NewICCID: row.Input.NewICCID, NewIMEI: row.Input.NewIMEI}
			for _, p := range row.Problems {
				switch p.Column {
				case change.ColumnCurrent:
					e.CurrentErrors = append(e.CurrentErrors, p.Message)
				case change.ColumnNewICCID:
					e.ICCIDErrors = append(e.ICCIDErrors, p.Message)
				case change.ColumnNewIMEI:
					e.IMEIErrors = append(e.IMEIErrors, p.Message)
				default:
					e.RowErrors = append(e.RowErrors, p.Message)
				}
			}
			r.ErrorRows = append(r.ErrorRows, e)
			continue
		}
		if len(r.ValidRows) == shownValidRows {
			r.HiddenValid++
			continue
		}
		v := views.ValidRow{Number: row.Index + 1, Current: row.Current, CurrentKind: row.CurrentKind.String(),
			NewICCID: row.NewICCID, NewIMEI: row.NewIMEI, Network: networkName(row.NetworkType), Model: row.Model}
		if row.Device != nil {
			v.DeviceICCID, v.DeviceMDN = row.Device.ICCID, row.Device.MSISDN
		}
		switch {
		case row.Plan != nil:
			v.Plan, v.Change = row.Plan.Code, change.FormatCentsChange(row.CostCents)
		case row.PlanProblem != nil:
			v.Plan = "—"
		default:
			v.Plan = "to choose"
		}
		r.ValidRows = append(r.ValidRows, v)
	}
	if res.Invalid > 0 || res.Tenant == nil || res.Provider == nil {
		return r
	}
	for _, g := range res.Groups {
		r.Plans = append(r.Plans, planChoice(g, st))
	}
	if res.Ready {
		r.Review = review(res, in.reason)
	}
	return r
}

func networkName(n string) string {
	if n == change.NetworkUnknown {
		return "unknown"
	}
	return n
}

// planChoice is one group's plan select: keeping the current plan when it fits, and every plan
// that serves the group's network type.
func planChoice(g request.Group, st formState) views.PlanChoice {
	p := views.PlanChoice{Key: g.Key, ID: "plan-" + slug(g.Key), Label: g.Label(), Rows: g.Rows, Error: g.Problem,
		CurrentPlans: planCounts(g.CurrentPlans)}
	if g.CurrentFits {
		p.Options = append(p.Options, views.Option{Value: "keep", Label: "Keep each device's current plan",
			Selected: g.Chosen && g.Choice == change.KeepPlan})
	} else {
		p.Options = append(p.Options, views.Option{Value: "", Label: "Choose a plan…", Selected: !g.Chosen})
	}
	for _, pl := range g.Compatible {
		p.Options = append(p.Options, views.Option{Value: pl.Code,
			Label:    fmt.Sprintf("%s — %s, %s a month", pl.Code, pl.Name, change.FormatCents(pl.MonthlyCents)),
			Selected: g.Chosen && g.Choice == pl.Code})
	}
	switch {
	case len(g.Compatible) == 0 && !g.CurrentFits:
		p.Error = fmt.Sprintf("No plan of this service provider serves %s, so these devices cannot change here. Drop them from the request.", networkName(g.Network))
	case !g.Chosen && st.submitting:
		p.Error = "Choose a plan for these devices."
	case g.Chosen && g.Problem == "":
		p.Cost = monthly(g.CostCents)
	}
	return p
}

// monthly says a change of the monthly price: "+$40.50 a month", or "no change".
func monthly(cents int64) string {
	if cents == 0 {
		return change.FormatCentsChange(0)
	}
	return change.FormatCentsChange(cents) + " a month"
}

// slug makes a value safe as an HTML id: letters and digits, the rest turned into dashes.
func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, s)
}

func planCounts(m map[string]int) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s (%d)", code, m[code]))
	}
	return strings.Join(parts, ", ")
}

// review is the last step's summary of a request that is ready.
func review(res *request.Result, reason string) *views.Review {
	v := &views.Review{Rows: len(res.Rows), Type: fmt.Sprintf("%s — %s", res.Type, res.Type.Label()),
		Provider: res.Provider.DisplayName, Tenant: res.Tenant.Name, Reason: strings.TrimSpace(reason),
		CostTotal: monthly(res.CostCents), NeedsConfirm: len(res.Rows) > change.ConfirmAbove}
	newPlans := 0
	for _, r := range res.Rows {
		from := "none"
		if r.CurrentPlan != nil {
			from = fmt.Sprintf("%s (%s)", r.CurrentPlan.Code, change.FormatCents(r.CurrentPlan.MonthlyCents))
		}
		to := ""
		if r.Plan != nil {
			to = fmt.Sprintf("%s (%s)", r.Plan.Code, change.FormatCents(r.Plan.MonthlyCents))
			if r.CurrentPlan == nil || r.Plan.Code != r.CurrentPlan.Code {
				newPlans++
			}
		}
		if len(v.CostRows) == shownCostRows {
			v.HiddenCostRows++
			continue
		}
		v.CostRows = append(v.CostRows, views.CostRow{Number: r.Index + 1, Device: r.Device.ICCID, From: from, To: to,
			Change: change.FormatCentsChange(r.CostCents)})
	}
	if res.NetworkChanges > 0 {
		v.Warnings = append(v.Warnings, countNoun(res.NetworkChanges, "device moves", "devices move")+" to another network type.")
	}
	if newPlans > 0 {
		v.Warnings = append(v.Warnings, countNoun(newPlans, "device gets", "devices get")+" a new rate plan.")
	}
	switch {
	case res.CostCents > 0:
		v.Warnings = append(v.Warnings, fmt.Sprintf("The monthly cost goes up by %s.", change.FormatCents(res.CostCents)))
	case res.CostCents < 0:
		v.Warnings = append(v.Warnings, fmt.Sprintf("The monthly cost goes down by %s.", change.FormatCents(-res.CostCents)))
	}
	return v
}

// searchDevices finds devices of the tenant and provider to add to the request.
func (s *Server) searchDevices(c echo.Context, tenantID, providerID int64, q string, rows []change.Row) (views.DeviceSearch, error) {
	out := views.DeviceSearch{Query: q}
	switch {
	case tenantID == 0:
		out.Message = "Choose the tenant first."
		return out, nil
	case len(digitsIn(q)) < 3:
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

// changeSearch answers the search box as it is typed.
func (s *Server) changeSearch(c echo.Context) error {
	u := currentUser(c)
	tenantID := tenantScope(u)
	if u.IsAdmin() {
		tenantID, _ = strconv.ParseInt(c.QueryParam("tenant"), 10, 64)
	}
	providerID, _ := strconv.ParseInt(c.QueryParam("provider"), 10, 64)
	rows := change.ParseRows(c.QueryParam("rows")).Rows
	res, err := s.searchDevices(c, tenantID, providerID, strings.TrimSpace(c.QueryParam("q")), rows)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ChangeSearchResults(res))
}

func digitsIn(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
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
