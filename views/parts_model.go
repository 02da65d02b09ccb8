package views

// View models of the parts several pages share: a progress bar, an identifier change, a log entry.

// Progress is a bar of a batch's rows: finished-well, failed, cancelled and waiting segments in
// a 0–1000 wide SVG (the CSP forbids inline styles, so widths are SVG attributes).
type Progress struct {
	Label    string // what the bar says, for screen readers and the tooltip
	Segments []Segment
}

// Segment is one coloured stretch of a progress bar.
type Segment struct {
	X, Width int    // in the 0–1000 viewBox
	Class    string // ok, bad, cancel, run
	// Thin draws the segment as a thin line through the middle of the track: rows waiting for
	// the carrier are under way, not done, and must not read as progress (a full bar at
	// "0 of 5 finished" did).
	Thin bool
}

// IdentChange is one identifier of a row or history entry: old → new (New empty: unchanged).
type IdentChange struct {
	Kind, Old, New string
}

// LogEntry is one M2MDeviceBulkChangeLog entry.
type LogEntry struct {
	When, Description, By, Status string
	HasErrors                     bool
	ErrorCode, ErrorText          string
	Request, Response             string
}
