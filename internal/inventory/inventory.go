// Package inventory keeps idswap's inventory the carrier's: a sync per provider lists every line
// of the ThingSpace account and brings Device and ThingSpaceDevice in line with it, places new
// lines in tenants by rule, records identifier changes made outside idswap, and marks lines the
// carrier no longer lists as gone. It also assigns lines to tenants by hand (by ids, by filter
// or by CSV).
//
// A sync is safe to kill and run again: each page of the carrier's list is applied in one
// transaction and matched by identifiers, so a second run adds nothing twice; lines are marked
// gone only after a complete listing, so a sync whose pages fail halfway marks nothing gone.
package inventory

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// Service syncs and assigns the inventory.
type Service struct {
	db *store.DB
	// HTTPClient, when set, carries the sync's carrier calls.
	HTTPClient *http.Client
	// PageSize is the number of devices asked for per page; 0 is the client's default (100).
	// Above thingspace.MaxListPageSize only for a carrier known to take it.
	PageSize int
	// BatchSize is how many listed lines are applied per transaction; default 500.
	BatchSize int
	Log       *slog.Logger
	// Limit, when set, gives a provider's carrier limiter (the engine's, shared by every
	// process through the database), so a sync's pages count against the same
	// IDSWAP_CARRIER_RATE as the changes it runs beside.
	Limit func(providerID int64) thingspace.Limiter
}

// New returns the service over db.
func New(db *store.DB) *Service { return &Service{db: db} }

// Options of one sync.
type Options struct {
	// DefaultTenantID places lines no rule places, for this run only (CLI --default-tenant).
	DefaultTenantID int64
	// By names who asked ("idswap sync", an admin's e-mail, "schedule").
	By string
	// OnProgress, when set, is called after every applied batch with the counts so far.
	OnProgress func(store.SyncCounts)
}

// Result is a finished sync.
type Result struct {
	Run *store.SyncRun
}

// Sync runs a whole sync of one provider now and returns its run. A failure of the carrier
// halfway fails the run (recorded with the carrier's answer) and marks nothing gone.
func (s *Service) Sync(ctx context.Context, providerID int64, o Options) (*store.SyncRun, error) {
	if o.By == "" {
		o.By = "inventory sync"
	}
	creds, err := s.db.ThingSpaceCredentials(ctx, providerID)
	if err != nil {
		return nil, err
	}
	var lim thingspace.Limiter
	if s.Limit != nil {
		lim = s.Limit(providerID)
	}
	client, err := onboard.NewClient(creds, s.HTTPClient, s.PageSize, lim)
	if err != nil {
		return nil, err
	}
	rules, err := s.db.AssignmentRules(ctx, providerID)
	if err != nil {
		return nil, err
	}
	runID, err := s.db.StartSyncRun(ctx, providerID, o.By)
	if err != nil {
		return nil, err
	}
	if err := s.sync(ctx, client, providerID, creds.AccountNumber, runID, rules, o); err != nil {
		// The run's own context may be what ended; record the failure regardless.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		msg := err.Error()
		if thingspace.ClassOf(err) != "" {
			msg = onboard.Explain(err)
		}
		if ferr := s.db.FailSyncRun(fctx, runID, msg); ferr != nil && s.Log != nil {
			s.Log.Error("record failed sync", "run", runID, "err", ferr)
		}
		if thingspace.ClassOf(err) != "" {
			return nil, apperr.Wrap(err, apperr.Unavailable, "sync %d of provider %d stopped; pages already read are applied, nothing was marked gone: %s",
				runID, providerID, msg)
		}
		return nil, err
	}
	return s.db.SyncRunByID(ctx, runID)
}

// index finds inventory lines by identifier.
type index struct {
	lines                         []store.InventoryLine
	seen                          []bool
	byMDN, byICCID, byIMEI, byEID map[string]int32
}

func newIndex(lines []store.InventoryLine) *index {
	x := &index{lines: lines, seen: make([]bool, len(lines)),
		byMDN: make(map[string]int32, len(lines)), byICCID: make(map[string]int32, len(lines)),
		byIMEI: make(map[string]int32, len(lines)), byEID: map[string]int32{}}
	for i, l := range lines {
		for _, p := range []struct {
			m map[string]int32
			v string
		}{{x.byMDN, l.MSISDN}, {x.byICCID, l.ICCID}, {x.byIMEI, l.IMEI}, {x.byEID, l.EID}} {
			if p.v != "" {
				p.m[p.v] = int32(i)
			}
		}
	}
	return x
}

// find matches a carrier line to an inventory line: by MDN first (a SIM or device swap keeps the
// number), then ICCID, IMEI, EID. A line already matched in this run is not matched twice.
func (x *index) find(l store.CarrierLine) int {
	for _, p := range []struct {
		m map[string]int32
		v string
	}{{x.byMDN, l.MSISDN}, {x.byICCID, l.ICCID}, {x.byIMEI, l.IMEI}, {x.byEID, l.EID}} {
		if p.v == "" {
			continue
		}
		if i, ok := p.m[p.v]; ok && !x.seen[i] {
			return int(i)
		}
	}
	return -1
}

// unseen is the carrier rows and devices of the lines not gone before that no page listed.
func (x *index) unseen() (carrierIDs, deviceIDs []int64) {
	for i, l := range x.lines {
		if x.seen[i] || l.Gone {
			continue
		}
		if l.CarrierID != 0 {
			carrierIDs = append(carrierIDs, l.CarrierID)
		}
		if l.DeviceID != 0 {
			deviceIDs = append(deviceIDs, l.DeviceID)
		}
	}
	return carrierIDs, deviceIDs
}

// addCounts adds what an applied batch wrote to a run's counts, as ApplySyncBatch counts them.
func addCounts(counts *store.SyncCounts, b store.SyncBatch) {
	counts.Listed += b.Listed
	for _, n := range b.New {
		if n.CarrierID == 0 {
			counts.Added++
		}
		if n.TenantID == 0 {
			counts.Unassigned++
		}
	}
	counts.Updated += len(b.Updates)
	for _, u := range b.Updates {
		if u.Outside {
			counts.ChangedOutside++
		}
	}
}

func (s *Service) sync(ctx context.Context, client *thingspace.Client, providerID int64, account string, runID int64,
	rules []store.AssignmentRule, o Options) error {
	lines, err := s.db.InventoryLines(ctx, providerID)
	if err != nil {
		return err
	}
	x := newIndex(lines)
	batchSize := s.BatchSize
	if batchSize <= 0 {
		batchSize = 500
	}
	var counts store.SyncCounts
	var pending []store.CarrierLine
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		b, err := s.plan(ctx, x, pending, rules, o)
		if err != nil {
			return err
		}
		b.RunID, b.ProviderID, b.AccountNumber, b.By = runID, providerID, account, o.By
		if err := s.db.ApplySyncBatch(ctx, b); err != nil {
			return err
		}
		addCounts(&counts, b)
		if o.OnProgress != nil {
			o.OnProgress(counts)
		}
		pending = pending[:0]
		return nil
	}
	err = client.AllDevices(ctx, thingspace.ListDevicesRequest{}, func(d thingspace.Device) error {
		pending = append(pending, carrierLine(d))
		if len(pending) >= batchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	// The listing is complete: what it did not show is gone.
	goneCarrier, goneDevices := x.unseen()
	_, err = s.db.FinishSyncRun(ctx, runID, goneCarrier, goneDevices, store.Actor{Name: o.By})
	return err
}

// plan compares a batch of carrier lines with the inventory and decides what to write.
func (s *Service) plan(ctx context.Context, x *index, batch []store.CarrierLine, rules []store.AssignmentRule, o Options) (store.SyncBatch, error) {
	b := store.SyncBatch{Listed: len(batch)}
	type idChange struct {
		old  store.InventoryLine
		line store.CarrierLine
	}
	var changed []idChange
	for _, l := range batch {
		i := x.find(l)
		if i < 0 {
			b.New = append(b.New, store.SyncNew{TenantID: place(l, rules, o.DefaultTenantID), Line: l})
			continue
		}
		x.seen[i] = true
		old := x.lines[i]
		if old.DeviceID == 0 {
			// A known line no tenant has: the rules may place it now (a rule added since).
			if t := place(l, rules, o.DefaultTenantID); t != 0 {
				b.New = append(b.New, store.SyncNew{CarrierID: old.CarrierID, TenantID: t, Line: l})
			}
		}
		if old.ICCID != l.ICCID || old.IMEI != l.IMEI {
			changed = append(changed, idChange{old, l})
			continue
		}
		if old.CarrierID == 0 || old.Gone || old.MSISDN != l.MSISDN || old.EID != l.EID ||
			!strings.EqualFold(old.State, l.State) || old.RatePlan != l.RatePlan || !sameTime(old.LastConnection, l.LastConnection) {
			b.Updates = append(b.Updates, store.SyncUpdate{Old: old, Line: l})
		}
	}
	if len(changed) == 0 {
		return b, nil
	}
	var ids []int64
	for _, c := range changed {
		if c.old.DeviceID != 0 {
			ids = append(ids, c.old.DeviceID)
		}
	}
	targets, err := s.db.OpenChangeTargets(ctx, ids)
	if err != nil {
		return b, err
	}
	for _, c := range changed {
		explained := slices.ContainsFunc(targets[c.old.DeviceID], func(t [2]string) bool {
			return (t[0] != "" && t[0] == c.line.ICCID) || (t[1] != "" && t[1] == c.line.IMEI)
		})
		// An explained change is the engine's to write when it finishes its row (it matches
		// the device by its old identifiers); the sync updates the rest of the line only.
		b.Updates = append(b.Updates, store.SyncUpdate{Old: c.old, Line: c.line, Outside: !explained})
	}
	return b, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// place picks the tenant of a new line: the first group rule whose group the line is in, then
// the first custom field rule it matches, then the provider's default rule, then the run's
// default; 0 when none applies (the line stays unassigned).
func place(l store.CarrierLine, rules []store.AssignmentRule, runDefault int64) int64 {
	groups := splitList(l.GroupNames)
	fields := map[string]string{}
	for _, kv := range splitList(l.CustomFields) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fields[strings.ToLower(k)] = v
		}
	}
	var byDefault int64
	for _, r := range rules {
		switch r.Kind {
		case store.RuleGroup:
			if slices.ContainsFunc(groups, func(g string) bool { return strings.EqualFold(g, r.FieldValue) }) {
				return r.TenantID
			}
		case store.RuleCustomField:
			if v, ok := fields[strings.ToLower(r.FieldName)]; ok && v == r.FieldValue {
				return r.TenantID
			}
		case store.RuleDefault:
			if byDefault == 0 {
				byDefault = r.TenantID
			}
		}
	}
	if byDefault != 0 {
		return byDefault
	}
	return runDefault
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// carrierLine turns a listed device into the inventory's form.
func carrierLine(d thingspace.Device) store.CarrierLine {
	l := store.CarrierLine{State: d.State(), RatePlan: d.ServicePlan()}
	l.ICCID, _ = d.ID(thingspace.KindICCID)
	l.IMEI, _ = d.ID(thingspace.KindIMEI)
	l.MSISDN, _ = d.ID(thingspace.KindMDN)
	if l.MSISDN == "" {
		l.MSISDN, _ = d.ID(thingspace.KindMSISDN)
	}
	l.EID, _ = d.ID(thingspace.KindEID)
	groups := slices.Clone(d.GroupNames)
	sort.Strings(groups)
	l.GroupNames = strings.Join(groups, ",")
	var kv []string
	for _, f := range d.CustomFields {
		if f.Value != "" {
			kv = append(kv, f.Key+"="+f.Value)
		}
	}
	l.CustomFields = strings.Join(kv, ",")
	l.LastConnection = parseTime(d.LastConnectionDate)
	l.Created = parseTime(d.CreatedAt)
	return l
}

func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC().Truncate(time.Millisecond)
			return &t
		}
	}
	return nil
}

// RequestSync queues a sync of a provider to run on the job queue (the admin's "sync now", and
// the schedule). A sync of the provider already queued or running is enough: then nothing is
// queued and queued is false.
func (s *Service) RequestSync(ctx context.Context, a store.Actor, providerID int64) (queued bool, err error) {
	if _, err := s.db.ProviderByID(ctx, providerID); err != nil {
		return false, err
	}
	return s.db.QueueSync(ctx, providerID, a)
}

// Handle runs a jobs.KindInventorySync job. A killed run is simply run again: the restart matches what the
// first run wrote and adds nothing twice.
func (s *Service) Handle(ctx context.Context, j store.Job, p jobs.InventorySync) error {
	run, err := s.Sync(ctx, p.ProviderID, Options{DefaultTenantID: p.DefaultTenantID, By: p.By})
	if err != nil {
		return err
	}
	if s.Log != nil {
		s.Log.Info("inventory sync done", "provider", p.ProviderID, "run", run.ID, "listed", run.Listed, "added", run.Added,
			"updated", run.Updated, "changed_outside", run.ChangedOutside, "gone", run.Gone, "unassigned", run.Unassigned)
	}
	return nil
}

// QueueAll queues a sync of every provider that has none queued or running: the schedule's tick
// (IDSWAP_SYNC_EVERY). It returns how many it queued.
func (s *Service) QueueAll(ctx context.Context, by string) (int, error) {
	ps, err := s.db.Providers(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		queued, err := s.RequestSync(ctx, store.Actor{Name: by}, p.ID)
		if err != nil {
			return n, err
		}
		if queued {
			n++
		}
	}
	return n, nil
}
