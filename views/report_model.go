package views

// ComplianceReport is the compliance report's page: the period and tenant, and, once chosen,
// how many changes the file holds and its SHA-256.
type ComplianceReport struct {
	Layout
	Tenants  []Option // admins choose one tenant or all; nil for a manager
	From, To string   // yyyy-mm-dd
	Errors   map[string]string
	// Made is set once a period is chosen.
	Made        bool
	Rows        int
	SHA256      string
	DownloadURL string
	Preview     []ComplianceLine // the first few changes
}

// ComplianceLine is one identifier change as the preview shows it.
type ComplianceLine struct {
	BulkChangeURL                        string
	BulkChangeID                         int64
	Tenant, RequestedBy, Reason          string
	OldICCID, NewICCID, OldIMEI, NewIMEI string
	Sent, Confirmed, CarrierRequest      string
}
