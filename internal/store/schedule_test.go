package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// scheduledBatch makes an Acme request of n rows that starts at runAt.
func scheduledBatch(t *testing.T, db *store.DB, f fixture, n int, runAt time.Time) (int64, []store.DeviceChange) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, "m@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
		Type: change.ChangeICCID, Reason: "later", RequestedBy: u, RunAt: &runAt, Rows: newRows(t, db, f.acme, 0, n, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return id, rows
}

func jobsOf(t *testing.T, db *store.DB, kind string) int {
	t.Helper()
	n, err := db.CountJobsOfKind(context.Background(), kind, store.JobQueued)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A request with a start time is SCHEDULED with one start job due then and no submit job;
// starting it releases every row once, with the audit event and the webhook.
func TestScheduledRequestStartsOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		if _, err := db.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{TenantID: f.acme, URL: "https://hooks.acme.example/x",
			Events: []string{store.EventBulkChangeScheduledStarted}, Secret: "s", By: "m@acme.example"}); err != nil {
			t.Fatal(err)
		}
		runAt := db.Now().Add(time.Hour)
		id, rows := scheduledBatch(t, db, f, 3, runAt)
		b, err := db.BulkChange(ctx, f.acme, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != change.BatchScheduled || b.StartAt == nil || !b.StartAt.Equal(runAt) || b.StartedDate != nil {
			t.Fatalf("scheduled request: %s start %v started %v", b.Status, b.StartAt, b.StartedDate)
		}
		if n := jobsOf(t, db, jobs.KindSubmitChange); n != 0 {
			t.Fatalf("a scheduled request has %d submit jobs before its start", n)
		}
		if n := jobsOf(t, db, jobs.KindStartBulkChange); n != 1 {
			t.Fatalf("start jobs: %d", n)
		}
		// A submit job that somehow ran early (a resend, say) holds the row instead of claiming it.
		if _, ok, err := db.ClaimChange(ctx, rows[0].ID, "engine", time.Minute, 0); ok || err != nil {
			t.Fatalf("a row of a scheduled request was claimed: %v %v", ok, err)
		}
		started, err := db.StartBulkChange(ctx, id, "engine")
		if err != nil || !started {
			t.Fatalf("start: %v %v", started, err)
		}
		if again, err := db.StartBulkChange(ctx, id, "engine"); err != nil || again {
			t.Fatalf("a started request started again: %v %v", again, err)
		}
		b, _ = db.BulkChange(ctx, f.acme, id)
		if b.Status != change.BatchProcessing || b.StartedDate == nil {
			t.Fatalf("after the start: %s %v", b.Status, b.StartedDate)
		}
		if n := jobsOf(t, db, jobs.KindSubmitChange); n != 3 {
			t.Fatalf("submit jobs after the start: %d, want 3", n)
		}
		if n := jobsOf(t, db, jobs.KindDeliverWebhook); n != 1 {
			t.Fatalf("webhook deliveries queued: %d, want the one scheduled_started", n)
		}
		acts, err := db.AuditActionsOf(ctx, "DeviceBulkChange", fmt.Sprint(id))
		if err != nil || !slices.Contains(acts, "bulkchange.start by engine") {
			t.Fatalf("audit: %v %v", acts, err)
		}
	})
}

// A scheduled request can be cancelled before it starts; its start job then does nothing.
func TestScheduledRequestCanBeCancelled(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		id, _ := scheduledBatch(t, db, f, 2, db.Now().Add(time.Hour))
		if n, err := db.CancelOpenRows(ctx, f.acme, id, "m@acme.example"); err != nil || n != 2 {
			t.Fatalf("cancel: %d %v", n, err)
		}
		if started, err := db.StartBulkChange(ctx, id, "engine"); err != nil || started {
			t.Fatalf("a cancelled request started: %v %v", started, err)
		}
		b, _ := db.BulkChange(ctx, f.acme, id)
		if b.Status != change.BatchCancelled {
			t.Fatalf("status: %s", b.Status)
		}
	})
}

// Pause holds every row not yet claimed, even by a submit job queued before the pause; a row
// claimed before the pause carries on; resume queues the held rows once each.
func TestPauseHoldsUnsentRowsAndResumeReleasesThem(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		id, rows := mustBatch(t, db, f, 4)
		mustSend(t, db, rows[0].ID, "req-0")
		if err := db.PauseBulkChange(ctx, f.globex, id, "m@globex.example", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant paused it: %v", err)
		}
		if err := db.PauseBulkChange(ctx, f.acme, id, "m@acme.example", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if err := db.PauseBulkChange(ctx, f.acme, id, "m@acme.example", ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("paused twice: %v", err)
		}
		// The submit jobs queued before the pause run now: each finds the request paused.
		for _, r := range rows[1:3] {
			if _, ok, err := db.ClaimChange(ctx, r.ID, "engine", time.Minute, 0); ok || err != nil {
				t.Fatalf("row %d of a paused request was claimed: %v %v", r.ID, ok, err)
			}
		}
		b, _ := db.BulkChange(ctx, f.acme, id)
		if b.Status != change.BatchPaused || b.Counts.Processing != 1 || b.Counts.New != 3 {
			t.Fatalf("paused: %s %+v", b.Status, b.Counts)
		}
		// The row already sent finishes normally; the request stays paused.
		mustFinish(t, db, rows[0].ID, change.StatusProcessed)
		if b, _ = db.BulkChange(ctx, f.acme, id); b.Status != change.BatchPaused {
			t.Fatalf("a finished row moved the paused request to %s", b.Status)
		}
		before := jobsOf(t, db, jobs.KindSubmitChange)
		now, err := db.ResumeBulkChange(ctx, f.acme, id, "m@acme.example", "")
		if err != nil || now != change.BatchProcessing {
			t.Fatalf("resume: %s %v", now, err)
		}
		// Only the two held rows get a new job: row 3's own job (never run) is still queued.
		if n := jobsOf(t, db, jobs.KindSubmitChange); n != before+2 {
			t.Fatalf("submit jobs after resume: %d, want %d", n, before+2)
		}
		if _, err := db.ResumeBulkChange(ctx, f.acme, id, "m@acme.example", ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("resumed a running request: %v", err)
		}
		for _, r := range rows[1:] {
			mustFinish(t, db, r.ID, change.StatusProcessed)
		}
		if b, _ = db.BulkChange(ctx, f.acme, id); b.Status != change.BatchProcessed {
			t.Fatalf("after resume: %s %+v", b.Status, b.Counts)
		}
		if err := db.PauseBulkChange(ctx, f.acme, id, "m@acme.example", ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("paused a finished request: %v", err)
		}
		acts, _ := db.AuditActionsOf(ctx, "DeviceBulkChange", fmt.Sprint(id))
		if !slices.Contains(acts, "bulkchange.pause by m@acme.example") || !slices.Contains(acts, "bulkchange.resume by m@acme.example") {
			t.Fatalf("audit: %v", acts)
		}
	})
}

// A request paused before its start goes back to SCHEDULED on resume; one whose start time
// passed while it was paused starts at the resume.
func TestPauseBeforeTheStart(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		base := db.Now()
		clock := base
		db.Now = func() time.Time { return clock }
		id, _ := scheduledBatch(t, db, f, 2, base.Add(time.Hour))
		if err := db.PauseBulkChange(ctx, f.acme, id, "m@acme.example", ""); err != nil {
			t.Fatal(err)
		}
		if now, err := db.ResumeBulkChange(ctx, f.acme, id, "m@acme.example", ""); err != nil || now != change.BatchScheduled {
			t.Fatalf("resume before the start: %s %v", now, err)
		}
		if err := db.PauseBulkChange(ctx, f.acme, id, "m@acme.example", ""); err != nil {
			t.Fatal(err)
		}
		clock = base.Add(2 * time.Hour)
		if started, err := db.StartBulkChange(ctx, id, "engine"); err != nil || started {
			t.Fatalf("a paused request started: %v %v", started, err)
		}
		if now, err := db.ResumeBulkChange(ctx, f.acme, id, "m@acme.example", ""); err != nil || now != change.BatchProcessing {
			t.Fatalf("resume after the start time: %s %v", now, err)
		}
		if n := jobsOf(t, db, jobs.KindSubmitChange); n != 2 {
			t.Fatalf("submit jobs: %d", n)
		}
	})
}

// Outside the tenant's maintenance window a request waits for it to open; the zone and the
// window are checked when set.
func TestMaintenanceWindowHoldsARequest(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		a := store.Actor{Name: "admin@idswap.example"}
		if err := db.SetTenantSchedule(ctx, f.acme, store.TenantSchedule{TimeZone: "Mars/Olympus"}, a); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("bad zone: %v", err)
		}
		if err := db.SetTenantSchedule(ctx, f.acme, store.TenantSchedule{TimeZone: "UTC", Window: change.Window{Days: 1, Start: 25}}, a); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("bad window: %v", err)
		}
		// Saturday 12:00 in Paris; the window is weekdays 22:00–04:00 Paris time.
		now := time.Date(2026, 3, 7, 11, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		w := change.Window{Start: 22, End: 4}
		for d := time.Monday; d <= time.Friday; d++ {
			w.Days |= 1 << d
		}
		if err := db.SetTenantSchedule(ctx, f.acme, store.TenantSchedule{TimeZone: "Europe/Paris", Window: w}, a); err != nil {
			t.Fatal(err)
		}
		got, err := db.TenantSchedule(ctx, f.acme)
		if err != nil || got.TimeZone != "Europe/Paris" || got.Window != w {
			t.Fatalf("schedule: %+v %v", got, err)
		}
		id, _ := batchOf(t, db, f, f.acme, "m@acme.example", 0, 2, 0)
		b, _ := db.BulkChange(ctx, f.acme, id)
		want := time.Date(2026, 3, 9, 21, 0, 0, 0, time.UTC) // Monday 22:00 in Paris (UTC+1)
		if b.Status != change.BatchScheduled || b.StartAt == nil || !b.StartAt.Equal(want) {
			t.Fatalf("outside the window: %s %v, want SCHEDULED at %s", b.Status, b.StartAt, want)
		}
		// Inside the window: at once.
		now = time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC)
		id, _ = batchOf(t, db, f, f.acme, "m@acme.example", 2, 2, 2)
		if b, _ = db.BulkChange(ctx, f.acme, id); b.Status != change.BatchNew || b.StartAt != nil {
			t.Fatalf("inside the window: %s %v", b.Status, b.StartAt)
		}
	})
}
