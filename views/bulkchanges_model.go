package views

// View models of the list of bulk changes.

// BulkChangesPageModel is the list of bulk changes.
type BulkChangesPageModel struct {
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
	StartsAt                            string // a scheduled request's start, in its tenant's zone
	Total, Processed, Failed, Open      int
	Progress                            Progress
	Urgent                              bool // the request's priority is urgent
}
