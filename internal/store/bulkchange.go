package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
)

// BulkChange is one request (DeviceBulkChange) with its row counts.
type BulkChange struct {
	ID                int64              `db:"Id"`
	TenantID          int64              `db:"TenantId"`
	TenantName        string             `db:"TenantName"`
	ServiceProviderID int64              `db:"ServiceProviderId"`
	ProviderName      string             `db:"ProviderName"`
	TypeID            int                `db:"ChangeRequestTypeId"`
	Type              change.Type        `db:"-"`
	Status            change.BatchStatus `db:"Status"`
	StatusDetails     string             `db:"StatusDetails"`
	Reason            string             `db:"Reason"`
	RequestedByUserID *int64             `db:"RequestedByUserId"`
	Priority          change.Priority    `db:"Priority"`
	CreatedBy         string             `db:"CreatedBy"`
	CreatedDate       time.Time          `db:"CreatedDate"`
	ProcessedBy       string             `db:"ProcessedBy"`
	ProcessedDate     *time.Time         `db:"ProcessedDate"`
	ModifiedDate      *time.Time         `db:"ModifiedDate"`
	// StartAt is when a scheduled request starts (nil: it started when it was made);
	// StartedDate when it did.
	StartAt     *time.Time    `db:"StartAt"`
	StartedDate *time.Time    `db:"StartedDate"`
	Counts      change.Counts `db:"-"`
	// UndoOf is the request this one undoes (nil for any other request); UndoneBy lists the
	// requests that undo this one, oldest first.
	UndoOf   *int64  `db:"UndoOfBulkChangeId"`
	UndoneBy []int64 `db:"-"`
}

// RowIdentifiers are what a bulk change row names: the device's identifiers when the row was
// made (ICCID, IMEI, MSISDN, EID) and what it changes them to (NewICCID, NewIMEI; empty when
// unchanged). A row (DeviceChange) and every audit hit about one (AuditHit) carry them.
type RowIdentifiers struct {
	ICCID    string `db:"ICCID"`
	IMEI     string `db:"IMEI"`
	MSISDN   string `db:"MSISDN"`
	EID      string `db:"EID"`
	NewICCID string `db:"NewICCID"`
	NewIMEI  string `db:"NewIMEI"`
}

// DeviceChange is one row of a request (M2M_DeviceChange).
type DeviceChange struct {
	ID           int64  `db:"Id"`
	BulkChangeID int64  `db:"BulkChangeId"`
	DeviceID     *int64 `db:"DeviceId"`
	RowIdentifiers
	ServicePlan   string        `db:"ServicePlan"`
	Status        change.Status `db:"Status"`
	StatusDetails string        `db:"StatusDetails"`
	HasErrors     bool          `db:"HasErrors"`
	IsProcessed   bool          `db:"IsProcessed"`
	ChangeRequest string        `db:"ChangeRequest"`
	RequestID     string        `db:"RequestId"`
	SubmittedDate *time.Time    `db:"SubmittedDate"`
	// SentDate is when the change request of the current attempt left (nil: it has not).
	SentDate *time.Time `db:"SentDate"`
	// CorrectedDate is when the carrier's later word changed the row after it had finished.
	CorrectedDate *time.Time `db:"CorrectedDate"`
	// AttentionReason is set while the row is on the admins' "needs attention" list.
	AttentionReason string `db:"AttentionReason"`
	// OnlineSince is when the device first connected after the change (nil: not seen yet).
	OnlineSince   *time.Time `db:"OnlineSince"`
	ProcessedBy   string     `db:"ProcessedBy"`
	ProcessedDate *time.Time `db:"ProcessedDate"`
	CreatedDate   time.Time  `db:"CreatedDate"`
	ModifiedDate  *time.Time `db:"ModifiedDate"`
	// Number is the row's place in its request, 1…N: set by DeviceChanges only.
	Number int `db:"RowNumber"`
}

// NewBulkChange is a checked request, ready to store.
type NewBulkChange struct {
	TenantID          int64
	ServiceProviderID int64
	Type              change.Type
	Reason            string
	RequestedBy       *User
	// IdempotencyKey is generated with the form (or sent by an API client): a second submit of
	// the same key returns the first batch instead of making another.
	IdempotencyKey string
	RemoteAddr     string
	// RunAt, when set, is when the request is to start (checked by the caller with
	// change.CheckRunAt). Unset, the request starts at once, or when the tenant's maintenance
	// window next opens if it is closed now. Either way, until then it is SCHEDULED.
	RunAt *time.Time
	// UndoOf names the request this one undoes (request.Service.SubmitUndo); 0 for any other.
	UndoOf int64
	Rows   []NewDeviceChange
	// Priority is normal ("" too) or urgent. Urgent is for admins, and for the managers of a
	// tenant that allows it (Tenant.ManagersMayMarkUrgent); anyone else gets a Forbidden error.
	Priority change.Priority
}

// NewDeviceChange is one checked row.
type NewDeviceChange struct {
	DeviceID                 int64
	ICCID, IMEI, MSISDN, EID string // the device's identifiers now
	NewICCID, NewIMEI        string
	ServicePlan              string          // plan code to send; "" keeps the current plan
	Envelope                 change.Envelope // the row's ChangeRequest JSON
}

// CreateBulkChange stores a request — DeviceBulkChange (NEW), every M2M_DeviceChange (NEW),
// one jobs.KindSubmitChange per row and an AuditEvent — in one transaction, and returns its id.
// created is false when a request with the same idempotency key exists already: its id is
// returned and nothing is written.
//
// The identifiers are checked once more inside the transaction, because another request may
// have taken a SIM or a device since the user's checks ran: a clash is a Conflict error naming
// the identifiers, and nothing is stored.
func (db *DB) CreateBulkChange(ctx context.Context, nb NewBulkChange) (id int64, created bool, err error) {
	if len(nb.Rows) == 0 {
		return 0, false, apperr.E(apperr.Invalid, "a bulk change needs at least one row")
	}
	if nb.RequestedBy == nil {
		return 0, false, errors.New("store: a bulk change needs the user who requests it")
	}
	t, err := db.begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer t.Rollback()

	if nb.IdempotencyKey != "" {
		var existing []int64
		if err := t.sel(ctx, &existing, `SELECT Id FROM DeviceBulkChange WHERE IdempotencyKey = ?`, nb.IdempotencyKey); err != nil {
			return 0, false, err
		}
		if len(existing) > 0 {
			return existing[0], false, nil
		}
	}
	priority, err := change.ParsePriority(string(nb.Priority))
	if err != nil {
		return 0, false, apperr.E(apperr.Invalid, "%s", err.Error())
	}
	if priority.Urgent() && !nb.RequestedBy.IsAdmin() {
		if err := checkManagersMayMarkUrgent(ctx, t, nb.TenantID); err != nil {
			return 0, false, err
		}
	}
	if err := checkClashes(ctx, t, nb.Rows); err != nil {
		return 0, false, err
	}
	if nb.UndoOf != 0 {
		if err := checkNoOpenUndo(ctx, t, nb.UndoOf); err != nil {
			return 0, false, err
		}
	}

	by := nb.RequestedBy.Email
	at, err := startAt(ctx, t, nb.TenantID, nb.RunAt)
	if err != nil {
		return 0, false, err
	}
	status := change.BatchNew
	if at != nil {
		status = change.BatchScheduled
	}
	id, err = t.insert(ctx, "DeviceBulkChange",
		[]string{"TenantId", "ChangeRequestTypeId", "ServiceProviderId", "Status", "Reason", "RequestedByUserId",
			"IdempotencyKey", "StartAt", "UndoOfBulkChangeId", "Priority", "CreatedBy", "CreatedDate", "ModifiedBy", "ModifiedDate"},
		nb.TenantID, nb.Type.ID(), nb.ServiceProviderID, string(status), nb.Reason, nb.RequestedBy.ID,
		nullIfEmpty(nb.IdempotencyKey), at, nullIfZero(nb.UndoOf), string(priority), by, t.now, by, t.now)
	if err != nil {
		return 0, false, err
	}
	rows := make([][]any, 0, len(nb.Rows))
	for _, r := range nb.Rows {
		rows = append(rows, []any{id, r.DeviceID, nullIfEmpty(r.ICCID), nullIfEmpty(r.IMEI), nullIfEmpty(r.MSISDN),
			nullIfEmpty(r.EID), nullIfEmpty(r.NewICCID), nullIfEmpty(r.NewIMEI), nullIfEmpty(r.ServicePlan),
			string(change.StatusNew), r.Envelope.Marshal(), by, t.now, by, t.now})
	}
	if err := insertMany(ctx, t, "M2M_DeviceChange",
		[]string{"BulkChangeId", "DeviceId", "ICCID", "IMEI", "MSISDN", "EID", "NewICCID", "NewIMEI", "ServicePlan",
			"Status", "ChangeRequest", "CreatedBy", "CreatedDate", "ModifiedBy", "ModifiedDate"}, rows); err != nil {
		return 0, false, openRowConflict(err)
	}
	var changeIDs []int64
	if err := t.sel(ctx, &changeIDs, `SELECT Id FROM M2M_DeviceChange WHERE BulkChangeId = ? ORDER BY Id`, id); err != nil {
		return 0, false, err
	}
	if err := queueNewBulkChange(ctx, t, id, changeIDs, at, priority.Urgent(), by); err != nil {
		return 0, false, err
	}
	tid := nb.TenantID
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tid, UserID: &nb.RequestedBy.ID, Actor: by,
		Action: ActionBulkChangeCreate, EntityType: "DeviceBulkChange", EntityID: fmt.Sprint(id), RemoteAddr: nb.RemoteAddr,
		Details: BulkChangeCreateDetails{Type: nb.Type, Rows: len(nb.Rows), Provider: nb.ServiceProviderID, UndoOf: nb.UndoOf}}); err != nil {
		return 0, false, err
	}
	if nb.UndoOf != 0 {
		// The original's own trail says it was undone, and by which request.
		if err := insertAudit(ctx, t, AuditEvent{TenantID: &tid, UserID: &nb.RequestedBy.ID, Actor: by,
			Action: ActionBulkChangeUndo, EntityType: "DeviceBulkChange", EntityID: fmt.Sprint(nb.UndoOf), RemoteAddr: nb.RemoteAddr,
			Details: UndoDetails{Undo: id, Rows: len(nb.Rows)}}); err != nil {
			return 0, false, err
		}
	}
	return id, true, t.Commit()
}

// checkManagersMayMarkUrgent is a Forbidden error unless the tenant lets its managers mark a
// request urgent.
func checkManagersMayMarkUrgent(ctx context.Context, t *tx, tenantID int64) error {
	var allowed bool
	if err := t.get(ctx, &allowed, `SELECT ManagersMayMarkUrgent FROM Tenant WHERE Id = ?`, tenantID); err != nil {
		return notFound(err, "no tenant %d", tenantID)
	}
	if !allowed {
		return apperr.E(apperr.Forbidden, "Only an admin may mark a request urgent: this tenant does not let its managers do so.")
	}
	return nil
}

// queueNewBulkChange queues the jobs of a new request: the submit of each row, or, when it starts
// at a later time, only the start job and a log saying when.
func queueNewBulkChange(ctx context.Context, t *tx, id int64, changeIDs []int64, at *time.Time, urgent bool, by string) error {
	if at == nil {
		return enqueue(ctx, t, fairSubmits(id, changeIDs, urgent)...)
	}
	// Scheduled: no submit job exists before the start job releases the rows (schedule.go).
	if err := enqueue(ctx, t, NewJob{Kind: jobs.KindStartBulkChange, RunAt: *at, Payload: jobs.StartBulkChange{BulkChangeID: id}}); err != nil {
		return err
	}
	return insertLogs(ctx, t, id, 0, by, []LogEntry{{Description: LogScheduled,
		ResponseText: "Scheduled to start at " + at.Format(time.RFC3339)}})
}

// fairSubmits are the submit jobs of a request's rows, in the fair lane with the request's
// priority (see claimJobs): every path that releases rows to be sent goes through it, so a
// scheduled start, a resume and a retry take turns with other requests like a new request.
func fairSubmits(bulkID int64, changeIDs []int64, urgent bool) []NewJob {
	submits := make([]NewJob, len(changeIDs))
	for i, id := range changeIDs {
		submits[i] = NewJob{Kind: jobs.KindSubmitChange, Payload: jobs.SubmitChange{BulkChangeID: bulkID, ChangeID: id},
			Fair: true, Urgent: urgent}
	}
	return submits
}

// Clash is an identifier that a new request cannot use.
type Clash struct {
	Kind       ClashKind
	Identifier string // the ICCID or IMEI taken, or the device id as text for ClashDeviceInChange
	Reason     string
	// DeviceID is the live device that holds the identifier, or the device of the open row.
	DeviceID int64
	// BulkChangeID and TenantID name the open request that holds it (0 for a live device), so a
	// caller can name the request to its own tenant and to nobody else.
	BulkChangeID, TenantID int64
}

// ClashKind says what an identifier clashes with.
type ClashKind string

// The clashes a new request is checked for.
const (
	ClashICCIDOnDevice  ClashKind = "iccid_on_device"  // the new ICCID is on a live device
	ClashIMEIOnDevice   ClashKind = "imei_on_device"   // the new IMEI is on a live device
	ClashICCIDInChange  ClashKind = "iccid_in_change"  // the new ICCID is the target of an open row
	ClashIMEIInChange   ClashKind = "imei_in_change"   // the new IMEI is the target of an open row
	ClashDeviceInChange ClashKind = "device_in_change" // the device already has an open row
)

// ClashError lists every clash found; it is an apperr Conflict.
type ClashError struct{ Clashes []Clash }

func (e *ClashError) Error() string {
	var parts []string
	for _, c := range e.Clashes {
		parts = append(parts, c.Identifier+": "+c.Reason)
	}
	return "identifiers already taken: " + strings.Join(parts, "; ")
}

// checkClashes refuses rows whose new ICCID or IMEI is on a live device or targeted by an open
// row, and rows whose device is already in an open row.
func checkClashes(ctx context.Context, t *tx, rows []NewDeviceChange) error {
	var iccids, imeis []string
	var devices []int64
	for _, r := range rows {
		if r.NewICCID != "" {
			iccids = append(iccids, r.NewICCID)
		}
		if r.NewIMEI != "" {
			imeis = append(imeis, r.NewIMEI)
		}
		devices = append(devices, r.DeviceID)
	}
	clashes, err := findClashes(ctx, t, iccids, imeis, devices)
	if err != nil {
		return err
	}
	if len(clashes) > 0 {
		return apperr.Wrap(&ClashError{Clashes: clashes}, apperr.Conflict,
			"%d identifier(s) were taken by another device or request while you worked; check the rows again", len(clashes))
	}
	return nil
}

// openStatuses is the SQL list of row statuses that still hold their identifiers.
var openStatuses = "'" + string(change.StatusNew) + "', '" + string(change.StatusProcessing) + "'"

// findClashes looks the identifiers up, set-based and in chunks.
func findClashes(ctx context.Context, t *tx, iccids, imeis []string, deviceIDs []int64) ([]Clash, error) {
	type hit struct {
		Value        string `db:"v"`
		DeviceID     *int64 `db:"d"`
		BulkChangeID *int64 `db:"b"`
		TenantID     *int64 `db:"tn"`
	}
	const onDevice = `SELECT %[1]s AS v, Id AS d, NULL AS b, TenantId AS tn FROM Device WHERE IsDeleted = 0 AND %[1]s IN (?)`
	inChange := `SELECT r.%[1]s AS v, r.DeviceId AS d, r.BulkChangeId AS b, bc.TenantId AS tn
		FROM M2M_DeviceChange r JOIN DeviceBulkChange bc ON bc.Id = r.BulkChangeId
		WHERE r.Status IN (` + openStatuses + `) AND r.%[1]s IN (?)`
	steps := []struct {
		kind   ClashKind
		q      string
		reason string
		values []any
	}{
		{ClashICCIDOnDevice, fmt.Sprintf(onDevice, "ICCID"), "the SIM is already on a device", anySlice(iccids)},
		{ClashIMEIOnDevice, fmt.Sprintf(onDevice, "IMEI"), "the device is already on a line", anySlice(imeis)},
		{ClashICCIDInChange, fmt.Sprintf(inChange, "NewICCID"), "the SIM is in another open change", anySlice(iccids)},
		{ClashIMEIInChange, fmt.Sprintf(inChange, "NewIMEI"), "the device is in another open change", anySlice(imeis)},
		{ClashDeviceInChange, `SELECT CAST(r.DeviceId AS VARCHAR(20)) AS v, r.DeviceId AS d, r.BulkChangeId AS b, bc.TenantId AS tn
			FROM M2M_DeviceChange r JOIN DeviceBulkChange bc ON bc.Id = r.BulkChangeId
			WHERE r.Status IN (` + openStatuses + `) AND r.DeviceId IN (?)`, "the line already has an open change", anySlice(deviceIDs)},
	}
	var out []Clash
	for _, s := range steps {
		var hits []hit
		if err := selectIn(ctx, t, &hits, s.q, nil, s.values); err != nil {
			return nil, err
		}
		for _, h := range hits {
			out = append(out, Clash{Kind: s.kind, Identifier: h.Value, Reason: s.reason,
				DeviceID: deref(h.DeviceID), BulkChangeID: deref(h.BulkChangeID), TenantID: deref(h.TenantID)})
		}
	}
	return out, nil
}

const bulkChangeSelect = `SELECT b.Id, b.TenantId, t.Name AS TenantName, b.ServiceProviderId, sp.DisplayName AS ProviderName,
	b.ChangeRequestTypeId, b.Status, COALESCE(b.StatusDetails, '') AS StatusDetails, b.Reason, b.RequestedByUserId,
	b.Priority, b.CreatedBy, b.CreatedDate, COALESCE(b.ProcessedBy, '') AS ProcessedBy, b.ProcessedDate, b.ModifiedDate,
	b.StartAt, b.StartedDate, b.UndoOfBulkChangeId
FROM DeviceBulkChange b
JOIN Tenant t ON t.Id = b.TenantId
JOIN ServiceProvider sp ON sp.Id = b.ServiceProviderId`

// BulkChange finds a request with its counts. tenantID 0 means any tenant (admins); a request of
// another tenant is NotFound, never Forbidden, so its existence is not revealed.
func (db *DB) BulkChange(ctx context.Context, tenantID, id int64) (*BulkChange, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q, args := bulkChangeSelect+` WHERE b.Id = ? AND b.IsDeleted = 0`, []any{id}
	if tenantID != 0 {
		q += ` AND b.TenantId = ?`
		args = append(args, tenantID)
	}
	var b BulkChange
	if err := t.get(ctx, &b, q, args...); err != nil {
		return nil, notFound(err, "no bulk change %d", id)
	}
	if err := fillBulkChanges(ctx, t, []*BulkChange{&b}); err != nil {
		return nil, err
	}
	return &b, nil
}

// BulkChangeFilter selects requests for a list.
type BulkChangeFilter struct {
	TenantID      int64
	AllTenants    bool
	Status        change.BatchStatus
	Type          change.Type
	ProviderID    int64
	CreatedBy     string // e-mail of the requester
	From, To      *time.Time
	Limit, Offset int
}

// BulkChanges lists requests, newest first, with their counts, and the number that match.
func (db *DB) BulkChanges(ctx context.Context, f BulkChangeFilter) ([]BulkChange, int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer t.Rollback()
	conds, args := []string{"b.IsDeleted = 0"}, []any{}
	if !f.AllTenants {
		conds, args = append(conds, "b.TenantId = ?"), append(args, f.TenantID)
	}
	if f.Status != "" {
		conds, args = append(conds, "b.Status = ?"), append(args, string(f.Status))
	}
	if f.Type != "" {
		conds, args = append(conds, "b.ChangeRequestTypeId = ?"), append(args, f.Type.ID())
	}
	if f.ProviderID != 0 {
		conds, args = append(conds, "b.ServiceProviderId = ?"), append(args, f.ProviderID)
	}
	if f.CreatedBy != "" {
		conds, args = append(conds, "b.CreatedBy = ?"), append(args, NormalizeEmail(f.CreatedBy))
	}
	if f.From != nil {
		conds, args = append(conds, "b.CreatedDate >= ?"), append(args, *f.From)
	}
	if f.To != nil {
		conds, args = append(conds, "b.CreatedDate < ?"), append(args, *f.To)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := t.get(ctx, &total, `SELECT COUNT(*) FROM DeviceBulkChange b WHERE `+where, args...); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 25
	}
	clause, pargs := t.db.dialect.page(f.Limit, f.Offset)
	var bs []BulkChange
	if err := t.sel(ctx, &bs, bulkChangeSelect+` WHERE `+where+` ORDER BY b.CreatedDate DESC, b.Id DESC `+clause, append(args, pargs...)...); err != nil {
		return nil, 0, err
	}
	ptrs := make([]*BulkChange, len(bs))
	for i := range bs {
		ptrs[i] = &bs[i]
	}
	return bs, total, fillBulkChanges(ctx, t, ptrs)
}

// fillBulkChanges sets the type and the row counts of each request, in one query.
func fillBulkChanges(ctx context.Context, t *tx, bs []*BulkChange) error {
	if len(bs) == 0 {
		return nil
	}
	byID := map[int64]*BulkChange{}
	ids := make([]any, 0, len(bs))
	for _, b := range bs {
		typ, err := change.TypeByID(b.TypeID)
		if err != nil {
			return err
		}
		b.Type, b.Counts = typ, change.Counts{}
		byID[b.ID] = b
		ids = append(ids, b.ID)
	}
	var rows []struct {
		BulkChangeID int64  `db:"BulkChangeId"`
		Status       string `db:"Status"`
		N            int    `db:"N"`
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	if err := t.sel(ctx, &rows, `SELECT BulkChangeId, Status, COUNT(*) AS N FROM M2M_DeviceChange
		WHERE BulkChangeId IN (`+marks+`) GROUP BY BulkChangeId, Status`, ids...); err != nil {
		return err
	}
	for _, r := range rows {
		byID[r.BulkChangeID].Counts.Add(change.Status(r.Status), r.N)
	}
	var undos []struct {
		ID     int64 `db:"Id"`
		UndoOf int64 `db:"UndoOfBulkChangeId"`
	}
	if err := t.sel(ctx, &undos, `SELECT Id, UndoOfBulkChangeId FROM DeviceBulkChange
		WHERE UndoOfBulkChangeId IN (`+marks+`) AND IsDeleted = 0 ORDER BY Id`, ids...); err != nil {
		return err
	}
	for _, u := range undos {
		byID[u.UndoOf].UndoneBy = append(byID[u.UndoOf].UndoneBy, u.ID)
	}
	return nil
}

const deviceChangeSelect = `SELECT Id, BulkChangeId, DeviceId, COALESCE(ICCID, '') AS ICCID, COALESCE(IMEI, '') AS IMEI,
	COALESCE(MSISDN, '') AS MSISDN, COALESCE(EID, '') AS EID, COALESCE(NewICCID, '') AS NewICCID,
	COALESCE(NewIMEI, '') AS NewIMEI, COALESCE(ServicePlan, '') AS ServicePlan, Status,
	COALESCE(StatusDetails, '') AS StatusDetails, HasErrors, IsProcessed, ChangeRequest, COALESCE(RequestId, '') AS RequestId,
	SubmittedDate, COALESCE(ProcessedBy, '') AS ProcessedBy, ProcessedDate, CreatedDate, ModifiedDate,
	SentDate, CorrectedDate, COALESCE(AttentionReason, '') AS AttentionReason, OnlineSince
FROM M2M_DeviceChange`

// DeviceChangeFilter selects the rows of one request.
type DeviceChangeFilter struct {
	Status        change.Status // "": every row
	Limit, Offset int           // Limit 0: every row
}

// DeviceChanges lists a request's rows in order, and how many match. The caller has checked
// that the request belongs to the user's tenant (BulkChange).
func (db *DB) DeviceChanges(ctx context.Context, bulkChangeID int64, f DeviceChangeFilter) ([]DeviceChange, int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer t.Rollback()
	where, args := `BulkChangeId = ?`, []any{bulkChangeID}
	if f.Status != "" {
		where, args = where+` AND Status = ?`, append(args, string(f.Status))
	}
	var total int
	if err := t.get(ctx, &total, `SELECT COUNT(*) FROM M2M_DeviceChange WHERE `+where, args...); err != nil {
		return nil, 0, err
	}
	// A row's number is its place in the request whatever the filter: numbered over all of the
	// request's rows in one pass, then filtered. (A count of the rows before each one was
	// quadratic: 16 s to read a 10,000-row request, two minutes to page through it.)
	q := `SELECT * FROM (` + strings.Replace(deviceChangeSelect, "\nFROM M2M_DeviceChange", `, ROW_NUMBER() OVER (ORDER BY Id) AS RowNumber
FROM M2M_DeviceChange`, 1) + ` WHERE BulkChangeId = ?) numbered`
	if f.Status != "" {
		q += ` WHERE Status = ?`
	}
	q += ` ORDER BY Id`
	if f.Limit > 0 {
		clause, pargs := t.db.dialect.page(f.Limit, f.Offset)
		q, args = q+" "+clause, append(args, pargs...)
	}
	var cs []DeviceChange
	return cs, total, t.sel(ctx, &cs, q, args...)
}

// DeviceChange finds one row by id.
func (db *DB) DeviceChange(ctx context.Context, id int64) (*DeviceChange, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var c DeviceChange
	if err := t.get(ctx, &c, deviceChangeSelect+` WHERE Id = ?`, id); err != nil {
		return nil, notFound(err, "no device change %d", id)
	}
	return &c, nil
}
