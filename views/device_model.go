package views

// View models of a device's page and of the choice a lookup offers.

// DevicePageModel is one device: its identifiers now, its plan, and every change it went through.
type DevicePageModel struct {
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

// DeviceChoicePageModel is the answer to a lookup that found several devices (a SIM that moved).
type DeviceChoicePageModel struct {
	Layout
	Identifier string
	Results    DeviceResults
	ShowTenant bool
}
