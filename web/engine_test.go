package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/web"
)

func TestCallbacksNeedTheProvidersSecretAndNothingElse(t *testing.T) {
	e := newEnv(t)
	post := func(secret, body string) int {
		res, err := http.Post(e.srv.URL+"/thingspace/callbacks/"+secret, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post("not-the-secret", `{"requestId":"r1"}`); got != http.StatusNotFound {
		t.Fatalf("unknown secret: %d", got)
	}
	// No session, no CSRF token: the secret is enough. An unknown request is kept all the same.
	if got := post("test-callback-secret", `{"requestId":"r1","status":"Success"}`); got != http.StatusOK {
		t.Fatalf("known secret: %d", got)
	}
	cbs, err := e.db.Callbacks(context.Background(), e.provider)
	if err != nil || len(cbs) != 1 || cbs[0].RequestID != "r1" {
		t.Fatalf("stored callbacks: %+v %v", cbs, err)
	}
}

func TestACallbackFinishesItsRow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	if _, ok, err := e.db.ClaimChange(ctx, rows[0].ID, "engine", 0, 0); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := e.db.RecordSent(ctx, rows[0].ID, "req-42", "engine"); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"requestId":"req-42","deviceIds":[{"id":%q,"kind":"iccid"}],`+
		`"deviceResponse":{"changeIdentifierResponse":{"deviceIds":[{"id":%q,"kind":"iccid"}]}},"status":"Success"}`, rows[0].ICCID, rows[0].NewICCID)
	for range 2 { // the second time is a duplicate
		res, err := http.Post(e.srv.URL+"/thingspace/callbacks/test-callback-secret", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("callback: %d", res.StatusCode)
		}
	}
	b, err := e.db.BulkChange(ctx, 0, id)
	if err != nil || b.Status != change.BatchProcessed {
		t.Fatalf("batch after its callback: %+v %v", b, err)
	}
	d, _ := e.db.DeviceByID(ctx, 0, *rows[0].DeviceID)
	if d == nil || d.ICCID != rows[0].NewICCID {
		t.Fatalf("device after the callback: %+v", d)
	}
}

func TestAdminRetriesABatchThatFailedAsAWhole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	at, _, err := e.db.ClaimChange(ctx, rows[0].ID, "engine", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.FailBulkChange(ctx, store.BatchFailure{BulkChangeID: id, Reason: "Write operations are disabled",
		ChangeID: rows[0].ID, SubmittedAt: at, By: "engine"}); err != nil {
		t.Fatal(err)
	}
	path := paths.BulkChangeRetry(id)

	manager := e.signIn(demo.AcmeManager)
	if res, _ := manager.postForm(path, url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a manager's retry: %d", res.StatusCode)
	}
	admin := e.signIn(demo.AdminEmail)
	if res, _ := admin.postForm(path, url.Values{"_csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a retry without the CSRF token: %d", res.StatusCode)
	}
	res, _ := admin.postForm(path, url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.BulkChange(id) {
		t.Fatalf("retry: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	b, _ := e.db.BulkChange(ctx, 0, id)
	if b.Status != change.BatchProcessing || b.Counts.New != 2 {
		t.Fatalf("after the retry: %s %+v", b.Status, b.Counts)
	}
	// Retrying again is refused: the batch is running.
	res, body := admin.postForm(path, url.Values{}, "HX-Request", "true")
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "only a bulk change that failed as a whole") {
		t.Fatalf("a second retry: %d %q", res.StatusCode, body)
	}
	if res, _ := admin.postForm(paths.BulkChangeRetry(999999), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("retry of a missing batch: %d", res.StatusCode)
	}
}

func TestOutboxListsAndShowsTheResultEmail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	if n, err := e.db.CancelOpenRows(ctx, 0, id, demo.AcmeManager); err != nil || n != 3 {
		t.Fatalf("cancel: %d %v", n, err)
	}
	mails, _, err := e.db.OutboxEmails(ctx, 10, 0)
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox: %v %v", mails, err)
	}
	mail := mails[0]
	if err := e.engine.Handlers()[jobs.KindSendEmail](ctx, store.Job{Payload: fmt.Sprintf(`{"outbox_id":%d}`, mail.ID), Attempts: 1, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}

	if res, _ := e.signIn(demo.AcmeManager).get(paths.AdminOutbox); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a manager opened the outbox: %d", res.StatusCode)
	}
	admin := e.signIn(demo.AdminEmail)
	_, body := admin.get(paths.AdminOutbox)
	if !strings.Contains(body, `data-testid="outbox-row"`) || !strings.Contains(body, fmt.Sprintf("Bulk change %d: 0 of 3 changed, 3 cancelled", id)) || !strings.Contains(body, `data-testid="outbox-outcome">cancelled<`) || !strings.Contains(body, "sent") {
		t.Fatalf("outbox list: %.300s", body)
	}
	page := paths.OutboxMessage(mail.ID)
	_, body = admin.get(page)
	for _, want := range []string{`data-testid="outbox-text"`, "Bulk change " + fmt.Sprint(id) + ". Cancelled: 0 of 3 changed, 3 cancelled.", "Cancelled:    3",
		demo.AcmeManager, `data-testid="outbox-eml"`, fmt.Sprintf("bulk-change-%d.csv", id)} {
		if !strings.Contains(body, want) {
			t.Errorf("message page lacks %q", want)
		}
	}
	res, html := admin.get(page + "/html")
	if res.StatusCode != http.StatusOK || !strings.Contains(html, "<table") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("HTML part: %d %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	res, csv := admin.get(fmt.Sprintf("%s/attachments/bulk-change-%d.csv", page, id))
	if res.StatusCode != http.StatusOK || strings.Count(csv, "\n") != 4 || !strings.Contains(csv, "CANCELLED") {
		t.Fatalf("CSV: %d %q", res.StatusCode, csv)
	}
	res, eml := admin.get(page + "/eml")
	if res.StatusCode != http.StatusOK || !strings.Contains(eml, "Subject: "+fmt.Sprintf("Bulk change %d: 0 of 3 changed, 3 cancelled", id)) {
		t.Fatalf(".eml: %d %.200s", res.StatusCode, eml)
	}
	if res, _ := admin.get(paths.OutboxMessage(999999)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a missing e-mail: %d", res.StatusCode)
	}
}

func TestTheCallbackSecretIsNeverLogged(t *testing.T) {
	e := newEnv(t)
	// The shared env logs warnings only; the request log is written at info level.
	var logs strings.Builder
	srv := httptest.NewServer(web.New(web.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Store: e.db,
		Auth: auth.New(e.db), SessionKey: []byte("session-key-for-tests-0123456789"), Engine: e.engine}))
	defer srv.Close()
	for _, secret := range []string{"test-callback-secret", "a-wrong-secret-value"} {
		res, err := http.Post(srv.URL+"/thingspace/callbacks/"+secret, "application/json", strings.NewReader(`{"requestId":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if !strings.Contains(logs.String(), "/thingspace/callbacks/[REDACTED]") {
		t.Fatalf("the callbacks were not logged:\n%s", logs.String())
	}
	for _, secret := range []string{"test-callback-secret", "a-wrong-secret-value"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log shows the secret %q", secret)
		}
	}
}
