package views

// ResultEmail is the result e-mail of a finished bulk change.
type ResultEmail struct {
	BulkChangeID int64
	URL          string // the bulk change's page in the portal
	ChangeType   string // how the change type reads, e.g. "New SIM, same device (ICCID)"
	Provider     string
	Requester    string
	Status       string // the final batch status, e.g. PROCESSED_WITH_ERRORS
	Outcome      string // the status in words: completed successfully, completed with errors, failed, cancelled
	Reason       string // why a bulk change that failed as a whole failed; empty otherwise
	Total        int
	Succeeded    int
	Failed       int
	Cancelled    int
	CompletedAt  string // e.g. "2026-03-01 14:05 UTC"
	FailedRows   []ResultFailedRow
	MoreFailed   int // failed rows beyond those listed (all are in the attached CSV)
}

// ResultFailedRow is one failed row of a result e-mail.
type ResultFailedRow struct {
	Device   string // the line as the user knows it: MDN, else the old ICCID
	OldICCID string
	NewICCID string
	OldIMEI  string
	NewIMEI  string
	Status   string
	Code     string // the carrier's error code, if it gave one
	Reason   string
}

// Outbox is the admin page that lists sent and waiting e-mails.
type Outbox struct {
	Layout
	Rows  []OutboxRow
	Pager Pager
	Demo  bool // mail goes to files, not to an SMTP server
	Dir   string
}

// OutboxRow is one e-mail in the outbox list.
type OutboxRow struct {
	ID           int64
	URL          string
	BulkChangeID int64
	BulkURL      string
	To           string
	Subject      string
	Status       string
	Attempts     int
	LastError    string
	Created      string
	Sent         string
}

// OutboxMessage is the admin page that shows one e-mail with its parts.
type OutboxMessage struct {
	Layout
	Row            OutboxRow
	From           string
	MessageID      string
	Text           string // the plain-text part
	HTMLURL        string // the HTML part, served on its own
	Attachments    []OutboxAttachment
	EMLURL         string // the .eml file written in demo mode; empty when there is none
	ComposeProblem string // why the message could not be shown, if it could not
}

// OutboxAttachment is an attachment of a shown e-mail.
type OutboxAttachment struct {
	Name, URL string
	Size      int
}
