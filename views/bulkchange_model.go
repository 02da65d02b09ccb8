package views

// View models of one bulk change's page: its facts, the live status region, the row table and
// a row's log. Every string here is ready to print; the handler computes every coordinate.

// CountCell is one "n rows in this status" of a batch.
type CountCell struct {
	Label, Class, TestID string
	N                    int
}

// BulkChangePageModel is one bulk change: what was asked, its live status and its rows.
type BulkChangePageModel struct {
	Layout
	ID                                          int64
	Type, Provider, Tenant, By, Reason, Created string
	Priority                                    string // "normal" or "urgent"
	Total                                       int    // rows in the request
	Status                                      BulkChangeStatus
	Filter                                      RowFilter
	Rows                                        BulkChangeRows
	BatchLog                                    []LogEntry // entries of the batch as a whole
	RowLog                                      *RowLog    // a row's log, when the page was asked for with one open
	// UndoOf is the request this one undoes; UndoneBy the requests that undo this one.
	UndoOf   *Link
	UndoneBy []Link
}

// Link is a link's text and address.
type Link struct{ Text, URL string }

// BulkChangeStatus is the live region of a bulk change page: it polls itself while the batch
// runs (PollURL) and stops once the batch is final (PollURL empty).
type BulkChangeStatus struct {
	ID                                 int64
	PollURL                            string
	Status, StatusClass, StatusDetails string
	Final                              bool
	Finished                           string // when the batch finished
	Summary                            string // "12 of 40 rows finished"
	Online                             string // changed rows seen online and not yet; "" when none changed
	Counts                             []CountCell
	Progress                           Progress
	CSRF                               string
	CancelURL                          string // set while rows are NEW: a form posting there
	PauseURL                           string // set while the request is scheduled or running
	ResumeURL                          string // set while it is paused
	StartsAt                           string // "Starts Mon 9 Mar 2026 22:00 CET (Europe/Paris)." while scheduled
	RetryURL                           string // set when rows failed: a new request with just those rows
	AdminRetryURL                      string // admins, batch ERROR: a form posting there
	UndoURL                            string // finished with rows changed: the undo's confirmation page
	CSVURL                             string
	XLSXURL                            string
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
	Number                                   int // 1…N within the request
	DeviceURL                                string
	Changes                                  []IdentChange
	Status, StatusClass, Details             string
	RequestID, Created, Submitted, Processed string
	LogURL                                   string
}

// RowLog is the log of one row, shown on demand.
type RowLog struct {
	Title   string
	Entries []LogEntry
}

// RowLogPageModel is a row's log as a page of its own (without JavaScript).
type RowLogPageModel struct {
	Layout
	BackURL string
	Log     RowLog
}
