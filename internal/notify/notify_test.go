package notify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/notify/mailtest"
)

func result() notify.Result {
	return notify.Result{BulkChangeID: 42, URL: "http://idswap.test/bulk-changes/42", ChangeType: "New SIM, same device (ICCID)",
		Provider: "Verizon", Requester: "m@acme.example", Status: "PROCESSED_WITH_ERRORS", Outcome: "partly changed", Headline: "Partly changed: 2 of 3 changed, 1 failed",
		Total: 3, Succeeded: 2, Failed: 1, CompletedAt: "2026-03-01 14:05 UTC",
		FailedRows: []notify.FailedRow{{Device: "5125550100", OldICCID: "89148000000000000001", NewICCID: "89148000000000000019",
			Status: "API_FAILED", Code: "UnifiedWebService.REQUEST_FAILED.ICCID.AlreadyInUse", Reason: "SIM 8914… is already in use"}}}
}

func message(t *testing.T) *notify.Message {
	t.Helper()
	html, text, files, err := notify.ResultMessage(context.Background(), result(), []byte("Id,Status\n1,PROCESSED\n"))
	if err != nil {
		t.Fatal(err)
	}
	return &notify.Message{ID: "outbox-7.bulk-42@idswap", From: "idswap@demo.test", To: []string{"m@acme.example", "ops@demo.test"},
		Subject: "ICCID/IMEI Change Process Complete - Bulk Change 42", Date: time.Date(2026, 3, 1, 14, 5, 0, 0, time.UTC),
		HTML: html, Text: text, Attachments: files}
}

func checkDelivered(t *testing.T, m *mailtest.Message) {
	t.Helper()
	if m.Subject != "ICCID/IMEI Change Process Complete - Bulk Change 42" {
		t.Errorf("subject %q", m.Subject)
	}
	if got := m.Header.Get("Message-Id"); got != "<outbox-7.bulk-42@idswap>" {
		t.Errorf("Message-ID %q", got)
	}
	for _, want := range []string{"Bulk change 42. Partly changed: 2 of 3 changed, 1 failed.", "Changed:      2", "Failed:       1",
		"http://idswap.test/bulk-changes/42", "[UnifiedWebService.REQUEST_FAILED.ICCID.AlreadyInUse]"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{`href="http://idswap.test/bulk-changes/42"`, "Partly changed: 2 of 3 changed, 1 failed", "SIM 8914… is already in use"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	if string(m.Files["bulk-change-42.csv"]) != "Id,Status\n1,PROCESSED\n" {
		t.Errorf("attachment %q", m.Files)
	}
}

func TestSMTPSendsEveryPart(t *testing.T) {
	for _, mode := range []string{"none", "starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{TLS: mode, User: "mailer", Password: "mail-secret-1"})
			s, err := notify.NewSMTP(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mode, User: "mailer",
				Password: "mail-secret-1", TLSConfig: srv.ClientTLS})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), message(t)); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages arrived", len(msgs))
			}
			if strings.Join(msgs[0].To, ",") != "m@acme.example,ops@demo.test" || msgs[0].From != "idswap@demo.test" {
				t.Errorf("envelope %s -> %v", msgs[0].From, msgs[0].To)
			}
			checkDelivered(t, msgs[0])
		})
	}
}

func TestSMTPRefusesAWrongPassword(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "mailer", Password: "mail-secret-1"})
	s, _ := notify.NewSMTP(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: "starttls", User: "mailer",
		Password: "wrong-password", TLSConfig: srv.ClientTLS})
	err := s.Send(context.Background(), message(t))
	if err == nil || len(srv.Messages()) != 0 {
		t.Fatalf("sent with a wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestOutboxWritesOneFilePerMessage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o := notify.NewOutbox(dir)
	m := message(t)
	for range 2 { // sent again after a crash: the same file, not a second one
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "outbox-7.bulk-42.eml" {
		t.Fatalf("outbox folder: %v %v", entries, err)
	}
	raw, err := os.ReadFile(o.Path(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, parsed)
}

func TestAMessageNeedsARecipient(t *testing.T) {
	m := message(t)
	m.To = nil
	if _, err := notify.Render(m); err == nil {
		t.Fatal("rendered a message without recipients")
	}
}
