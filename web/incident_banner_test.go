package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/web"
)

// TestIncidentBanner: an open incident is a banner on every admin page, never on a manager's,
// and goes when the incident clears.
func TestIncidentBanner(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.Incidents = c.Store.(*store.DB) })
	ctx := context.Background()
	refused := store.Condition{Kind: store.IncidentCredentialsRefused, Subject: "1", Holds: true,
		Title: "ThingSpace refused the credentials of Verizon ThingSpace (demo)", Detail: "Fix the key."}
	if did, err := e.db.SyncIncident(ctx, refused); err != nil || did != "opened" {
		t.Fatalf("%q %v", did, err)
	}
	admin, manager := e.signIn(demo.AdminEmail), e.signIn(demo.AcmeManager)
	for _, p := range []string{paths.Dashboard, paths.BulkChanges, paths.AdminAudit} {
		_, body := admin.get(p)
		if !strings.Contains(body, `data-testid="incident-banner"`) || !strings.Contains(body, "refused the credentials of Verizon ThingSpace (demo)") {
			t.Fatalf("admin %s: no banner", p)
		}
	}
	if _, body := manager.get(paths.Dashboard); strings.Contains(body, "incident-banner") {
		t.Fatal("a manager sees the incident banner")
	}
	refused.Holds = false
	if did, err := e.db.SyncIncident(ctx, refused); err != nil || did != "cleared" {
		t.Fatalf("%q %v", did, err)
	}
	if _, body := admin.get(paths.Dashboard); strings.Contains(body, "incident-banner") {
		t.Fatal("the banner outlived its incident")
	}
}
