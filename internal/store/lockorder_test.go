package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/idswap/idswap/internal/change"
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
	if _, err := db.CancelOpenRows(ctx, f.acme, bulk, "m@acme.example"); err != nil {
		t.Fatal(err)
	}
	bulk2, rows2 := batchOf(t, db, f, f.acme, "m@acme.example", 3, 2, 100)
	at2 := mustClaim(t, db, rows2[0].ID)
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
	if checked < 8 {
		t.Fatalf("only %d transactions wrote rows; the engine steps did not all run", checked)
	}
}
