package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

func TestNeedsAttentionListAndClear(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		_, rows := mustBatch(t, db, f, 2)
		if err := db.FlagChange(ctx, rows[1].ID, "the carrier said both", 0, "engine"); err != nil {
			t.Fatal(err)
		}
		list, err := db.NeedsAttention(ctx, 10)
		if err != nil || len(list) != 1 || list[0].ChangeID != rows[1].ID || list[0].Reason != "the carrier said both" {
			t.Fatalf("needs attention %+v %v", list, err)
		}
		if c, err := db.TruthCounts(ctx); err != nil || c.Attention != 1 {
			t.Fatalf("counts %+v %v", c, err)
		}
		if err := db.ClearAttention(ctx, rows[1].ID, store.Actor{Name: "admin@x"}); err != nil {
			t.Fatal(err)
		}
		if err := db.ClearAttention(ctx, rows[1].ID, store.Actor{Name: "admin@x"}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("clearing twice: %v", err)
		}
		if list, err := db.NeedsAttention(ctx, 10); err != nil || len(list) != 0 {
			t.Fatalf("after clearing: %+v %v", list, err)
		}
	})
}

// A claimed row's change may leave only while its claim stands.
func TestMarkSentOnlyForTheCurrentClaim(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		_, rows := mustBatch(t, db, f, 1)
		at := mustClaim(t, db, rows[0].ID)
		if ok, err := db.MarkSent(ctx, rows[0].ID, at.Add(time.Millisecond)); err != nil || ok {
			t.Fatalf("another claim's mark: %v %v", ok, err)
		}
		if ok, err := db.ReturnChange(ctx, store.ReturnedChange{ChangeID: rows[0].ID, SubmittedAt: at, By: "engine"}); err != nil || !ok {
			t.Fatalf("return: %v %v", ok, err)
		}
		if ok, err := db.MarkSent(ctx, rows[0].ID, at); err != nil || ok {
			t.Fatalf("a returned claim was marked sent: %v %v", ok, err)
		}
		at = mustClaim(t, db, rows[0].ID)
		if ok, err := db.MarkSent(ctx, rows[0].ID, at); err != nil || !ok {
			t.Fatalf("the current claim: %v %v", ok, err)
		}
		w, err := db.ChangeWork(ctx, rows[0].ID)
		if err != nil || w.SentDate == nil || w.Status != change.StatusProcessing {
			t.Fatalf("row %+v %v", w, err)
		}
	})
}
