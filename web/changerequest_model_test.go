package web

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// The form's view model is built from the input, the checks and what was read for it, with no
// reading of its own: these cases drive buildChangeForm directly.

func formData(admin bool, providers ...store.Provider) changeFormData {
	d := changeFormData{layout: views.Layout{Title: "New change request"}, isAdmin: admin, providers: providers}
	if admin {
		d.tenants = tenantList{{ID: 1, Name: "Acme"}, {ID: 2, Name: "Globex"}}
	}
	return d
}

func selected(opts []views.Option) []string {
	var out []string
	for _, o := range opts {
		if o.Selected {
			out = append(out, o.Label)
		}
	}
	return out
}

func TestBuildChangeFormStart(t *testing.T) {
	in := changeInput{key: "k1", typ: string(change.ChangeIMEI), tenantID: 2}
	f := buildChangeForm(in, nil, formState{fresh: true}, formData(true, store.Provider{ID: 7, DisplayName: "Verizon"}))

	if f.IdempotencyKey != "k1" || f.Title != "New change request" || !f.ShowTenant {
		t.Errorf("key %q, title %q, tenant shown %v", f.IdempotencyKey, f.Title, f.ShowTenant)
	}
	if got := selected(f.Providers); len(got) != 1 || got[0] != "Verizon" {
		t.Errorf("the only provider is chosen for the user: %v", got)
	}
	if got := selected(f.Tenants); len(got) != 1 || got[0] != "Globex" {
		t.Errorf("the tenant of the input is selected: %v", got)
	}
	var checked []string
	for _, o := range f.Types {
		if o.Checked {
			checked = append(checked, o.Value)
		}
	}
	if len(f.Types) != len(change.Types) || len(checked) != 1 || checked[0] != string(change.ChangeIMEI) {
		t.Errorf("types %d, checked %v", len(f.Types), checked)
	}
	if len(f.Errors) != 0 || f.Steps[0].State != "current" {
		t.Errorf("a fresh form has no errors (%v) and starts at step 1 (%+v)", f.Errors, f.Steps)
	}
}

func TestBuildChangeFormManagerSeesNoTenants(t *testing.T) {
	f := buildChangeForm(changeInput{}, nil, formState{fresh: true}, formData(false,
		store.Provider{ID: 7, DisplayName: "Verizon"}, store.Provider{ID: 8, DisplayName: "Other"}))
	if f.ShowTenant || f.Tenants != nil {
		t.Errorf("a manager is offered tenants: %v", f.Tenants)
	}
	if got := selected(f.Providers); len(got) != 0 {
		t.Errorf("with two providers none is chosen for the user: %v", got)
	}
}

// "No rows yet" is where everyone starts: it is an error only once the user submits.
func TestBuildChangeFormMissingRows(t *testing.T) {
	res := &request.Result{Fields: map[string]string{request.FieldRows: "Add at least one device.", request.FieldReason: "Say why."}}
	for name, tc := range map[string]struct {
		st       formState
		action   string
		rowsErr  bool
		anyError bool
	}{
		"a step":            {formState{}, "check", false, true},
		"the submit button": {formState{}, "submit", true, true},
		"a refused submit":  {formState{submitting: true}, "", true, true},
		"a fresh form":      {formState{fresh: true}, "", false, false},
	} {
		t.Run(name, func(t *testing.T) {
			f := buildChangeForm(changeInput{action: tc.action}, res, tc.st, formData(false))
			if _, ok := f.Errors[request.FieldRows]; ok != tc.rowsErr {
				t.Errorf("rows error shown %v, want %v (%v)", ok, tc.rowsErr, f.Errors)
			}
			if (len(f.Errors) > 0) != tc.anyError {
				t.Errorf("errors %v", f.Errors)
			}
		})
	}
}

// A live check renders the results region only: nothing of the page is built for it.
func TestBuildChangeFormLive(t *testing.T) {
	d := formData(true, store.Provider{ID: 7, DisplayName: "Verizon"})
	d.stock = &views.DemoStock{ICCIDs: []string{"8914"}}
	f := buildChangeForm(changeInput{query: "415"}, nil, formState{live: true}, d)
	if f.Title != "" || f.Providers != nil || f.Tenants != nil || f.Types != nil || f.Stock != nil {
		t.Errorf("a live check built the page: %+v", f)
	}
	if f.Search.Query != "415" {
		t.Errorf("search query %q", f.Search.Query)
	}
}

// A request that is ready shows its review, with the confirmation asked for above the limit.
func TestBuildChangeFormReview(t *testing.T) {
	gold := change.Plan{Code: "GOLD", Name: "Gold", MonthlyCents: 4500, NetworkTypes: []string{"5G"}}
	silver := change.Plan{Code: "SILVER", Name: "Silver", MonthlyCents: 2000, NetworkTypes: []string{"5G"}}
	res := &request.Result{Tenant: &store.Tenant{ID: 1, Name: "Acme"}, Provider: &store.Provider{ID: 7, DisplayName: "Verizon"},
		Type: change.ChangeICCID, Fields: map[string]string{}, Ready: true, CostCents: 2500,
		Groups: []request.Group{{PlanGroup: change.PlanGroup{Network: "5G", CurrentFits: true}, Key: "5G", Rows: 1,
			Compatible: []change.Plan{gold, silver}, Choice: "GOLD", Chosen: true, CostCents: 2500}}}
	res.Rows = []request.Row{{Index: 0, Input: change.Row{Current: "8914800000420000037", NewICCID: "8914800000420009999"},
		Current: "8914800000420000037", NewICCID: "8914800000420009999", NetworkType: "5G", Device: &store.Device{ICCID: "8914800000420000037"},
		CurrentPlan: &silver, Plan: &gold, CostCents: 2500}}
	in := changeInput{reason: " SIMs failed ", rows: []change.Row{res.Rows[0].Input}, confirm: "1", plans: map[string]string{"5G": "GOLD"}}

	f := buildChangeForm(in, res, formState{confirmError: "Type 1 to confirm."}, formData(false))
	rv := f.Results.Review
	if rv == nil {
		t.Fatalf("no review of a ready request: %+v", f.Results)
	}
	if rv.Reason != "SIMs failed" || rv.Tenant != "Acme" || rv.Provider != "Verizon" || rv.Confirm != "1" || rv.ConfirmError != "Type 1 to confirm." {
		t.Errorf("review %+v", rv)
	}
	if len(rv.CostRows) != 1 || rv.CostRows[0].From != "SILVER ($20.00)" || rv.CostRows[0].To != "GOLD ($45.00)" {
		t.Errorf("cost rows %+v", rv.CostRows)
	}
	if w := strings.Join(rv.Warnings, " "); !strings.Contains(w, "1 device gets a new rate plan") || !strings.Contains(w, "goes up by $25.00") {
		t.Errorf("warnings %q", w)
	}
	if len(f.Results.Plans) != 1 || f.Results.Plans[0].Cost != "+$25.00 a month" {
		t.Errorf("plans %+v", f.Results.Plans)
	}
	for i, s := range f.Steps {
		want := "done"
		if i == len(f.Steps)-1 {
			want = "current"
		}
		if s.State != want {
			t.Errorf("step %q is %q, want %q", s.Label, s.State, want)
		}
	}
}

// A row with problems comes back with each message next to its column, and the row as shown.
func TestBuildChangeFormErrorRows(t *testing.T) {
	res := &request.Result{Fields: map[string]string{}, Invalid: 1, Rows: []request.Row{{Index: 2,
		Input: change.Row{Current: "123", NewICCID: "8914"},
		Problems: []change.Problem{{Column: change.ColumnCurrent, Message: "too short"}, {Column: change.ColumnNewICCID, Message: "bad check digit"},
			{Message: "the line already has an open change"}}}}}
	f := buildChangeForm(changeInput{rows: make([]change.Row, 3)}, res, formState{}, formData(false))
	if len(f.Results.ErrorRows) != 1 {
		t.Fatalf("error rows %+v", f.Results.ErrorRows)
	}
	e := f.Results.ErrorRows[0]
	if e.Number != 3 || e.Index != 2 || e.Orig != "123,8914" || len(e.CurrentErrors) != 1 || len(e.ICCIDErrors) != 1 || len(e.RowErrors) != 1 || len(e.IMEIErrors) != 0 {
		t.Errorf("error row %+v", e)
	}
	if f.Results.Review != nil || f.Results.Plans != nil {
		t.Errorf("a request with bad rows offers plans or a review: %+v", f.Results)
	}
}

// What stops the submit is said where Submit would be, and the focus goes to the next thing
// to do: the row to fix, the plan to choose, the missing reason, Submit.
func TestBuildChangeFormBlockersAndFocus(t *testing.T) {
	gold := change.Plan{Code: "GOLD", Name: "Gold", MonthlyCents: 4500, NetworkTypes: []string{"5G"}}
	row := request.Row{Index: 0, Input: change.Row{Current: "8914800000420000037", NewICCID: "8914800000420009999"},
		Current: "8914800000420000037", NewICCID: "8914800000420009999", NetworkType: "5G", Device: &store.Device{ICCID: "8914800000420000037"}, Plan: &gold}
	result := func(fields map[string]string, chosen, ready bool) *request.Result {
		return &request.Result{Tenant: &store.Tenant{ID: 1, Name: "Acme"}, Provider: &store.Provider{ID: 7, DisplayName: "Verizon"},
			Type: change.ChangeICCID, Fields: fields, Ready: ready, Rows: []request.Row{row},
			Groups: []request.Group{{PlanGroup: change.PlanGroup{Network: "5G"}, Key: "5G", Rows: 1, Compatible: []change.Plan{gold}, Choice: "GOLD", Chosen: chosen}}}
	}
	in := changeInput{rows: []change.Row{row.Input}, action: "check"}
	for name, tc := range map[string]struct {
		res      *request.Result
		blockers []string // anchors
		focus    string
		review   bool
	}{
		"no reason":    {result(map[string]string{request.FieldReason: "Give a reason."}, true, false), []string{"#reason"}, "reason", false},
		"no plan":      {result(map[string]string{}, false, false), []string{"#plan-5G"}, "plan-5G", false},
		"both":         {result(map[string]string{request.FieldReason: "Give a reason."}, false, false), []string{"#reason", "#plan-5G"}, "plan-5G", false},
		"ready":        {result(map[string]string{}, true, true), nil, "submit", true},
		"a row to fix": {&request.Result{Fields: map[string]string{}, Invalid: 1, Rows: []request.Row{{Index: 0, Input: row.Input, Problems: []change.Problem{{Column: change.ColumnNewICCID, Message: "bad"}}}}}, []string{"#step-checks"}, "fix-0-new_iccid", false},
	} {
		t.Run(name, func(t *testing.T) {
			f := buildChangeForm(in, tc.res, formState{}, formData(false))
			var got []string
			for _, b := range f.Results.Blockers {
				got = append(got, b.Anchor)
			}
			if strings.Join(got, " ") != strings.Join(tc.blockers, " ") {
				t.Errorf("blockers %v, want %v", f.Results.Blockers, tc.blockers)
			}
			if f.Focus != tc.focus {
				t.Errorf("focus %q, want %q", f.Focus, tc.focus)
			}
			if (f.Results.Review != nil) != tc.review {
				t.Errorf("review shown %v, want %v", f.Results.Review != nil, tc.review)
			}
		})
	}
}
