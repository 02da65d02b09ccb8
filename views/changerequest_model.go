package views

import (
	"github.com/a-h/templ"

	"github.com/idswap/idswap/internal/paths"
)

// ChangeRequestPageModel is the new change request: one form whose sections open as the request takes
// shape — start, devices, row checks, rate plan, review. Everything the person has given lives
// in the form itself (the rows in one text box), so nothing is stored before submit.
type ChangeRequestPageModel struct {
	Layout
	IdempotencyKey string
	ShowTenant     bool // admins pick the tenant; managers act for their own
	Tenants        []Option
	Providers      []Option
	Types          []TypeOption
	Reason         string
	RunAt          string // the start field as typed (yyyy-mm-ddThh:mm), in Zone
	Zone           string // the tenant's time zone, e.g. Europe/Paris
	// Urgent: the person chose urgent; UrgentAllowed: they may (an admin, or a manager whose
	// tenant allows it). Otherwise the choice is shown off, with why.
	Urgent, UrgentAllowed bool
	RowsText              string
	// Errors holds a message per field: tenant, provider, type, reason, rows, csv, confirm, search.
	Errors  map[string]string
	Notices []string
	Search  DeviceSearch
	Stock   *DemoStock // demo mode only
	Steps   []Step
	Results CheckResults
	// Focus is the id of the element to focus after the form is re-rendered: the next thing
	// to do (static/app.js). Empty: the first invalid field, if any.
	Focus string
	// DraftKey names the browser's saved copy of the unsent form (static/app.js keeps it, so an
	// expired session or a reload loses nothing); per user, so people sharing a browser do not
	// see each other's drafts.
	DraftKey string
}

// TypeOption is one change type to choose.
type TypeOption struct {
	Value, Label, Hint string
	Checked            bool
}

// Step is one step of the request in the progress list.
type Step struct {
	Label  string
	State  string // "done", "current" or ""
	Anchor string // "#step-…" when the step's section is on the page
}

// DeviceSearch is the inventory search inside the request form.
type DeviceSearch struct {
	Query   string
	Hits    []SearchHit
	Total   int
	Message string // why there are no hits
}

// SearchHit is a device found by the search, with the identifier "Add" puts in the rows.
type SearchHit struct {
	Add                         string // the value added as the row's current device
	ICCID, IMEI, MDN, Status    string
	Plan, Description           string
	Active, AlreadyInTheRequest bool
}

// DemoStock lists unused SIMs and devices of the demo carrier.
type DemoStock struct {
	ICCIDs  []string
	Devices []StockDevice
}

// StockDevice is an unused device of the demo carrier.
type StockDevice struct{ IMEI, Model, Network string }

// CheckResults is the region the row checks fill: the counts, the rows with problems (editable
// in place), a preview of the good rows, then the plan choice and the review once they apply.
type CheckResults struct {
	// Message says why the rows could not be checked (fully): too many rows, no tenant yet.
	Message string
	// Partial is true when only the format of the rows could be checked.
	Partial      bool
	Checked      bool // false until there are rows to check
	Total        int
	Invalid      int
	ErrorRows    []ErrorRow
	HiddenErrors int // rows with problems beyond those shown
	ValidRows    []ValidRow
	HiddenValid  int
	Plans        []PlanChoice // nil until every row passes
	Review       *Review      // nil until every group has a plan
	// Blockers say what stops the submit, where the submit would be; each links to its place.
	Blockers []Blocker
}

// Blocker is one thing to do before the request can be submitted.
type Blocker struct {
	Text, Anchor string
}

// ErrorRow is a row with problems, shown with inputs to fix it.
type ErrorRow struct {
	Index                      int    // 0-based, names the inputs
	Number                     int    // 1-based, for people
	Orig                       string // the row as rendered, so a fix applies only to the row it was made for
	Current, NewICCID, NewIMEI string
	// Problems by column: current, new_iccid, new_imei, and the row as a whole.
	CurrentErrors, ICCIDErrors, IMEIErrors, RowErrors []string
}

// ValidRow is a row that passed its checks.
type ValidRow struct {
	Number                    int
	Current, CurrentKind      string
	DeviceICCID, DeviceMDN    string
	NewICCID, NewIMEI         string
	Network, Model            string
	CurrentPlan, Plan, Change string
}

// PlanChoice is the plan select of one group of rows.
type PlanChoice struct {
	Key          string // form field plan.KEY
	ID           string // the select's HTML id
	Label        string
	Rows         int
	CurrentPlans string // "LTEM-10MB (3), CAT1-1GB (1)"
	Options      []Option
	Error        string
	Cost         string // monthly change of the group with the plan chosen
}

// Review is the last step: what will happen, what it costs, and the submit.
type Review struct {
	Rows           int
	Type, Provider string
	Tenant, Reason string
	Start          string // when it starts, in the tenant's zone
	Warnings       []string
	CostTotal      string
	CostRows       []CostRow
	HiddenCostRows int
	NeedsConfirm   bool
	ConfirmError   string
	Confirm        string
}

// CostRow is the monthly price change of one device.
type CostRow struct {
	Number           int
	Device           string
	From, To, Change string
}

// invalidAttrs marks a field invalid and points it at its message when msg is not empty.
func invalidAttrs(msg, errorID string) templ.Attributes {
	if msg == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": errorID}
}

func firstOf(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// oobAttrs makes a region an out-of-band swap when it rides along with another region's answer.
func oobAttrs(oob bool) templ.Attributes {
	if !oob {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-swap-oob": "true"}
}

// liveCheck makes a field re-check the request as it changes: the results region, with the
// review and the submit bar, is swapped in place, so the field being used keeps the focus.
func liveCheck(trigger string) templ.Attributes {
	return templ.Attributes{"hx-post": paths.NewBulkChangeChk, "hx-trigger": trigger, "hx-target": "#check-results",
		"hx-select": "#check-results > *", "hx-swap": "innerHTML"}
}

// stepCurrent is a step's aria-current: "step" for the current one.
func stepCurrent(s Step) templ.Attributes {
	if s.State == "current" {
		return templ.Attributes{"aria-current": "step"}
	}
	return templ.Attributes{}
}
