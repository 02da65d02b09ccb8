package views

// DevicesPageModel is the inventory page.
type DevicesPageModel struct {
	Layout
	Query      string
	TenantID   int64
	Tenants    []Option // admins only: filter by tenant
	ShowTenant bool
	Filters    DeviceFilters
	Results    DeviceResults
}

// DeviceFilters are the choices of the inventory's filters, the chosen one selected.
type DeviceFilters struct {
	Statuses, Plans, Networks, Models, LastSeen []Option
}

// DeviceResults is the swappable part of the inventory page: the count, the selection form
// with its table, the export link and the pager.
type DeviceResults struct {
	Rows       []DeviceRow
	Pager      Pager
	Query      string
	Total      int
	Offset     int  // of the page: row numbers are Offset+1…
	Filtered   bool // any filter or search is set
	ShowTenant bool
	// Hidden is the filter as hidden fields of the selection form (Label is the name).
	Hidden        []Option
	ExportURL     string
	ExportXLSXURL string
	SelectAllMax  int
	Sorts         map[string]SortLink // by sort key: iccid, imei, mdn, status, plan, model, seen
}

// SortLink is a sortable column header's link and its current direction, if it is the sort.
type SortLink struct {
	URL string
	Dir string // "ascending", "descending" or ""
}

// DeviceRow is one device in a table.
type DeviceRow struct {
	ID                                  int64
	URL                                 string
	ICCID, IMEI, MDN, EID               string
	Status, StatusClass                 string
	Plan, PlanName, Description, Tenant string
	Model, Network, LastSeen            string
}
