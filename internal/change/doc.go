// Package change is idswap's domain: the three identifier changes, the statuses of a request and
// of each of its rows with the only transitions allowed between them, and the ChangeRequest JSON
// that each row carries. It does no I/O; store, process and web all decide through it.
package change
