package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/notify/mailview"
)

// Result is what the result e-mail of a finished bulk change says; its HTML part is the templ
// component mailview.ResultHTML, which takes it as its view model.
type Result = mailview.Result

// FailedRow is one failed row listed in a result e-mail.
type FailedRow = mailview.FailedRow

// ResultMessage renders the result e-mail of a finished bulk change: the HTML part from
// mailview.ResultHTML, the plain-text part with the same facts, and csv (every row of the
// bulk change) attached.
func ResultMessage(ctx context.Context, r Result, csv []byte) (html, text string, attachments []Attachment, err error) {
	var b strings.Builder
	if err := mailview.ResultHTML(r).Render(ctx, &b); err != nil {
		return "", "", nil, fmt.Errorf("notify: render the result e-mail: %w", err)
	}
	return b.String(), ResultText(r), []Attachment{{Name: ResultCSVName(r.BulkChangeID), ContentType: "text/csv", Data: csv}}, nil
}

// Recipients is the addresses of one or more comma-separated lists, each once (compared without
// case), in the order given. A result e-mail goes to Recipients(requester, the provider's
// notification address).
func Recipients(lists ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range lists {
		for part := range strings.SplitSeq(a, ",") {
			part = strings.TrimSpace(part)
			if part != "" && !seen[strings.ToLower(part)] {
				seen[strings.ToLower(part)] = true
				out = append(out, part)
			}
		}
	}
	return out
}

// ResultCSVName is the file name of a bulk change's attached rows.
func ResultCSVName(bulkID int64) string { return fmt.Sprintf("bulk-change-%d.csv", bulkID) }

// ResultText is the plain-text part of the result e-mail.
func ResultText(r Result) string {
	var b strings.Builder
	if r.Correction {
		fmt.Fprintf(&b, "%s\n\n", mailview.CorrectionNote)
	}
	fmt.Fprintf(&b, "Bulk change %d. %s.\n\n", r.BulkChangeID, r.Headline)
	if r.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n\n", r.Reason)
	}
	facts := [][2]string{
		{"Bulk change", fmt.Sprintf("%d  %s", r.BulkChangeID, r.URL)},
		{"Change", r.ChangeType},
		{"Provider", r.Provider},
		{"Requested by", r.Requester},
		{"Outcome", r.Outcome},
		{"Rows", fmt.Sprint(r.Total)},
		{"Changed", fmt.Sprint(r.Succeeded)},
		{"Failed", fmt.Sprint(r.Failed)},
	}
	if r.Cancelled > 0 {
		facts = append(facts, [2]string{"Cancelled", fmt.Sprint(r.Cancelled)})
	}
	if r.Succeeded > 0 {
		facts = append(facts, [2]string{"Seen online", r.OnlineFact()})
	}
	facts = append(facts, [2]string{"Completed", r.CompletedAt})
	for _, f := range facts {
		fmt.Fprintf(&b, "%-13s %s\n", f[0]+":", f[1])
	}
	if len(r.FailedRows) > 0 {
		b.WriteString("\nRows that failed:\n")
		for _, f := range r.FailedRows {
			fmt.Fprintf(&b, "- %s", f.Device)
			if f.NewICCID != "" {
				fmt.Fprintf(&b, "  ICCID %s -> %s", f.OldICCID, f.NewICCID)
			}
			if f.NewIMEI != "" {
				fmt.Fprintf(&b, "  IMEI %s -> %s", f.OldIMEI, f.NewIMEI)
			}
			fmt.Fprintf(&b, "  %s", f.Status)
			if f.Code != "" {
				fmt.Fprintf(&b, " [%s]", f.Code)
			}
			if f.Reason != "" {
				fmt.Fprintf(&b, ": %s", f.Reason)
			}
			b.WriteString("\n")
		}
		if r.MoreFailed > 0 {
			fmt.Fprintf(&b, "...and %d more; every row is in the attached CSV.\n", r.MoreFailed)
		}
	}
	b.WriteString("\nEvery row of the bulk change, with its final status, is in the attached CSV file.\n-- \nidswap\n")
	return b.String()
}

// CompletedAt formats a completion time for the e-mail.
func CompletedAt(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
