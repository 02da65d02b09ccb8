// Package change is idswap's domain: the three identifier changes, the statuses of a request and
// of each of its rows with the only transitions allowed between them, and the ChangeRequest JSON
// that each row carries. It does no I/O; store, process and web all decide through it.
//
// # Glossary
//
// One thing has one name in code, comments and the UI:
//
//   - bulk change: what a user submits and follows; the UI calls it a request. One row of the
//     DeviceBulkChange table (store.BulkChange); its status is a BatchStatus, its row tally Counts.
//   - row, or device change: one device's change inside a bulk change. One row of the
//     M2M_DeviceChange table (store.DeviceChange); its status is a Status.
//   - input row: one line as the user typed, pasted or uploaded it (Row), before any check.
//   - checked row: an input row after the checks that need no data (Checked): identifiers
//     normalised, problems listed.
//   - envelope: the ChangeRequest JSON a row carries (Envelope); its inner object, called
//     "Request" in the legacy JSON, is the row's Identifier.
//   - change type: which identifiers a bulk change replaces (Type).
package change
