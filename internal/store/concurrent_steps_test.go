package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// What the carrier does with a row in TestConcurrentEngineStepsOnOneBatch, by the row's place
// modulo 6.
const (
	carrierChanges    = iota // accepted; the callback and the first check both say changed
	carrierFails             // accepted; the callback says failed (the checks wait for it)
	carrierRefuses           // refused as invalid: API_FAILED at once
	carrierBusyOnce          // not taken on the first send (429): sent again, then changed
	carrierSilent            // the answer is lost; the check finds the line changed
	carrierChangesToo        // as carrierChanges; one of them (engineRig.trigger) fails the whole batch once
	carrierScripts
)

// engineRig plays the engine's steps on one batch from several goroutines, taking its work from
// the store's own job queue as the engine's workers do (internal/process: submit.go, check.go,
// callback.go), and notes every outcome for the checks at the end.
type engineRig struct {
	t      *testing.T
	db     *store.DB
	script map[int64]int // row id → carrier script
	// trigger is the row whose first claim finds the credentials missing: the batch fails.
	trigger int64
	failed  chan struct{} // closed when the whole batch has been failed
	failMu  sync.Once
	fails   atomic.Bool

	mu          sync.Mutex
	done        map[int64][]change.Status // the finishes that moved each row
	completions int                       // completions returned by FinishChange and FailBulkChange
}

// step fails the test on an error an engine step should never return: not-ok answers and the
// Conflicts of a pause, resume or retry that came at the wrong moment are the expected ones,
// and the callers drop those before calling step.
func (r *engineRig) step(what string, err error) {
	if err != nil {
		r.t.Errorf("%s: %v", what, err)
	}
}

// finished notes a finish that moved a row (Done) as what moved it to status to.
func (r *engineRig) finished(f store.Finish, err error, what string, to change.Status) {
	r.step(what, err)
	if err != nil || !f.Done {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[f.Row.ID] = append(r.done[f.Row.ID], to)
	if f.Completion != nil {
		r.completions++
	}
}

func (r *engineRig) finish(ctx context.Context, id int64, at *time.Time, to change.Status, logs ...store.LogEntry) {
	res, err := r.db.FinishChange(ctx, store.FinishedChange{ChangeID: id, From: change.StatusProcessing, SubmittedAt: at,
		To: to, Details: "decided", Logs: logs, By: "engine"})
	r.finished(res, err, fmt.Sprintf("finish %d as %s", id, to), to)
}

// submit is a jobs.KindSubmitChange: claim, mark sent, send, and what the answer leads to.
func (r *engineRig) submit(ctx context.Context, p jobs.SubmitChange) {
	at, ok, err := r.db.ClaimChange(ctx, p.ChangeID, "engine", 0, p.Resend)
	if r.step(fmt.Sprint("claim ", p.ChangeID), err); err != nil || !ok {
		return // cancelled, held by a pause, or another job has it
	}
	script := r.script[p.ChangeID]
	if p.ChangeID == r.trigger && r.fails.CompareAndSwap(false, true) {
		// The credentials turned out to be missing after the claim: the whole batch fails,
		// this row with it, unsent.
		res, err := r.db.FailBulkChange(ctx, store.BatchFailure{BulkChangeID: p.BulkChangeID, Reason: "Authentication credentials not found",
			ErrorCode: "CREDENTIALS_NOT_FOUND", ChangeID: p.ChangeID, SubmittedAt: at, By: "engine"})
		r.step("fail the batch", err)
		if res.Completion != nil {
			r.mu.Lock()
			r.completions++
			r.mu.Unlock()
		}
		r.failMu.Do(func() { close(r.failed) })
		return
	}
	if ok, err := r.db.MarkSent(ctx, p.ChangeID, at); err != nil || !ok {
		r.step(fmt.Sprint("mark sent ", p.ChangeID), err)
		return // the attempt is over: nothing leaves
	}
	switch {
	case script == carrierRefuses:
		r.finish(ctx, p.ChangeID, &at, change.StatusAPIFailed, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true, ErrorCode: "INVALID"})
	case script == carrierBusyOnce && p.Resend == 0:
		_, err := r.db.ReturnChange(ctx, store.ReturnedChange{ChangeID: p.ChangeID, SubmittedAt: at, Details: "Waiting to send again: 429",
			Resend: 1, By: "engine", Logs: []store.LogEntry{{Description: store.LogCarrierBusy, HasErrors: true, ErrorCode: "429"}}})
		r.step(fmt.Sprint("return ", p.ChangeID), err)
	case script == carrierSilent:
		r.step("log the lost answer", r.db.AddLogs(ctx, store.LogEntry{BulkChangeID: p.BulkChangeID, ChangeID: p.ChangeID,
			Description: store.LogWaiting, ResponseStatus: store.LogStatusProcessing, ProcessedBy: "engine"}))
	default: // accepted; the carrier's callback follows at once
		req := fmt.Sprint("req-", p.ChangeID, "-", at.UnixMilli())
		r.step(fmt.Sprint("record sent ", p.ChangeID), r.db.RecordSent(ctx, p.ChangeID, req, "engine"))
		to := change.StatusProcessed
		if script == carrierFails {
			to = change.StatusAPIFailed
		}
		res, err := r.db.FinishChange(ctx, store.FinishedChange{ChangeID: p.ChangeID, From: change.StatusProcessing, To: to,
			RequestID: req, Details: "callback", By: "engine"})
		r.finished(res, err, fmt.Sprintf("callback %d as %s", p.ChangeID, to), to)
	}
}

// check is a jobs.KindCheckChange: it decides only about its own attempt.
func (r *engineRig) check(ctx context.Context, p jobs.CheckChange) {
	row, err := r.db.DeviceChange(ctx, p.ChangeID)
	if r.step("read the row", err); err != nil {
		return
	}
	if row.Status != change.StatusProcessing || row.SubmittedDate == nil || !row.SubmittedDate.Equal(p.SubmittedAt) {
		return
	}
	s := r.script[p.ChangeID]
	if row.SentDate == nil || s == carrierFails || s == carrierRefuses || (s == carrierBusyOnce && p.Resend == 0) {
		// The line has not changed (the change has not left yet, or the carrier did not make
		// it): ask again later; the callback or the sender's next step decides.
		next := p
		next.Check++
		r.step("schedule a check", r.db.ScheduleCheck(ctx, next, time.Now(), "engine", "waiting for the carrier"))
		return
	}
	r.finish(ctx, p.ChangeID, &p.SubmittedAt, change.StatusProcessed, store.LogEntry{Description: store.LogCarrierCheck})
}

// work takes jobs until the control has finished and no submit or check is queued or running.
func (r *engineRig) work(ctx context.Context, name string, control *atomic.Bool) {
	for ctx.Err() == nil {
		js, err := r.db.ClaimJobs(ctx, name, time.Minute, 1)
		if r.step("claim jobs", err); err != nil {
			return
		}
		if len(js) == 0 {
			if control.Load() && r.idle(ctx) {
				return
			}
			// A claim is a write: an idle worker polling every millisecond would starve the
			// others of SQLite's one write lock (the engine sleeps until a job is queued).
			time.Sleep(10 * time.Millisecond)
			continue
		}
		j := js[0]
		switch j.Kind {
		case jobs.KindSubmitChange:
			var p jobs.SubmitChange
			r.step("decode", json.Unmarshal([]byte(j.Payload), &p))
			r.submit(ctx, p)
		case jobs.KindCheckChange:
			var p jobs.CheckChange
			r.step("decode", json.Unmarshal([]byte(j.Payload), &p))
			r.check(ctx, p)
		}
		r.step("complete job", r.db.CompleteJob(ctx, j.ID, j.Token))
	}
}

// idle: no submit or check is running or queued (running read first: a job's handler queues
// what follows it before its job completes).
func (r *engineRig) idle(ctx context.Context) bool {
	n := 0
	for _, status := range []string{store.JobRunning, store.JobQueued} {
		for _, kind := range []string{jobs.KindSubmitChange, jobs.KindCheckChange} {
			k, err := r.db.CountJobsOfKind(ctx, kind, status)
			r.step("count jobs", err)
			n += k
		}
	}
	return n == 0
}

// allowConflict drops the Conflict a pause, resume or retry gets when the batch is not in a
// state it applies to (paused, failed, finished) at that moment.
func (r *engineRig) allowConflict(what string, err error) {
	if !apperr.Is(err, apperr.Conflict) {
		r.step(what, err)
	}
}

// TestConcurrentEngineStepsOnOneBatch runs the engine's steps on the rows of one batch from
// four workers at once — claims, marks, sends recorded, returns, callbacks racing the checks,
// a failure of the whole batch — while a user pauses and resumes it, an admin retries it and
// the user cancels what is left. Whatever the interleaving, each row ends once, in the status
// its carrier script and the successful steps say; the counts are the rows'; the batch
// completes once per run (once, and once more only after a retry reopened it), each completion
// with its result e-mail; and no step returns an error (on SQL Server: no deadlock gets
// through withRetry). On SQLite the writers queue on the database lock, so this proves the
// invariants; on SQL Server (IDSWAP_MSSQL_DSN) the steps really run at once.
func TestConcurrentEngineStepsOnOneBatch(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		const n = 48
		f := mustSeedDevices(t, db, n, 2)
		bulk, rows := batchOf(t, db, f, f.acme, "m@acme.example", 0, n, 0)
		r := &engineRig{t: t, db: db, script: map[int64]int{}, failed: make(chan struct{}), done: map[int64][]change.Status{}}
		for i, row := range rows {
			r.script[row.ID] = i % carrierScripts
		}
		// Rows are sent roughly in order (their turns): the failure comes with half of them done.
		r.trigger = rows[n/2+carrierChangesToo].ID

		// How many rows a retry, a resume or a cancel takes depends on the interleaving: so
		// do the lengths of their statements' lists, kept out of the statement record.
		t.Cleanup(store.SuspendStatementRecord())
		var controlDone atomic.Bool
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.work(ctx, fmt.Sprint("worker-", w), &controlDone)
			}()
		}
		// The user pauses and resumes while the rows go out; the failure of the batch comes
		// when the first carrierChangesToo row is claimed; the admin retries it; then the user
		// cancels whatever has not been sent.
		for range 3 {
			r.allowConflict("pause", db.PauseBulkChange(ctx, f.acme, bulk, "m@acme.example", ""))
			time.Sleep(3 * time.Millisecond)
			_, err := db.ResumeBulkChange(ctx, f.acme, bulk, "m@acme.example", "")
			r.allowConflict("resume", err)
		}
		select {
		case <-r.failed:
		case <-ctx.Done():
			t.Fatal("the batch was never failed")
		}
		retried, err := db.RetryBulkChange(ctx, 0, bulk, "admin@example.com", "")
		r.allowConflict("retry", err)
		// The user cancels once three quarters of the rows have ended.
		for {
			b, err := db.BulkChange(ctx, 0, bulk)
			if err != nil {
				t.Fatal(err)
			}
			if b.Counts.Open() <= n/4 || ctx.Err() != nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancelled, err := db.CancelOpenRows(ctx, f.acme, bulk, "m@acme.example")
		r.step("cancel", err)
		controlDone.Store(true)
		wg.Wait()
		if ctx.Err() != nil {
			t.Fatal("the workers did not finish in time")
		}
		t.Logf("retried %d rows, cancelled %d, %d completions returned", retried, cancelled, r.completions)

		// Every row is final, once, as its script and the steps say.
		counts, got := countStatuses(t, db, bulk)
		if counts.Total != n || counts.Open() != 0 {
			t.Fatalf("rows: %+v", counts)
		}
		cands, err := db.UndoCandidates(ctx, bulk)
		if err != nil || len(cands) != n {
			t.Fatalf("undo candidates: %d %v", len(cands), err)
		}
		for i, row := range got {
			done := r.done[row.ID]
			want := change.StatusProcessed
			if s := r.script[row.ID]; s == carrierFails || s == carrierRefuses {
				want = change.StatusAPIFailed
			}
			switch row.Status {
			case change.StatusCancelled:
				// Only a row whose change never left may be withdrawn.
				if len(done) != 0 || row.SentDate != nil || row.SubmittedDate != nil {
					t.Errorf("row %d is cancelled after finishing as %v, or sent at %v (claimed %v)", row.ID, done, row.SentDate, row.SubmittedDate)
				}
			case want:
				if len(done) != 1 || done[0] != want {
					t.Errorf("row %d is %s; the finishes that moved it: %v", row.ID, row.Status, done)
				}
			default:
				t.Errorf("row %d (script %d) is %s (%s); finishes %v", row.ID, r.script[row.ID], row.Status, row.StatusDetails, done)
			}
			// The inventory was swapped for the rows changed, and for no other.
			if changed := cands[i].DeviceICCID == row.NewICCID; changed != (row.Status == change.StatusProcessed) {
				t.Errorf("row %d is %s; its device has ICCID %s", row.ID, row.Status, cands[i].DeviceICCID)
			}
		}
		for id, done := range r.done {
			if len(done) > 1 {
				t.Errorf("row %d was finished %d times: %v", id, len(done), done)
			}
		}

		// The batch's counts and status are its rows'.
		b, err := db.BulkChange(ctx, 0, bulk)
		if err != nil {
			t.Fatal(err)
		}
		from := change.BatchProcessing
		if b.Status == change.BatchError {
			from = change.BatchError
		}
		if outcome, ok := counts.Outcome(from); !ok || b.Status != outcome || b.Counts != counts || b.ProcessedDate == nil {
			t.Fatalf("batch %s %+v (processed %v); its rows %+v", b.Status, b.Counts, b.ProcessedDate, counts)
		}

		// It completed once per run: a completion only after a retry reopened it, and once at the
		// end; each completion wrote its audit event and its result e-mail.
		log, err := db.BulkChangeLog(ctx, store.LogFilter{BulkChangeID: bulk, BatchOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		completes, open := 0, true
		for _, e := range log {
			switch e.Description {
			case store.LogComplete:
				if !open {
					t.Errorf("the batch completed twice without a retry between: %+v", log)
				}
				completes, open = completes+1, false
			case store.LogRetry:
				open = true
			}
		}
		if open {
			t.Errorf("the batch did not complete after its last retry")
		}
		acts, err := db.AuditActionsOf(ctx, "DeviceBulkChange", fmt.Sprint(bulk))
		if err != nil {
			t.Fatal(err)
		}
		audited := 0
		for _, a := range acts {
			if a == string(store.ActionBulkChangeComplete)+" by engine" || a == string(store.ActionBulkChangeComplete)+" by m@acme.example" {
				audited++
			}
		}
		if e := outboxOf(t, db, bulk); completes == 0 || audited != completes || e != completes || r.completions > completes {
			t.Fatalf("completions: %d logged, %d audited, %d e-mails, %d returned", completes, audited, e, r.completions)
		}
		t.Logf("rows %+v; batch %s, completed %d times", counts, b.Status, completes)
		if !r.idle(ctx) {
			t.Fatal("work was left in the queue")
		}
	})
}
