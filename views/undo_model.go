package views

// UndoPageModel is the confirmation step of an undo: what the undo would put back, and the rows
// of the request it cannot, each with the reason. Nothing is stored until the form is sent.
type UndoPageModel struct {
	Layout
	ID          int64  // the request to undo
	RequestURL  string // its page
	Type        string // its change, in words
	Error       string // why the last attempt stored nothing (what can be undone changed), if it did
	Rows        []UndoRowView
	MoreRows    int // undoable rows not listed (the list shows the first ones)
	Undoable    int // every undoable row
	Refused     []UndoRefusedView
	MoreRefused int
	Action      string // the form's action (it posts to itself)
	Key         string // the form's idempotency key: a double submit makes one undo
	Confirm     string // the plan's key: the submit undoes exactly what this page shows
}

// UndoRowView is a row the undo puts back.
type UndoRowView struct {
	Number  int // in the original request
	MDN     string
	Changes []IdentChange // from the identifier the line has now to the old one
	Plan    string        // "keeps its plan" or the plan it goes back to
}

// UndoRefusedView is a row the undo leaves alone, and why.
type UndoRefusedView struct {
	Number int
	Line   string // the row's identifiers as it named them
	Reason string
}
