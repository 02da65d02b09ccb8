package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// TestWriteTransactionsLockTheBatchBeforeItsRows runs every engine step on a batch and reads
// the statements of each committed transaction: one that writes a batch's rows (or their log)
// and its batch writes the batch first. Two steps that took the two the other way round would
// deadlock each other on SQL Server (review finding 2); the order is the same on SQLite, so it
// is checked here.
func TestWriteTransactionsLockTheBatchBeforeItsRows(t *testing.T) {
	ctx := context.Background()
	db := mustOpenSQLite(t)
	f := mustSeed(t, db)
	var mu sync.Mutex
	var txs [][]string
	db.TraceTransactions(func(stmts []string) {
		mu.Lock()
		defer mu.Unlock()
		txs = append(txs, stmts)
	})

	bulk, rows := mustBatch(t, db, f, 3)
	at := mustClaim(t, db, rows[0].ID)
	if ok, err := db.ReturnChange(ctx, store.ReturnedChange{ChangeID: rows[0].ID, SubmittedAt: at, Details: "refused", By: "engine",
		Logs: []store.LogEntry{{Description: store.LogWaiting, ResponseStatus: store.LogStatusError}}}); err != nil || !ok {
		t.Fatalf("return: %v %v", ok, err)
	}
	mustSend(t, db, rows[0].ID, "req-1", store.LogEntry{Description: store.LogWaiting, ResponseStatus: store.LogStatusProcessing})
	if _, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: rows[0].ID, From: change.StatusProcessing,
		To: change.StatusProcessed, RequestID: "req-1", By: "engine"}); err != nil {
		t.Fatal(err)
	}
	mustFinish(t, db, rows[1].ID, change.StatusAPIFailed)
	if _, err := db.CancelOpenRows(ctx, f.acme, bulk, "m@acme.example"); err != nil {
		t.Fatal(err)
	}
	// The carrier's later word on the finished batch: a correction, then a contradiction.
	if c, err := db.CorrectChange(ctx, store.CorrectedChange{ChangeID: rows[1].ID, From: change.StatusAPIFailed,
		To: change.StatusProcessed, Details: "the carrier says it changed", By: "engine"}); err != nil || !c.Done {
		t.Fatalf("correct: %+v %v", c, err)
	}
	if err := db.FlagChange(ctx, rows[0].ID, "the carrier said both", 0, "engine"); err != nil {
		t.Fatal(err)
	}
	bulk2, rows2 := batchOf(t, db, f, f.acme, "m@acme.example", 3, 2, 100)
	at2 := mustClaim(t, db, rows2[0].ID)
	if err := db.ScheduleCheck(ctx, jobs.CheckChange{BulkChangeID: bulk2, ChangeID: rows2[0].ID, SubmittedAt: at2, Check: 2},
		time.Now().Add(time.Minute), "engine", "waiting for the carrier",
		store.LogEntry{Description: store.LogWaiting, ResponseStatus: store.LogStatusProcessing}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FailBulkChange(ctx, store.BatchFailure{BulkChangeID: bulk2, Reason: "no", ErrorCode: "X",
		ChangeID: rows2[0].ID, SubmittedAt: at2, By: "engine"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetryBulkChange(ctx, 0, bulk2, "admin@example.com", ""); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	checked := 0
	for _, stmts := range txs {
		batchWrite, rowWrite := -1, -1
		for i, q := range stmts {
			q = strings.TrimSpace(q)
			switch {
			case strings.HasPrefix(q, "UPDATE DeviceBulkChange"), strings.HasPrefix(q, "INSERT INTO DeviceBulkChange "):
				if batchWrite < 0 {
					batchWrite = i
				}
			case strings.HasPrefix(q, "UPDATE M2M_DeviceChange"), strings.HasPrefix(q, "INSERT INTO M2M_DeviceChange"),
				strings.HasPrefix(q, "INSERT INTO M2MDeviceBulkChangeLog"):
				if rowWrite < 0 {
					rowWrite = i
				}
			}
		}
		if rowWrite < 0 {
			continue
		}
		checked++
		if batchWrite < 0 || batchWrite > rowWrite {
			t.Errorf("a transaction writes a row before (or without) locking its batch:\n  %s", strings.Join(stmts, "\n  "))
		}
	}
	if checked < 12 {
		t.Fatalf("only %d transactions wrote rows; the engine steps did not all run", checked)
	}
}
