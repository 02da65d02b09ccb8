package process_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify/mailtest"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// The carrier's codes the tests inject.
const (
	codeInUse   = "UnifiedWebService.REQUEST_FAILED.ICCID.AlreadyInUse"
	codeInvalid = "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
)

func TestFiftyRowsFiveRefusedEndToEnd(t *testing.T) {
	r := newRig(t, 50, tssim.Config{})
	// Five rows the carrier refuses: three in the callback, two at once with HTTP 400.
	refused := map[string]string{}
	for i, l := range r.lines[:5] {
		f := tssim.Fault{Code: codeInUse, Message: "SIM " + l.SpareICCID + " is already in use"}
		if i >= 3 {
			f = tssim.Fault{Sync: true, Code: codeInvalid, Message: "Device is not active"}
		}
		r.sim.InjectFault(l.SpareICCID, f)
		refused[l.MDN] = f.Code
	}
	rn := r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 50)
	b := r.waitFinal(id)
	// The finished request's online watch is looking at the lines; let its round end, so that
	// the carrier's count and the log below are of the same calls.
	r.waitFor("the first online watch", func() bool {
		done, _, err := r.db.Jobs(context.Background(), store.JobDone, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range done {
			if j.Kind == jobs.KindWatchOnline {
				return true
			}
		}
		return false
	})
	rn.stop()

	if b.Status != change.BatchProcessedWithErrors || b.Counts.Processed != 45 || b.Counts.APIFailed != 5 || b.Counts.Total != 50 {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	ctx := context.Background()
	for _, row := range r.rows(id) {
		d, err := r.db.DeviceByID(ctx, r.tenant, *row.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := r.db.IdentifierHistory(ctx, r.tenant, *row.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		if code, bad := refused[row.MSISDN]; bad {
			if row.Status != change.StatusAPIFailed || d.ICCID != row.ICCID || len(hist) != 0 || !row.HasErrors || row.StatusDetails == "" {
				t.Errorf("refused row %s: %s %q, device %s, %d history rows", row.MSISDN, row.Status, row.StatusDetails, d.ICCID, len(hist))
			}
			if codes := r.logCodes(id); codes[code] == 0 {
				t.Errorf("the carrier's code %s is not in the log: %v", code, codes)
			}
			continue
		}
		if row.Status != change.StatusProcessed || row.RequestID == "" || row.SubmittedDate == nil || row.ProcessedDate == nil {
			t.Errorf("row %s: %s request %q submitted %v processed %v", row.MSISDN, row.Status, row.RequestID, row.SubmittedDate, row.ProcessedDate)
		}
		if d.ICCID != row.NewICCID || len(hist) != 1 || hist[0].NewICCID != row.NewICCID || hist[0].OldICCID != row.ICCID {
			t.Errorf("row %s: device has %s, history %+v", row.MSISDN, d.ICCID, hist)
		}
	}
	r.checkInventoryMatchesCarrier()
	st := r.checkNothingSentTwice(50)

	// Every carrier call of the rows is in the log.
	if n, want := r.logCount(id, store.LogChangeIdentifier), st.Call(tssim.KindChangeIdentifier, 200)+st.Call(tssim.KindChangeIdentifier, 400); n != want || n != 50 {
		t.Errorf("%d change requests logged, the carrier answered %d", n, want)
	}
	lookups := 0
	for _, c := range st.Calls[tssim.KindListDevices] {
		lookups += c
	}
	if n := r.logCount(id, store.LogDeviceLookup); n != lookups {
		t.Errorf("%d device lookups logged, the carrier answered %d", n, lookups)
	}
	cbs, err := r.db.Callbacks(ctx, r.provider)
	if err != nil || len(cbs) != 48 {
		t.Errorf("%d callbacks stored, want 48 (%v)", len(cbs), err)
	}

	// Exactly one e-mail, with the right counts and every row attached.
	msgs := r.mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d e-mails arrived", len(msgs))
	}
	m := msgs[0]
	if m.Subject != fmt.Sprintf("Bulk change %d: 45 of 50 changed, 5 failed", id) || m.From != fromAddr || strings.Join(m.To, ",") != requester+","+notifyAddr {
		t.Errorf("e-mail %q from %s to %v", m.Subject, m.From, m.To)
	}
	for _, want := range []string{"Partly changed: 45 of 50 changed, 5 failed", "Rows:         50", "Changed:      45", "Failed:       5",
		"Requested by: " + requester, "Verizon ThingSpace", "/bulk-changes/", "[" + codeInUse + "]", "[" + codeInvalid + "]"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "Partly changed: 45 of 50 changed, 5 failed") || !strings.Contains(m.HTML, codeInUse) {
		t.Errorf("the HTML part lacks the outcome or the codes")
	}
	var attached []byte
	for name, data := range m.Files {
		if strings.HasSuffix(name, ".csv") {
			attached = data
		}
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(attached), "\uFEFF"))).ReadAll()
	if err != nil || len(records) != 51 {
		t.Fatalf("CSV: %d records (%v)", len(records), err)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	failed := 0
	for _, rec := range records[1:] {
		if rec[col["status"]] == string(change.StatusAPIFailed) {
			failed++
			if rec[col["outcome"]] != "failed at the carrier" || rec[col["carrier_code"]] == "" {
				t.Errorf("failed row %v has no code", rec)
			}
		}
	}
	if failed != 5 {
		t.Errorf("CSV lists %d failed rows", failed)
	}
}

func TestChangeTypesSendTheRightRequest(t *testing.T) {
	for _, typ := range change.Types {
		t.Run(string(typ), func(t *testing.T) {
			r := newRig(t, 3, tssim.Config{})
			r.start(nil, nil)
			id := r.batch(typ, 3)
			if b := r.waitFinal(id); b.Status != change.BatchProcessed {
				t.Fatalf("batch %s %+v", b.Status, b.Counts)
			}
			for _, l := range r.lines[:3] {
				got, _ := r.sim.Line(l.MDN)
				wantICCID, wantIMEI := l.ICCID, l.IMEI
				if typ.NeedsICCID() {
					wantICCID = l.SpareICCID
				}
				if typ.NeedsIMEI() {
					wantIMEI = l.SpareIMEI
				}
				if got.ICCID != wantICCID || got.IMEI != wantIMEI {
					t.Errorf("line %s at the carrier: %s/%s, want %s/%s", l.MDN, got.ICCID, got.IMEI, wantICCID, wantIMEI)
				}
			}
			r.checkInventoryMatchesCarrier()
			r.checkNothingSentTwice(3)
		})
	}
}

func TestSMTPFailuresAreRetried(t *testing.T) {
	r := newRig(t, 2, tssim.Config{})
	r.mail = mailtest.Start(t, mailtest.Options{TLS: "none", Fail: 2}) // the first two deliveries fail
	r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 2)
	r.waitFinal(id)
	msgs := r.mail.Messages()
	if len(msgs) != 1 || r.mail.Attempts() != 3 {
		t.Fatalf("%d e-mails after %d attempts, want 1 after 3", len(msgs), r.mail.Attempts())
	}
	mails, _, err := r.db.OutboxEmails(context.Background(), 10, 0)
	if err != nil || len(mails) != 1 || mails[0].Status != store.EmailSent || mails[0].Attempts != 3 || mails[0].SentDate == nil {
		t.Fatalf("outbox: %+v %v", mails, err)
	}
}
