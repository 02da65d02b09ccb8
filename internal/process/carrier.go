package process

import (
	"errors"
	"fmt"
	"sync"

	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// What the engine makes of the carrier's exchanges and errors: log entries, codes, reasons.

// exchanges collects the carrier exchanges of one call.
type exchanges struct {
	mu sync.Mutex
	xs []thingspace.Exchange
}

func (x *exchanges) add(ex thingspace.Exchange) {
	x.mu.Lock()
	x.xs = append(x.xs, ex)
	x.mu.Unlock()
}

func (x *exchanges) list() []thingspace.Exchange {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]thingspace.Exchange(nil), x.xs...)
}

// logs turns the exchanges into log entries, one each.
func (x *exchanges) logs() []store.LogEntry {
	var out []store.LogEntry
	for _, ex := range x.list() {
		out = append(out, exchangeLog(ex))
	}
	return out
}

// exchangeLog is the log entry of one carrier exchange: its request and response texts
// (credentials already redacted by the client) and, for a failure, the carrier's code.
func exchangeLog(ex thingspace.Exchange) store.LogEntry {
	l := store.LogEntry{RequestText: ex.RequestText, ResponseText: ex.ResponseText}
	switch ex.Op {
	case thingspace.OpToken:
		l.Description = store.LogAccessToken
	case thingspace.OpLogin:
		l.Description = store.LogSessionLogin
	case thingspace.OpChangeIdentifier:
		l.Description = store.LogChangeIdentifier
	case thingspace.OpFindDevice:
		l.Description = store.LogDeviceLookup
	default:
		l.Description = store.LogCarrierCall + ": " + ex.Op
	}
	if ex.Err != nil {
		l.HasErrors = true
		l.ErrorText = ex.Err.Error()
		l.ErrorCode = errorCode(ex.Err, []thingspace.Exchange{ex})
		if ex.StatusCode == 0 {
			l.ResponseText = "no response: " + ex.Err.Error()
		}
	}
	return l
}

// errorCode is the carrier's code of a failure, or a name for a failure that carries none.
func errorCode(err error, xs []thingspace.Exchange) string {
	var ae *thingspace.APIError
	if errors.As(err, &ae) && ae.Code != "" {
		return ae.Code
	}
	if errors.As(err, &ae) && ae.HTTPStatus != 0 {
		return fmt.Sprintf("HTTP_%d", ae.HTTPStatus)
	}
	for i := len(xs) - 1; i >= 0; i-- {
		if xs[i].StatusCode != 0 {
			return fmt.Sprintf("HTTP_%d", xs[i].StatusCode)
		}
	}
	return CodeNoResponse
}

// carrierError is the carrier's code and message of a refusal.
func carrierError(err error) (code, message string) {
	var ae *thingspace.APIError
	if errors.As(err, &ae) {
		message = ae.Message
		if message == "" {
			message = ae.Error()
		}
		return ae.Code, message
	}
	return "", err.Error()
}

// authReason says which step of signing in to ThingSpace failed, in the legacy words.
func authReason(err error) string {
	switch opOf(err) {
	case thingspace.OpToken:
		return "Authentication Failed - Unable to get access token: " + shortError(err)
	case thingspace.OpLogin:
		return "Authentication Failed - Unable to get session token: " + shortError(err)
	}
	if thingspace.ClassOf(err) == thingspace.ClassInvalid {
		return "The ThingSpace settings of the provider are not usable: " + shortError(err)
	}
	return "Authentication Failed - ThingSpace refused the access token: " + shortError(err)
}

func opOf(err error) string {
	var ae *thingspace.APIError
	if errors.As(err, &ae) {
		return ae.Op
	}
	return ""
}

// shortError is an error for people: the carrier's code and message when there are some.
func shortError(err error) string {
	var ae *thingspace.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Code != "" && ae.Message != "":
			return ae.Code + ": " + ae.Message
		case ae.Message != "":
			return ae.Message
		case ae.HTTPStatus != 0:
			return fmt.Sprintf("HTTP %d", ae.HTTPStatus)
		case ae.Err != nil:
			return ae.Err.Error()
		}
	}
	return err.Error()
}

// withRow names the row in log entries written on their own.
func withRow(logs []store.LogEntry, w *store.ChangeWork) []store.LogEntry {
	for i := range logs {
		logs[i].BulkChangeID, logs[i].ChangeID = w.BulkChangeID, w.ID
	}
	return logs
}
