package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/jobs"
)

// InventoryLine is one line of a provider as the inventory holds it: the carrier-side copy
// (ThingSpaceDevice) joined to the tenant's Device that shares its ICCID, if any. A line with
// CarrierID 0 is a Device no sync has seen yet (seeded before syncs existed); DeviceID 0 is a
// line no tenant has (unassigned).
type InventoryLine struct {
	CarrierID      int64      `db:"CarrierId"`
	DeviceID       int64      `db:"DeviceId"`
	TenantID       int64      `db:"TenantId"`
	ICCID          string     `db:"ICCID"`
	IMEI           string     `db:"IMEI"`
	MSISDN         string     `db:"MSISDN"`
	EID            string     `db:"EID"`
	State          string     `db:"State"`
	RatePlan       string     `db:"RatePlan"`
	LastConnection *time.Time `db:"LastConnection"`
	Gone           bool       `db:"Gone"`
}

// InventoryLines reads every line of a provider for a sync to compare with the carrier's list.
func (db *DB) InventoryLines(ctx context.Context, providerID int64) ([]InventoryLine, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []InventoryLine
	err = t.sel(ctx, &out, `SELECT c.Id AS CarrierId, COALESCE(d.Id, 0) AS DeviceId, COALESCE(d.TenantId, 0) AS TenantId,
		COALESCE(c.ICCID, '') AS ICCID, COALESCE(c.IMEI, '') AS IMEI, COALESCE(c.MSISDN, '') AS MSISDN,
		COALESCE(c.EID, '') AS EID, c.Status AS State, COALESCE(c.RatePlan, '') AS RatePlan,
		c.CarrierLastConnectionDate AS LastConnection, CASE WHEN c.GoneDate IS NULL THEN 0 ELSE 1 END AS Gone
		FROM ThingSpaceDevice c
		LEFT JOIN Device d ON d.ServiceProviderId = c.ServiceProviderId AND d.ICCID = c.ICCID AND d.IsDeleted = 0
		WHERE c.ServiceProviderId = ? AND c.IsDeleted = 0
		UNION ALL
		SELECT 0, d.Id, d.TenantId, COALESCE(d.ICCID, ''), COALESCE(d.IMEI, ''), COALESCE(d.MSISDN, ''),
		COALESCE(d.EID, ''), d.Status, COALESCE(d.RatePlan, ''), NULL, CASE WHEN d.GoneDate IS NULL THEN 0 ELSE 1 END
		FROM Device d WHERE d.ServiceProviderId = ? AND d.IsDeleted = 0 AND NOT EXISTS (SELECT 1 FROM ThingSpaceDevice c
			WHERE c.ServiceProviderId = d.ServiceProviderId AND c.ICCID = d.ICCID AND c.IsDeleted = 0)`, providerID, providerID)
	return out, err
}

// CarrierLine is a line as the carrier lists it, in the form the inventory stores.
type CarrierLine struct {
	ICCID, IMEI, MSISDN, EID string
	State                    string // the carrier's word: active, suspend, deactive, pre-active
	RatePlan                 string
	GroupNames               string // comma-separated
	CustomFields             string // key=value pairs, comma-separated
	LastConnection           *time.Time
	Created                  *time.Time
}

// statusID is the DeviceStatus of a carrier state; an unknown state counts as pre-active,
// which allows no change, rather than as active.
func statusID(state string) int {
	switch strings.ToLower(state) {
	case "active":
		return DeviceStatusActive
	case "suspend", "suspended":
		return DeviceStatusSuspended
	case "deactive", "deactivated":
		return DeviceStatusDeactive
	case "pending activation":
		return DeviceStatusPendingAct
	}
	return DeviceStatusPreActive
}

// SyncNew is a line to add: to ThingSpaceDevice unless CarrierID is set (the line is known,
// only unplaced), and to a tenant's Device when TenantID is set.
type SyncNew struct {
	CarrierID int64
	TenantID  int64
	Line      CarrierLine
}

// SyncUpdate is a known line whose carrier facts changed. Outside is set when its ICCID or IMEI
// changed without an open row of idswap that explains it: the history then records the change
// as found by the sync. Explained identifier changes are not written here (the engine writes
// them when it finishes its row).
type SyncUpdate struct {
	Old     InventoryLine
	Line    CarrierLine
	Outside bool
}

// SyncBatch is what a sync applies for one page of the carrier's list, in one transaction, with
// the run's counters moved by the same amounts.
type SyncBatch struct {
	RunID, ProviderID int64
	AccountNumber     string
	New               []SyncNew
	Updates           []SyncUpdate
	Listed, Unchanged int
	By                string
}

// SyncCounts are what a sync run found.
type SyncCounts struct {
	Listed         int `db:"Listed"`
	Added          int `db:"Added"`
	Updated        int `db:"Updated"`
	ChangedOutside int `db:"ChangedOutside"`
	Gone           int `db:"Gone"`
	Unassigned     int `db:"Unassigned"`
}

// SyncRun is one run of the inventory sync (table InventorySyncRun).
type SyncRun struct {
	ID           int64      `db:"Id"`
	ProviderID   int64      `db:"ServiceProviderId"`
	Status       string     `db:"Status"`
	RequestedBy  string     `db:"RequestedBy"`
	StartedDate  time.Time  `db:"StartedDate"`
	FinishedDate *time.Time `db:"FinishedDate"`
	Error        string     `db:"Error"`
	SyncCounts
}

// Sync run statuses.
const (
	SyncRunning   = "running"
	SyncSucceeded = "succeeded"
	SyncFailed    = "failed"
)

// OutsideChangeReason is the ChangeReason of an identifier change the carrier showed and idswap
// did not make.
const OutsideChangeReason = "changed at the carrier, found by sync"

// StartSyncRun opens a run. A run of the same provider still marked running was killed (a
// process died in it): it is closed as failed, so a restart starts cleanly.
func (db *DB) StartSyncRun(ctx context.Context, providerID int64, by string) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var n int
	if err := t.get(ctx, &n, `SELECT COUNT(*) FROM ServiceProvider WHERE Id = ? AND IsDeleted = 0`, providerID); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, apperr.E(apperr.NotFound, "no service provider %d", providerID)
	}
	if _, err := t.exec(ctx, `UPDATE InventorySyncRun SET Status = ?, FinishedDate = ?, Error = ?
		WHERE ServiceProviderId = ? AND Status = ?`, SyncFailed, t.now, "interrupted: a later run started", providerID, SyncRunning); err != nil {
		return 0, err
	}
	id, err := t.insert(ctx, "InventorySyncRun", []string{"ServiceProviderId", "Status", "RequestedBy", "StartedDate"},
		providerID, SyncRunning, by, t.now)
	if err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// ApplySyncBatch writes one page's worth of a sync in one transaction: a page is applied whole
// or not at all, and applying it again changes nothing more (rows are matched by identifiers).
func (db *DB) ApplySyncBatch(ctx context.Context, b SyncBatch) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	plans, err := planIDs(ctx, t, b.ProviderID)
	if err != nil {
		return err
	}
	planOf := func(code string) any {
		if id, ok := plans[code]; ok {
			return id
		}
		return nil
	}
	var carrierRows, deviceRows [][]any
	added, unassigned := 0, 0
	for _, n := range b.New {
		l := n.Line
		if n.CarrierID == 0 {
			carrierRows = append(carrierRows, []any{b.ProviderID, nullIfEmpty(l.ICCID), nullIfEmpty(l.IMEI), nullIfEmpty(l.MSISDN),
				nullIfEmpty(l.EID), strings.ToLower(l.State), nullIfEmpty(l.RatePlan), statusID(l.State), b.AccountNumber,
				nullIfEmpty(l.GroupNames), nullIfEmpty(l.CustomFields), l.LastConnection, l.Created, b.By, t.now})
			added++
		}
		if n.TenantID == 0 {
			unassigned++
			continue
		}
		deviceRows = append(deviceRows, []any{b.ProviderID, n.TenantID, nullIfEmpty(l.ICCID), nullIfEmpty(l.IMEI),
			nullIfEmpty(l.MSISDN), nullIfEmpty(l.EID), statusID(l.State), strings.ToLower(l.State), planOf(l.RatePlan),
			nullIfEmpty(l.RatePlan), l.Created, l.LastConnection, b.By, t.now})
	}
	if err := insertMany(ctx, t, "ThingSpaceDevice",
		[]string{"ServiceProviderId", "ICCID", "IMEI", "MSISDN", "EID", "Status", "RatePlan", "DeviceStatusId", "AccountNumber",
			"GroupNames", "CustomFields", "CarrierLastConnectionDate", "CarrierCreatedDate", "CreatedBy", "CreatedDate"}, carrierRows); err != nil {
		return err
	}
	if err := insertMany(ctx, t, "Device",
		[]string{"ServiceProviderId", "TenantId", "ICCID", "IMEI", "MSISDN", "EID", "DeviceStatusId", "Status",
			"CarrierRatePlanId", "RatePlan", "ProviderDateAdded", "LastUsageDate", "CreatedBy", "CreatedDate"}, deviceRows); err != nil {
		return err
	}
	outside := 0
	for _, u := range b.Updates {
		if u.Outside {
			outside++
		}
		if err := applySyncUpdate(ctx, t, b, u, planOf); err != nil {
			return err
		}
	}
	if _, err := t.exec(ctx, `UPDATE InventorySyncRun SET Listed = Listed + ?, Added = Added + ?, Updated = Updated + ?,
		ChangedOutside = ChangedOutside + ?, Unassigned = Unassigned + ? WHERE Id = ?`,
		b.Listed, added, len(b.Updates), outside, unassigned, b.RunID); err != nil {
		return err
	}
	return t.Commit()
}

// applySyncUpdate writes one line the sync found changed: its carrier row (inserted when the
// line had none), its device row when it has one, and, for a change made outside idswap, the
// device's identifier history.
func applySyncUpdate(ctx context.Context, t *tx, b SyncBatch, u SyncUpdate, planOf func(string) any) error {
	l, o := u.Line, u.Old
	iccid, imei := o.ICCID, o.IMEI
	if u.Outside {
		iccid, imei = l.ICCID, l.IMEI
	}
	if o.CarrierID != 0 {
		if _, err := t.exec(ctx, `UPDATE ThingSpaceDevice SET ICCID = ?, IMEI = ?, MSISDN = ?, EID = ?, Status = ?,
			DeviceStatusId = ?, RatePlan = ?, GroupNames = ?, CustomFields = ?, CarrierLastConnectionDate = ?, GoneDate = NULL,
			ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`,
			nullIfEmpty(iccid), nullIfEmpty(imei), nullIfEmpty(l.MSISDN), nullIfEmpty(l.EID), strings.ToLower(l.State),
			statusID(l.State), nullIfEmpty(l.RatePlan), nullIfEmpty(l.GroupNames), nullIfEmpty(l.CustomFields),
			l.LastConnection, b.By, t.now, o.CarrierID); err != nil {
			return fmt.Errorf("store: sync ThingSpaceDevice %d: %w", o.CarrierID, err)
		}
	} else {
		if _, err := t.exec(ctx, `INSERT INTO ThingSpaceDevice (ServiceProviderId, ICCID, IMEI, MSISDN, EID, Status,
			RatePlan, DeviceStatusId, AccountNumber, GroupNames, CustomFields, CarrierLastConnectionDate, CarrierCreatedDate,
			CreatedBy, CreatedDate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ProviderID, nullIfEmpty(iccid), nullIfEmpty(imei), nullIfEmpty(l.MSISDN), nullIfEmpty(l.EID),
			strings.ToLower(l.State), nullIfEmpty(l.RatePlan), statusID(l.State), b.AccountNumber,
			nullIfEmpty(l.GroupNames), nullIfEmpty(l.CustomFields), l.LastConnection, l.Created, b.By, t.now); err != nil {
			return fmt.Errorf("store: sync ThingSpaceDevice of device %d: %w", o.DeviceID, err)
		}
	}
	if o.DeviceID == 0 {
		return nil
	}
	if _, err := t.exec(ctx, `UPDATE Device SET ICCID = ?, IMEI = ?, MSISDN = ?, EID = ?, Status = ?, DeviceStatusId = ?,
		RatePlan = ?, CarrierRatePlanId = ?, LastUsageDate = ?, GoneDate = NULL, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`,
		nullIfEmpty(iccid), nullIfEmpty(imei), nullIfEmpty(l.MSISDN), nullIfEmpty(l.EID), strings.ToLower(l.State),
		statusID(l.State), nullIfEmpty(l.RatePlan), planOf(l.RatePlan), l.LastConnection, b.By, t.now, o.DeviceID); err != nil {
		return fmt.Errorf("store: sync Device %d: %w", o.DeviceID, err)
	}
	if u.Outside {
		if _, err := t.exec(ctx, `INSERT INTO DeviceIdentifierChangeHistory
			(DeviceId, TenantId, ServiceProviderId, OldICCID, NewICCID, OldIMEI, NewIMEI, ChangeReason, ChangedBy, ChangeDate)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.DeviceID, o.TenantID, b.ProviderID, nullIfEmpty(o.ICCID), nullIfEmpty(l.ICCID), nullIfEmpty(o.IMEI),
			nullIfEmpty(l.IMEI), OutsideChangeReason, b.By, t.now); err != nil {
			return fmt.Errorf("store: history of device %d: %w", o.DeviceID, err)
		}
	}
	return nil
}

func planIDs(ctx context.Context, t *tx, providerID int64) (map[string]int64, error) {
	var ps []struct {
		ID   int64  `db:"Id"`
		Code string `db:"RatePlanCode"`
	}
	if err := t.sel(ctx, &ps, `SELECT Id, RatePlanCode FROM ThingSpaceCarrierRatePlan WHERE ServiceProviderId = ? AND IsDeleted = 0`, providerID); err != nil {
		return nil, err
	}
	m := make(map[string]int64, len(ps))
	for _, p := range ps {
		m[p.Code] = p.ID
	}
	return m, nil
}

// FinishSyncRun ends a run that listed the whole account: the lines it did not see are marked
// gone (never deleted), and the run gets its final counts and an audit event. Only a complete
// listing may mark lines gone, so a failed run never calls this.
func (db *DB) FinishSyncRun(ctx context.Context, runID int64, goneCarrier, goneDevices []int64, a Actor) (*SyncRun, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	for start := 0; start < len(goneCarrier); start += inChunk {
		chunk := goneCarrier[start:min(start+inChunk, len(goneCarrier))]
		if _, err := t.exec(ctx, `UPDATE ThingSpaceDevice SET GoneDate = ?, ModifiedBy = ?, ModifiedDate = ?
			WHERE GoneDate IS NULL AND Id IN (`+idList(chunk)+`)`, t.now, a.Name, t.now); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(goneDevices); start += inChunk {
		chunk := goneDevices[start:min(start+inChunk, len(goneDevices))]
		if _, err := t.exec(ctx, `UPDATE Device SET GoneDate = ?, ModifiedBy = ?, ModifiedDate = ?
			WHERE GoneDate IS NULL AND Id IN (`+idList(chunk)+`)`, t.now, a.Name, t.now); err != nil {
			return nil, err
		}
	}
	gone := max(len(goneCarrier), len(goneDevices))
	if _, err := t.exec(ctx, `UPDATE InventorySyncRun SET Status = ?, FinishedDate = ?, Gone = ? WHERE Id = ?`,
		SyncSucceeded, t.now, gone, runID); err != nil {
		return nil, err
	}
	run, err := syncRun(ctx, t, runID)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, t, ActionInventorySync, "ServiceProvider", run.ProviderID, nil, run.SyncCounts); err != nil {
		return nil, err
	}
	return run, t.Commit()
}

// FailSyncRun ends a run that could not list the whole account. What its finished pages wrote
// stays (each page was applied whole); nothing was marked gone.
func (db *DB) FailSyncRun(ctx context.Context, runID int64, reason string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	// reason is cut to the column by exec (InventorySyncRun.Error is a clipped column), never
	// inside a character.
	if _, err := t.exec(ctx, `UPDATE InventorySyncRun SET Status = ?, FinishedDate = ?, Error = ? WHERE Id = ? AND Status = ?`,
		SyncFailed, t.now, reason, runID, SyncRunning); err != nil {
		return err
	}
	return t.Commit()
}

const syncRunColumns = `Id, ServiceProviderId, Status, RequestedBy, StartedDate, FinishedDate, COALESCE(Error, '') AS Error,
	Listed, Added, Updated, ChangedOutside, Gone, Unassigned`

func syncRun(ctx context.Context, t *tx, id int64) (*SyncRun, error) {
	var r SyncRun
	if err := t.get(ctx, &r, `SELECT `+syncRunColumns+` FROM InventorySyncRun WHERE Id = ?`, id); err != nil {
		return nil, notFound(err, "no sync run %d", id)
	}
	return &r, nil
}

// SyncRunByID reads a run: its status and counts so far, for a page that follows it live.
func (db *DB) SyncRunByID(ctx context.Context, id int64) (*SyncRun, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	return syncRun(ctx, t, id)
}

// SyncRuns lists the latest runs, newest first; providerID 0 means every provider.
func (db *DB) SyncRuns(ctx context.Context, providerID int64, limit int) ([]SyncRun, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	clause, pargs := t.db.dialect.page(limit, 0)
	var out []SyncRun
	err = t.sel(ctx, &out, `SELECT `+syncRunColumns+` FROM InventorySyncRun WHERE (? = 0 OR ServiceProviderId = ?)
		ORDER BY Id DESC `+clause, append([]any{providerID, providerID}, pargs...)...)
	return out, err
}

// OpenChangeTargets returns, per device, the new identifiers its open bulk change rows ask for:
// what the carrier may show before idswap has finished the row.
func (db *DB) OpenChangeTargets(ctx context.Context, deviceIDs []int64) (map[int64][][2]string, error) {
	out := map[int64][][2]string{}
	if len(deviceIDs) == 0 {
		return out, nil
	}
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var rows []struct {
		DeviceID int64  `db:"DeviceId"`
		ICCID    string `db:"NewICCID"`
		IMEI     string `db:"NewIMEI"`
	}
	if err := selectIn(ctx, t, &rows, `SELECT DeviceId, COALESCE(NewICCID, '') AS NewICCID, COALESCE(NewIMEI, '') AS NewIMEI
		FROM M2M_DeviceChange WHERE Status IN (`+openStatuses+`) AND DeviceId IN (?)`, nil, anySlice(deviceIDs)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.DeviceID] = append(out[r.DeviceID], [2]string{r.ICCID, r.IMEI})
	}
	return out, nil
}

// OutsideChange is an identifier change a sync found at the carrier that idswap did not make.
type OutsideChange struct {
	ID         int64     `db:"Id"`
	DeviceID   int64     `db:"DeviceId"`
	TenantName string    `db:"TenantName"`
	OldICCID   string    `db:"OldICCID"`
	NewICCID   string    `db:"NewICCID"`
	OldIMEI    string    `db:"OldIMEI"`
	NewIMEI    string    `db:"NewIMEI"`
	ChangedBy  string    `db:"ChangedBy"`
	ChangeDate time.Time `db:"ChangeDate"`
}

// OutsideChanges lists the latest identifier changes syncs found at the carrier, newest first;
// providerID 0 means every provider.
func (db *DB) OutsideChanges(ctx context.Context, providerID int64, limit int) ([]OutsideChange, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	clause, pargs := t.db.dialect.page(limit, 0)
	var out []OutsideChange
	err = t.sel(ctx, &out, `SELECT h.Id, h.DeviceId, tn.Name AS TenantName, COALESCE(h.OldICCID, '') AS OldICCID,
		COALESCE(h.NewICCID, '') AS NewICCID, COALESCE(h.OldIMEI, '') AS OldIMEI, COALESCE(h.NewIMEI, '') AS NewIMEI,
		h.ChangedBy, h.ChangeDate
		FROM DeviceIdentifierChangeHistory h JOIN Tenant tn ON tn.Id = h.TenantId
		WHERE h.ChangeReason = ? AND (? = 0 OR h.ServiceProviderId = ?)
		ORDER BY h.Id DESC `+clause, append([]any{OutsideChangeReason, providerID, providerID}, pargs...)...)
	return out, err
}

// QueueSync queues a sync of a provider on the job queue and records who asked, unless a sync
// of the provider is already queued or running: then it queues nothing and answers false, so
// that neither the schedule nor a second click piles up syncs behind one another.
func (db *DB) QueueSync(ctx context.Context, providerID int64, a Actor) (queued bool, err error) {
	t, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer t.Rollback()
	pending, err := pendingSyncs(ctx, t)
	if err != nil || pending[providerID] {
		return false, err
	}
	if err := enqueue(ctx, t, NewJob{Kind: jobs.KindInventorySync, Payload: jobs.InventorySync{ProviderID: providerID, By: a.Name},
		MaxAttempts: 3}); err != nil {
		return false, err
	}
	if err := a.audit(ctx, t, ActionInventorySyncReq, "ServiceProvider", providerID, nil, nil); err != nil {
		return false, err
	}
	return true, t.Commit()
}

// PendingSyncs lists the providers with a sync queued or running on the job queue.
func (db *DB) PendingSyncs(ctx context.Context) (map[int64]bool, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	return pendingSyncs(ctx, t)
}

func pendingSyncs(ctx context.Context, t *tx) (map[int64]bool, error) {
	var payloads []string
	if err := t.sel(ctx, &payloads, `SELECT Payload FROM Job WHERE Kind = ? AND Status IN ('`+JobQueued+`', '`+JobRunning+`')`,
		jobs.KindInventorySync); err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, p := range payloads {
		var j jobs.InventorySync
		if json.Unmarshal([]byte(p), &j) == nil {
			out[j.ProviderID] = true
		}
	}
	return out, nil
}
