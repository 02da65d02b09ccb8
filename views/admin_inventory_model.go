package views

// InventoryAdminPageModel is a provider's unassigned lines, how to assign them, and the
// assignment rules a sync places new lines by.
type InventoryAdminPageModel struct {
	Layout
	Providers []Option
	Provider  int64
	Query     string
	Group     string
	Lines     []LineRow
	More      bool // the list stops at its limit
	Tenants   []Option
	Rules     []RuleRow
	Error     string // the assign form's answer
	RuleError string // the rule form's answer
	Rule      RuleForm
	// CSVHeader is the assignment CSV's header; CSVError the upload form's answer; CSVPreview
	// what an uploaded file would assign (nil before an upload).
	CSVHeader  string
	CSVError   string
	CSVPreview *AssignPreview
}

// AssignPreview is what an assignment CSV would do, with an error per bad row; CSV is the
// file's text, posted back on confirm to be checked again and applied.
type AssignPreview struct {
	Rows   []AssignRow
	Errors []string
	CSV    string
}

// AssignRow is one good row of an assignment CSV.
type AssignRow struct {
	Line       int
	Identifier string
	From, To   string // tenant names; From is "" for an unassigned line
}

// LineRow is one unassigned carrier line.
type LineRow struct {
	ID                         int64
	ICCID, IMEI, MSISDN, State string
	Plan, Groups               string
}

// RuleRow is one assignment rule.
type RuleRow struct {
	Kind, Field, Value, Tenant string
	Priority                   int
	DeleteURL                  string
}

// RuleForm is what the new rule form holds.
type RuleForm struct {
	Kind, Field, Value, Priority string
}
