package change

import (
	"fmt"
	"slices"
)

// Status is the state of one row (M2M_DeviceChange.Status).
type Status string

// Row statuses. A row is open while NEW or PROCESSING; every other status is final.
const (
	StatusNew        Status = "NEW"        // stored, not yet sent to the carrier
	StatusProcessing Status = "PROCESSING" // sent; waiting for the carrier to confirm
	StatusProcessed  Status = "PROCESSED"  // the carrier confirmed and the inventory is updated
	StatusAPIFailed  Status = "API_FAILED" // the carrier refused it, or never confirmed it
	StatusError      Status = "ERROR"      // failed our own checks or could not run
	StatusCancelled  Status = "CANCELLED"  // withdrawn before it was sent
)

// Statuses lists the row statuses in the order of a row's life.
var Statuses = []Status{StatusNew, StatusProcessing, StatusProcessed, StatusAPIFailed, StatusError, StatusCancelled}

// Open reports whether the row may still change.
func (s Status) Open() bool { return s == StatusNew || s == StatusProcessing }

// Failed reports whether the row ended without the change being made.
func (s Status) Failed() bool { return s == StatusAPIFailed || s == StatusError }

// rowMoves is the one table of allowed row transitions.
//   - NEW → NEW is a retry of a row that was never sent (writes disabled, carrier unreachable).
//   - PROCESSING → NEW happens only when the carrier was asked and shows the change did not
//     happen, so sending it again cannot make it twice.
//   - ERROR → NEW is an admin's retry of a batch-level failure (no credentials, login refused).
var rowMoves = map[Status][]Status{
	StatusNew:        {StatusNew, StatusProcessing, StatusProcessed, StatusAPIFailed, StatusError, StatusCancelled},
	StatusProcessing: {StatusProcessed, StatusAPIFailed, StatusError, StatusNew},
	StatusError:      {StatusNew},
}

// CheckMove returns an error unless a row may go from one status to the other.
func CheckMove(from, to Status) error { return checkMove(rowMoves, "a row", from, to) }

// checkMove looks a move up in a table of allowed moves (rowMoves, batchMoves).
func checkMove[S ~string](moves map[S][]S, what string, from, to S) error {
	if slices.Contains(moves[from], to) {
		return nil
	}
	return fmt.Errorf("change: %s cannot go from %s to %s", what, from, to)
}

// BatchStatus is the state of a whole request (DeviceBulkChange.Status).
type BatchStatus string

// Batch statuses.
const (
	BatchNew                 BatchStatus = "NEW"
	BatchProcessing          BatchStatus = "PROCESSING"
	BatchProcessed           BatchStatus = "PROCESSED"             // every row succeeded
	BatchProcessedWithErrors BatchStatus = "PROCESSED_WITH_ERRORS" // some rows failed
	BatchError               BatchStatus = "ERROR"                 // it could not run, or every row failed
	BatchCancelled           BatchStatus = "CANCELLED"             // every row was withdrawn
	// BatchScheduled waits for its start time (run_at, or the tenant's maintenance window):
	// its rows are stored but nothing is sent before then.
	BatchScheduled BatchStatus = "SCHEDULED"
	// BatchPaused sends nothing more until it is resumed; rows already sent finish normally.
	BatchPaused BatchStatus = "PAUSED"
)

// BatchStatuses lists the batch statuses.
var BatchStatuses = []BatchStatus{BatchScheduled, BatchNew, BatchProcessing, BatchPaused, BatchProcessed,
	BatchProcessedWithErrors, BatchError, BatchCancelled}

// Final reports whether the batch has finished.
func (s BatchStatus) Final() bool {
	return s != BatchNew && s != BatchProcessing && s != BatchScheduled && s != BatchPaused
}

// Pausable reports whether a request in this status may be paused: it has not finished and
// is not paused already.
func (s BatchStatus) Pausable() bool {
	return s == BatchNew || s == BatchProcessing || s == BatchScheduled
}

var batchMoves = map[BatchStatus][]BatchStatus{
	BatchNew:        {BatchProcessing, BatchPaused, BatchProcessed, BatchProcessedWithErrors, BatchError, BatchCancelled},
	BatchProcessing: {BatchProcessing, BatchPaused, BatchProcessed, BatchProcessedWithErrors, BatchError, BatchCancelled},
	// A scheduled request starts (PROCESSING), is paused, or is cancelled before it starts.
	BatchScheduled: {BatchProcessing, BatchPaused, BatchCancelled},
	// A paused request resumes (PROCESSING, or SCHEDULED when paused before its start time);
	// its rows already sent may still finish it, and a cancel of its unsent rows ends it.
	BatchPaused: {BatchProcessing, BatchScheduled, BatchProcessed, BatchProcessedWithErrors, BatchError, BatchCancelled},
	// An admin may retry a batch that failed as a whole; it runs again from PROCESSING.
	BatchError: {BatchProcessing},
}

// CheckBatchMove returns an error unless a batch may go from one status to the other.
func CheckBatchMove(from, to BatchStatus) error {
	return checkMove(batchMoves, "a bulk change", from, to)
}

// Counts is how many rows of a batch are in each status.
type Counts struct {
	Total, New, Processing, Processed, APIFailed, Error, Cancelled int
}

// Add counts n rows of status s.
func (c *Counts) Add(s Status, n int) {
	c.Total += n
	switch s {
	case StatusNew:
		c.New += n
	case StatusProcessing:
		c.Processing += n
	case StatusProcessed:
		c.Processed += n
	case StatusAPIFailed:
		c.APIFailed += n
	case StatusError:
		c.Error += n
	case StatusCancelled:
		c.Cancelled += n
	}
}

// Open is the number of rows not yet final.
func (c Counts) Open() int { return c.New + c.Processing }

// Failed is the number of rows that ended without the change.
func (c Counts) Failed() int { return c.APIFailed + c.Error }

// Outcome is the final status of a batch whose rows are all final, and false while any is open.
// from is the batch's status now. One rule decides it, here:
//   - a batch that failed as a whole (from is ERROR) stays ERROR, whatever its rows did;
//   - PROCESSED only when every row was changed: a cancelled row is not a success, so 3
//     changed and 2 cancelled is PROCESSED_WITH_ERRORS (its words say "2 cancelled", not
//     "failed"; see Describe and docs/DECISIONS.md);
//   - nothing changed: CANCELLED when nothing failed either, else ERROR.
func (c Counts) Outcome(from BatchStatus) (BatchStatus, bool) {
	switch {
	case c.Open() > 0:
		return "", false
	case from == BatchError:
		return BatchError, true
	case c.Processed == 0 && c.Failed() == 0:
		return BatchCancelled, true
	case c.Processed == c.Total:
		return BatchProcessed, true
	case c.Processed == 0:
		return BatchError, true
	default:
		return BatchProcessedWithErrors, true
	}
}

// CheckCorrection returns an error unless the carrier's later word may move a finished row from
// one status to the other. Only a row the carrier was not heard to confirm (API_FAILED) can turn
// out PROCESSED; the other way round (a failure reported after a success) is never settled
// automatically: the inventory would have to be undone on a callback alone, so it waits for an
// admin (see the process package).
func CheckCorrection(from, to Status) error {
	if from == StatusAPIFailed && to == StatusProcessed {
		return nil
	}
	return fmt.Errorf("change: a finished row cannot be corrected from %s to %s", from, to)
}
