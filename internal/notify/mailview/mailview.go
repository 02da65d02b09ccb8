// Package mailview holds the templates of idswap's e-mails and their view models. It lives
// beside notify, away from the portal's views, so that the engine, which sends e-mail, links
// no portal page, layout or static asset.
package mailview

import "fmt"

// Result is the result e-mail of a finished bulk change: the view model of ResultHTML.
type Result struct {
	BulkChangeID int64
	URL          string // the bulk change's page in the portal
	ChangeType   string // how the change type reads, e.g. "New SIM, same device (ICCID)"
	Provider     string
	Requester    string
	Status       string // the final batch status, e.g. PROCESSED_WITH_ERRORS
	Outcome      string // the status in words (change.BatchStatus.Words): all changed, partly changed, failed, cancelled
	Headline     string // the outcome with its counts (change.Outcome.Headline): "Partly changed: 3 of 5 changed, 2 cancelled"
	Reason       string // why a bulk change that failed as a whole failed; empty otherwise
	Total        int
	Succeeded    int
	Failed       int
	Cancelled    int
	CompletedAt  string // e.g. "2026-03-01 14:05 UTC"
	FailedRows   []FailedRow
	MoreFailed   int // failed rows beyond those listed (all are in the attached CSV)
	// Correction: the carrier's later word changed a row after the request had finished; this
	// e-mail says so and gives the result as it is now.
	Correction bool
	// SeenOnline and NotSeenOnline count the changed rows whose device has, and has not (yet),
	// connected with its new identifiers.
	SeenOnline, NotSeenOnline int
}

// OnlineFact is how the e-mail states the online counts.
func (m Result) OnlineFact() string {
	return fmt.Sprintf("%d of %d (not seen online yet: %d)", m.SeenOnline, m.SeenOnline+m.NotSeenOnline, m.NotSeenOnline)
}

// CorrectionNote is the first sentence of a correction e-mail.
const CorrectionNote = "Correction: the carrier reported a result after this bulk change had finished, and the rows, the inventory and the result below now follow the carrier."

// FailedRow is one failed row of a result e-mail.
type FailedRow struct {
	Device   string // the line as the user knows it: MDN, else the old ICCID
	OldICCID string
	NewICCID string
	OldIMEI  string
	NewIMEI  string
	Status   string
	Code     string // the carrier's error code, if it gave one
	Reason   string
}
