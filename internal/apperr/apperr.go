// Package apperr is idswap's one error type: a code that decides the HTTP status and how the
// error is logged, and a message that is safe to show to the person who caused it.
//
// Anything that is not an *Error is internal: its text is logged, never shown.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the people and programs that receive it.
type Code string

// The codes. The web layer maps each to one HTTP status; nothing else switches on them.
const (
	Invalid      Code = "invalid"      // the input is wrong; the message says how (422/400)
	NotFound     Code = "not_found"    // it does not exist, or the caller may not know it exists (404)
	Unauthorized Code = "unauthorized" // not signed in, or bad credentials (401)
	Forbidden    Code = "forbidden"    // signed in but not allowed (403)
	Conflict     Code = "conflict"     // it clashes with the current state (409)
	Unavailable  Code = "unavailable"  // a dependency is down; try again later (503)
	Internal     Code = "internal"     // a bug or an unexpected failure (500)
)

// Error is an error with a code and a message fit for the user.
type Error struct {
	Code    Code
	Message string
	// Err is the underlying cause, kept for logs and errors.Is; never shown.
	Err error
}

// Error returns the message, and the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E returns an *Error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error that keeps err as its cause.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, Internal when there is none, and
// "" for a nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the message to show for err: the *Error's own message, or a generic one
// for internal errors so that no detail leaks.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "Something went wrong on our side. It has been logged; please try again."
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
