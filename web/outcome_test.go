package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// A request that ends with one row changed and two cancelled says so everywhere: on its page,
// in the list, in its e-mail's subject and body, in the outbox, on the dashboard and in the
// API. Nowhere is it "all changed" or counted as a success beyond the row that was.
func TestChangedAndCancelledIsSaidSoEverywhere(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	e.drive(rows[0].ID, change.StatusProcessing)
	if n, err := e.db.CancelOpenRows(ctx, 0, id, demo.AcmeManager); err != nil || n != 2 {
		t.Fatalf("cancel: %d %v", n, err)
	}
	e.drive(rows[0].ID, change.StatusProcessed)
	const words, summary = "partly changed", "1 of 3 changed, 2 cancelled"

	c := e.signIn(demo.AcmeManager)
	_, body := c.get(paths.BulkChange(id))
	d := mustDoc(t, body)
	if text(d, "[data-testid=bulk-status-badge]") != words || text(d, "[data-testid=bulk-summary]") != summary {
		t.Errorf("page: %q · %q", text(d, "[data-testid=bulk-status-badge]"), text(d, "[data-testid=bulk-summary]"))
	}
	if strings.Contains(strings.ToLower(body), "success") {
		t.Error("the page calls it a success")
	}
	_, body = c.get(paths.BulkChanges)
	if !strings.Contains(body, ">"+words+"<") {
		t.Error("the list does not say partly changed")
	}

	// The dashboard: one row changed out of one that ran, two cancelled counted as such.
	_, body = c.get(paths.Dashboard)
	d = mustDoc(t, body)
	if got := text(d, "[data-testid=stat-week-cancelled]"); !strings.Contains(got, "2") || !strings.Contains(got, "cancelled") {
		t.Errorf("dashboard cancelled card: %q", got)
	}
	if got := text(d, "[data-testid=stat-week-processed]"); !strings.Contains(got, "of 1 rows that ran") {
		t.Errorf("dashboard processed card: %q", got)
	}
	if !strings.Contains(body, ">"+words+"<") {
		t.Error("the dashboard's recent requests do not say partly changed")
	}

	// The e-mail: its job addresses it (subject and recipients) and sends it.
	mails, _, err := e.db.OutboxEmails(ctx, 10, 0)
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox: %v %v", mails, err)
	}
	if err := e.engine.Handlers()[jobs.KindSendEmail](ctx, store.Job{Payload: fmt.Sprintf(`{"outbox_id":%d}`, mails[0].ID),
		Attempts: 1, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	if mails, _, err = e.db.OutboxEmails(ctx, 10, 0); err != nil || len(mails) != 1 {
		t.Fatalf("outbox: %v %v", mails, err)
	}
	wantSubject := fmt.Sprintf("Bulk change %d: %s", id, summary)
	if mails[0].Subject != wantSubject {
		t.Errorf("subject %q, want %q", mails[0].Subject, wantSubject)
	}
	m, err := e.engine.ComposeEmail(ctx, mails[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, "Partly changed: "+summary) || strings.Contains(strings.ToLower(part), "success") {
			t.Errorf("e-mail part: %.400s", part)
		}
	}
	admin := e.signIn(demo.AdminEmail)
	_, body = admin.get(paths.AdminOutbox)
	d = mustDoc(t, body)
	if text(d, "[data-testid=outbox-outcome]") != words || !strings.Contains(body, wantSubject) {
		t.Errorf("outbox list: %q", text(d, "[data-testid=outbox-outcome]"))
	}

	// The API keeps the code and adds the words.
	status, got := e.apiClient(demo.AcmeManager).call(http.MethodGet, paths.APIBulkChange(id), "")
	if status != http.StatusOK || got["status"] != string(change.BatchProcessedWithErrors) || got["status_words"] != words ||
		got["summary"] != summary {
		t.Errorf("API: %d %v %v %v", status, got["status"], got["status_words"], got["summary"])
	}
}
