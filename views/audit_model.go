package views

// View models of the admin audit search.

// AuditPageModel is the admin audit search.
type AuditPageModel struct {
	Layout
	Form     AuditForm
	Tenants  []Option
	Statuses []Option
	Kinds    []Option
	Results  AuditResults
}

// AuditForm is the search form as typed, with an error per field.
type AuditForm struct {
	Q, Batch, User, From, To string
	Errors                   map[string]string // by field name: q, batch, from, to, after
}

// AuditResults is the swappable result region of the audit search.
type AuditResults struct {
	Note       string // how the identifier was understood
	Devices    []DeviceRow
	ShowDevice bool // an identifier was searched: show the devices it belongs to
	Hits       []AuditHit
	NextURL    string // the next, older page
	FirstURL   string // back to the newest entries, when not on the first page
	CSVURL     string
	Error      string
}

// AuditHit is one entry of the audit trail.
type AuditHit struct {
	When, Source, SourceClass     string
	Tenant                        string
	BatchURL, BatchLabel          string
	DeviceURL                     string
	RowStatus, RowStatusClass     string
	Who, What                     string
	Changes                       []IdentChange
	HasErrors                     bool
	ErrorCode, ErrorText, Details string
	LogURL                        string
}
