package process_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify/mailview"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Issue 11: every change ends as the carrier says.

// checkHistory proves that each of the first n lines has exactly one identifier history row.
func (r *rig) checkHistory(n int) {
	r.t.Helper()
	for _, l := range r.lines[:n] {
		hist, err := r.db.IdentifierHistory(context.Background(), r.tenant, l.DeviceID)
		if err != nil || len(hist) != 1 {
			r.t.Errorf("line %s: %d history rows (%v)", l.MDN, len(hist), err)
		}
	}
}

// A carrier slower than the whole old check schedule (3 checks): the rows are asked about
// again and again, stay PROCESSING "waiting for the carrier", and end as the callbacks say.
func TestSlowCarrierNoFalseFailures(t *testing.T) {
	const rows = 5
	r := newRig(t, rows, tssim.Config{})
	r.sim.HoldChanges()
	r.start(nil, func(e *process.Config, q *queue.Config) { e.ConfirmHorizon = time.Hour })
	id := r.batch(change.ChangeICCID, rows)
	// Each check shows the row waiting; the send's own note can land after the first one.
	r.waitFor("every row to be asked about 5 times and shown waiting", func() bool {
		if r.logCount(id, store.LogWaiting) < rows*5 {
			return false
		}
		for _, row := range r.rows(id) {
			if row.Status != change.StatusProcessing {
				t.Fatalf("row %d is %s %q while the carrier holds its change", row.ID, row.Status, row.StatusDetails)
			}
			if !strings.HasPrefix(row.StatusDetails, process.WaitingForCarrier) {
				return false
			}
		}
		return true
	})
	r.sim.ReleaseChanges()
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed || b.Counts.Processed != rows {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	if n := r.logCodes(id)[process.CodeNotConfirmed]; n != 0 {
		t.Errorf("%d rows were failed as not confirmed", n)
	}
	r.checkNothingSentTwice(rows)
	r.checkInventoryMatchesCarrier()
	r.checkHistory(rows)
}

// Callbacks later than the horizon: the rows were given up (API_FAILED, the request ERROR, its
// e-mail sent), and the carrier's Success callbacks correct them: status, inventory, history,
// the request's counts and status, a log entry and a correction e-mail.
func TestCallbacksAfterTheHorizonCorrectTheRows(t *testing.T) {
	const rows = 4
	r := newRig(t, rows, tssim.Config{})
	r.sim.HoldChanges()
	r.start(nil, func(e *process.Config, q *queue.Config) { e.ConfirmHorizon = 300 * time.Millisecond })
	id := r.batch(change.ChangeICCID, rows)
	b := r.waitFinal(id)
	if b.Status != change.BatchError || b.Counts.APIFailed != rows {
		t.Fatalf("before the callbacks: batch %s %+v", b.Status, b.Counts)
	}
	if n := r.logCodes(id)[process.CodeNotConfirmed]; n != rows {
		t.Fatalf("%d rows not confirmed, want %d", n, rows)
	}
	r.sim.ReleaseChanges()
	r.waitFor("the corrections", func() bool {
		b, _ = r.db.BulkChange(context.Background(), 0, id)
		return b.Counts.Processed == rows
	})
	if b.Status != change.BatchProcessed {
		t.Fatalf("after the callbacks: batch %s %+v", b.Status, b.Counts)
	}
	for _, row := range r.rows(id) {
		if row.Status != change.StatusProcessed || !strings.Contains(row.StatusDetails, "corrected") {
			t.Errorf("row %d: %s %q", row.ID, row.Status, row.StatusDetails)
		}
	}
	if n := r.logCount(id, store.LogCorrected); n != rows {
		t.Errorf("%d correction log entries for the request, want %d", n, rows)
	}
	r.checkNothingSentTwice(rows)
	r.checkInventoryMatchesCarrier()
	r.checkHistory(rows)
	r.waitFor("the correction e-mails", func() bool { return len(r.mail.Messages()) == 1+rows })
	corrections := 0
	for _, m := range r.mail.Messages() {
		if strings.Contains(m.Subject, "Correction") {
			corrections++
			if !strings.Contains(m.Text, mailview.CorrectionNote) || !strings.Contains(m.HTML, "email-correction") {
				t.Errorf("the correction e-mail does not say it is one:\n%s", m.Text)
			}
		}
	}
	if corrections != rows {
		t.Errorf("%d correction e-mails, want %d", corrections, rows)
	}
	if c, err := r.db.TruthCounts(context.Background()); err != nil || c.Corrected != rows {
		t.Errorf("truth counts %+v %v", c, err)
	}
}

// An old Failed callback, replayed while a newer row on the same line waits, touches only the
// finished row that owns its request id.
func TestReplayedOldFailureChangesNothing(t *testing.T) {
	r := newRig(t, 1, tssim.Config{})
	r.start(nil, nil)
	r.sim.InjectFault(r.lines[0].SpareICCID, tssim.Fault{Code: codeInUse})
	first := r.batch(change.ChangeICCID, 1)
	if b := r.waitFinal(first); b.Status != change.BatchError {
		t.Fatalf("first batch %s %+v", b.Status, b.Counts)
	}
	old := r.rows(first)[0]
	if old.Status != change.StatusAPIFailed || old.RequestID == "" {
		t.Fatalf("first row %+v", old)
	}

	r.sim.HoldChanges()
	second := r.batch(change.ChangeICCID, 1)
	r.waitFor("the new row to be accepted", func() bool { return r.rows(second)[0].RequestID != "" })
	if !r.sim.ReplayCallback(old.RequestID) {
		t.Fatal("the replayed callback was not acknowledged")
	}
	row := r.rows(second)[0]
	if row.Status != change.StatusProcessing || row.RequestID == old.RequestID {
		t.Fatalf("the waiting row after the replay: %s, request %s (the old one %s)", row.Status, row.RequestID, old.RequestID)
	}
	if again := r.rows(first)[0]; again.Status != old.Status || again.StatusDetails != old.StatusDetails {
		t.Fatalf("the old row changed: %+v", again)
	}
	r.sim.ReleaseChanges()
	if b := r.waitFinal(second); b.Status != change.BatchProcessed {
		t.Fatalf("second batch %s %+v", b.Status, b.Counts)
	}
	if n := r.sim.Stats().ChangeSubmissions[r.lines[0].MDN]; n != 2 {
		t.Errorf("the line got %d change requests, want one per batch", n)
	}
	r.checkInventoryMatchesCarrier()
	r.checkHistory(1)
}

// Forged callbacks — anyone holding the URL and a request id — are stored as rejected,
// answered 401 and change nothing; the genuine ones then finish the rows.
func TestForgedCallbacksAreRejected(t *testing.T) {
	r := newRig(t, 2, tssim.Config{})
	r.sim.HoldChanges()
	r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 2)
	r.waitFor("both rows to be accepted", func() bool {
		rs := r.rows(id)
		return rs[0].RequestID != "" && rs[1].RequestID != ""
	})
	rs := r.rows(id)
	l := r.listener()
	if l.Username == "" || l.Password == "" {
		t.Fatalf("the listener was registered without credentials: %+v", l)
	}
	if reg, ok := r.sim.Listener(account); !ok || reg.Username != l.Username || reg.Password != l.Password {
		t.Fatalf("the carrier has the listener %+v, want the stored credentials", reg)
	}
	forged := []string{
		fmt.Sprintf(`{"requestId":%q,"status":"Success","username":%q,"password":"guess"}`, rs[0].RequestID, l.Username),
		fmt.Sprintf(`{"requestId":%q,"status":"Failed","username":"someone","password":%q,"faultResponse":{"faultcode":"x","faultstring":"forged"}}`,
			rs[1].RequestID, l.Password),
		fmt.Sprintf(`{"requestId":%q,"status":"Failed"}`, rs[1].RequestID),
	}
	for _, body := range forged {
		if code := r.postCallback(body); code != http.StatusUnauthorized {
			t.Fatalf("forged callback %s answered %d, want 401", body, code)
		}
	}
	for _, row := range r.rows(id) {
		if row.Status != change.StatusProcessing {
			t.Fatalf("a forged callback moved row %d to %s", row.ID, row.Status)
		}
	}
	cbs, err := r.db.Callbacks(context.Background(), r.provider)
	if err != nil || len(cbs) != len(forged) {
		t.Fatalf("stored callbacks %+v %v", cbs, err)
	}
	for _, cb := range cbs {
		if cb.Rejected == "" || cb.ChangeID != nil {
			t.Errorf("callback %d stored as %+v, want rejected and linked to no row", cb.ID, cb)
		}
		if strings.Contains(cb.Body, l.Password) {
			t.Errorf("callback %d is stored with the listener's password", cb.ID)
		}
	}
	r.sim.ReleaseChanges()
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.checkNothingSentTwice(2)
	r.checkInventoryMatchesCarrier()
	if c, err := r.db.TruthCounts(context.Background()); err != nil || c.CallbacksRefused != len(forged) {
		t.Errorf("truth counts %+v %v", c, err)
	}
}

// A late Failed callback for a row the carrier's list confirmed is a contradiction no one can
// settle automatically: the row stays PROCESSED and goes on the "needs attention" list.
func TestContradictionNeedsAttention(t *testing.T) {
	r := newRig(t, 1, tssim.Config{DropCallbackRate: 1}) // the list, not a callback, confirms it
	r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 1)
	if b := r.waitFinal(id); b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	// The list can finish the row before the sender has written down the carrier's answer (a
	// loaded machine): the request id is recorded all the same, only later.
	r.waitFor("the request id to be written down", func() bool { return r.rows(id)[0].RequestID != "" })
	row := r.rows(id)[0]
	l := r.listener()
	body := fmt.Sprintf(`{"requestId":%q,"status":"Failed","username":%q,"password":%q,"faultResponse":{"faultcode":"X.FAILED","faultstring":"late failure"}}`,
		row.RequestID, l.Username, l.Password)
	if code := r.postCallback(body); code != http.StatusOK {
		t.Fatalf("answered %d", code)
	}
	list, err := r.db.NeedsAttention(context.Background(), 10)
	if err != nil || len(list) != 1 || list[0].ChangeID != row.ID || !strings.Contains(list[0].Reason, "late failure") {
		t.Fatalf("needs attention: %+v %v", list, err)
	}
	if again := r.rows(id)[0]; again.Status != change.StatusProcessed {
		t.Fatalf("row is %s", again.Status)
	}
	r.checkInventoryMatchesCarrier()
}

// Killed between claiming a row and sending it: after the restart the row is settled by the
// recovery — asked about at once, then sent — not by the check schedule, which here would take
// ten minutes. Nothing is sent twice.
func TestClaimedButNeverSentIsRecoveredAtOnce(t *testing.T) {
	const rows = 6
	r := newRig(t, rows, tssim.Config{})
	first := r.open(t)
	cut := &killSwitch{}
	var killed atomic.Bool
	var rn *running
	var victim atomic.Int64
	var claims atomic.Int32
	rn = r.start(first, func(e *process.Config, q *queue.Config) {
		q.Workers = 1 // one row in flight: the one killed after its claim
		e.HTTPClient = &http.Client{Transport: cut}
		e.Hook = func(ctx context.Context, p string, changeID int64) error {
			if killed.Load() {
				return errKilled
			}
			if p == process.HookClaimed && claims.Add(1) == 3 {
				victim.Store(changeID)
				killed.Store(true)
				cut.dead.Store(true)
				r.current.Store(nil)
				rn.cancel()
				if err := first.Close(); err != nil {
					t.Errorf("closing the killed process's database: %v", err) // Errorf: this runs on the engine's goroutine
				}
				return errKilled
			}
			return nil
		}
	})
	id := r.batch(change.ChangeICCID, rows)
	r.waitFor("the engine to die", killed.Load)
	<-rn.done

	r.start(r.open(t), func(e *process.Config, q *queue.Config) {
		e.CallbackWait, e.CheckInterval = 10*time.Minute, 10*time.Minute // only the recovery can settle the row
	})
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed || b.Counts.Processed != rows {
		for _, row := range r.rows(id) {
			t.Logf("row %d %s %q", row.ID, row.Status, row.StatusDetails)
		}
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	logs, err := r.db.BulkChangeLog(context.Background(), store.LogFilter{BulkChangeID: id})
	if err != nil {
		t.Fatal(err)
	}
	recovered := false
	for _, l := range logs {
		if l.ChangeID == victim.Load() && l.Description == store.LogResend && strings.Contains(l.ResponseText, "never left") {
			recovered = true
		}
	}
	if !recovered {
		t.Errorf("row %d was not recovered at once", victim.Load())
	}
	r.checkNothingSentTwice(rows)
	r.checkInventoryMatchesCarrier()
	r.checkHistory(rows)
}

// With "confirm successes with the carrier" on, a Success callback the carrier's list does not
// (yet) show is not applied; once the list shows the change it is, one lookup a row.
func TestConfirmSuccessesWithTheCarrier(t *testing.T) {
	const rows = 3
	r := newRig(t, rows, tssim.Config{})
	if err := r.db.SetConfirmSuccesses(context.Background(), r.provider, true, "test"); err != nil {
		t.Fatal(err)
	}
	r.sim.HoldChanges()
	r.start(nil, func(e *process.Config, q *queue.Config) { e.CallbackWait = 10 * time.Minute }) // only callbacks settle rows
	id := r.batch(change.ChangeICCID, rows)
	r.waitFor("the rows to be accepted", func() bool { return r.rows(id)[0].RequestID != "" })
	row := r.rows(id)[0]
	l := r.listener()
	// A Success with the right credentials, before the carrier has made the change.
	body := fmt.Sprintf(`{"requestId":%q,"status":"Success","username":%q,"password":%q}`, row.RequestID, l.Username, l.Password)
	if code := r.postCallback(body); code != http.StatusOK {
		t.Fatalf("answered %d", code)
	}
	if again := r.rows(id)[0]; again.Status != change.StatusProcessing {
		t.Fatalf("a Success the carrier's list does not show was applied: %s", again.Status)
	}
	r.sim.ReleaseChanges()
	if b := r.waitFinal(id); b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	if n := r.sim.Stats().Call(tssim.KindListDevices, http.StatusOK); n < rows+1 {
		t.Errorf("%d device lookups, want one a row and one for the early Success", n)
	}
	r.checkNothingSentTwice(rows)
	r.checkInventoryMatchesCarrier()
}

// Rotating the listener re-registers it with a new URL secret and credentials: the old URL is
// gone, and the carrier's callbacks, with the new credentials, finish the rows.
func TestRotateCallbackListener(t *testing.T) {
	r := newRig(t, 2, tssim.Config{})
	rn := r.start(nil, func(e *process.Config, q *queue.Config) { e.CallbackWait = 10 * time.Minute })
	before := r.listener()
	if err := rn.engine.RotateCallback(context.Background(), r.provider, "admin@test"); err != nil {
		t.Fatal(err)
	}
	after := r.listener()
	reg, ok := r.sim.Listener(account)
	if !ok || after.Password == before.Password || reg.Username != after.Username || reg.Password != after.Password ||
		strings.HasSuffix(reg.URL, callbackSecret) {
		t.Fatalf("after the rotation the carrier has %+v; stored %+v (was %+v)", reg, after, before)
	}
	if code := r.postCallback(`{"requestId":"x","status":"Success"}`); code != http.StatusNotFound {
		t.Fatalf("the old URL answered %d, want 404", code)
	}
	id := r.batch(change.ChangeICCID, 2)
	if b := r.waitFinal(id); b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.checkInventoryMatchesCarrier()
}

// After the change the lines are watched: a device that connects with its new SIM is seen
// online since then; one that never connects stays "not seen online yet".
func TestSwappedDevicesSeenOnline(t *testing.T) {
	r := newRig(t, 2, tssim.Config{})
	rn := r.start(nil, func(e *process.Config, q *queue.Config) {
		e.OnlineInterval, e.OnlineHorizon = 50*time.Millisecond, time.Minute
	})
	id := r.batch(change.ChangeICCID, 2)
	if b := r.waitFinal(id); b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	// The device of the first line connects with its new SIM; the second never does.
	at := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	if !r.sim.Connect(r.lines[0].SpareICCID, at) {
		t.Fatal("no such line at the carrier")
	}
	r.waitFor("the first device to be seen online", func() bool {
		on, _, err := r.db.OnlineCounts(context.Background(), id)
		return err == nil && on == 1
	})
	for _, row := range r.rows(id) {
		switch row.ICCID {
		case r.lines[0].ICCID:
			if row.OnlineSince == nil || !row.OnlineSince.Equal(at) {
				t.Errorf("row %d online since %v, want %v", row.ID, row.OnlineSince, at)
			}
		default:
			if row.OnlineSince != nil {
				t.Errorf("row %d seen online at %v, but its device never connected", row.ID, row.OnlineSince)
			}
		}
	}
	if on, notYet, err := r.db.OnlineCounts(context.Background(), id); err != nil || on != 1 || notYet != 1 {
		t.Errorf("online counts %d/%d %v", on, notYet, err)
	}
	if c, err := r.db.TruthCounts(context.Background()); err != nil || c.NotOnline != 1 {
		t.Errorf("truth counts %+v %v", c, err)
	}
	// The result e-mail, as composed now, counts them.
	mails, _, err := r.db.OutboxEmails(context.Background(), 10, 0)
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox %+v %v", mails, err)
	}
	m, err := rn.engine.ComposeEmail(context.Background(), mails[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 of 2 (not seen online yet: 1)"; !strings.Contains(m.Text, "Seen online:  "+want) || !strings.Contains(m.HTML, want) {
		t.Errorf("the e-mail does not count the devices seen online:\n%s", m.Text)
	}
}

// TestAnAnswerNotYetWrittenDownIsNotALostOne: the carrier accepted the change and answered, but
// the sender has not yet written the answer down when the checks find the line unchanged (the
// carrier applies a change after it accepts it). The row is not sent again: the checks wait
// until the sender has surely had its answer. Seen on a loaded machine, where three quick
// checks ran before the answer was recorded and the line got two change requests.
func TestAnAnswerNotYetWrittenDownIsNotALostOne(t *testing.T) {
	r := newRig(t, 1, tssim.Config{})
	r.sim.HoldChanges()
	release := make(chan struct{})
	r.start(nil, func(e *process.Config, q *queue.Config) {
		// No check on its own: the test runs the one that would send again once the change has
		// left. A check that ran before the change left would (rightly) wait out the sender's
		// grace first, and on a loaded machine the test would then be about that wait instead.
		e.CallbackWait, e.CheckInterval = time.Hour, time.Hour
		e.Hook = func(ctx context.Context, p string, changeID int64) error {
			if p == process.HookSent {
				select { // the answer is in, not yet written down
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}
	})
	id := r.batch(change.ChangeICCID, 1)
	r.waitFor("the change to leave", func() bool { return r.sim.Stats().ChangeSubmissions[r.lines[0].MDN] == 1 })
	row := r.rows(id)[0]
	if row.SubmittedDate == nil || row.RequestID != "" {
		t.Fatalf("the row while its answer is held: submitted %v, request %q", row.SubmittedDate, row.RequestID)
	}
	// The Checks-th check of this send, with the line unchanged (the carrier holds the change):
	// the one that would send it again.
	if err := r.db.ScheduleCheck(context.Background(), jobs.CheckChange{BulkChangeID: id, ChangeID: row.ID,
		SubmittedAt: *row.SubmittedDate, Check: 3}, time.Now(), "test", ""); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the check to wait for the answer (or send again)", func() bool {
		if r.sim.Stats().ChangeSubmissions[r.lines[0].MDN] > 1 {
			return true
		}
		logs, err := r.db.BulkChangeLog(context.Background(), store.LogFilter{BulkChangeID: id})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range logs {
			if strings.Contains(l.ResponseText, "answer may still be on its way") {
				return true
			}
		}
		return false
	})
	if n := r.sim.Stats().ChangeSubmissions[r.lines[0].MDN]; n != 1 {
		t.Fatalf("while the answer was on its way the line got %d change requests, want 1", n)
	}
	close(release)
	r.sim.ReleaseChanges()
	if b := r.waitFinal(id); b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.checkNothingSentTwice(1)
	r.checkInventoryMatchesCarrier()
}
