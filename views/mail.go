package views

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
	Outcome      string // the request's outcome in words; OutcomeClass its status code
	OutcomeClass string
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
