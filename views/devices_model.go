package views

// DevicesPageModel is the inventory page.
type DevicesPageModel struct {
	Layout
	Query      string
	TenantID   int64
	Tenants    []Option // admins only: filter by tenant
	ShowTenant bool
	Results    DeviceResults
}

// DeviceResults is the swappable table of the inventory page.
type DeviceResults struct {
	Rows  []DeviceRow
	Pager Pager
	Query string
}

// DeviceRow is one device in a table.
type DeviceRow struct {
	ID                                  int64
	URL                                 string
	ICCID, IMEI, MDN, EID               string
	Status, StatusClass                 string
	Plan, PlanName, Description, Tenant string
}
