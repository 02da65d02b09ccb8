package views

// ComplianceReport is the compliance report's page: the period and tenant, and, once chosen,
// how many changes the file holds and its SHA-256.
type ComplianceReport struct {
	Layout
	Tenants  []Option // admins choose one tenant or all; nil for a manager
	From, To string   // yyyy-mm-dd
	Errors   map[string]string
	// Made is set once a period is chosen.
	Made            bool
	Rows            int
	SHA256          string
	DownloadURL     string // the CSV, whose SHA-256 the page shows
	DownloadXLSXURL string
	Preview         []ComplianceLine // the first few changes
}

// ComplianceLine is one identifier change as the preview shows it.
type ComplianceLine struct {
	BulkChangeURL                        string
	BulkChangeID                         int64
	Tenant, RequestedBy, Reason          string
	OldICCID, NewICCID, OldIMEI, NewIMEI string
	Sent, Confirmed, CarrierRequest      string
}

// DailySummarySettings is the form of a daily summary's time and recipients.
type DailySummarySettings struct {
	Layout
	Tenants    []Option // admins: which summary to set (0: every tenant, to the admins); nil for a manager
	Scope      string   // whose summary: the tenant's name, or "every tenant"
	TenantID   string
	SendAt     string
	TimeZone   string
	Recipients string
	Active     bool
	AdminsToo  bool // the all-tenants summary also goes to every admin
	LastSent   string
	Error      string
}
