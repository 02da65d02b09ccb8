package request

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// Undo: a new request that puts each processed row of a finished request back to its old
// identifiers. It is an ordinary request — same change type, checked by Check and stored by
// Submit, so the old SIM or device must be free in idswap like any new one — plus two things
// only an undo needs: the device must still be as the original left it, and the old SIM or
// device must be free at the carrier too (asked through Carrier), because an old SIM is exactly
// the kind of identifier that may have gone to another line since.
//
// The plan: a row whose original request changed the plan gets its plan before back (the
// envelope's CurrentServicePlan), and every other row keeps its plan. Either way the plan is
// checked against the old device's network type (change.ResolvePlan) like any plan choice: a
// plan that no longer fits, or has left the catalogue, makes the row one that cannot be undone,
// with the reason, rather than a silent move to some other plan. docs/DECISIONS.md says why.

// Carrier tells which of a provider's lines holds an ICCID or an IMEI at the carrier
// (process.Engine.LineWith): kind is "iccid" or "imei"; found is false when no line has it.
type Carrier interface {
	LineWith(ctx context.Context, providerID int64, kind, value string) (mdn string, found bool, err error)
}

// UseCarrier lets the service ask the carrier, which an undo needs.
func (s *Service) UseCarrier(c Carrier) { s.carrier = c }

// UndoRow is a processed row an undo puts back.
type UndoRow struct {
	Number   int   // the row's number in the original request
	ChangeID int64 // the original row
	DeviceID int64
	MSISDN   string
	// From is the identifier the line has now, To the old one it gets back; both "" for the
	// identifier the request did not change.
	FromICCID, ToICCID string
	FromIMEI, ToIMEI   string
	// Plan is the plan code the undo moves the line to; "" keeps its plan.
	Plan string
}

// NotUndoable is a row of the original that the undo leaves alone, and why.
type NotUndoable struct {
	Number int // the row's number in the original request
	store.RowIdentifiers
	Reason string
}

// UndoPlan is what an undo of a request would do now.
type UndoPlan struct {
	Original *store.BulkChange
	Rows     []UndoRow
	Refused  []NotUndoable
	// Key names this exact set of rows: a confirmation carries it, so that what is submitted
	// is what the person saw (SubmitUndo).
	Key   string
	draft Draft
}

// maxCarrierLookups is how many carrier lookups of one undo are in flight at once: enough to
// overlap the carrier's latency; the provider's rate limit still spaces them.
const maxCarrierLookups = 8

// PlanUndo works out an undo of a request without storing anything: the rows it would put
// back and the rows it cannot, each with the reason. tenantID 0 means any tenant (admins);
// another tenant's request is NotFound. A request still running, one that changed nothing, or
// one with an undo still open is a Conflict; a carrier that cannot be asked is Unavailable.
func (s *Service) PlanUndo(ctx context.Context, tenantID, bulkChangeID int64) (*UndoPlan, error) {
	b, err := s.store.BulkChange(ctx, tenantID, bulkChangeID)
	if err != nil {
		return nil, err
	}
	switch {
	case !b.Status.Final():
		return nil, apperr.E(apperr.Conflict, "Bulk change %d has not finished yet; it can be undone once every row is final.", b.ID)
	case b.Counts.Processed == 0:
		return nil, apperr.E(apperr.Conflict, "Bulk change %d changed no line, so there is nothing to undo.", b.ID)
	}
	if open, err := s.store.OpenUndo(ctx, b.ID); err != nil {
		return nil, err
	} else if open != 0 {
		return nil, apperr.E(apperr.Conflict, "Bulk change %d is being undone already by bulk change %d; wait for it to finish.", b.ID, open)
	}
	if s.carrier == nil {
		return nil, apperr.E(apperr.Unavailable, "The carrier cannot be asked whether the old SIMs and devices are free, so nothing can be undone.")
	}
	cands, err := s.store.UndoCandidates(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	p := &UndoPlan{Original: b}
	var kept []store.UndoCandidate
	for _, c := range cands {
		if why := notUndoable(b, c); why != "" {
			p.Refused = append(p.Refused, NotUndoable{Number: c.Number, RowIdentifiers: c.RowIdentifiers, Reason: why})
			continue
		}
		kept = append(kept, c)
	}
	d := undoDraft(b, kept)
	res, err := s.Check(ctx, d)
	if err != nil {
		return nil, err
	}
	if len(kept) > 0 && len(res.Fields) > 0 {
		// The tenant or provider is gone, or the reason no longer passes: nothing can be undone.
		return nil, notReady(res)
	}
	var checked []store.UndoCandidate
	var rows []UndoRow
	for i, r := range res.Rows {
		c := kept[i]
		if msgs := undoProblems(r); len(msgs) > 0 {
			p.Refused = append(p.Refused, NotUndoable{Number: c.Number, RowIdentifiers: c.RowIdentifiers, Reason: strings.Join(msgs, "; ")})
			continue
		}
		u := UndoRow{Number: c.Number, ChangeID: c.ID, DeviceID: r.Device.ID, MSISDN: r.Device.MSISDN}
		if c.NewICCID != "" {
			u.FromICCID, u.ToICCID = r.Device.ICCID, c.ICCID
		}
		if c.NewIMEI != "" {
			u.FromIMEI, u.ToIMEI = r.Device.IMEI, c.IMEI
		}
		if r.Plan != nil && (r.CurrentPlan == nil || r.Plan.Code != r.CurrentPlan.Code) {
			u.Plan = r.Plan.Code
		}
		checked, rows = append(checked, c), append(rows, u)
	}
	refusals, err := s.carrierRefusals(ctx, b.ServiceProviderID, rows)
	if err != nil {
		return nil, err
	}
	var final []store.UndoCandidate
	for i, u := range rows {
		if why := refusals[i]; why != "" {
			p.Refused = append(p.Refused, NotUndoable{Number: u.Number, RowIdentifiers: checked[i].RowIdentifiers, Reason: why})
			continue
		}
		p.Rows, final = append(p.Rows, u), append(final, checked[i])
	}
	slices.SortFunc(p.Refused, func(a, b NotUndoable) int { return a.Number - b.Number })
	p.draft = undoDraft(b, final)
	p.Key = undoKey(p.Rows)
	return p, nil
}

// SubmitUndo plans an undo again and stores it with the rows that can be undone now, in one
// transaction (Submit), or stores nothing. key, when set, is the UndoPlan.Key the person
// confirmed: if what can be undone has changed since, nothing is stored and the Conflict comes
// with the new plan. A request none of whose rows can be undone is a Conflict with the plan,
// which lists why. The same idempotency key again returns the first undo.
func (s *Service) SubmitUndo(ctx context.Context, tenantID, bulkChangeID int64, key string, by Submitter) (Submitted, *UndoPlan, error) {
	if by.User == nil {
		return Submitted{}, nil, fmt.Errorf("request: an undo needs the user")
	}
	scoped, err := scopedKey(by)
	if err != nil {
		return Submitted{}, nil, err
	}
	// A double click or an API client's retry: the undo it made is open now, which PlanUndo
	// would refuse; the key finds it first.
	if id, ok, err := s.submitted(ctx, scoped); err != nil || ok {
		return Submitted{ID: id}, nil, err
	}
	p, err := s.PlanUndo(ctx, tenantID, bulkChangeID)
	if err != nil {
		return Submitted{}, nil, err
	}
	switch {
	case len(p.Rows) == 0:
		return Submitted{}, p, apperr.E(apperr.Conflict, "None of the %s of bulk change %d can be undone; the list says why.",
			countRows(len(p.Refused)), bulkChangeID)
	case key != "" && key != p.Key:
		return Submitted{}, p, apperr.E(apperr.Conflict,
			"What can be undone in bulk change %d has changed since you looked: %s can be undone now, %s cannot. Check the list again.",
			bulkChangeID, countRows(len(p.Rows)), countRows(len(p.Refused)))
	}
	sub, err := s.Submit(ctx, p.draft, by)
	return sub, p, err
}

func countRows(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// notUndoable says why a row of the original cannot be undone from what idswap knows of it
// and its device, or "" when it may be (the checks of any request come after).
func notUndoable(b *store.BulkChange, c store.UndoCandidate) string {
	switch {
	case c.Status.Failed():
		return fmt.Sprintf("it %s: the change was not made, so there is nothing to undo", c.Status.Words())
	case c.Status != change.StatusProcessed:
		return fmt.Sprintf("it was %s: the change was not made, so there is nothing to undo", c.Status.Words())
	case c.DeviceID == nil || !c.DeviceFound:
		return "the line is no longer in the inventory"
	case c.LaterBulkChangeID != 0 && slices.Contains(b.UndoneBy, c.LaterBulkChangeID):
		return fmt.Sprintf("it was undone already by bulk change %d", c.LaterBulkChangeID)
	case c.LaterBulkChangeID != 0:
		return fmt.Sprintf("the line was changed again since, by bulk change %d", c.LaterBulkChangeID)
	case c.NewICCID != "" && c.ICCID == "":
		return "the row has no old ICCID to go back to"
	case c.NewIMEI != "" && c.IMEI == "":
		return "the row has no old IMEI to go back to"
	}
	for _, id := range []struct{ kind, old, changedTo, now string }{
		{"ICCID", c.ICCID, c.NewICCID, c.DeviceICCID},
		{"IMEI", c.IMEI, c.NewIMEI, c.DeviceIMEI},
	} {
		switch {
		case id.changedTo == "" || id.now == id.changedTo:
		case id.now == id.old:
			return fmt.Sprintf("the line has its old %s %s again already", id.kind, id.old)
		default:
			return fmt.Sprintf("the line's %s is %s now, not %s: it was changed again since, outside this request", id.kind, orNone(id.now), id.changedTo)
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "empty"
	}
	return s
}

// undoDraft is the request that puts the rows back: the line named by its ICCID now (unique
// among live lines), each changed identifier back to the old one, and each row's plan choice.
func undoDraft(b *store.BulkChange, rows []store.UndoCandidate) Draft {
	reason := fmt.Sprintf("Undo of bulk change %d: %s", b.ID, b.Reason)
	reason = change.CutText(cleanReason(reason), MaxReason)
	d := Draft{TenantID: b.TenantID, ProviderID: b.ServiceProviderID, Type: b.Type, Reason: reason, UndoOf: b.ID,
		RowPlans: make(map[int]string, len(rows))}
	for i, c := range rows {
		row := change.Row{Current: c.DeviceICCID}
		if row.Current == "" {
			row.Current = c.DeviceIMEI
		}
		if c.NewICCID != "" {
			row.NewICCID = c.ICCID
		}
		if c.NewIMEI != "" {
			row.NewIMEI = c.IMEI
		}
		d.Rows = append(d.Rows, row)
		d.RowPlans[i] = undoPlanChoice(c)
	}
	return d
}

// undoPlanChoice is the plan a row goes back to: the plan before, when the original changed it.
func undoPlanChoice(c store.UndoCandidate) string {
	if c.ServicePlan == "" {
		return change.KeepPlan
	}
	env, err := change.ParseEnvelope(c.ChangeRequest)
	if err != nil {
		return change.KeepPlan
	}
	// A device that had no plan before keeps the one it has: a line cannot be left without one.
	return env.Identifier.CurrentServicePlan
}

// undoProblems words a checked row's problems for the undo's list: the undo's own row numbers
// and column names ("new ICCID") would only confuse, so each says which old identifier it is.
func undoProblems(r Row) []string {
	var out []string
	all := slices.Clone(r.Problems)
	if r.PlanProblem != nil {
		all = append(all, *r.PlanProblem)
	}
	for _, p := range all {
		msg := p.Message
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			msg = rest
		}
		switch p.Column {
		case change.ColumnNewICCID:
			msg = "old ICCID: " + msg
		case change.ColumnNewIMEI:
			msg = "old IMEI: " + msg
		case change.ColumnPlan:
			msg = "plan: " + msg
		}
		out = append(out, msg)
	}
	return out
}

// carrierRefusals asks the carrier about every old identifier the rows would get back, a few
// at a time, and says for each row why it cannot be undone ("" when it can). Any lookup that
// fails stops the undo: a SIM the carrier was not asked about is not known to be free.
func (s *Service) carrierRefusals(ctx context.Context, providerID int64, rows []UndoRow) ([]string, error) {
	type ask struct {
		row        int
		kind, name string
		value      string
	}
	var asks []ask
	for i, u := range rows {
		if u.ToICCID != "" {
			asks = append(asks, ask{i, "iccid", "ICCID", u.ToICCID})
		}
		if u.ToIMEI != "" {
			asks = append(asks, ask{i, "imei", "IMEI", u.ToIMEI})
		}
	}
	out := make([]string, len(rows))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan ask)
	for range min(maxCarrierLookups, len(asks)) {
		wg.Go(func() {
			for a := range work {
				mdn, found, err := s.carrier.LineWith(ctx, providerID, a.kind, a.value)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
						cancel()
					}
				case found && mdn != "" && mdn == rows[a.row].MSISDN:
					out[a.row] = joinReason(out[a.row], fmt.Sprintf("the carrier shows the line with %s %s already", a.name, a.value))
				case found:
					out[a.row] = joinReason(out[a.row], fmt.Sprintf("the carrier shows %s %s on another line", a.name, a.value))
				}
				mu.Unlock()
			}
		})
	}
	for _, a := range asks {
		if ctx.Err() != nil {
			break
		}
		work <- a
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, apperr.Wrap(firstErr, apperr.Unavailable,
			"The carrier could not be asked whether the old SIMs and devices are free (%v); nothing was undone. Try again.", firstErr)
	}
	return out, nil
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// undoKey names a set of undo rows: what was shown and what is submitted must match.
func undoKey(rows []UndoRow) string {
	h := sha256.New()
	for _, u := range rows {
		fmt.Fprintf(h, "%d:%s>%s:%s>%s:%s\n", u.ChangeID, u.FromICCID, u.ToICCID, u.FromIMEI, u.ToIMEI, u.Plan)
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}
