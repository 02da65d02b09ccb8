package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// The store side of incidents, webhooks and reports, run against every database (and so
// recorded for the SQL Server statement check): what is written reads back, and a tenant sees
// only its own.

func TestIncidentsOpenAndClear(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustSeed(t, db)
		c := store.Condition{Kind: "queue", Subject: "all", Holds: true, Title: "Queue behind", Detail: "12 minutes"}
		if did, err := db.SyncIncident(ctx, c); err != nil || did != "opened" {
			t.Fatalf("open: %q %v", did, err)
		}
		c.Detail = "15 minutes"
		if did, err := db.SyncIncident(ctx, c); err != nil || did != "" {
			t.Fatalf("still open: %q %v", did, err)
		}
		open, err := db.OpenIncidents(ctx)
		if err != nil || len(open) != 1 || open[0].Detail != "15 minutes" {
			t.Fatalf("open incidents: %+v %v", open, err)
		}
		todo, err := db.IncidentsToNotify(ctx)
		if err != nil || len(todo) != 1 {
			t.Fatalf("to notify: %+v %v", todo, err)
		}
		if err := db.MarkIncidentNotified(ctx, todo[0].ID, false); err != nil {
			t.Fatal(err)
		}
		if todo, err := db.IncidentsToNotify(ctx); err != nil || len(todo) != 0 {
			t.Fatalf("to notify after notifying: %+v %v", todo, err)
		}
		c.Holds = false
		if did, err := db.SyncIncident(ctx, c); err != nil || did != "cleared" {
			t.Fatalf("clear: %q %v", did, err)
		}
		if open, err := db.OpenIncidents(ctx); err != nil || len(open) != 0 {
			t.Fatalf("open after clearing: %+v %v", open, err)
		}
		admins, err := db.AdminEmails(ctx)
		if err != nil || len(admins) != 1 {
			t.Fatalf("admins: %v %v", admins, err)
		}
		if _, err := db.ProviderSignIns(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := db.FailedCarrierCalls(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("failed calls: %d %v", n, err)
		}
		if ok, err := db.ScheduleJob(ctx, jobs.KindEvaluateAlerts, nil, time.Now()); err != nil || !ok {
			t.Fatalf("schedule: %v %v", ok, err)
		}
		if ok, err := db.ScheduleJob(ctx, jobs.KindEvaluateAlerts, nil, time.Now()); err != nil || ok {
			t.Fatalf("schedule twice: %v %v", ok, err)
		}
	})
}

func TestWebhookEndpointsAndDeliveries(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := mustSeed(t, db)
		id, err := db.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{TenantID: fx.acme, URL: "https://hooks.example/acme",
			Events: []string{store.EventBulkChangeRowFailed}, Secret: "s3cret", By: "m@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		if eps, err := db.WebhookEndpoints(ctx, fx.acme); err != nil || len(eps) != 1 || eps[0].URL != "https://hooks.example/acme" {
			t.Fatalf("endpoints: %+v %v", eps, err)
		}
		if eps, err := db.WebhookEndpoints(ctx, fx.globex); err != nil || len(eps) != 0 {
			t.Fatalf("another tenant's endpoints: %+v %v", eps, err)
		}
		if _, err := db.WebhookEndpointByID(ctx, fx.globex, id); err == nil {
			t.Fatal("another tenant read the endpoint")
		}
		if err := db.AnnounceEvent(ctx, fx.acme, store.EventBulkChangeRowFailed, store.BulkChangeEvent{BulkChangeID: 1, Status: "API_FAILED"}); err != nil {
			t.Fatal(err)
		}
		ds, err := db.WebhookDeliveries(ctx, id, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries: %+v %v", ds, err)
		}
		d, ep, secret, err := db.WebhookDelivery(ctx, ds[0].ID)
		if err != nil || ep.ID != id || secret != "s3cret" || d.Status != store.DeliveryQueued {
			t.Fatalf("delivery: %+v %+v %q %v", d, ep, secret, err)
		}
		if err := db.RecordWebhookAttempt(ctx, d.ID, 200, "", true, false); err != nil {
			t.Fatal(err)
		}
		if d, _, _, err := db.WebhookDelivery(ctx, ds[0].ID); err != nil || d.Status != store.DeliveryDelivered || d.DeliveredDate == nil {
			t.Fatalf("after delivery: %+v %v", d, err)
		}
		if err := db.RedeliverWebhook(ctx, fx.globex, id, d.ID, "x"); err == nil {
			t.Fatal("another tenant sent the delivery again")
		}
		if err := db.RedeliverWebhook(ctx, fx.acme, id, d.ID, "m@acme.example"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReportsReadBack(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := mustSeed(t, db)
		now := time.Now().UTC()
		n := 0
		if err := db.EachComplianceRow(ctx, store.ComplianceFilter{TenantID: fx.acme, From: now.Add(-24 * time.Hour), To: now},
			func(store.ComplianceRow) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("compliance rows of a world with no change: %d %v", n, err)
		}
		if err := db.PutDailySchedule(ctx, fx.acme, "07:30", "m@acme.example", true, "m@acme.example"); err != nil {
			t.Fatal(err)
		}
		s, err := db.DailyScheduleOf(ctx, fx.acme)
		if err != nil || s == nil || s.SendAt != "07:30" || !s.IsActive {
			t.Fatalf("schedule: %+v %v", s, err)
		}
		if err := db.MarkDailySent(ctx, s.ID, "2026-03-01"); err != nil {
			t.Fatal(err)
		}
		all, err := db.DailySchedules(ctx)
		if err != nil || len(all) != 1 || all[0].LastSentDay != "2026-03-01" {
			t.Fatalf("schedules: %+v %v", all, err)
		}
		sum, err := db.DailySummaryOf(ctx, fx.acme, now.Add(-24*time.Hour), now)
		if err != nil || sum.Requests != 0 {
			t.Fatalf("summary: %+v %v", sum, err)
		}
	})
}
