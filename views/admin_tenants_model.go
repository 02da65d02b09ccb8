package views

// TenantsPageModel lists tenants with their forms.
type TenantsPageModel struct {
	Layout
	Rows    []TenantRow
	NewName string
	// Error is the answer to the form that failed; ErrorFor names it: 0 the create form,
	// otherwise the tenant whose row's form it was.
	Error    string
	ErrorFor int64
	// Schedules are the tenants' time zone and maintenance window forms; ScheduleError is the
	// answer to the one that failed (ScheduleFor), shown with what was posted.
	Schedules     []TenantScheduleRow
	ScheduleError string
	ScheduleFor   int64
}

// TenantScheduleRow is a tenant's time zone and maintenance window form.
type TenantScheduleRow struct {
	ID                  int64
	Name, URL, TimeZone string
	Window              string // "Mon, Tue 22:00–04:00" or "none"
	Days, Opens, Closes []Option
}

// TenantRow is one tenant.
type TenantRow struct {
	ID             int64
	Name           string
	Active         bool
	Devices, Users int
	RenameURL      string
	ActiveURL      string
	// ManagersMayMarkUrgent: the tenant's managers may mark requests urgent; UrgentURL
	// changes it.
	ManagersMayMarkUrgent bool
	UrgentURL             string
}
