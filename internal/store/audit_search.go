package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// AuditSource says which table an audit search hit comes from.
type AuditSource string

// The three sources of the audit trail. Their order breaks ties between hits of the same
// millisecond: log entries first, then identifier changes, then audit events.
const (
	SourceLog     AuditSource = "log"     // M2MDeviceBulkChangeLog: every step of every row
	SourceHistory AuditSource = "history" // DeviceIdentifierChangeHistory: old → new identifiers
	SourceAudit   AuditSource = "audit"   // AuditEvent: who did what, from where
)

// rank orders the sources inside one millisecond (higher first, as dates are newest first).
func (s AuditSource) rank() int {
	switch s {
	case SourceLog:
		return 3
	case SourceHistory:
		return 2
	case SourceAudit:
		return 1
	}
	return 0
}

func sourceOfRank(r int) AuditSource {
	for _, s := range []AuditSource{SourceLog, SourceHistory, SourceAudit} {
		if s.rank() == r {
			return s
		}
	}
	return ""
}

// AuditKind narrows an audit search to one kind of entry.
type AuditKind string

// The kinds of entry an audit search can be narrowed to.
const (
	KindAll       AuditKind = ""
	KindLog       AuditKind = "log"        // carrier log entries, every step
	KindLogErrors AuditKind = "log_errors" // carrier log entries that record a failure
	KindHistory   AuditKind = "history"    // identifier changes
	KindAudit     AuditKind = "audit"      // audit events (sign-ins, requests, cancellations…)
)

// AuditKinds lists the kinds in the order a search form offers them.
var AuditKinds = []AuditKind{KindAll, KindLog, KindLogErrors, KindHistory, KindAudit}

// Label is how the kind reads in the search form.
func (k AuditKind) Label() string {
	switch k {
	case KindLog:
		return "Carrier log: every step"
	case KindLogErrors:
		return "Carrier log: failures only"
	case KindHistory:
		return "Identifier changes"
	case KindAudit:
		return "Audit events"
	}
	return "Every kind of entry"
}

// ParseAuditKind accepts a kind by its name; "" is every kind.
func ParseAuditKind(s string) (AuditKind, error) {
	for _, k := range AuditKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", apperr.E(apperr.Invalid, "entry type %q is not one of log, log_errors, history, audit", s)
}

// AuditFilter is an admin's audit search. Every field is optional; the empty filter is the
// newest entries of every tenant.
type AuditFilter struct {
	// Identifier finds everything about the devices that have or had it and the rows that named
	// it: normalised (ident.Detect), or, with Prefix, the leading digits of one.
	Identifier   string
	Prefix       bool
	TenantID     int64 // 0: every tenant
	BulkChangeID int64
	// User is an e-mail: log entries and identifier changes of the batches this person requested,
	// and the audit events this person caused.
	User      string
	RowStatus change.Status // the status of the row an entry belongs to (audit events have none)
	Kind      AuditKind
	From, To  *time.Time // From inclusive, To exclusive
	After     *AuditCursor
	Limit     int // hits per page; 50 when 0
}

// AuditCursor is where a page of hits ended: the next page starts after it. Hits are ordered
// newest first by (date, source, id), so paging is a seek on each source's date index and never
// counts past rows with OFFSET.
type AuditCursor struct {
	Date   time.Time
	Source AuditSource
	ID     int64
}

// String encodes the cursor for a URL: milliseconds since 1970, source, id.
func (c AuditCursor) String() string {
	return fmt.Sprintf("%d-%s-%d", c.Date.UnixMilli(), c.Source, c.ID)
}

// ParseAuditCursor reads a cursor made by AuditCursor.String.
func ParseAuditCursor(s string) (*AuditCursor, error) {
	parts := strings.Split(s, "-")
	bad := apperr.E(apperr.Invalid, "the page marker %q is damaged; start the search again from the newest entries", s)
	if len(parts) != 3 {
		return nil, bad
	}
	ms, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	src := AuditSource(parts[1])
	if err1 != nil || err2 != nil || src.rank() == 0 {
		return nil, bad
	}
	return &AuditCursor{Date: time.UnixMilli(ms).UTC(), Source: src, ID: id}, nil
}

// AuditHit is one entry of the audit trail, from any of the three sources. Fields a source does
// not have are empty.
type AuditHit struct {
	Source       AuditSource
	ID           int64
	Date         time.Time
	TenantID     *int64
	TenantName   string
	BulkChangeID *int64
	ChangeID     *int64 // the bulk change row
	DeviceID     *int64
	RowStatus    string // the row's status now
	Actor        string // who made the entry: ProcessedBy, ChangedBy or Actor
	Summary      string // LogEntryDescription, ChangeReason or Action
	// Log entries.
	ResponseStatus       string
	HasErrors            bool
	ErrorCode, ErrorText string
	// The row's identifiers for log entries; the old and new ones for identifier changes.
	RowIdentifiers
	// Audit events.
	EntityType, EntityID, Details, RemoteAddr string
}

// Cursor is the position of the hit, for paging.
func (h AuditHit) Cursor() AuditCursor { return AuditCursor{Date: h.Date, Source: h.Source, ID: h.ID} }

// AuditPage is one page of an audit search.
type AuditPage struct {
	Hits []AuditHit
	Next *AuditCursor // where the next (older) page starts; nil on the last page
	// Devices that have or had the identifier searched for (live ones, in the tenant filtered on).
	Devices []Device
}

// Limits of an identifier search: beyond these the identifier is too short to mean one device.
const (
	MaxIdentifierDevices = 100
	maxIdentifierRows    = 5000
)

// auditScope is what the filter's identifier and row status resolve to.
type auditScope struct {
	ident   bool
	devices []int64 // have or had the identifier
	changes []int64 // rows that named it, and every row of those devices
	batches []int64 // the batches of those rows
	// statusRows are the rows in the filter's row status, when there are few enough of them to
	// look their entries up by row; nil when there are more (or no status filter), and the
	// entries are then read in date order and their rows checked one by one.
	statusRows []int64
}

func (s auditScope) empty() bool {
	return s.ident && len(s.devices) == 0 && len(s.changes) == 0
}

// resolveScope turns the filter's identifier into device, row and batch ids, and a rare row
// status into its rows.
func resolveScope(ctx context.Context, t *tx, f AuditFilter) (auditScope, error) {
	var s auditScope
	if f.RowStatus != "" {
		// A status few rows have (failures, cancellations, rows still open) is found faster
		// through its rows than by reading the whole log in date order to the last match. The
		// common one (PROCESSED) matches often enough for the date order to fill a page soon.
		clause, pargs := t.db.dialect.page(maxIdentifierRows+1, 0)
		var ids []int64
		if err := t.sel(ctx, &ids, `SELECT Id FROM M2M_DeviceChange WHERE Status = ? ORDER BY Id `+clause,
			append([]any{string(f.RowStatus)}, pargs...)...); err != nil {
			return s, err
		}
		if len(ids) <= maxIdentifierRows {
			s.statusRows = append([]int64{}, ids...)
		}
	}
	if f.Identifier == "" {
		return s, nil
	}
	m := identMatch{value: f.Identifier, prefix: f.Prefix}
	devices, err := deviceIDsByIdentifier(ctx, t, m, MaxIdentifierDevices)
	if err != nil {
		return s, err
	}
	if len(devices) > MaxIdentifierDevices {
		return s, apperr.E(apperr.Invalid,
			"more than %d devices have had an identifier starting %s: type more digits, or the whole identifier", MaxIdentifierDevices, f.Identifier)
	}
	cond, args := m.cond("", "ICCID", "IMEI", "MSISDN", "EID", "NewICCID", "NewIMEI")
	if len(devices) > 0 {
		set, arg := t.db.dialect.idSet(devices, "INT")
		cond = "(" + cond + " OR DeviceId IN (" + set + "))"
		args = append(args, arg)
	}
	var rows []struct {
		ID    int64 `db:"Id"`
		Batch int64 `db:"BulkChangeId"`
	}
	if err := t.sel(ctx, &rows, `SELECT Id, BulkChangeId FROM M2M_DeviceChange WHERE `+cond, args...); err != nil {
		return s, err
	}
	if len(rows) > maxIdentifierRows {
		return s, apperr.E(apperr.Invalid,
			"more than %d bulk change rows match %s: type more digits, or the whole identifier", maxIdentifierRows, f.Identifier)
	}
	s.ident, s.devices = true, devices
	seen := map[int64]bool{}
	for _, r := range rows {
		s.changes = append(s.changes, r.ID)
		if !seen[r.Batch] {
			seen[r.Batch] = true
			s.batches = append(s.batches, r.Batch)
		}
	}
	return s, nil
}

// AuditSearch finds one page of the audit trail, newest first, merged from the carrier log, the
// identifier history and the audit events.
func (db *DB) AuditSearch(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	scope, err := resolveScope(ctx, t, f)
	if err != nil {
		return nil, err
	}
	page := &AuditPage{}
	if scope.ident {
		if page.Devices, err = devicesByIDs(ctx, t, f.TenantID, scope.devices); err != nil {
			return nil, err
		}
	}
	if scope.empty() {
		return page, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q, args := auditQuery(t.db.dialect, f, scope, f.After, limit+1)
	if q == "" {
		return page, nil
	}
	var rows []auditRow
	if err := t.sel(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("store: audit search: %w", err)
	}
	for _, r := range rows {
		page.Hits = append(page.Hits, r.hit())
	}
	if len(page.Hits) > limit {
		page.Hits = page.Hits[:limit]
		c := page.Hits[limit-1].Cursor()
		page.Next = &c
	}
	return page, nil
}

// auditExportChunk is how many hits one query of an export reads.
const auditExportChunk = 2000

// AuditExport calls fn with every hit of a search, newest first, as the rows are read. It reads
// in chunks of a few thousand hits, each a keyset seek in its own short read transaction, so an
// export of a million entries neither sits in memory nor holds a database snapshot open for as
// long as a slow client takes to download it. An error from fn stops the export.
func (db *DB) AuditExport(ctx context.Context, f AuditFilter, fn func(AuditHit) error) error {
	t, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	scope, err := resolveScope(ctx, t, f)
	_ = t.Rollback()
	if err != nil || scope.empty() {
		return err
	}
	after := f.After
	for {
		n, last, err := db.exportChunk(ctx, f, scope, after, fn)
		if err != nil || n < auditExportChunk {
			return err
		}
		after = &last
	}
}

func (db *DB) exportChunk(ctx context.Context, f AuditFilter, scope auditScope, after *AuditCursor, fn func(AuditHit) error) (int, AuditCursor, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, AuditCursor{}, err
	}
	defer t.Rollback()
	q, args := auditQuery(t.db.dialect, f, scope, after, auditExportChunk)
	if q == "" {
		return 0, AuditCursor{}, nil
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return 0, AuditCursor{}, fmt.Errorf("store: audit export: %w", err)
	}
	defer rows.Close()
	n, last := 0, AuditCursor{}
	for rows.Next() {
		var r auditRow
		if err := rows.StructScan(&r); err != nil {
			return n, last, err
		}
		h := r.hit()
		if err := fn(h); err != nil {
			return n, last, err
		}
		n, last = n+1, h.Cursor()
	}
	return n, last, rows.Err()
}

// auditRow is the shape every branch of the search's UNION ALL selects.
type auditRow struct {
	Rank           int    `db:"SourceRank"`
	ID             int64  `db:"Id"`
	Date           dbTime `db:"HitDate"`
	TenantID       *int64 `db:"TenantId"`
	TenantName     string `db:"TenantName"`
	BulkChangeID   *int64 `db:"BulkChangeId"`
	ChangeID       *int64 `db:"ChangeId"`
	DeviceID       *int64 `db:"DeviceId"`
	RowStatus      string `db:"RowStatus"`
	Actor          string `db:"Actor"`
	Summary        string `db:"Summary"`
	ResponseStatus string `db:"ResponseStatus"`
	HasErrors      bool   `db:"HasErrors"`
	ErrorCode      string `db:"ErrorCode"`
	ErrorText      string `db:"ErrorText"`
	RowIdentifiers
	EntityType string `db:"EntityType"`
	EntityID   string `db:"EntityId"`
	Details    string `db:"Details"`
	RemoteAddr string `db:"RemoteAddr"`
}

func (r auditRow) hit() AuditHit {
	h := AuditHit{Source: sourceOfRank(r.Rank), ID: r.ID, Date: r.Date.Time, TenantID: r.TenantID, TenantName: r.TenantName,
		BulkChangeID: r.BulkChangeID, ChangeID: r.ChangeID, DeviceID: r.DeviceID, RowStatus: r.RowStatus, Actor: r.Actor,
		Summary: r.Summary, ResponseStatus: r.ResponseStatus, HasErrors: r.HasErrors, ErrorCode: r.ErrorCode,
		ErrorText: r.ErrorText, RowIdentifiers: r.RowIdentifiers, EntityType: r.EntityType, EntityID: r.EntityID, Details: r.Details,
		RemoteAddr: r.RemoteAddr}
	// An audit event about a batch or a device links to it like the other sources do.
	if id, err := strconv.ParseInt(r.EntityID, 10, 64); err == nil && h.Source == SourceAudit {
		switch r.EntityType {
		case "DeviceBulkChange":
			h.BulkChangeID = &id
		case "Device":
			h.DeviceID = &id
		}
	}
	return h
}

// The three branches of the search. Each selects the columns of auditRow in the same order;
// auditQuery adds the WHERE (with the join conditions) and the ORDER BY.
//
// The log and history branches join with CROSS JOIN and a condition in the WHERE: to SQL Server
// that is an inner join like any other, and to SQLite it says to read the entries first, in
// date order through their own index, looking each one's batch and tenant up by primary key.
// Left to itself, SQLite starts from the tenant's batches when a tenant is filtered on, reads
// all of their entries and sorts them: 140 ms for half of a million entries where the date order
// needs a few hundred.
const (
	auditLogBranch = `SELECT 3 AS SourceRank, l.Id, l.ProcessedDate AS HitDate, b.TenantId, t.Name AS TenantName,
	l.BulkChangeId, l.M2MDeviceChangeId AS ChangeId, c.DeviceId, COALESCE(c.Status, '') AS RowStatus,
	l.ProcessedBy AS Actor, l.LogEntryDescription AS Summary, l.ResponseStatus, l.HasErrors,
	COALESCE(l.ErrorCode, '') AS ErrorCode, COALESCE(l.ErrorText, '') AS ErrorText,
	COALESCE(c.ICCID, '') AS ICCID, COALESCE(c.IMEI, '') AS IMEI, COALESCE(c.MSISDN, '') AS MSISDN,
	COALESCE(c.EID, '') AS EID, COALESCE(c.NewICCID, '') AS NewICCID, COALESCE(c.NewIMEI, '') AS NewIMEI,
	'' AS EntityType, '' AS EntityId, '' AS Details, '' AS RemoteAddr
FROM M2MDeviceBulkChangeLog l
CROSS JOIN DeviceBulkChange b
CROSS JOIN Tenant t
LEFT JOIN M2M_DeviceChange c ON c.Id = l.M2MDeviceChangeId`

	auditHistoryBranch = `SELECT 2 AS SourceRank, h.Id, h.ChangeDate AS HitDate, h.TenantId, t.Name AS TenantName,
	h.BulkChangeId, h.M2MDeviceChangeId AS ChangeId, h.DeviceId, COALESCE(c.Status, '') AS RowStatus,
	h.ChangedBy AS Actor, h.ChangeReason AS Summary, '' AS ResponseStatus, 0 AS HasErrors,
	'' AS ErrorCode, '' AS ErrorText,
	COALESCE(h.OldICCID, '') AS ICCID, COALESCE(h.OldIMEI, '') AS IMEI, '' AS MSISDN, '' AS EID,
	COALESCE(h.NewICCID, '') AS NewICCID, COALESCE(h.NewIMEI, '') AS NewIMEI,
	'' AS EntityType, '' AS EntityId, '' AS Details, '' AS RemoteAddr
FROM DeviceIdentifierChangeHistory h
CROSS JOIN Tenant t
LEFT JOIN M2M_DeviceChange c ON c.Id = h.M2MDeviceChangeId`

	auditEventBranch = `SELECT 1 AS SourceRank, a.Id, a.CreatedDate AS HitDate, a.TenantId, COALESCE(t.Name, '') AS TenantName,
	NULL AS BulkChangeId, NULL AS ChangeId, NULL AS DeviceId, '' AS RowStatus,
	a.Actor, a.Action AS Summary, '' AS ResponseStatus, 0 AS HasErrors, '' AS ErrorCode, '' AS ErrorText,
	'' AS ICCID, '' AS IMEI, '' AS MSISDN, '' AS EID, '' AS NewICCID, '' AS NewIMEI,
	a.EntityType, a.EntityId, COALESCE(a.Details, '') AS Details, a.RemoteAddr
FROM AuditEvent a
LEFT JOIN Tenant t ON t.Id = a.TenantId`
)

// auditQuery builds the search: up to limit hits of each wanted source, each read newest first
// from its own date-ordered index after the cursor, merged and cut to limit.
// It returns "" when the filter leaves no source to search.
//
// Each source is one branch of a UNION ALL; the conditions are added to the branches in the
// order of the SQL they build: the identifier scope, the filter's fields, then the period and
// the cursor.
func auditQuery(d dialect, f AuditFilter, scope auditScope, after *AuditCursor, limit int) (string, []any) {
	logB, histB, evB := auditBranches(f)
	if scope.ident {
		scopeToIdentifier(d, logB, histB, evB, scope)
	}
	filterAuditFields(d, logB, histB, evB, f, scope)
	branches := []*auditBranch{logB, histB, evB}
	for _, b := range branches {
		b.pageAfter(f, after)
	}
	return unionAuditBranches(d, branches, limit)
}

// auditBranch is one source's SELECT of the audit search with its conditions and their
// arguments.
type auditBranch struct {
	src        AuditSource
	sel        string
	date, id   string
	conds      []string
	args       []any
	wantedKind bool
}

func (b *auditBranch) add(cond string, args ...any) {
	b.conds = append(b.conds, cond)
	b.args = append(b.args, args...)
}

// auditBranches are the three sources, each marked wanted or not by the filter's kind.
func auditBranches(f AuditFilter) (logB, histB, evB *auditBranch) {
	logB = &auditBranch{src: SourceLog, sel: auditLogBranch, date: "l.ProcessedDate", id: "l.Id",
		conds:      []string{"b.Id = l.BulkChangeId", "t.Id = b.TenantId"},
		wantedKind: f.Kind == KindAll || f.Kind == KindLog || f.Kind == KindLogErrors}
	histB = &auditBranch{src: SourceHistory, sel: auditHistoryBranch, date: "h.ChangeDate", id: "h.Id",
		conds:      []string{"t.Id = h.TenantId"},
		wantedKind: f.Kind == KindAll || f.Kind == KindHistory}
	evB = &auditBranch{src: SourceAudit, sel: auditEventBranch, date: "a.CreatedDate", id: "a.Id",
		// Audit events belong to no row, so a row status filter leaves them out.
		wantedKind: (f.Kind == KindAll || f.Kind == KindAudit) && f.RowStatus == ""}
	return logB, histB, evB
}

// scopeToIdentifier keeps what concerns the rows, requests and devices an identifier search
// resolved to (resolveScope); a source with none of them matches nothing. Each id set is one
// argument (dialect.idSet), so the statement's text does not depend on the ids: up to 5,000
// rows, their batches and 100 devices, which as literals made every search a new statement.
func scopeToIdentifier(d dialect, logB, histB, evB *auditBranch, scope auditScope) {
	if len(scope.changes) > 0 {
		changes, changesArg := d.idSet(scope.changes, "BIGINT")
		batches, batchesArg := d.idSet(scope.batches, "BIGINT")
		logB.add("(l.M2MDeviceChangeId IN ("+changes+") OR (l.M2MDeviceChangeId IS NULL AND l.BulkChangeId IN ("+batches+")))",
			changesArg, batchesArg)
	} else {
		logB.add(orNothing(nil))
	}
	if len(scope.devices) > 0 {
		devices, devicesArg := d.idSet(scope.devices, "INT")
		histB.add("h.DeviceId IN ("+devices+")", devicesArg)
	} else {
		histB.add(orNothing(nil))
	}
	var evParts []string
	var evArgs []any
	if len(scope.batches) > 0 {
		batches, arg := d.idSet(scope.batches, "NVARCHAR(100)")
		evParts, evArgs = append(evParts, "(a.EntityType = 'DeviceBulkChange' AND a.EntityId IN ("+batches+"))"), append(evArgs, arg)
	}
	if len(scope.devices) > 0 {
		devices, arg := d.idSet(scope.devices, "NVARCHAR(100)")
		evParts, evArgs = append(evParts, "(a.EntityType = 'Device' AND a.EntityId IN ("+devices+"))"), append(evArgs, arg)
	}
	evB.add(orNothing(evParts), evArgs...)
}

// filterAuditFields adds the filter's tenant, request, user, row status and "errors only".
func filterAuditFields(d dialect, logB, histB, evB *auditBranch, f AuditFilter, scope auditScope) {
	if f.TenantID != 0 {
		logB.add("b.TenantId = ?", f.TenantID)
		histB.add("h.TenantId = ?", f.TenantID)
		evB.add("a.TenantId = ?", f.TenantID)
	}
	if f.BulkChangeID != 0 {
		logB.add("l.BulkChangeId = ?", f.BulkChangeID)
		histB.add("h.BulkChangeId = ?", f.BulkChangeID)
		evB.add("a.EntityType = 'DeviceBulkChange' AND a.EntityId = ?", strconv.FormatInt(f.BulkChangeID, 10))
	}
	if user := NormalizeEmail(f.User); user != "" {
		logB.add("b.CreatedBy = ?", user)
		histB.add("h.BulkChangeId IN (SELECT ub.Id FROM DeviceBulkChange ub WHERE ub.CreatedBy = ?)", user)
		evB.add("a.Actor = ?", user)
	}
	if f.RowStatus != "" {
		filterRowStatus(d, logB, histB, f.RowStatus, scope.statusRows)
	}
	if f.Kind == KindLogErrors {
		logB.add("l.HasErrors = 1")
	}
}

// filterRowStatus keeps the log and history of rows in a status; statusRows, when there are
// few enough of them (resolveScope), names those rows (one argument each, dialect.idSet) so
// that each branch seeks them.
func filterRowStatus(d dialect, logB, histB *auditBranch, status change.Status, statusRows []int64) {
	logB.add("c.Status = ?", string(status))
	histB.add("c.Status = ?", string(status))
	switch {
	case statusRows == nil:
	case len(statusRows) == 0:
		logB.add(orNothing(nil))
		histB.add(orNothing(nil))
	default:
		rows, arg := d.idSet(statusRows, "BIGINT")
		logB.add("l.M2MDeviceChangeId IN ("+rows+")", arg)
		histB.add("h.M2MDeviceChangeId IN ("+rows+")", arg)
	}
}

// pageAfter adds the period and, for a later page, the cursor: after it in (date desc, source
// desc, id desc) order.
func (b *auditBranch) pageAfter(f AuditFilter, after *AuditCursor) {
	if f.From != nil {
		b.add(b.date+" >= ?", *f.From)
	}
	if f.To != nil {
		b.add(b.date+" < ?", *f.To)
	}
	if after == nil {
		return
	}
	switch r, cr := b.src.rank(), after.Source.rank(); {
	case r < cr:
		b.add(b.date+" <= ?", after.Date)
	case r == cr:
		b.add(b.date+" <= ? AND ("+b.date+" < ? OR ("+b.date+" = ? AND "+b.id+" < ?))",
			after.Date, after.Date, after.Date, after.ID)
	default:
		b.add(b.date+" < ?", after.Date)
	}
}

// unionAuditBranches joins the wanted branches, each cut to limit in its own index order, and
// orders and cuts the whole.
func unionAuditBranches(d dialect, branches []*auditBranch, limit int) (string, []any) {
	var parts []string
	var args []any
	for _, b := range branches {
		if !b.wantedKind {
			continue
		}
		where := ""
		if len(b.conds) > 0 {
			where = " WHERE " + strings.Join(b.conds, " AND ")
		}
		clause, pargs := d.page(limit, 0)
		parts = append(parts, "SELECT * FROM ("+b.sel+where+" ORDER BY "+b.date+" DESC, "+b.id+" DESC "+clause+") AS "+string(b.src)+"_hits")
		args = append(append(args, b.args...), pargs...)
	}
	if len(parts) == 0 {
		return "", nil
	}
	clause, pargs := d.page(limit, 0)
	q := strings.Join(parts, "\nUNION ALL\n") + "\nORDER BY HitDate DESC, SourceRank DESC, Id DESC " + clause
	return q, append(args, pargs...)
}
