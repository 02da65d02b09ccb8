package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// mustBatch makes an Acme request of n ICCID changes of its first devices (see batchOf).
func mustBatch(t *testing.T, db *store.DB, f fixture, n int) (int64, []store.DeviceChange) {
	t.Helper()
	return batchOf(t, db, f, f.acme, "m@acme.example", 0, n, 0)
}

func mustClaim(t *testing.T, db *store.DB, id int64) time.Time {
	t.Helper()
	at, ok, err := db.ClaimChange(context.Background(), id, "engine", time.Minute, 0)
	if err != nil || !ok {
		t.Fatalf("claim %d: %v %v", id, ok, err)
	}
	return at
}

// mustSend moves a NEW row to PROCESSING the way the engine sends it: claimed, then recorded as
// accepted by the carrier under requestID, with the log of the call.
func mustSend(t *testing.T, db *store.DB, id int64, requestID string, logs ...store.LogEntry) {
	t.Helper()
	mustClaim(t, db, id)
	if err := db.RecordSent(context.Background(), id, requestID, "engine", logs...); err != nil {
		t.Fatalf("record %d sent: %v", id, err)
	}
}

// mustFinish ends a row with a final status the way the engine does (FinishChange), with the
// log of what decided it; a row still NEW is sent first, as request "req-<id>". A batch whose
// last open row this was completes, with its result e-mail queued.
func mustFinish(t *testing.T, db *store.DB, id int64, to change.Status, logs ...store.LogEntry) store.Finish {
	t.Helper()
	ctx := context.Background()
	c, err := db.DeviceChange(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status == change.StatusNew {
		mustSend(t, db, id, fmt.Sprint("req-", id))
	}
	res, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: id, From: change.StatusProcessing, To: to, Logs: logs, By: "engine"})
	if err != nil || !res.Done {
		t.Fatalf("finish %d as %s: %+v %v", id, to, res, err)
	}
	return res
}

func TestClaimMarksTheRowSentBeforeTheCall(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		bulk, rows := mustBatch(t, db, f, 3)
		at := mustClaim(t, db, rows[0].ID)
		if _, ok, err := db.ClaimChange(ctx, rows[0].ID, "engine", time.Minute, 0); err != nil || ok {
			t.Fatalf("a claimed row was claimed again: %v %v", ok, err)
		}
		c, _ := db.DeviceChange(ctx, rows[0].ID)
		if c.Status != change.StatusProcessing || c.SubmittedDate == nil || !c.SubmittedDate.Equal(at) {
			t.Fatalf("claimed row: %s %v", c.Status, c.SubmittedDate)
		}
		b, _ := db.BulkChange(ctx, 0, bulk)
		if b.Status != change.BatchProcessing {
			t.Fatalf("batch after the first claim: %s", b.Status)
		}
		// The claim scheduled the attempt's first check.
		if n, _ := db.CountJobs(ctx, store.JobQueued); n != 3+1 {
			t.Fatalf("queued jobs after one claim: %d, want 3 submits and 1 check", n)
		}

		// Cancelling takes the unsent rows only.
		n, err := db.CancelOpenRows(ctx, f.acme, bulk, "m@acme.example")
		if err != nil || n != 2 {
			t.Fatalf("cancel: %d %v", n, err)
		}
		if _, err := db.CancelOpenRows(ctx, f.globex, bulk, "x"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant's cancel: %v", err)
		}
		if _, ok, _ := db.ClaimChange(ctx, rows[1].ID, "engine", time.Minute, 0); ok {
			t.Fatal("a cancelled row was claimed")
		}
		b, _ = db.BulkChange(ctx, 0, bulk)
		if b.Status != change.BatchProcessing || b.Counts.Cancelled != 2 || b.Counts.Processing != 1 {
			t.Fatalf("batch with a row in flight: %s %+v", b.Status, b.Counts)
		}

		// The row in flight finishes; then the batch completes with an e-mail.
		res, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: rows[0].ID, From: change.StatusProcessing,
			To: change.StatusProcessed, Details: "done", RequestID: "req-1", By: "engine"})
		if err != nil || !res.Done || res.Completion == nil {
			t.Fatalf("finish: %+v %v", res, err)
		}
		// One row changed and two cancelled is not "all changed" (change.Counts.Outcome).
		if res.Completion.Status != change.BatchProcessedWithErrors || res.Completion.Counts.Processed != 1 ||
			res.Completion.Counts.Cancelled != 2 {
			t.Fatalf("completion %+v", res.Completion)
		}
		d, err := db.DeviceByID(ctx, f.acme, *rows[0].DeviceID)
		if err != nil || d.ICCID != rows[0].NewICCID {
			t.Fatalf("device after finish: %+v %v", d, err)
		}
		// The completion writes the e-mail due and unaddressed: the e-mail job chooses its
		// recipients and subject (process.SendEmail), from the parties the store reads.
		mail, err := db.OutboxEmail(ctx, res.Completion.OutboxID)
		if err != nil || mail.Status != store.EmailQueued || mail.Addressed() || mail.To != "" || mail.Subject != "" ||
			mail.BulkStatus != change.BatchProcessedWithErrors || mail.BulkChangeID == nil || *mail.BulkChangeID != bulk {
			t.Fatalf("outbox: %+v %v", mail, err)
		}
		who, err := db.ResultParties(ctx, bulk)
		if err != nil || who.Requester != "m@acme.example" || who.Notify != "ops@example.com" {
			t.Fatalf("parties: %+v %v", who, err)
		}
		subject := fmt.Sprintf("Bulk change %d: 1 of 3 changed, 2 cancelled", bulk)
		mail, err = db.AddressEmail(ctx, mail.ID, []string{"m@acme.example", "ops@example.com"}, who.From, subject)
		if err != nil || !mail.Addressed() || mail.To != "m@acme.example, ops@example.com" || mail.Subject != subject {
			t.Fatalf("addressed: %+v %v", mail, err)
		}
		// A second attempt (after a crash) keeps the first address, so it sends the same message.
		again, err := db.AddressEmail(ctx, mail.ID, []string{"someone@else.example"}, "", "another subject")
		if err != nil || again.To != mail.To || again.Subject != subject {
			t.Fatalf("addressed again: %+v %v", again, err)
		}
	})
}

func TestFinishingTwiceChangesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		_, rows := mustBatch(t, db, f, 2)
		mustClaim(t, db, rows[0].ID)
		fin := store.FinishedChange{ChangeID: rows[0].ID, From: change.StatusProcessing, To: change.StatusProcessed, By: "engine"}
		if res, err := db.FinishChange(ctx, fin); err != nil || !res.Done || res.Completion != nil {
			t.Fatalf("first finish: %+v %v", res, err)
		}
		if res, err := db.FinishChange(ctx, fin); err != nil || res.Done {
			t.Fatalf("second finish: %+v %v", res, err)
		}
		hist, err := db.IdentifierHistory(ctx, f.acme, *rows[0].DeviceID)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history rows: %d %v", len(hist), err)
		}
	})
}

func TestACheckOnlyDecidesItsOwnAttempt(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		_, rows := mustBatch(t, db, f, 1)
		first := mustClaim(t, db, rows[0].ID)
		if ok, err := db.ReturnChange(ctx, store.ReturnedChange{ChangeID: rows[0].ID, SubmittedAt: first, Resend: 1, By: "engine"}); err != nil || !ok {
			t.Fatalf("return: %v %v", ok, err)
		}
		c, _ := db.DeviceChange(ctx, rows[0].ID)
		if c.Status != change.StatusNew || c.SubmittedDate != nil {
			t.Fatalf("returned row: %s %v", c.Status, c.SubmittedDate)
		}
		time.Sleep(2 * time.Millisecond) // a later attempt has a later SubmittedDate
		second := mustClaim(t, db, rows[0].ID)
		stale := store.FinishedChange{ChangeID: rows[0].ID, From: change.StatusProcessing, SubmittedAt: &first,
			To: change.StatusAPIFailed, By: "engine"}
		if res, err := db.FinishChange(ctx, stale); err != nil || res.Done {
			t.Fatalf("a check of the first attempt decided the second: %+v %v", res, err)
		}
		stale.SubmittedAt = &second
		if res, err := db.FinishChange(ctx, stale); err != nil || !res.Done {
			t.Fatalf("the second attempt's check: %+v %v", res, err)
		}
		// The resend was queued with its count.
		queued, _, err := db.Jobs(ctx, store.JobQueued, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		resends := 0
		for _, j := range queued {
			if j.Kind == jobs.KindSubmitChange {
				var p jobs.SubmitChange
				if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
					t.Fatal(err)
				}
				if p.Resend == 1 {
					resends++
				}
			}
		}
		if resends != 1 {
			t.Fatalf("resend jobs: %d", resends)
		}
	})
}

func TestABatchThatCannotRunFailsAndCanBeRetried(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		bulk, rows := mustBatch(t, db, f, 3)
		at := mustClaim(t, db, rows[0].ID)
		res, err := db.FailBulkChange(ctx, store.BatchFailure{BulkChangeID: bulk, Reason: "Write operations are disabled",
			ErrorCode: "WRITES_DISABLED", ChangeID: rows[0].ID, SubmittedAt: at, By: "engine"})
		if err != nil || len(res.Rows) != 3 || res.Completion == nil || res.Completion.Status != change.BatchError {
			t.Fatalf("fail: %+v %v", res, err)
		}
		b, _ := db.BulkChange(ctx, 0, bulk)
		if b.Status != change.BatchError || b.StatusDetails != "Write operations are disabled" || b.Counts.Error != 3 {
			t.Fatalf("failed batch: %s %q %+v", b.Status, b.StatusDetails, b.Counts)
		}
		if n, err := db.UnsentFailedRows(ctx, bulk); err != nil || n != 3 {
			t.Fatalf("UnsentFailedRows of the failed batch: %d %v, want 3", n, err)
		}
		if _, err := db.RetryBulkChange(ctx, f.globex, bulk, "admin", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant's retry: %v", err)
		}
		n, err := db.RetryBulkChange(ctx, 0, bulk, "admin@example.com", "127.0.0.1")
		if err != nil || n != 3 {
			t.Fatalf("retry: %d %v", n, err)
		}
		b, _ = db.BulkChange(ctx, 0, bulk)
		if b.Status != change.BatchProcessing || b.StatusDetails != "" || b.ProcessedDate != nil || b.Counts.New != 3 {
			t.Fatalf("retried batch: %s %q %+v", b.Status, b.StatusDetails, b.Counts)
		}
		if n, err := db.UnsentFailedRows(ctx, bulk); err != nil || n != 0 {
			t.Fatalf("UnsentFailedRows after the retry: %d %v, want 0", n, err)
		}
		if _, err := db.RetryBulkChange(ctx, 0, bulk, "admin@example.com", ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("retry of a running batch: %v", err)
		}
		logs, err := db.BulkChangeLog(ctx, store.LogFilter{BulkChangeID: bulk})
		if err != nil {
			t.Fatal(err)
		}
		var descs []string
		for _, l := range logs {
			descs = append(descs, l.Description)
		}
		want := []string{store.LogBatchFailed, store.LogComplete, store.LogRetry}
		if len(descs) != len(want) || descs[0] != want[0] || descs[1] != want[1] || descs[2] != want[2] {
			t.Fatalf("log: %v, want %v", descs, want)
		}
		if logs[0].ErrorCode != "WRITES_DISABLED" || !logs[0].HasErrors || logs[0].ResponseStatus != store.LogStatusError {
			t.Fatalf("failure log entry: %+v", logs[0])
		}
	})
}

func TestCallbacksAreStoredAndMatched(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		_, rows := mustBatch(t, db, f, 2)
		// A callback stored before any row was sent settles none of them by the line.
		early, err := db.LogCallback(ctx, store.CallbackRecord{ServiceProviderID: f.provider, RequestID: "early", Body: `{}`})
		if err != nil {
			t.Fatal(err)
		}
		mustClaim(t, db, rows[0].ID)
		mustClaim(t, db, rows[1].ID)
		if _, _, err := db.ChangeForCallback(ctx, f.provider, early, "early", rows[1].ICCID, ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("a callback older than the send matched by the line: %v", err)
		}
		if err := db.RecordSent(ctx, rows[0].ID, "req-0", "engine"); err != nil {
			t.Fatal(err)
		}
		logID, err := db.LogCallback(ctx, store.CallbackRecord{ServiceProviderID: f.provider, RequestID: "req-0", Status: "Success", Body: `{"x":1}`, Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		c, byLine, err := db.ChangeForCallback(ctx, f.provider, logID, "req-0", rows[1].ICCID, "")
		if err != nil || c.ID != rows[0].ID || byLine {
			t.Fatalf("by request id, before the line's identifiers: %+v %v %v", c, byLine, err)
		}
		if _, _, err := db.ChangeForCallback(ctx, f.provider+1, logID, "req-0", "", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another provider's request id: %v", err)
		}
		// The second row has no request id yet: its line's identifiers find it.
		c, byLine, err = db.ChangeForCallback(ctx, f.provider, logID, "unknown", "", rows[1].IMEI)
		if err != nil || c.ID != rows[1].ID || !byLine {
			t.Fatalf("by identifiers: %+v %v %v", c, byLine, err)
		}
		if _, _, err := db.ChangeForCallback(ctx, f.provider, logID, "unknown", rows[0].ICCID, ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("a row with a request id matched by identifiers: %v", err)
		}
		if _, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: rows[0].ID, From: change.StatusProcessing,
			To: change.StatusProcessed, CallbackLogID: logID, By: "engine"}); err != nil {
			t.Fatal(err)
		}
		// A replay of the finished request's callback, naming the line of the row still
		// waiting: it belongs to its finished row, never to the waiting one.
		if c, byLine, err := db.ChangeForCallback(ctx, f.provider, logID, "req-0", rows[1].ICCID, rows[1].IMEI); err != nil || c.ID != rows[0].ID || byLine {
			t.Fatalf("a replayed callback found %+v (by line %v) %v, want its finished row", c, byLine, err)
		}
		// A carrier that hands out a request id again: the open row is the one meant.
		if err := db.RecordSent(ctx, rows[1].ID, "req-0", "engine"); err != nil {
			t.Fatal(err)
		}
		if c, _, err := db.ChangeForCallback(ctx, f.provider, logID, "req-0", "", ""); err != nil || c.ID != rows[1].ID {
			t.Fatalf("a reused request id found %+v %v, want the open row", c, err)
		}
		cbs, err := db.Callbacks(ctx, f.provider)
		if err != nil || len(cbs) != 2 || cbs[1].Body != `{"x":1}` || cbs[1].ChangeID == nil || *cbs[1].ChangeID != rows[0].ID || cbs[1].Processed == nil {
			t.Fatalf("stored callbacks: %+v %v", cbs, err)
		}
	})
}
