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
