package web

import (
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// progressOf draws a batch's counts as bar segments: processed, failed, cancelled, then waiting
// for the carrier; the rest of the track is rows not yet sent. Each segment starts where the
// previous ended (cumulative rounding), so the bar never shows a gap or overflows.
func progressOf(c change.Counts) views.Progress {
	p := views.Progress{Label: progressLabel(c)}
	if c.Total == 0 {
		return p
	}
	cum, x := 0, 0
	for _, s := range []struct {
		n     int
		class string
	}{{c.Processed, "ok"}, {c.Failed(), "bad"}, {c.Cancelled, "cancel"}, {c.Processing, "run"}} {
		if s.n == 0 {
			continue
		}
		cum += s.n
		end := (cum*1000 + c.Total/2) / c.Total
		p.Segments = append(p.Segments, views.Segment{X: x, Width: end - x, Class: s.class, Thin: s.class == "run"})
		x = end
	}
	return p
}

func progressLabel(c change.Counts) string {
	return c.Summary()
}

// countCells lists a batch's counts in the order of a row's life.
func countCells(c change.Counts) []views.CountCell {
	return []views.CountCell{
		{Label: change.StatusNew.Words(), N: c.New, Class: "NEW", TestID: "count-new"},
		{Label: change.StatusProcessing.Words(), N: c.Processing, Class: "PROCESSING", TestID: "count-processing"},
		{Label: change.StatusProcessed.Words(), N: c.Processed, Class: "PROCESSED", TestID: "count-processed"},
		{Label: change.StatusAPIFailed.Words(), N: c.APIFailed, Class: "API_FAILED", TestID: "count-api-failed"},
		{Label: change.StatusError.Words(), N: c.Error, Class: "ERROR", TestID: "count-error"},
		{Label: change.StatusCancelled.Words(), N: c.Cancelled, Class: "CANCELLED", TestID: "count-cancelled"},
	}
}

// rowChanges is what a row changes: each identifier it replaces, old → new, and the line's MDN.
func rowChanges(c store.RowIdentifiers) []views.IdentChange {
	var out []views.IdentChange
	if c.NewICCID != "" || c.ICCID != "" {
		out = append(out, views.IdentChange{Kind: "ICCID", Old: c.ICCID, New: c.NewICCID})
	}
	if c.NewIMEI != "" || c.IMEI != "" {
		out = append(out, views.IdentChange{Kind: "IMEI", Old: c.IMEI, New: c.NewIMEI})
	}
	if c.MSISDN != "" {
		out = append(out, views.IdentChange{Kind: "MDN", Old: c.MSISDN})
	}
	return out
}

// historyChanges is what an identifier history row changed; an identifier that stayed the
// same is shown without an arrow.
func historyChanges(oldICCID, newICCID, oldIMEI, newIMEI string) []views.IdentChange {
	var out []views.IdentChange
	add := func(kind, old, nw string) {
		switch {
		case old == "" && nw == "":
		case old == nw || nw == "":
			out = append(out, views.IdentChange{Kind: kind, Old: old})
		default:
			out = append(out, views.IdentChange{Kind: kind, Old: old, New: nw})
		}
	}
	add("ICCID", oldICCID, newICCID)
	add("IMEI", oldIMEI, newIMEI)
	return out
}

// logEntries turns log rows into the view's entries.
func logEntries(es []store.LogEntry) []views.LogEntry {
	out := make([]views.LogEntry, 0, len(es))
	for _, e := range es {
		out = append(out, views.LogEntry{When: fmtTimeMillis(e.ProcessedDate), Description: e.Description,
			By: e.ProcessedBy, Status: e.ResponseStatus, HasErrors: e.HasErrors, ErrorCode: e.ErrorCode, ErrorText: e.ErrorText,
			Request: e.RequestText, Response: e.ResponseText})
	}
	return out
}

func bulkChangeRow(b store.BulkChange) views.BulkChangeRow {
	return views.BulkChangeRow{ID: b.ID, URL: paths.BulkChange(b.ID), Created: fmtTime(b.CreatedDate),
		Type: b.Type.Label(), Provider: b.ProviderName, Tenant: b.TenantName, By: b.CreatedBy, Status: b.Status.Words(),
		StatusClass: string(b.Status), Total: b.Counts.Total, Processed: b.Counts.Processed, Failed: b.Counts.Failed(),
		Open: b.Counts.Open(), Progress: progressOf(b.Counts), Urgent: b.Priority.Urgent()}
}
