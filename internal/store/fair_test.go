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

// claimOrder names each claimed job by what it is: "R/k" for the submit of the k-th row (from
// 1) of the request named R in names, or its kind.
func claimOrder(t *testing.T, rowsOf map[int64]map[int64]int, names map[int64]string, js []store.Job) []string {
	t.Helper()
	var out []string
	for _, j := range js {
		if j.Kind != jobs.KindSubmitChange {
			out = append(out, j.Kind)
			continue
		}
		var p jobs.SubmitChange
		if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s/%d", names[p.BulkChangeID], rowsOf[p.BulkChangeID][p.ChangeID]))
	}
	return out
}

// rowNumbers maps a request's row ids to their numbers from 1.
func rowNumbers(t *testing.T, db *store.DB, id int64) map[int64]int {
	t.Helper()
	rows, _, err := db.DeviceChanges(context.Background(), id, store.DeviceChangeFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]int{}
	for i, r := range rows {
		m[r.ID] = i + 1
	}
	return m
}

// The claim order of issue 15, item 2: jobs outside the fair lane first (by RunAt), then urgent
// rows, then requests take turns row by row, so that a small request stored while a big one runs
// is done after a few rounds instead of after the whole big one; a retried row leaves the lane.
func TestClaimOrderIsUrgentFirstThenRequestsTakeTurns(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		manager, _ := db.UserByEmail(ctx, "m@acme.example")
		admin, _ := db.UserByEmail(ctx, "admin@example.com")
		rowsOf, names := map[int64]map[int64]int{}, map[int64]string{}
		create := func(name string, tenant int64, by *store.User, rows []store.NewDeviceChange, p change.Priority) (int64, error) {
			id, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: tenant, ServiceProviderID: f.provider,
				Type: change.ChangeICCID, Reason: name, RequestedBy: by, Rows: rows, Priority: p})
			if err == nil {
				rowsOf[id], names[id] = rowNumbers(t, db, id), name
			}
			return id, err
		}
		big, err := create("big", f.acme, manager, newRows(t, db, f.acme, 0, 12, 0), "")
		if err != nil {
			t.Fatal(err)
		}
		// Four rows of the big request are under way (turns 0–3) when the others come.
		first, err := db.ClaimJobs(ctx, "w1", time.Minute, 4)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(claimOrder(t, rowsOf, names, first)); got != "[big/1 big/2 big/3 big/4]" {
			t.Fatalf("first claim %s", got)
		}
		// One of them fails and is retried (due at once, here): it leaves the fair lane.
		if err := db.RetryJob(ctx, first[0].ID, first[0].Token, db.Now(), "HTTP 503"); err != nil {
			t.Fatal(err)
		}
		if _, err := create("small", f.globex, admin, newRows(t, db, f.globex, 0, 3, 100), change.PriorityNormal); err != nil {
			t.Fatal(err)
		}
		// Urgent: refused to a manager until an admin lets the tenant's managers mark it.
		urgentRows := newRows(t, db, f.acme, 12, 2, 200)
		if _, err := create("urgent", f.acme, manager, urgentRows, change.PriorityUrgent); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("a manager's urgent request without the tenant's leave: %v", err)
		}
		if _, err := create("odd", f.acme, manager, urgentRows, "soon"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("an unknown priority: %v", err)
		}
		if err := db.SetManagersMayMarkUrgent(ctx, f.acme, true, store.Actor{Name: "admin@example.com"}); err != nil {
			t.Fatal(err)
		}
		if tn, err := db.TenantByID(ctx, f.acme); err != nil || !tn.ManagersMayMarkUrgent {
			t.Fatalf("tenant %+v %v", tn, err)
		}
		urgent, err := create("urgent", f.acme, manager, urgentRows, change.PriorityUrgent)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := db.BulkChange(ctx, f.acme, urgent); err != nil || b.Priority != change.PriorityUrgent {
			t.Fatalf("urgent request reads back %+v %v", b, err)
		}
		if b, err := db.BulkChange(ctx, f.acme, big); err != nil || b.Priority != change.PriorityNormal {
			t.Fatalf("normal request reads back %+v %v", b, err)
		}
		if err := db.Enqueue(ctx, store.NewJob{Kind: jobs.KindSendEmail, Payload: jobs.SendEmail{OutboxID: 1}}); err != nil {
			t.Fatal(err)
		}
		all, err := db.ClaimJobs(ctx, "w2", time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := "[big/1 email.send urgent/1 urgent/2 big/5 small/1 big/6 small/2 big/7 small/3 big/8 big/9 big/10 big/11 big/12]"
		if got := fmt.Sprint(claimOrder(t, rowsOf, names, all)); got != want {
			t.Fatalf("claim order\n got %s\nwant %s", got, want)
		}
	})
}
