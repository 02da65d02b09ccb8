package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// A row the carrier contradicted is listed for admins with its request, device and
// identifiers; "Mark settled" takes it off the list and is audited. Managers can do neither.
func TestAdminSettlesARowThatNeedsAttention(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bulkID, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	e.drive(rows[0].ID, change.StatusProcessed)
	const reason = "the carrier reported the change failed after confirming it"
	if err := e.db.FlagChange(ctx, rows[0].ID, reason, 0, "engine"); err != nil {
		t.Fatal(err)
	}

	manager := e.signIn(demo.AcmeManager)
	if res, _ := manager.get(paths.AdminAttention); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
		t.Errorf("a manager opened the list: %d", res.StatusCode)
	}
	if res, _ := manager.postForm(paths.AttentionSettle(rows[0].ID), url.Values{}); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
		t.Errorf("a manager settled a row: %d", res.StatusCode)
	}

	admin := e.signIn(demo.AdminEmail)
	_, body := admin.get(paths.AdminAttention)
	d := mustDoc(t, body)
	if n := d.Find("[data-testid=attention-row]").Length(); n != 1 {
		t.Fatalf("%d rows listed, want 1 (a manager's attempt must not have settled it)", n)
	}
	row := d.Find("[data-testid=attention-row]").First()
	if got := text(d, "[data-testid=attention-reason]"); got != reason {
		t.Errorf("reason %q", got)
	}
	for _, want := range []string{rows[0].ICCID, rows[0].NewICCID} {
		if !strings.Contains(row.Text(), want) {
			t.Errorf("the row does not show %s: %q", want, row.Text())
		}
	}
	if row.Find(`a[href="`+paths.BulkChange(bulkID)+`"]`).Length() != 1 || row.Find(`a[href="`+paths.Device(*rows[0].DeviceID)+`"]`).Length() != 1 {
		t.Errorf("no link to the request or the device: %s", body)
	}
	if strings.Contains(body, rows[1].NewICCID) {
		t.Error("an unflagged row is listed")
	}

	res, _ := admin.postForm(paths.AttentionSettle(rows[0].ID), url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.AdminAttention {
		t.Fatalf("settle: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = admin.get(paths.AdminAttention)
	if d := mustDoc(t, body); d.Find("[data-testid=attention-row]").Length() != 0 || d.Find("[data-testid=attention-empty]").Length() != 1 {
		t.Errorf("the settled row is still listed")
	}
	if res, _ := admin.postForm(paths.AttentionSettle(rows[0].ID), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Errorf("settling twice: %d, want 404", res.StatusCode)
	}
	hits, err := e.db.AuditSearch(ctx, store.AuditFilter{User: demo.AdminEmail})
	if err != nil {
		t.Fatal(err)
	}
	settled := 0
	for _, h := range hits.Hits {
		if h.Summary == string(store.ActionChangeSettled) {
			settled++
		}
	}
	if settled != 1 {
		t.Errorf("%d change.settled audit events, want 1", settled)
	}
}
