package thingspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrorClass says what the engine may do about an error.
type ErrorClass string

// The error classes. Only ClassThrottled, ClassUnavailable and
// ClassSessionExpired are worth retrying; see [Retryable].
const (
	// ClassInvalid: the carrier refused the request as it is (HTTP 400 with
	// an errorCode, unknown path, bad input). Never retry.
	ClassInvalid ErrorClass = "invalid"
	// ClassUnauthorized: credentials refused (token endpoint, bearer after
	// one refetch, or login). A person must fix the credentials.
	ClassUnauthorized ErrorClass = "unauthorized"
	// ClassSessionExpired: the session expired again right after the client
	// logged in anew; a later attempt may work.
	ClassSessionExpired ErrorClass = "session_expired"
	// ClassThrottled: HTTP 429 or a gateway throttling fault; wait
	// APIError.RetryAfter (when non-zero) before the next call.
	ClassThrottled ErrorClass = "throttled"
	// ClassUnavailable: 5xx, timeout, network failure or cancellation. The
	// carrier may or may not have acted on the request.
	ClassUnavailable ErrorClass = "unavailable"
	// ClassNotFound: the device is not known to the carrier
	// (errorCode ...DeviceNotFound, or an empty single-device lookup).
	ClassNotFound ErrorClass = "not_found"
)

// APIError is every error the client returns. Code and Message are the
// carrier's errorCode/errorMessage, or the gateway's fault code/message, or
// the OAuth error/error_description, exactly as sent.
type APIError struct {
	Class      ErrorClass
	HTTPStatus int // 0 when no response came back
	Code       string
	Message    string
	// RetryAfter is the Retry-After delay of a 429/503, zero when absent.
	RetryAfter time.Duration
	Op         string
	// Err is the underlying cause for errors without a response
	// (network, context), nil otherwise.
	Err error
}

// Error formats the error for logs; it never contains credentials.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("thingspace: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Class))
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil && e.Message == "" {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is(err, context.Canceled) works.
func (e *APIError) Unwrap() error { return e.Err }

// HasCode reports whether the carrier code ends with the given part, e.g.
// "REQUEST_FAILED.SessionToken.Expired". The doc says to match the part after
// the service name because the prefix varies by service.
func (e *APIError) HasCode(part string) bool {
	return e.Code == part || strings.HasSuffix(e.Code, "."+part)
}

// ClassOf returns the class of err: the class of an *APIError in its chain,
// ClassUnavailable for context and network errors, ClassInvalid for anything
// else (an error not understood is not retried), "" for nil.
func ClassOf(err error) ErrorClass {
	if err == nil {
		return ""
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Class
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &ne) {
		return ClassUnavailable
	}
	return ClassInvalid
}

// Retryable reports whether the same request may be sent again later. The
// client itself never sleeps and retries 429/5xx: the engine owns scheduling.
// Caution for ChangeIdentifier: ClassUnavailable includes timeouts after which
// the carrier may already have accepted the change; check before resending.
func Retryable(err error) bool {
	switch ClassOf(err) {
	case ClassThrottled, ClassUnavailable, ClassSessionExpired:
		return true
	}
	return false
}

// RetryAfter returns the carrier's Retry-After delay carried by err, or zero.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// Codes the client acts on (code part after the service name).
const (
	codeSessionExpired = "REQUEST_FAILED.SessionToken.Expired"
	codeDeviceNotFound = "REQUEST_FAILED.DeviceNotFound"
)

// The gateway answers a wrong 403 with XML, not JSON.
var (
	xmlFaultCode    = regexp.MustCompile(`<(?:\w+:)?code>([^<]*)</`)
	xmlFaultMessage = regexp.MustCompile(`<(?:\w+:)?message>([^<]*)</`)
)

// classify turns a non-2xx response into an *APIError; nil for 2xx.
func classify(op string, status int, header http.Header, body []byte) *APIError {
	if status >= 200 && status < 300 {
		return nil
	}
	e := &APIError{Op: op, HTTPStatus: status}
	e.Code, e.Message = errorText(body)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now())
	}
	switch {
	case status == http.StatusTooManyRequests || strings.HasPrefix(e.Code, "9008"):
		// 9008xx are WSO2 throttling faults, whatever the status.
		e.Class = ClassThrottled
	case e.HasCode(codeSessionExpired):
		e.Class = ClassSessionExpired
	case e.HasCode(codeDeviceNotFound):
		e.Class = ClassNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Class = ClassUnauthorized
	case (op == OpToken || op == OpLogin) && status >= 400 && status < 500:
		// A refused token or login is a credentials problem whatever the code.
		e.Class = ClassUnauthorized
	case status == http.StatusRequestTimeout || status >= 500:
		e.Class = ClassUnavailable
	default:
		e.Class = ClassInvalid
	}
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// errorText pulls code and message out of any of the carrier's error bodies.
func errorText(body []byte) (code, message string) {
	var m2m ErrorResponse
	if json.Unmarshal(body, &m2m) == nil && (m2m.ErrorCode != "" || m2m.ErrorMessage != "") {
		return m2m.ErrorCode, m2m.ErrorMessage
	}
	var gw GatewayFault
	if json.Unmarshal(body, &gw) == nil && (gw.Fault.Code != "" || gw.Fault.Message != "") {
		msg := gw.Fault.Message
		if gw.Fault.Description != "" {
			msg += ": " + gw.Fault.Description
		}
		return string(gw.Fault.Code), msg
	}
	var oa OAuthError
	if json.Unmarshal(body, &oa) == nil && oa.Error != "" {
		return oa.Error, oa.ErrorDescription
	}
	if m := xmlFaultCode.FindSubmatch(body); m != nil {
		code = string(m[1])
		if mm := xmlFaultMessage.FindSubmatch(body); mm != nil {
			message = string(mm[1])
		}
		return code, message
	}
	text := strings.TrimSpace(string(body))
	const max = 300
	if len(text) > max {
		text = text[:max] + "…"
	}
	return "", text
}

// parseRetryAfter reads delay-seconds or an HTTP date; zero when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// transportError wraps an error that came without a response.
func transportError(op string, err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	// No response means the carrier may be down or slow: worth a retry.
	return &APIError{Op: op, Class: ClassUnavailable, Err: err}
}
