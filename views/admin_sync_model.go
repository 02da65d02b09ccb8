package views

// SyncPageModel is the sync page: "Sync now" per provider, the runs with what each found, and
// the identifier changes syncs found made outside idswap.
type SyncPageModel struct {
	Layout
	Providers []SyncProvider
	Runs      SyncRunsModel
}

// SyncProvider is a provider and its "Sync now" button.
type SyncProvider struct {
	Name    string
	URL     string
	Pending bool // a sync is queued or running
}

// SyncRunsModel is the runs region; it polls itself while a sync is queued or running.
type SyncRunsModel struct {
	Rows    []SyncRunRow
	Outside []OutsideChangeRow
	Live    bool
	PollURL string
}

// SyncRunRow is one run with its counts.
type SyncRunRow struct {
	ID                                                int64
	Provider, Status, By, Started, Finished, Error    string
	Listed, Added, Updated, Outside, Gone, Unassigned int
}

// OutsideChangeRow is an identifier change a sync found at the carrier.
type OutsideChangeRow struct {
	When, Tenant, DeviceURL string
	DeviceID                int64
	OldICCID, NewICCID      string
	OldIMEI, NewIMEI        string
}
