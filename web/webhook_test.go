package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/web"
)

var secretOnPage = regexp.MustCompile(`whsec_[A-Za-z0-9_-]+`)

// TestWebhookPages: a manager adds an endpoint in the portal and sees its secret once; a bad URL
// comes back with its error and nothing stored; the delivery log lists deliveries with "send
// again", which queues one; another tenant's endpoint is 404.
func TestWebhookPages(t *testing.T) {
	e := newEnvWith(t, func(c *web.Config) { c.WebhookLoopbackHTTP = true })
	ctx := context.Background()
	m := e.signIn(demo.AcmeManager)

	res, body := m.postForm(paths.Webhooks, url.Values{"url": {"http://erp.acme.example/hook"}, "events": {store.EventBulkChangeCompleted}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "plain http:// is allowed only to this machine") ||
		!strings.Contains(body, `value="http://erp.acme.example/hook"`) {
		t.Fatalf("bad URL: %d", res.StatusCode)
	}
	res, body = m.postForm(paths.Webhooks, url.Values{"url": {"http://127.0.0.1:9/hook"},
		"events": {store.EventBulkChangeCompleted, store.EventBulkChangeRowFailed}})
	secret := secretOnPage.FindString(body)
	if res.StatusCode != http.StatusOK || secret == "" || !strings.Contains(body, `data-testid="webhook-secret"`) {
		t.Fatalf("create: %d", res.StatusCode)
	}
	_, body = m.get(paths.Webhooks)
	if strings.Contains(body, secret) || strings.Count(body, `data-testid="webhook-row"`) != 1 {
		t.Fatal("the list shows the secret again, or not the one endpoint")
	}
	eps, err := e.db.WebhookEndpoints(ctx, e.tenantID(demo.TenantAcme))
	if err != nil || len(eps) != 1 || eps[0].EventList != store.EventBulkChangeCompleted+","+store.EventBulkChangeRowFailed {
		t.Fatalf("stored: %v %v", eps, err)
	}
	ep := eps[0]

	// An event: one delivery in the log; "send again" queues it once more.
	if err := e.db.AnnounceEvent(ctx, ep.TenantID, store.EventBulkChangeCompleted, store.BulkChangeEvent{BulkChangeID: 7, Status: "PROCESSED"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AnnounceEvent(ctx, ep.TenantID, store.EventBulkChangeScheduledStarted, store.BulkChangeEvent{BulkChangeID: 7}); err != nil {
		t.Fatal(err)
	}
	_, body = m.get(paths.Webhook(ep.ID))
	if strings.Count(body, `data-testid="delivery-row"`) != 1 || !strings.Contains(body, store.EventBulkChangeCompleted) {
		t.Fatalf("delivery log: %d rows", strings.Count(body, `data-testid="delivery-row"`))
	}
	ds, _ := e.db.WebhookDeliveries(ctx, ep.ID, 10)
	res, _ = m.postForm(paths.WebhookRedeliver(ep.ID, ds[0].ID), url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.Webhook(ep.ID) {
		t.Fatalf("send again: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	jobsDue, err := e.db.ClaimJobs(ctx, "test", time.Minute, 100)
	queued := 0
	for _, j := range jobsDue {
		if j.Kind == jobs.KindDeliverWebhook && strings.Contains(j.Payload, fmt.Sprint(ds[0].ID)) {
			queued++
		}
	}
	if err != nil || queued != 2 {
		t.Fatalf("%d delivery jobs queued: %v", queued, err)
	}

	g := e.signIn(demo.GlobexManager)
	if res, _ := g.get(paths.Webhook(ep.ID)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another tenant's endpoint: %d", res.StatusCode)
	}
	if res, _ := g.postForm(paths.WebhookRedeliver(ep.ID, ds[0].ID), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another tenant's send again: %d", res.StatusCode)
	}
}
