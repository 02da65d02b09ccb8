// Package request checks and submits identifier change requests: the rules of internal/change
// applied to the inventory, the open requests and the plan catalogue in internal/store. The
// portal and the JSON API both go through it, so they can never disagree about a row.
//
// Nothing is stored before Submit, and Submit stores everything — the bulk change, its rows,
// one job per row and the audit event — in one transaction, or nothing.
package request

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/store"
)

// Store is what the service reads and writes.
type Store interface {
	TenantByID(ctx context.Context, id int64) (*store.Tenant, error)
	ProviderByID(ctx context.Context, id int64) (*store.Provider, error)
	CarrierPlans(ctx context.Context, providerID int64) ([]store.CarrierPlan, error)
	DevicesByIdentifiers(ctx context.Context, tenantID, providerID int64, ids map[ident.Kind][]string) (store.DeviceMatches, error)
	FindClashes(ctx context.Context, iccids, imeis []string, deviceIDs []int64) ([]store.Clash, error)
	DeviceModelsForIMEIs(ctx context.Context, imeis []string) (map[string]store.DeviceModel, error)
	BulkChangeIDByIdempotencyKey(ctx context.Context, key string) (int64, error)
	CreateBulkChange(ctx context.Context, nb store.NewBulkChange) (int64, bool, error)
	BulkChange(ctx context.Context, tenantID, id int64) (*store.BulkChange, error)
	DeviceChanges(ctx context.Context, bulkChangeID int64, f store.DeviceChangeFilter) ([]store.DeviceChange, int, error)
	FailureCodes(ctx context.Context, bulkChangeID int64) (map[int64]string, error)
	UndoCandidates(ctx context.Context, bulkChangeID int64) ([]store.UndoCandidate, error)
	OpenUndo(ctx context.Context, bulkChangeID int64) (int64, error)
}

// Service checks and submits requests.
type Service struct {
	store   Store
	carrier Carrier // asked by undos only; nil until UseCarrier
}

// New returns a Service.
func New(s Store) *Service { return &Service{store: s} }

// MaxReason is the longest reason accepted, in UTF-16 units (change.TextLen): the width of
// DeviceBulkChange.Reason.
const MaxReason = change.MaxReason

// cleanReason is the reason as it is checked and stored: trimmed, with a browser's CRLF line
// breaks as LF, which is also how the browser's maxlength counted them.
func cleanReason(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// Draft is a request not yet stored: what the person (or program) has given so far.
type Draft struct {
	// NeedNew counts a retry's rows whose new identifier the carrier refused (RetryDraft).
	NeedNew int

	TenantID   int64
	ProviderID int64
	Type       change.Type
	Reason     string
	Rows       []change.Row
	// PlanChoices maps a plan group key (change.PlanGroup.Key) to change.KeepPlan or a plan code.
	PlanChoices map[string]string
	// AllPlans, when set, is the choice of every group not in PlanChoices (the API's
	// service_plan). Without it such a group keeps its current plan if that fits, and has no
	// plan yet otherwise.
	AllPlans *string
	// RunAt, when set, is when the request is to start (the API's run_at, the wizard's start
	// date and time); until then it is SCHEDULED. Unset: at once, or at the tenant's next
	// maintenance window.
	RunAt *time.Time
	// RunAtProblem is why the start time given could not be read (the wizard's field); it is
	// reported as the run_at field's problem.
	RunAtProblem string
	// RowPlans, when set, gives rows their own plan choice (change.KeepPlan or a code) by row
	// index, which wins over their group's: an undo puts back each row's plan before (undo.go).
	RowPlans map[int]string
	// UndoOf names the request this one undoes (PlanUndo); 0 for any other request.
	UndoOf int64
	// Priority is normal ("" too) or urgent (see change.Priority).
	Priority change.Priority
	// Requester, when set, is who will submit the draft: Check then says whether they may mark
	// it urgent (store.CreateBulkChange refuses it in any case).
	Requester *store.User
}

// Fields of a Draft that Result.Fields reports problems for.
const (
	FieldTenant   = "tenant"
	FieldProvider = "provider"
	FieldType     = "type"
	FieldReason   = "reason"
	FieldRows     = "rows"
	FieldRunAt    = "run_at"
	FieldPriority = "priority"
)

// UrgentRefused is the problem of an urgent request by a manager whose tenant does not allow it.
const UrgentRefused = "Only an admin may mark a request urgent: an admin can let this tenant's managers do so on the tenants page. Send it as normal."

// MayMarkUrgent reports whether u may mark a request of the tenant urgent: admins always, a
// manager when the tenant allows it.
func (s *Service) MayMarkUrgent(ctx context.Context, u *store.User, tenantID int64) (bool, error) {
	if u == nil {
		return false, nil
	}
	if u.IsAdmin() {
		return true, nil
	}
	t, err := s.store.TenantByID(ctx, tenantID)
	if err != nil {
		return false, err
	}
	return t.ManagersMayMarkUrgent, nil
}

// Result is a Draft after every check.
type Result struct {
	Tenant   *store.Tenant   // nil when the tenant is missing or unknown
	Provider *store.Provider // nil when the provider is missing or unknown
	Type     change.Type
	// Fields holds a problem with the request as a whole, by field (FieldTenant, …).
	Fields map[string]string
	Rows   []Row
	// Invalid is the number of rows with at least one problem (plan problems aside).
	Invalid int
	// Groups are the plan groups of the rows without problems, in a stable order.
	Groups []Group
	// Plans is the provider's catalogue, cheapest first.
	Plans []change.Plan
	// CostCents is the change of the monthly price over every row whose plan is decided.
	CostCents int64
	// NetworkChanges counts devices that move to another network type.
	NetworkChanges int
	// Ready is true when the request may be submitted as it is.
	Ready bool
}

// Row is one row after its checks.
type Row struct {
	Index       int // 0-based position in the request; messages say Index+1
	Input       change.Row
	CurrentKind ident.Kind
	Current     string // normalised
	NewICCID    string // normalised; "" if not given or not valid
	NewIMEI     string
	Device      *store.Device
	// NetworkType is the device's network type after the change (change.NetworkUnknown if its
	// IMEI is in no known range); OldNetworkType before it.
	NetworkType    string
	OldNetworkType string
	Model          string // make and model after the change, "" if unknown
	CurrentPlan    *change.Plan
	Group          string // plan group key; "" while the row has problems
	Plan           *change.Plan
	CostCents      int64
	Problems       []change.Problem
	// PlanProblem says why the plan chosen for the row's group does not fit it.
	PlanProblem *change.Problem
}

// OK reports whether the row passed every check except the plan's.
func (r Row) OK() bool { return len(r.Problems) == 0 }

// Messages lists every problem of the row, the plan's last.
func (r Row) Messages() []string {
	out := make([]string, 0, len(r.Problems)+1)
	for _, p := range r.Problems {
		out = append(out, p.Message)
	}
	if r.PlanProblem != nil {
		out = append(out, r.PlanProblem.Message)
	}
	return out
}

// Group is the plan choice of a group of rows.
type Group struct {
	change.PlanGroup
	Key        string
	Rows       int
	Compatible []change.Plan
	// Choice is change.KeepPlan or a plan code; Chosen is false while the group has no plan.
	Choice  string
	Chosen  bool
	Problem string // why the choice does not fit (some of) the rows
	// CurrentPlans counts the group's devices by their current plan code.
	CurrentPlans map[string]int
	CostCents    int64
	// Own counts the group's rows that have their own plan (Draft.RowPlans): the group's
	// choice does not concern them.
	Own int
}

// needsChoice reports whether rows of the group still wait for a plan to be chosen.
func (g Group) needsChoice() bool { return !g.Chosen && g.Rows > g.Own }

// Check runs every check on a draft and says what is wrong, row by row. It stores nothing. An
// error is returned only when the checks could not run (the database failed); everything wrong
// with the draft is in the Result.
func (s *Service) Check(ctx context.Context, d Draft) (*Result, error) {
	res := &Result{Type: d.Type, Fields: map[string]string{}}
	if err := s.checkHeader(ctx, d, res); err != nil {
		return nil, err
	}
	if res.Fields[FieldType] != "" || res.Fields[FieldRows] != "" {
		return res, nil
	}
	res.Rows = make([]Row, len(d.Rows))
	for i, in := range d.Rows {
		c := change.CheckRow(d.Type, i+1, in)
		res.Rows[i] = Row{Index: i, Input: in, CurrentKind: c.CurrentKind, Current: c.Current,
			NewICCID: c.NewICCID, NewIMEI: c.NewIMEI, Problems: c.Problems, NetworkType: change.NetworkUnknown}
	}
	if res.Tenant != nil && res.Provider != nil {
		if err := s.checkData(ctx, d, res); err != nil {
			return nil, err
		}
	}
	for _, r := range res.Rows {
		if !r.OK() {
			res.Invalid++
		}
	}
	res.Ready = len(res.Fields) == 0 && res.Invalid == 0 && len(res.Rows) > 0
	for _, g := range res.Groups {
		if g.needsChoice() || g.Problem != "" {
			res.Ready = false
		}
	}
	return res, nil
}

// checkHeader checks everything but the rows.
func (s *Service) checkHeader(ctx context.Context, d Draft, res *Result) error {
	if d.TenantID == 0 {
		res.Fields[FieldTenant] = "Choose the tenant the request is for."
	} else if t, err := s.store.TenantByID(ctx, d.TenantID); apperr.Is(err, apperr.NotFound) {
		res.Fields[FieldTenant] = fmt.Sprintf("There is no tenant %d.", d.TenantID)
	} else if err != nil {
		return err
	} else {
		res.Tenant = t
	}
	if d.ProviderID == 0 {
		res.Fields[FieldProvider] = "Choose the service provider of the lines."
	} else if p, err := s.store.ProviderByID(ctx, d.ProviderID); apperr.Is(err, apperr.NotFound) {
		res.Fields[FieldProvider] = fmt.Sprintf("There is no service provider %d.", d.ProviderID)
	} else if err != nil {
		return err
	} else {
		res.Provider = p
	}
	if d.RunAtProblem != "" {
		res.Fields[FieldRunAt] = d.RunAtProblem
	} else if d.RunAt != nil {
		if err := change.CheckRunAt(*d.RunAt, time.Now()); err != nil {
			res.Fields[FieldRunAt] = strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
		}
	}
	if _, err := change.ParseType(string(d.Type)); err != nil {
		res.Fields[FieldType] = "Choose the change: ChangeICCID (new SIM, same device), ChangeIMEI (same SIM, new device) or ChangeIMEIandICCID (both)."
	}
	switch reason := cleanReason(d.Reason); {
	case reason == "":
		res.Fields[FieldReason] = "Give a reason: it is kept with the request and shown in the audit trail."
	case change.TooLong("The reason", reason, MaxReason) != "":
		res.Fields[FieldReason] = change.TooLong("The reason", reason, MaxReason)
	case CheckFreeText("The reason", reason) != "":
		res.Fields[FieldReason] = CheckFreeText("The reason", reason)
	}
	if p, err := change.ParsePriority(string(d.Priority)); err != nil {
		res.Fields[FieldPriority] = "Choose the priority: normal or urgent."
	} else if p.Urgent() && d.Requester != nil && !d.Requester.IsAdmin() && res.Tenant != nil && !res.Tenant.ManagersMayMarkUrgent {
		res.Fields[FieldPriority] = UrgentRefused
	}
	switch n := len(d.Rows); {
	case n == 0:
		res.Fields[FieldRows] = "Add at least one device."
	case n > change.MaxRows:
		res.Fields[FieldRows] = fmt.Sprintf("The request has %d rows; at most %d are allowed in one request. Split it.", n, change.MaxRows)
	}
	return nil
}

// checkData runs the checks that need the inventory, the open requests and the plans.
func (s *Service) checkData(ctx context.Context, d Draft, res *Result) error {
	rows := res.Rows
	if err := s.findDevices(ctx, res); err != nil {
		return err
	}
	if err := s.findClashes(ctx, res); err != nil {
		return err
	}
	markDuplicates(rows)
	if err := s.findNetworks(ctx, d, res); err != nil {
		return err
	}
	return s.decidePlans(ctx, d, res)
}

// findDevices finds every row's current device in the tenant and provider, and checks it can
// change: active, with an MDN.
func (s *Service) findDevices(ctx context.Context, res *Result) error {
	ids := map[ident.Kind][]string{}
	for _, r := range res.Rows {
		if r.CurrentKind != 0 {
			ids[r.CurrentKind] = append(ids[r.CurrentKind], r.Current)
		}
	}
	found, err := s.store.DevicesByIdentifiers(ctx, res.Tenant.ID, res.Provider.ID, ids)
	if err != nil {
		return err
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.CurrentKind == 0 {
			continue
		}
		n := r.Index + 1
		switch ds := found[r.CurrentKind][r.Current]; {
		case len(ds) == 0:
			r.Problems = append(r.Problems, change.Problemf(n, change.ColumnCurrent,
				"no device with %s %s at %s in %s", r.CurrentKind, r.Current, res.Provider.DisplayName, res.Tenant.Name))
		case len(ds) > 1:
			r.Problems = append(r.Problems, change.Problemf(n, change.ColumnCurrent,
				"%s %s is on %d devices; name the device by its ICCID or IMEI", r.CurrentKind, r.Current, len(ds)))
		case !ds[0].IsActiveStatus:
			r.Problems = append(r.Problems, change.Problemf(n, change.ColumnCurrent,
				"the line with %s %s is %s; only an active line can change its identifiers", r.CurrentKind, r.Current, ds[0].StatusName))
		case ds[0].MSISDN == "":
			r.Problems = append(r.Problems, change.Problemf(n, change.ColumnCurrent,
				"the line with %s %s has no MDN; ThingSpace changes identifiers only on a line with an MDN", r.CurrentKind, r.Current))
		default:
			dev := ds[0]
			r.Device = &dev
		}
	}
	return nil
}

// findClashes checks the new identifiers against every live device and open request (in any
// tenant), and each device against its own open requests.
func (s *Service) findClashes(ctx context.Context, res *Result) error {
	var iccids, imeis []string
	var devices []int64
	for _, r := range res.Rows {
		if r.NewICCID != "" {
			iccids = append(iccids, r.NewICCID)
		}
		if r.NewIMEI != "" {
			imeis = append(imeis, r.NewIMEI)
		}
		if r.Device != nil {
			devices = append(devices, r.Device.ID)
		}
	}
	clashes, err := s.store.FindClashes(ctx, iccids, imeis, devices)
	if err != nil {
		return err
	}
	markClashes(res, clashes)
	return nil
}

// markClashes puts each clash on the rows it concerns. Another tenant's device or request is
// never named: the message says the identifier is taken, not by whom.
func markClashes(res *Result, clashes []store.Clash) {
	type key struct {
		kind  store.ClashKind
		value string
	}
	byKey := make(map[key]store.Clash, len(clashes))
	for _, c := range clashes {
		byKey[key{c.Kind, c.Identifier}] = c
	}
	own := func(c store.Clash) string {
		if c.BulkChangeID != 0 && c.TenantID == res.Tenant.ID {
			return fmt.Sprintf(" (bulk change %d)", c.BulkChangeID)
		}
		return ""
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		n := r.Index + 1
		add := func(col change.Column, format string, args ...any) {
			r.Problems = append(r.Problems, change.Problemf(n, col, format, args...))
		}
		if r.Device != nil {
			if c, ok := byKey[key{store.ClashDeviceInChange, fmt.Sprint(r.Device.ID)}]; ok {
				add(change.ColumnCurrent, "the line already has an open change%s; it can have only one at a time", own(c))
			}
		}
		if v := r.NewICCID; v != "" {
			switch c, onDevice := byKey[key{store.ClashICCIDOnDevice, v}]; {
			case onDevice && r.Device != nil && c.DeviceID == r.Device.ID:
				add(change.ColumnNewICCID, "ICCID %s is this line's SIM already", v)
			case onDevice:
				add(change.ColumnNewICCID, "ICCID %s is already the SIM of another line", v)
			}
			if c, ok := byKey[key{store.ClashICCIDInChange, v}]; ok {
				add(change.ColumnNewICCID, "ICCID %s is already the new SIM of an open change%s", v, own(c))
			}
		}
		if v := r.NewIMEI; v != "" {
			switch c, onDevice := byKey[key{store.ClashIMEIOnDevice, v}]; {
			case onDevice && r.Device != nil && c.DeviceID == r.Device.ID:
				add(change.ColumnNewIMEI, "IMEI %s is this line's device already", v)
			case onDevice:
				add(change.ColumnNewIMEI, "IMEI %s is already the device of another line", v)
			}
			if c, ok := byKey[key{store.ClashIMEIInChange, v}]; ok {
				add(change.ColumnNewIMEI, "IMEI %s is already the new device of an open change%s", v, own(c))
			}
		}
	}
}

// markDuplicates refuses a device, a new ICCID or a new IMEI that the request gives twice.
func markDuplicates(rows []Row) {
	devices, iccids, imeis := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		if r.Device != nil {
			devices[i] = fmt.Sprint(r.Device.ID)
		}
		iccids[i], imeis[i] = r.NewICCID, r.NewIMEI
	}
	for i, others := range change.Duplicates(devices) {
		r := &rows[i]
		r.Problems = append(r.Problems, change.Problemf(i+1, change.ColumnCurrent,
			"the same line (ICCID %s) is also in %s; a line can change once per request", r.Device.ICCID, change.RowList(others)))
	}
	for i, others := range change.Duplicates(iccids) {
		rows[i].Problems = append(rows[i].Problems, change.Problemf(i+1, change.ColumnNewICCID,
			"ICCID %s is also the new ICCID of %s; a SIM can go to one line only", rows[i].NewICCID, change.RowList(others)))
	}
	for i, others := range change.Duplicates(imeis) {
		rows[i].Problems = append(rows[i].Problems, change.Problemf(i+1, change.ColumnNewIMEI,
			"IMEI %s is also the new IMEI of %s; a device can go to one line only", rows[i].NewIMEI, change.RowList(others)))
	}
}

// findNetworks gives every row the network type of its device before and after the change, from
// the TAC range table. A new IMEI in no known range is a problem: no plan could be checked for it.
func (s *Service) findNetworks(ctx context.Context, d Draft, res *Result) error {
	var imeis []string
	for _, r := range res.Rows {
		if r.Device != nil && r.Device.IMEI != "" {
			imeis = append(imeis, r.Device.IMEI)
		}
		if r.NewIMEI != "" {
			imeis = append(imeis, r.NewIMEI)
		}
	}
	models, err := s.store.DeviceModelsForIMEIs(ctx, imeis)
	if err != nil {
		return err
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Device == nil {
			continue
		}
		old, hasOld := models[r.Device.IMEI]
		if hasOld {
			r.OldNetworkType, r.NetworkType, r.Model = old.NetworkType, old.NetworkType, old.Manufacturer+" "+old.Model
		}
		if d.Type.NeedsIMEI() && r.NewIMEI != "" {
			m, ok := models[r.NewIMEI]
			if !ok {
				r.NetworkType, r.Model = change.NetworkUnknown, ""
				r.Problems = append(r.Problems, change.Problemf(r.Index+1, change.ColumnNewIMEI,
					"IMEI %s: its TAC %s is in no known device range, so its network type and the plans that serve it are unknown",
					r.NewIMEI, ident.TAC(r.NewIMEI)))
				continue
			}
			r.NetworkType, r.Model = m.NetworkType, m.Manufacturer+" "+m.Model
			if hasOld && old.NetworkType != m.NetworkType {
				res.NetworkChanges++
			}
		}
	}
	return nil
}

// decidePlans groups the rows by the plan choice they share, applies each group's choice and
// works out what it costs.
func (s *Service) decidePlans(ctx context.Context, d Draft, res *Result) error {
	cps, err := s.store.CarrierPlans(ctx, res.Provider.ID)
	if err != nil {
		return err
	}
	byCode := make(map[string]change.Plan, len(cps))
	for _, p := range cps {
		cp := change.Plan{Code: p.Code, Name: p.Name, MonthlyCents: change.Cents(p.MonthlyRate), NetworkTypes: p.NetworkTypes}
		res.Plans = append(res.Plans, cp)
		byCode[p.Code] = cp
	}
	groups := map[string]*Group{}
	var order []string
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Device == nil {
			continue
		}
		if code := r.Device.RatePlan; code != "" {
			cur, ok := byCode[code]
			if !ok {
				// A plan no longer in the catalogue: it still costs what the device pays, but
				// nothing can be said about what it serves.
				cur = change.Plan{Code: code, Name: r.Device.RatePlanName, MonthlyCents: change.Cents(r.Device.MonthlyRate)}
			}
			r.CurrentPlan = &cur
		}
		if !r.OK() {
			continue
		}
		pg := change.GroupOf(r.NetworkType, r.CurrentPlan)
		key := pg.Key()
		g := groups[key]
		if g == nil {
			g = &Group{PlanGroup: pg, Key: key, Compatible: change.Compatible(res.Plans, pg.Network), CurrentPlans: map[string]int{}}
			switch c, ok := d.PlanChoices[key]; {
			case ok:
				g.Choice, g.Chosen = c, true
			case d.AllPlans != nil:
				g.Choice, g.Chosen = *d.AllPlans, true
			default:
				g.Choice, g.Chosen = pg.DefaultChoice()
			}
			groups[key] = g
			order = append(order, key)
		}
		r.Group = key
		g.Rows++
		if r.CurrentPlan != nil {
			g.CurrentPlans[r.CurrentPlan.Code]++
		}
		choice, chosen := g.Choice, g.Chosen
		if c, ok := d.RowPlans[r.Index]; ok {
			choice, chosen = c, true
			g.Own++
		}
		if !chosen {
			continue
		}
		plan, problem := change.ResolvePlan(r.CurrentPlan, r.NetworkType, choice, byCode)
		if problem != "" {
			p := change.Problemf(r.Index+1, change.ColumnPlan, "%s", problem)
			r.PlanProblem = &p
			if g.Problem == "" {
				g.Problem = problem
			}
			continue
		}
		r.Plan = &plan
		r.CostCents = change.CostChange(r.CurrentPlan, plan)
		g.CostCents += r.CostCents
		res.CostCents += r.CostCents
	}
	for _, key := range sortedGroups(order) {
		res.Groups = append(res.Groups, *groups[key])
	}
	return nil
}

// sortedGroups orders group keys by network type, most capable first (change.NetworkTypes),
// unknown last, and within a network the group that keeps its plans first.
func sortedGroups(keys []string) []string {
	rank := func(k string) int {
		net, fit, _ := strings.Cut(k, "/")
		r := len(change.NetworkTypes) * 2
		for i, n := range change.NetworkTypes {
			if n == net {
				r = i * 2
			}
		}
		if fit != "keep" {
			r++
		}
		return r
	}
	out := append([]string(nil), keys...)
	for i := 1; i < len(out); i++ { // a handful of groups: insertion sort keeps it stable
		for j := i; j > 0 && rank(out[j]) < rank(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Submitter is who submits a request, and the key that makes submitting it twice harmless.
type Submitter struct {
	User *store.User
	// IdempotencyKey is generated with the form, or sent by an API client. The same user
	// submitting the same key again gets the first request back instead of a second one.
	IdempotencyKey string
	RemoteAddr     string
}

// Submitted is the outcome of Submit.
type Submitted struct {
	ID      int64   // the bulk change, created now or by an earlier submit of the same key
	Created bool    // false when the key had been used: nothing new was stored
	Result  *Result // the checks; nil when the key had been used
}

// ErrNotReady is the error of a Submit whose draft failed its checks; Submitted.Result says why.
var ErrNotReady = errors.New("request: the request has problems")

// Submit checks a draft again and stores it: DeviceBulkChange (NEW), every M2M_DeviceChange
// (NEW, with its ChangeRequest JSON), one queued job per row and an AuditEvent, in one
// transaction. A draft with any problem stores nothing and returns an Invalid error wrapping
// ErrNotReady, with the Result. A second submit with the same idempotency key — a double click,
// a refresh, the back button, an API client's retry — returns the first request.
func (s *Service) Submit(ctx context.Context, d Draft, by Submitter) (Submitted, error) {
	if by.User == nil {
		return Submitted{}, errors.New("request: submit needs the user")
	}
	key, err := scopedKey(by)
	if err != nil {
		return Submitted{}, err
	}
	if id, ok, err := s.submitted(ctx, key); err != nil || ok {
		return Submitted{ID: id}, err
	}
	res, err := s.Check(ctx, d)
	if err != nil {
		return Submitted{}, err
	}
	if !res.Ready {
		// A concurrent submit of the same key may have stored the request meanwhile: its rows
		// now clash with this one's. That is the same request, not a problem.
		if id, ok, err := s.submitted(ctx, key); err != nil || ok {
			return Submitted{ID: id}, err
		}
		return Submitted{Result: res}, notReady(res)
	}
	nb := store.NewBulkChange{TenantID: res.Tenant.ID, ServiceProviderID: res.Provider.ID, Type: d.Type,
		Reason: cleanReason(d.Reason), RequestedBy: by.User, IdempotencyKey: key, RemoteAddr: by.RemoteAddr, RunAt: d.RunAt,
		UndoOf: d.UndoOf, Rows: make([]store.NewDeviceChange, 0, len(res.Rows)), Priority: d.Priority}
	for _, r := range res.Rows {
		nb.Rows = append(nb.Rows, newDeviceChange(d, r))
	}
	id, created, err := s.store.CreateBulkChange(ctx, nb)
	var ce *store.ClashError
	switch {
	case errors.As(err, &ce):
		// Another request took an identifier between the checks and the transaction.
		if id, ok, err := s.submitted(ctx, key); err != nil || ok {
			return Submitted{ID: id}, err
		}
		markClashes(res, ce.Clashes)
		res.Invalid, res.Ready = 0, false
		for _, r := range res.Rows {
			if !r.OK() {
				res.Invalid++
			}
		}
		return Submitted{Result: res}, notReady(res)
	case err != nil:
		if id, ok, lerr := s.submitted(ctx, key); lerr == nil && ok {
			return Submitted{ID: id}, nil // a concurrent submit of this key won the race
		}
		return Submitted{}, err
	}
	return Submitted{ID: id, Created: created, Result: res}, nil
}

// newDeviceChange builds the stored row, with its ChangeRequest JSON, from a checked row.
func newDeviceChange(d Draft, r Row) store.NewDeviceChange {
	dev := r.Device
	servicePlan, current := "", ""
	if r.CurrentPlan != nil {
		current = r.CurrentPlan.Code
	}
	if r.Plan != nil && r.Plan.Code != current {
		servicePlan = r.Plan.Code
	}
	return store.NewDeviceChange{
		DeviceID: dev.ID, ICCID: dev.ICCID, IMEI: dev.IMEI, MSISDN: dev.MSISDN, EID: dev.EID,
		NewICCID: r.NewICCID, NewIMEI: r.NewIMEI, ServicePlan: servicePlan,
		Envelope: change.NewEnvelope(d.Type, change.Identifier{
			OldICCID: dev.ICCID, NewICCID: r.NewICCID, OldIMEI: dev.IMEI, NewIMEI: r.NewIMEI,
			Current: r.Current, CurrentKind: r.CurrentKind.String(), MSISDN: dev.MSISDN,
			CurrentServicePlan: current, ServicePlan: servicePlan, NetworkType: r.NetworkType,
			Reason: cleanReason(d.Reason),
		}),
	}
}

// notReady is the Invalid error of a draft that failed its checks, saying what to look at.
func notReady(res *Result) error {
	var parts []string
	for _, f := range []string{FieldTenant, FieldProvider, FieldType, FieldReason, FieldRunAt, FieldPriority, FieldRows} {
		if msg := res.Fields[f]; msg != "" {
			parts = append(parts, msg)
		}
	}
	if res.Invalid > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d rows have problems; fix or drop them.", res.Invalid, len(res.Rows)))
	}
	for _, g := range res.Groups {
		switch {
		case g.needsChoice():
			parts = append(parts, fmt.Sprintf("Choose a rate plan for the %d %s.", g.Rows, strings.ToLower(g.Label()[:1])+g.Label()[1:]))
		case g.Problem != "":
			parts = append(parts, fmt.Sprintf("Rate plan: %s.", g.Problem))
		}
	}
	return apperr.Wrap(ErrNotReady, apperr.Invalid, "%s", strings.Join(parts, " "))
}

// maxKey bounds an idempotency key; a form's is 43 characters.
const maxKey = 200

// storedKeyLen is the width of DeviceBulkChange.IdempotencyKey (NVARCHAR(64) on SQL Server).
const storedKeyLen = 64

// scopedKey makes the key the user's own, so that one user's key can never find another's
// request, and refuses keys that are too long to be keys. A key that would not fit the column
// is stored as its SHA-256 instead.
func scopedKey(by Submitter) (string, error) {
	k := strings.TrimSpace(by.IdempotencyKey)
	if k == "" {
		return "", nil
	}
	if len(k) > maxKey {
		return "", apperr.E(apperr.Invalid, "the idempotency key has %d characters; at most %d", len(k), maxKey)
	}
	if s := fmt.Sprintf("u%d:%s", by.User.ID, k); len(s) <= storedKeyLen {
		return s, nil
	}
	sum := sha256.Sum256([]byte(k))
	return fmt.Sprintf("u%d#%s", by.User.ID, base64.RawURLEncoding.EncodeToString(sum[:])), nil
}

// submitted finds the request stored with a key, if any.
func (s *Service) submitted(ctx context.Context, key string) (int64, bool, error) {
	if key == "" {
		return 0, false, nil
	}
	id, err := s.store.BulkChangeIDByIdempotencyKey(ctx, key)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return id, true, nil
}

// RetryDraft is a new draft made of a request's failed rows (API_FAILED and ERROR): same
// tenant, provider and change type, the current device named by the ICCID it had, the new
// identifiers as before — except one the carrier refused (change.RefusedNew), which is left
// empty so the row cannot be submitted until it has another. Each row's note says why it
// failed, in the carrier's words. tenantID 0 means any tenant (admins); another tenant's
// request is NotFound.
func (s *Service) RetryDraft(ctx context.Context, tenantID, bulkChangeID int64) (Draft, error) {
	b, err := s.store.BulkChange(ctx, tenantID, bulkChangeID)
	if err != nil {
		return Draft{}, err
	}
	rows, _, err := s.store.DeviceChanges(ctx, b.ID, store.DeviceChangeFilter{})
	if err != nil {
		return Draft{}, err
	}
	codes, err := s.store.FailureCodes(ctx, b.ID)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{TenantID: b.TenantID, ProviderID: b.ServiceProviderID, Type: b.Type,
		Reason: fmt.Sprintf("Retry of the failed rows of bulk change %d: %s", b.ID, b.Reason)}
	for _, r := range rows {
		if !r.Status.Failed() {
			continue
		}
		current := r.ICCID
		for _, alt := range []string{r.IMEI, r.MSISDN, r.EID} {
			if current == "" {
				current = alt
			}
		}
		row := change.Row{Current: current, NewICCID: r.NewICCID, NewIMEI: r.NewIMEI}
		code := codes[r.ID]
		why := r.Status.Words()
		if r.StatusDetails != "" {
			why = r.StatusDetails
		}
		if code != "" {
			why += " [" + code + "]"
		}
		iccidRefused, imeiRefused := change.RefusedNew(code)
		var refused []string
		if iccidRefused && row.NewICCID != "" {
			refused, row.NewICCID = append(refused, "new ICCID "+row.NewICCID), ""
		}
		if imeiRefused && row.NewIMEI != "" {
			refused, row.NewIMEI = append(refused, "new IMEI "+row.NewIMEI), ""
		}
		row.Note = why
		if r.StatusDetails != "" {
			row.Note = r.Status.Words() + ": " + why
		}
		if len(refused) > 0 {
			row.Note = "the carrier refused " + strings.Join(refused, " and ") + ": " + why + "; give another"
			d.NeedNew++
		}
		d.Rows = append(d.Rows, row)
	}
	if len(d.Rows) == 0 {
		return Draft{}, apperr.E(apperr.Invalid, "Bulk change %d has no failed rows to retry.", b.ID)
	}
	d.Reason = change.CutText(d.Reason, MaxReason)
	return d, nil
}

// FreeIdentifiers keeps the ICCIDs and IMEIs that a new request could use: on no live device
// and in no open change. Demo mode uses it to offer only spare SIMs and devices nobody has
// claimed yet.
func (s *Service) FreeIdentifiers(ctx context.Context, iccids, imeis []string) ([]string, []string, error) {
	clashes, err := s.store.FindClashes(ctx, iccids, imeis, nil)
	if err != nil {
		return nil, nil, err
	}
	taken := make(map[string]bool, len(clashes))
	for _, c := range clashes {
		taken[c.Identifier] = true
	}
	keep := func(vs []string) []string {
		var out []string
		for _, v := range vs {
			if !taken[v] {
				out = append(out, v)
			}
		}
		return out
	}
	return keep(iccids), keep(imeis), nil
}
