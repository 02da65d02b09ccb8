package thingspace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Exchange is one HTTP request and its response, as handed to
// Config.Observer for the audit log. Credentials are already redacted.
type Exchange struct {
	// Op names the call: one of the Op* constants.
	Op     string
	Method string
	URL    string
	// RequestText is the method, URL, headers and body.
	RequestText string
	// StatusCode is 0 when no response came back.
	StatusCode int
	// ResponseText is the status line, headers and body.
	ResponseText string
	Duration     time.Duration
	// Err is the transport error, or the classified *APIError of a non-2xx.
	Err error
}

// Operation names used in Exchange.Op and APIError.Op.
const (
	OpToken            = "token"
	OpLogin            = "login"
	OpLogout           = "logout"
	OpChangeIdentifier = "change_identifier"
	OpListDevices      = "list_devices"
	OpFindDevice       = "find_device"
	OpPlans            = "plans"
	OpRegisterCallback = "register_callback"
	OpListCallbacks    = "list_callbacks"
	OpDeleteCallback   = "delete_callback"
)

// redactedText replaces every secret in audit texts.
const redactedText = "[REDACTED]"

// maxResponseBytes bounds what is read from the carrier; a device list page
// of 2000 devices is well under it.
const maxResponseBytes = 64 << 20

type opKey struct{}

func withOp(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

func opFrom(ctx context.Context) string {
	op, _ := ctx.Value(opKey{}).(string)
	return op
}

type observerKey struct{}

// WithObserver returns a context whose calls also hand their exchanges to fn,
// after Config.Observer. The client is shared by many goroutines, so the
// config's observer cannot tell which caller an exchange belongs to; this
// one can: the engine uses it to log every exchange of a change (token and
// login fetched on its behalf included) against that change. fn runs on the
// calling goroutine, like Config.Observer.
func WithObserver(ctx context.Context, fn func(Exchange)) context.Context {
	return context.WithValue(ctx, observerKey{}, fn)
}

func callObserver(ctx context.Context) func(Exchange) {
	fn, _ := ctx.Value(observerKey{}).(func(Exchange))
	return fn
}

// observingTransport hands every exchange, redacted, to the observer. It sits
// under x/oauth2 as well, so token requests are audited like the rest.
type observingTransport struct {
	base     http.RoundTripper
	observer func(Exchange)
	// secrets are literal values (client secret, password) blanked wherever
	// they appear, in case a body carries them under a key we do not know.
	secrets []string
}

func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	perCall := callObserver(req.Context())
	if t.observer == nil && perCall == nil {
		return t.base.RoundTrip(req)
	}
	observe := func(ex Exchange) {
		if t.observer != nil {
			t.observer(ex)
		}
		if perCall != nil {
			perCall(ex)
		}
	}
	start := time.Now()
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		// RoundTrip must not change the caller's request, so send a clone
		// with the buffered body.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	op := opFrom(req.Context())
	secrets := append([]string{req.Header.Get("VZ-M2M-Token"), bearerOf(req.Header.Get("Authorization"))}, t.secrets...)
	ex := Exchange{
		Op:          op,
		Method:      req.Method,
		URL:         req.URL.String(),
		RequestText: requestText(req, reqBody, secrets),
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		ex.Duration = time.Since(start)
		ex.Err = err
		observe(ex)
		return nil, err
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.Duration = time.Since(start)
	ex.StatusCode = resp.StatusCode
	// A new token or session in the answer is as secret as the old one.
	ex.ResponseText = responseText(resp, body, secrets)
	if readErr != nil {
		ex.Err = readErr
	} else if ae := classify(op, resp.StatusCode, resp.Header, body); ae != nil {
		ex.Err = ae
	}
	observe(ex)
	if readErr != nil {
		return nil, readErr
	}
	return resp, nil
}

func bearerOf(auth string) string {
	_, tok, ok := strings.Cut(auth, " ")
	if !ok {
		return ""
	}
	return tok
}

func requestText(req *http.Request, body []byte, secrets []string) string {
	var b strings.Builder
	b.WriteString(req.Method)
	b.WriteByte(' ')
	b.WriteString(req.URL.String())
	b.WriteByte('\n')
	writeHeaders(&b, req.Header)
	b.WriteByte('\n')
	b.WriteString(redactBody(body, req.Header.Get("Content-Type"), secrets))
	return b.String()
}

func responseText(resp *http.Response, body []byte, secrets []string) string {
	var b strings.Builder
	b.WriteString("HTTP ")
	b.WriteString(strconv.Itoa(resp.StatusCode))
	if txt := http.StatusText(resp.StatusCode); txt != "" {
		b.WriteByte(' ')
		b.WriteString(txt)
	}
	b.WriteByte('\n')
	writeHeaders(&b, resp.Header)
	b.WriteByte('\n')
	b.WriteString(redactBody(body, resp.Header.Get("Content-Type"), secrets))
	return b.String()
}

// secretHeader reports headers whose values are replaced whole;
// Authorization keeps its scheme so the audit shows Basic or Bearer.
func secretHeader(canonical string) bool {
	switch canonical {
	case "Authorization", "Vz-M2m-Token", "Cookie", "Set-Cookie", "Proxy-Authorization":
		return true
	}
	return false
}

func writeHeaders(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			if secretHeader(http.CanonicalHeaderKey(k)) {
				if scheme, _, ok := strings.Cut(v, " "); ok && http.CanonicalHeaderKey(k) == "Authorization" {
					v = scheme + " " + redactedText
				} else {
					v = redactedText
				}
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
}

// secretKeys are JSON keys and form fields whose values never reach the audit.
const secretKeys = `password|oldPassword|newPassword|sessionToken|access_token|refresh_token|id_token|client_secret|token|secret`

var (
	jsonSecret = regexp.MustCompile(`(?i)("(?:` + secretKeys + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	formSecret = regexp.MustCompile(`(?i)(^|&)(` + secretKeys + `)=[^&]*`)
)

func redactBody(body []byte, contentType string, secrets []string) string {
	text := string(body)
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		text = formSecret.ReplaceAllString(text, "${1}${2}="+url.QueryEscape(redactedText))
	} else {
		text = jsonSecret.ReplaceAllString(text, `${1}"`+redactedText+`"`)
	}
	for _, s := range secrets {
		// Short values would blank ordinary text; real secrets are longer.
		if len(s) >= 4 {
			text = strings.ReplaceAll(text, s, redactedText)
		}
	}
	return text
}
