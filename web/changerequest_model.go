package web

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// Building the request form's view model from the input and the checks.

// changeFormData is what the form shows beyond the input and the checks: the page around it
// and the lists it offers, read by loadChangeFormData. A live check renders the results region
// only, and needs none of it.
type changeFormData struct {
	layout    views.Layout
	isAdmin   bool
	providers []store.Provider
	tenants   tenantList // admins only
	search    *views.DeviceSearch
	stock     *views.DemoStock
	// urgent: the person may mark the request urgent (an admin, or a manager whose tenant
	// allows it).
	urgent bool
}

// changeForm reads what the form needs and builds its view model.
func (s *Server) changeForm(c echo.Context, in changeInput, res *request.Result, st formState) (views.ChangeRequestPageModel, error) {
	d, err := s.loadChangeFormData(c, in, st.live)
	if err != nil {
		return views.ChangeRequestPageModel{}, err
	}
	return buildChangeForm(in, res, st, d), nil
}

// loadChangeFormData does the form's reading: the layout with its flash, the providers, the
// tenants for an admin, the inventory search and demo mode's spares.
func (s *Server) loadChangeFormData(c echo.Context, in changeInput, live bool) (changeFormData, error) {
	d := changeFormData{isAdmin: currentUser(c).IsAdmin()}
	if live {
		return d, nil
	}
	if d.isAdmin {
		d.urgent = true
	} else if ok, err := s.requests.MayMarkUrgent(c.Request().Context(), currentUser(c), in.tenantID); err == nil {
		d.urgent = ok
	} else if !apperr.Is(err, apperr.NotFound) {
		return d, err
	}
	ctx := c.Request().Context()
	d.layout = layout(c, "New change request", "new")
	var err error
	if d.providers, err = s.store.Providers(ctx); err != nil {
		return d, err
	}
	if d.isAdmin {
		if d.tenants, err = s.tenants(ctx); err != nil {
			return d, err
		}
	}
	if in.query != "" {
		search, err := s.searchDevices(c, in.tenantID, in.providerID, in.query, in.rows)
		if err != nil {
			return d, err
		}
		d.search = &search
	}
	d.stock = s.demoStock(ctx)
	return d, nil
}

// buildChangeForm builds the view model of the form from the input, the checks and what was
// read for it. It reads nothing and decides everything the form shows.
func buildChangeForm(in changeInput, res *request.Result, st formState, d changeFormData) views.ChangeRequestPageModel {
	f := views.ChangeRequestPageModel{IdempotencyKey: in.key, ShowTenant: d.isAdmin, Reason: in.reason,
		RunAt: in.runAtText, Zone: zoneName(in.zone), Urgent: in.priority == string(change.PriorityUrgent),
		RowsText: change.FormatRows(in.rows), Errors: map[string]string{}, Notices: st.notices,
		Search: views.DeviceSearch{Query: in.query}}
	if !st.live {
		f.Layout = d.layout
		for _, p := range d.providers {
			f.Providers = append(f.Providers, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.DisplayName,
				Selected: p.ID == in.providerID || len(d.providers) == 1})
		}
		if d.isAdmin {
			f.Tenants = d.tenants.options(in.tenantID)
		}
		for _, t := range change.Types {
			f.Types = append(f.Types, views.TypeOption{Value: string(t), Label: t.Label(), Hint: typeHint(t), Checked: string(t) == in.typ})
		}
		if d.search != nil {
			f.Search = *d.search
		}
		f.Stock = d.stock
		f.UrgentAllowed = d.urgent
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
	f.Results.Blockers = blockers(res, in, f)
	f.Steps = steps(in, res)
	for i, a := range []bool{true, true, f.Results.Checked, len(f.Results.Plans) > 0, f.Results.Review != nil} {
		if a {
			f.Steps[i].Anchor = stepAnchors[i]
		}
	}
	if !st.live {
		f.Focus = nextFocus(in, st, f)
	}
	if d.layout.User != nil {
		f.DraftKey = "idswap.draft." + d.layout.User.Email
	}
	return f
}

var stepAnchors = []string{"#step-start", "#step-devices", "#step-checks", "#step-plan", "#step-review"}

// fieldAnchors are the start step's fields in the order of the form, with the id of each.
var fieldAnchors = []struct{ field, id string }{
	{request.FieldTenant, "tenant"}, {request.FieldProvider, "provider"}, {request.FieldType, "type-" + string(change.ChangeICCID)},
	{request.FieldReason, "reason"}, {request.FieldRunAt, "run_at"}, {request.FieldPriority, "priority-urgent"}, {request.FieldRows, "rows"}, {"csv", "csv"},
}

// blockers say what stops the submit once there are rows: the start step's missing answers,
// rows with problems, plans not chosen. Empty when the request is ready, or has no rows yet.
func blockers(res *request.Result, in changeInput, f views.ChangeRequestPageModel) []views.Blocker {
	if res == nil || res.Ready || len(in.rows) == 0 {
		return nil
	}
	var out []views.Blocker
	for _, fa := range fieldAnchors {
		if msg := res.Fields[fa.field]; msg != "" && fa.field != request.FieldRows {
			out = append(out, views.Blocker{Text: msg, Anchor: "#" + fa.id})
		}
	}
	if res.Invalid > 0 {
		out = append(out, views.Blocker{Text: fmt.Sprintf("Fix or drop the %s with problems.", views.CountNoun(res.Invalid, "row", "rows")),
			Anchor: "#step-checks"})
	}
	for _, p := range f.Results.Plans {
		switch {
		case p.Error != "":
			out = append(out, views.Blocker{Text: p.Label + ": " + p.Error, Anchor: "#" + p.ID})
		case !slices.ContainsFunc(p.Options, func(o views.Option) bool { return o.Selected && o.Value != "" }):
			out = append(out, views.Blocker{Text: fmt.Sprintf("Choose a rate plan for the %s.", views.CountNoun(p.Rows, "device", "devices")) + " (" + p.Label + ")",
				Anchor: "#" + p.ID})
		}
	}
	if len(out) == 0 && res.Fields[request.FieldRows] != "" {
		out = append(out, views.Blocker{Text: res.Fields[request.FieldRows], Anchor: "#rows"})
	}
	return out
}

// nextFocus is the id of the next thing to do after a step, so that a keyboard user does not
// start again from the top: the search box after adding a device (to add more), then the
// first row to fix, a plan to choose, a start field to answer, the count to confirm, Submit.
func nextFocus(in changeInput, st formState, f views.ChangeRequestPageModel) string {
	r := f.Results
	if in.action == "search" {
		return "q"
	}
	if len(r.ErrorRows) > 0 {
		e := r.ErrorRows[0]
		for _, a := range r.ErrorRows {
			if a.Index == st.added-1 {
				e = a
			}
		}
		col := "current"
		switch {
		case len(e.CurrentErrors) > 0:
		case len(e.ICCIDErrors) > 0:
			col = "new_iccid"
		case len(e.IMEIErrors) > 0:
			col = "new_imei"
		}
		return fmt.Sprintf("fix-%d-%s", e.Index, col)
	}
	for _, p := range r.Plans {
		if p.Error != "" || !slices.ContainsFunc(p.Options, func(o views.Option) bool { return o.Selected && o.Value != "" }) {
			return p.ID
		}
	}
	for _, fa := range fieldAnchors {
		if f.Errors[fa.field] != "" {
			return fa.id
		}
	}
	if r.Review != nil {
		if r.Review.NeedsConfirm && (r.Review.ConfirmError != "" || r.Review.Confirm == "") {
			return "confirm"
		}
		return "submit"
	}
	if len(in.rows) == 0 {
		return "rows"
	}
	return ""
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
		r.Review = review(res, in.reason, in)
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
func review(res *request.Result, reason string, in changeInput) *views.Review {
	start := "At once (or when the tenant's maintenance window next opens)"
	if d := in.draft(); d.RunAt != nil && d.RunAt.After(time.Now()) {
		start = fmtZoned(*d.RunAt, in.zone) + "; nothing is sent before then"
	}
	v := &views.Review{Start: start, Rows: len(res.Rows), Type: fmt.Sprintf("%s — %s", res.Type, res.Type.Label()),
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
		v.Warnings = append(v.Warnings, views.CountNoun(res.NetworkChanges, "device moves", "devices move")+" to another network type.")
	}
	if newPlans > 0 {
		v.Warnings = append(v.Warnings, views.CountNoun(newPlans, "device gets", "devices get")+" a new rate plan.")
	}
	switch {
	case res.CostCents > 0:
		v.Warnings = append(v.Warnings, fmt.Sprintf("The monthly cost goes up by %s.", change.FormatCents(res.CostCents)))
	case res.CostCents < 0:
		v.Warnings = append(v.Warnings, fmt.Sprintf("The monthly cost goes down by %s.", change.FormatCents(-res.CostCents)))
	}
	return v
}

func zoneName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	return loc.String()
}
