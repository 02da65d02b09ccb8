package change

import (
	"fmt"
	"strings"
)

// The one vocabulary of outcomes. Codes (NEW, API_FAILED, PROCESSED_WITH_ERRORS…) are stored,
// filtered on and kept in the API; people read the words below, on pages, in e-mails, on the
// dashboard, in spreadsheets and beside the codes in the API. Nothing else words a status.

// Words says a row status the way the portal and e-mails say it.
func (s Status) Words() string {
	switch s {
	case StatusNew:
		return "not yet sent"
	case StatusProcessing:
		return "waiting for the carrier"
	case StatusProcessed:
		return "changed"
	case StatusAPIFailed:
		return "failed at the carrier"
	case StatusError:
		return "failed in idswap"
	case StatusCancelled:
		return "cancelled"
	}
	return strings.ToLower(string(s))
}

// Tone is how a status is coloured: ok, warn, bad, run or none.
func (s Status) Tone() string {
	switch s {
	case StatusProcessed:
		return "ok"
	case StatusAPIFailed, StatusError:
		return "bad"
	case StatusProcessing:
		return "run"
	}
	return "none"
}

// Words says a batch status on its own. Describe says more, with the counts.
func (s BatchStatus) Words() string {
	switch s {
	case BatchScheduled:
		return "scheduled"
	case BatchPaused:
		return "paused"
	case BatchNew:
		return "not started"
	case BatchProcessing:
		return "in progress"
	case BatchProcessed:
		return "all changed"
	case BatchProcessedWithErrors:
		return "partly changed"
	case BatchError:
		return "failed"
	case BatchCancelled:
		return "cancelled"
	}
	return strings.ToLower(string(s))
}

// Outcome is a batch's status with its counts, in words.
type Outcome struct {
	Status BatchStatus
	// Words is the status in words ("partly changed"); Summary the counts ("27 of 200 changed,
	// 173 cancelled"); Headline both, as a sentence for a page or an e-mail.
	Words, Summary, Headline string
	// Tone colours it: ok (every row changed), warn (some did), bad (none did and some
	// failed), none (nothing failed and nothing changed: cancelled), run (still open).
	Tone string
}

// Describe says where a batch stands.
func Describe(s BatchStatus, c Counts) Outcome {
	o := Outcome{Status: s, Words: s.Words(), Summary: c.Summary()}
	switch {
	case s == BatchScheduled, s == BatchPaused:
		o.Tone = "none" // waiting on purpose: nothing runs, nothing is wrong
	case !s.Final():
		o.Tone = "run"
	case s == BatchProcessed:
		o.Tone = "ok"
	case s == BatchError:
		o.Tone = "bad"
	case s == BatchCancelled:
		o.Tone = "none"
	default:
		o.Tone = "warn"
	}
	o.Headline = strings.ToUpper(o.Words[:1]) + o.Words[1:] + ": " + o.Summary
	return o
}

// Summary says the counts: "3 of 5 changed, 2 failed", then what is still open.
func (c Counts) Summary() string {
	s := fmt.Sprintf("%d of %d changed", c.Processed, c.Total)
	if c.Failed() > 0 {
		s += fmt.Sprintf(", %d failed", c.Failed())
	}
	if c.Cancelled > 0 {
		s += fmt.Sprintf(", %d cancelled", c.Cancelled)
	}
	var open []string
	if c.Processing > 0 {
		open = append(open, fmt.Sprintf("%d waiting for the carrier", c.Processing))
	}
	if c.New > 0 {
		open = append(open, fmt.Sprintf("%d not yet sent", c.New))
	}
	if len(open) > 0 {
		s += "; " + strings.Join(open, ", ")
	}
	return s
}

// ResultSubject is the subject of a batch's result e-mail: its number, then its counts.
func ResultSubject(bulkID int64, c Counts) string {
	return fmt.Sprintf("Bulk change %d: %s", bulkID, c.Summary())
}

// correctionPrefix opens the subject of a correction e-mail.
const correctionPrefix = "Correction: "

// CorrectionSubject is the subject of the e-mail that tells the requester a finished batch's
// result changed after all: the carrier's later word corrected a row.
func CorrectionSubject(bulkID int64, c Counts) string {
	return correctionPrefix + ResultSubject(bulkID, c)
}

// IsCorrection reports whether a result e-mail's subject is a correction's.
func IsCorrection(subject string) bool {
	return strings.HasPrefix(subject, correctionPrefix)
}

// RefusedNew says which new identifier of a row a carrier error code refused: the ICCID (the
// SIM is unknown or already in use) or the IMEI/EID (the device is in use). A retry must not
// offer that identifier again. Codes about anything else (the device, the plan, the session)
// refuse neither, and the row may be sent again as it was.
func RefusedNew(code string) (iccid, imei bool) {
	return strings.Contains(code, ".ICCID."), strings.Contains(code, ".IMEI.") || strings.Contains(code, ".EID.")
}

// RowNotes is what a row's Details column says beyond its status. Times come formatted, as the
// page shows them.
type RowNotes struct {
	Status  Status
	Details string // the row's StatusDetails, e.g. "Waiting for the carrier to confirm …"
	// Attention is why an admin must look (the carrier contradicted a finished row); "" if none.
	Attention string
	// Corrected is when the carrier's later word corrected the finished row; "" if never.
	Corrected string
	// OnlineSince is when a changed row's device was first seen online with its new
	// identifiers; "" if not yet.
	OnlineSince string
}

// Words puts what an admin must know first (needs attention, corrected), then the row's own
// details, then for a changed row whether its device has been seen online since.
func (n RowNotes) Words() string {
	out := n.Details
	if n.Status == StatusProcessed {
		if n.OnlineSince != "" {
			out += " · Online with the new identifiers since " + n.OnlineSince
		} else {
			out += " · Not seen online yet"
		}
	}
	if n.Corrected != "" {
		out = "Corrected by the carrier at " + n.Corrected + ": " + out
	}
	if n.Attention != "" {
		out = "Needs attention: " + n.Attention + ". " + out
	}
	return out
}

// OnlineSummary says how many changed rows' devices have connected with their new identifiers
// since the change, and how many not yet: "3 online with the new identifiers, 1 not seen
// online yet". The request page and the dashboard say it this way.
func OnlineSummary(online, notYet int) string {
	return fmt.Sprintf("%d online with the new identifiers, %d not seen online yet", online, notYet)
}
