package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
)

// maxFailedInBody bounds the failed rows listed in the e-mail's body; all are in the CSV.
const maxFailedInBody = 100

// SendEmail is the jobs.KindSendEmail handler: it renders a result e-mail from its finished request
// and hands it to the mail sender. A failure is retried by the queue; the outbox row says how
// the attempts went. The Message-ID is fixed per outbox row, so a message sent again after a
// crash between sending and recording is recognisable as the same one.
//
// The store writes the outbox row, due and unaddressed, in the transaction that completes (or
// corrects) the request, so the e-mail exists exactly when the completion does. Who receives
// it and its subject are decided here, on the first attempt (addressResult), and kept on the
// row, so every later attempt sends the same message.
func (e *Engine) SendEmail(ctx context.Context, j store.Job, p jobs.SendEmail) error {
	o, err := e.store.OutboxEmail(ctx, p.OutboxID)
	if err != nil {
		return err
	}
	if o.Status == store.EmailSent {
		return nil
	}
	if !o.Addressed() {
		if o, err = e.addressResult(ctx, o, p.Correction); err != nil {
			return err
		}
	}
	if e.cfg.Mail == nil {
		return errors.New("process: no mail sender is configured")
	}
	m, err := e.ComposeEmail(ctx, p.OutboxID)
	if err != nil {
		return err
	}
	if err := e.cfg.Mail.Send(ctx, m); err != nil {
		rec, cancel := detached(ctx)
		defer cancel()
		if merr := e.store.MarkEmailFailed(rec, o.ID, err.Error(), j.Last()); merr != nil {
			return errors.Join(err, merr)
		}
		return err
	}
	rec, cancel := detached(ctx)
	defer cancel()
	return e.store.MarkEmailSent(rec, o.ID, m.ID)
}

// addressResult gives a request's result e-mail its recipients (the requester and the
// provider's notification address, each once), its sender (the provider's, or the configured
// default) and its subject (change.ResultSubject, or change.CorrectionSubject for a
// correction), from the request as it is now: the body, rendered at the same time, reads the
// same counts.
func (e *Engine) addressResult(ctx context.Context, o *store.OutboxEmail, correction bool) (*store.OutboxEmail, error) {
	if o.BulkChangeID == nil {
		return nil, apperr.E(apperr.NotFound, "e-mail %d belongs to no bulk change", o.ID)
	}
	b, err := e.store.BulkChange(ctx, 0, *o.BulkChangeID)
	if err != nil {
		return nil, err
	}
	who, err := e.store.ResultParties(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	subject := change.ResultSubject(b.ID, b.Counts)
	if correction {
		subject = change.CorrectionSubject(b.ID, b.Counts)
	}
	return e.store.AddressEmail(ctx, o.ID, notify.Recipients(who.Requester, who.Notify), who.From, subject)
}

// ComposeEmail renders an outbox e-mail: the result of its request in HTML and plain text,
// with every row attached as CSV. The admin outbox page shows the same.
func (e *Engine) ComposeEmail(ctx context.Context, outboxID int64) (*notify.Message, error) {
	o, err := e.store.OutboxEmail(ctx, outboxID)
	if err != nil {
		return nil, err
	}
	if o.BulkChangeID == nil {
		return nil, apperr.E(apperr.NotFound, "e-mail %d belongs to no bulk change", outboxID)
	}
	if !o.Addressed() {
		return nil, apperr.E(apperr.Conflict, "e-mail %d is addressed when its first send attempt runs; it has not run yet", outboxID)
	}
	b, err := e.store.BulkChange(ctx, 0, *o.BulkChangeID)
	if err != nil {
		return nil, err
	}
	rows, _, err := e.store.DeviceChanges(ctx, b.ID, store.DeviceChangeFilter{})
	if err != nil {
		return nil, err
	}
	codes, err := e.store.FailureCodes(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	completed := o.CreatedDate
	if b.ProcessedDate != nil && b.ProcessedDate.Before(completed) {
		completed = *b.ProcessedDate
	}
	status := b.Status
	out := change.Describe(status, b.Counts)
	model := notify.Result{BulkChangeID: b.ID, URL: paths.Absolute(e.baseURL(), paths.BulkChange(b.ID)),
		ChangeType: b.Type.Label(), Provider: b.ProviderName, Requester: b.CreatedBy, Status: string(status),
		Outcome: out.Words, Headline: out.Headline, Total: b.Counts.Total, Succeeded: b.Counts.Processed, Failed: b.Counts.Failed(),
		Cancelled: b.Counts.Cancelled, CompletedAt: notify.CompletedAt(completed)}
	if status == change.BatchError {
		model.Reason = b.StatusDetails
	}
	model.Correction = change.IsCorrection(o.Subject)
	if model.SeenOnline, model.NotSeenOnline, err = e.store.OnlineCounts(ctx, b.ID); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if !r.Status.Failed() {
			continue
		}
		if len(model.FailedRows) == maxFailedInBody {
			model.MoreFailed++
			continue
		}
		line := r.MSISDN
		if line == "" {
			line = r.ICCID
		}
		model.FailedRows = append(model.FailedRows, notify.FailedRow{Device: line, OldICCID: r.ICCID, NewICCID: r.NewICCID,
			OldIMEI: r.IMEI, NewIMEI: r.NewIMEI, Status: r.Status.Words(), Code: codes[r.ID], Reason: r.StatusDetails})
	}
	data, err := rowsCSV(rows, codes)
	if err != nil {
		return nil, err
	}
	html, text, files, err := notify.ResultMessage(ctx, model, data)
	if err != nil {
		return nil, err
	}
	from := o.From
	if from == "" {
		from = e.cfg.MailFrom
	}
	return &notify.Message{ID: fmt.Sprintf("outbox-%d.bulk-%d@%s", o.ID, b.ID, e.mailDomain()), From: from,
		To: notify.Recipients(o.To), Subject: o.Subject, Date: completed, Text: text, HTML: html, Attachments: files}, nil
}

// mailDomain is the right-hand side of Message-IDs: the portal's host name.
func (e *Engine) mailDomain() string {
	if u, err := url.Parse(e.baseURL()); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "idswap.invalid"
}

// rowsCSV is every row of a request with its final status, as attached to the result e-mail:
// the same layout as the page's download (sheet.RowsHeader), written by the same writer.
func rowsCSV(rows []store.DeviceChange, codes map[int64]string) ([]byte, error) {
	var b bytes.Buffer
	w := sheet.NewCSV(&b)
	if err := w.Write(sheet.RowsHeader()...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if err := w.Write(sheet.RowCells(r, codes[r.ID])...); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
