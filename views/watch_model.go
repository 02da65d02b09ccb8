package views

// View models of the pages that watch and find: the dashboard, the bulk change list and page,
// the device page and the admin audit search. Every string here is ready to print; every
// coordinate of a chart or progress bar is computed by the handler.

// Progress is a bar of a batch's rows: finished-well, failed, cancelled and waiting segments in
// a 0–1000 wide SVG (the CSP forbids inline styles, so widths are SVG attributes).
type Progress struct {
	Label    string // what the bar says, for screen readers and the tooltip
	Segments []Segment
}

// Segment is one coloured stretch of a progress bar.
type Segment struct {
	X, Width int    // in the 0–1000 viewBox
	Class    string // ok, bad, cancel, run
}

// CountCell is one "n rows in this status" of a batch.
type CountCell struct {
	Label, Class, TestID string
	N                    int
}

// BulkChanges is the list of bulk changes.
type BulkChanges struct {
	Layout
	Form       BulkChangeForm
	Statuses   []Option
	Types      []Option
	Providers  []Option
	Tenants    []Option // admins only
	ShowTenant bool
	Results    BulkChangeResults
}

// BulkChangeForm is the list's filter form as typed, with an error per field.
type BulkChangeForm struct {
	Requester, From, To string
	Errors              map[string]string // by field name: from, to
}

// BulkChangeResults is the swappable table of the list.
type BulkChangeResults struct {
	Rows       []BulkChangeRow
	Pager      Pager
	Filtered   bool
	ShowTenant bool
	Error      string // the filters could not be read (the fields say why)
}

// BulkChangeRow is one bulk change in a table.
type BulkChangeRow struct {
	ID                                  int64
	URL                                 string
	Created, Type, Provider, Tenant, By string
	Status, StatusClass                 string
	Total, Processed, Failed, Open      int
	Progress                            Progress
}

// BulkChangePage is one bulk change: what was asked, its live status and its rows.
type BulkChangePage struct {
	Layout
	ID                                          int64
	Type, Provider, Tenant, By, Reason, Created string
	Total                                       int // rows in the request
	Status                                      BulkChangeStatus
	Filter                                      RowFilter
	Rows                                        BulkChangeRows
	BatchLog                                    []LogEntry // entries of the batch as a whole
	RowLog                                      *RowLog    // a row's log, when the page was asked for with one open
}

// BulkChangeStatus is the live region of a bulk change page: it polls itself while the batch
// runs (PollURL) and stops once the batch is final (PollURL empty).
type BulkChangeStatus struct {
	ID                                 int64
	PollURL                            string
	Status, StatusClass, StatusDetails string
	Final                              bool
	Finished                           string // when the batch finished
	Summary                            string // "12 of 40 rows finished"
	Counts                             []CountCell
	Progress                           Progress
	CSRF                               string
	CancelURL                          string // set while rows are NEW: a form posting there
	RetryURL                           string // set when rows failed: a new request with just those rows
	AdminRetryURL                      string // admins, batch ERROR: a form posting there
	CSVURL                             string
}

// RowFilter is the row table's status filter.
type RowFilter struct {
	Action  string // the page's URL: the form's action and hx-get
	Options []Option
}

// BulkChangeRows is the swappable table of a batch's rows. While the batch runs it reloads
// itself (from URL, which keeps the filter and the page) each time the status region says
// something changed.
type BulkChangeRows struct {
	URL   string
	Live  bool
	Rows  []ChangeRow
	Pager Pager
	Empty string // what to say when there is no row
}

// ChangeRow is one row of a bulk change.
type ChangeRow struct {
	ID                                       int64
	DeviceURL                                string
	Changes                                  []IdentChange
	Status, StatusClass, Details             string
	RequestID, Created, Submitted, Processed string
	LogURL                                   string
}

// IdentChange is one identifier of a row or history entry: old → new (New empty: unchanged).
type IdentChange struct {
	Kind, Old, New string
}

// RowLog is the log of one row, shown on demand.
type RowLog struct {
	Title   string
	Entries []LogEntry
}

// LogEntry is one M2MDeviceBulkChangeLog entry.
type LogEntry struct {
	When, Description, By, Status string
	HasErrors                     bool
	ErrorCode, ErrorText          string
	Request, Response             string
}

// RowLogPage is a row's log as a page of its own (without JavaScript).
type RowLogPage struct {
	Layout
	BackURL string
	Log     RowLog
}

// DevicePage is one device: its identifiers now, its plan, and every change it went through.
type DevicePage struct {
	Layout
	ID                            int64
	ICCID, IMEI, MDN, EID         string
	Status, StatusClass           string
	Plan, PlanName, MonthlyRate   string
	Tenant, Description, Modified string
	FoundBy                       string // set when reached by an identifier it no longer has
	History                       []HistoryRow
	Rows                          []DeviceChangeRow
}

// HistoryRow is one identifier change of a device.
type HistoryRow struct {
	When, By, Reason     string
	BatchURL, BatchLabel string
	Changes              []IdentChange
}

// DeviceChangeRow is one bulk change row made for a device.
type DeviceChangeRow struct {
	BatchURL, BatchLabel, Type      string
	Status, StatusClass, Details    string
	RequestedBy, Created, Processed string
	Changes                         []IdentChange
}

// DeviceChoice is the answer to a lookup that found several devices (a SIM that moved).
type DeviceChoice struct {
	Layout
	Identifier string
	Results    DeviceResults
	ShowTenant bool
}

// Dashboard is the start page.
type Dashboard struct {
	Layout
	Scope      string // whose numbers: a tenant's name, or "every tenant"
	Week       []Stat
	Waiting    Stat
	OldestURL  string
	Chart      SuccessChart
	Codes      []CodeBar
	CodesSince string
	Recent     []BulkChangeRow
}

// Stat is one number of the dashboard.
type Stat struct {
	Label, Value, Hint, TestID string
}

// SuccessChart is the success rate per day, as SVG bars drawn by the server.
type SuccessChart struct {
	Width, Height int
	Summary       string // the chart in one sentence, for screen readers and the caption
	Bars          []ChartBar
	Grid          []ChartLine
	XLabels       []ChartLabel
	Days          []ChartDay // the same numbers as a table
	Empty         bool
}

// ChartBar is one day's bar.
type ChartBar struct {
	X, Y, W, H float64
	Class      string // ok, warn, bad
	Title      string
}

// ChartLine is a horizontal grid line with its label.
type ChartLine struct {
	Y      float64
	Label  string
	LabelX float64
}

// ChartLabel is a label under the x axis.
type ChartLabel struct {
	X     float64
	Label string
}

// ChartDay is one day of the chart as numbers.
type ChartDay struct {
	Day, Rate                string
	Processed, Failed, Total int
}

// CodeBar is one carrier error code and how many rows failed on it.
type CodeBar struct {
	Code  string
	Rows  int
	Width int // of its bar, 0–200
}

// Audit is the admin audit search.
type Audit struct {
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
