package thingspace_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
)

// MustStubClient runs a client against a stub carrier whose token and login
// always work and whose other answers come from api.
func MustStubClient(tb testing.TB, api http.HandlerFunc) *thingspace.Client {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/ts/v1/oauth2/token":
			fmt.Fprint(w, `{"access_token":"stub-token","token_type":"Bearer","expires_in":3600}`)
		case "/api/m2m/v1/session/login":
			fmt.Fprint(w, `{"sessionToken":"00000000-0000-4000-8000-000000000001"}`)
		default:
			api(w, r)
		}
	}))
	tb.Cleanup(srv.Close)
	c, err := thingspace.New(thingspace.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "s", Username: "u", Password: "p", AccountName: "a", ServiceType: "4G"})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestClassifiesCarrierAnswers(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		class      thingspace.ErrorClass
		code       string
		retryAfter func(time.Duration) bool
	}{
		{name: "m2m 400", status: 400, body: `{"errorCode":"UnifiedWebService.INPUT_INVALID.Device.Kind.Invalid","errorMessage":"bad kind"}`,
			class: thingspace.ClassInvalid, code: "UnifiedWebService.INPUT_INVALID.Device.Kind.Invalid"},
		{name: "device not found under another service prefix", status: 400, body: `{"errorCode":"DeviceService.REQUEST_FAILED.DeviceNotFound","errorMessage":"x"}`,
			class: thingspace.ClassNotFound, code: "DeviceService.REQUEST_FAILED.DeviceNotFound"},
		{name: "xml 403", status: 403, body: `<am:fault xmlns:am="http://wso2.org/apimanager"><am:code>900908</am:code><am:message>Resource forbidden</am:message></am:fault>`,
			class: thingspace.ClassUnauthorized, code: "900908"},
		{name: "numeric gateway code", status: 429, body: `{"fault":{"code":900800,"message":"Message throttled out"}}`, header: map[string]string{"Retry-After": "7"},
			class: thingspace.ClassThrottled, code: "900800", retryAfter: func(d time.Duration) bool { return d == 7*time.Second }},
		{name: "throttle fault without 429", status: 503, body: `{"fault":{"code":"900802","message":"Message throttled out"}}`,
			class: thingspace.ClassThrottled, code: "900802"},
		{name: "503 with an HTTP date", status: 503, body: `upstream down`, header: map[string]string{"Retry-After": httpDate},
			class: thingspace.ClassUnavailable, retryAfter: func(d time.Duration) bool { return d > 60*time.Second && d <= 90*time.Second }},
		{name: "502 html", status: 502, body: `<html>bad gateway</html>`, class: thingspace.ClassUnavailable},
		{name: "404 wrong endpoint", status: 404, body: `{"fault":{"code":"900906","message":"No matching resource"}}`,
			class: thingspace.ClassInvalid, code: "900906"},
		{name: "undecodable 200", status: 200, body: `<html>portal</html>`, class: thingspace.ClassUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := MustStubClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			_, err := c.Plans(context.Background())
			ae := MustAPIError(t, err, tc.class)
			if ae.Code != tc.code {
				t.Errorf("code %q, want %q", ae.Code, tc.code)
			}
			if ae.Op != thingspace.OpPlans {
				t.Errorf("op %q", ae.Op)
			}
			if tc.retryAfter != nil && !tc.retryAfter(ae.RetryAfter) {
				t.Errorf("retry after %s", ae.RetryAfter)
			}
			if !strings.Contains(err.Error(), string(tc.class)) {
				t.Errorf("message %q does not name the class", err.Error())
			}
		})
	}
}

func TestFindDeviceEmptyListIsNotFound(t *testing.T) {
	c := MustStubClient(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"hasMoreData":false,"devices":[]}`)
	})
	_, err := c.FindDevice(context.Background(), thingspace.DeviceID{ID: "1", Kind: "iccid"})
	MustAPIError(t, err, thingspace.ClassNotFound)
}

// A carrier that says "more data" but sends the same page again (it ignores
// earliest) is stopped after that page, with no device handed on twice.
func TestAllDevicesStopsWhenAPageRepeats(t *testing.T) {
	calls := 0
	c := MustStubClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusAccepted) // more data, no cursor, the same device every time
		fmt.Fprint(w, `{"hasMoreData":true,"devices":[{"accountName":"a","createdAt":"2024-01-02T09:00:00Z","deviceIds":[{"id":"89148000000000010000","kind":"iccId"}],"carrierInformations":[],"connected":false}]}`)
	})
	got := 0
	err := c.AllDevices(context.Background(), thingspace.ListDevicesRequest{}, func(thingspace.Device) error { got++; return nil })
	ae := MustAPIError(t, err, thingspace.ClassUnavailable)
	if !strings.Contains(ae.Message, "repeated") {
		t.Errorf("message %q does not say the list repeated", ae.Message)
	}
	if calls != 2 || got != 1 {
		t.Errorf("%d pages fetched and %d devices handed on, want 2 and 1", calls, got)
	}
}

// A page with more data whose devices carry no createdAt cannot be paged
// without a cursor: an error, not a loop.
func TestAllDevicesRefusesPagingWithoutCreatedAt(t *testing.T) {
	calls := 0
	c := MustStubClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"devices":[{"accountName":"a","deviceIds":[{"id":"%d","kind":"mdn"}],"carrierInformations":[],"connected":false}]}`, calls)
	})
	err := c.AllDevices(context.Background(), thingspace.ListDevicesRequest{}, func(thingspace.Device) error { return nil })
	MustAPIError(t, err, thingspace.ClassUnavailable)
	if calls != 1 {
		t.Errorf("%d pages fetched, want 1", calls)
	}
}

func TestClassOf(t *testing.T) {
	cases := []struct {
		err   error
		class thingspace.ErrorClass
		retry bool
	}{
		{nil, "", false},
		{context.DeadlineExceeded, thingspace.ClassUnavailable, true},
		{fmt.Errorf("wrapped: %w", &thingspace.APIError{Class: thingspace.ClassThrottled}), thingspace.ClassThrottled, true},
		{&thingspace.APIError{Class: thingspace.ClassNotFound}, thingspace.ClassNotFound, false},
		{&thingspace.APIError{Class: thingspace.ClassUnauthorized}, thingspace.ClassUnauthorized, false},
		{errors.New("something else"), thingspace.ClassInvalid, false},
	}
	for _, tc := range cases {
		if got := thingspace.ClassOf(tc.err); got != tc.class {
			t.Errorf("ClassOf(%v) = %q, want %q", tc.err, got, tc.class)
		}
		if got := thingspace.Retryable(tc.err); got != tc.retry {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.retry)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	good := thingspace.Config{BaseURL: "https://thingspace.verizon.com", ClientID: "i", ClientSecret: "s", Username: "u", Password: "p", AccountName: "0000123456-00001"}
	cases := []struct {
		name string
		edit func(*thingspace.Config)
		ok   bool
	}{
		{"complete", func(*thingspace.Config) {}, true},
		{"no base url", func(c *thingspace.Config) { c.BaseURL = "" }, false},
		{"relative base url", func(c *thingspace.Config) { c.BaseURL = "thingspace.verizon.com" }, false},
		{"no secret", func(c *thingspace.Config) { c.ClientSecret = "" }, false},
		{"no password", func(c *thingspace.Config) { c.Password = " " }, false},
		{"no account", func(c *thingspace.Config) { c.AccountName = "" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := thingspace.New(cfg)
			if (err == nil) != tc.ok {
				t.Errorf("New error = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "s\"") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

func TestParseCallbackKinds(t *testing.T) {
	cases := []struct{ kind, ask string }{
		{"Iccid", thingspace.KindICCID}, {"ICCID", thingspace.KindICCID}, {"iccId", thingspace.KindICCID},
		{"IMEI", thingspace.KindIMEI}, {"Imei", thingspace.KindIMEI}, {"mdn", "MDN"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			body := `{"requestId":"r1","deviceIds":[{"id":"42","kind":"` + tc.kind + `"}],"status":"SUCCESS","someNewKey":{"x":1},
				"deviceResponse":{"ChangeIdentifierResponse":{"deviceIds":[{"id":"43","kind":"` + tc.kind + `"}]}}}`
			cb := MustParseCallback(t, []byte(body))
			if id, ok := thingspace.FindID(cb.DeviceIDs, tc.ask); !ok || id != "42" {
				t.Errorf("FindID(%q) in kind %q failed", tc.ask, tc.kind)
			}
			if !cb.DeviceIDs[0].Is(tc.ask) || !thingspace.KindIs(tc.kind, tc.ask) {
				t.Errorf("Is(%q) false for kind %q", tc.ask, tc.kind)
			}
			if ids := cb.NewDeviceIDs(); len(ids) != 1 || ids[0].ID != "43" {
				t.Errorf("new ids %v", ids)
			}
			if !cb.Succeeded() {
				t.Error("status SUCCESS not taken as success")
			}
			if _, ok := cb.Extra["someNewKey"]; !ok {
				t.Error("unknown key not kept")
			}
		})
	}
}

func TestParseCallbackRefusesJunk(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"status":"Success"}`, `{"requestId":`} {
		if _, err := thingspace.ParseCallback([]byte(body)); err == nil {
			t.Errorf("ParseCallback(%q) accepted it", body)
		}
	}
}

func TestChange4GOptions(t *testing.T) {
	want := map[thingspace.Change4GOption]string{
		thingspace.ChangeICCID: "ChangeICCID", thingspace.ChangeIMEI: "ChangeIMEI", thingspace.ChangeIMEIandICCID: "ChangeIMEIandICCID",
		thingspace.ChangeMSISDN: "ChangeMSISDN", thingspace.Change3Gto4G: "3Gto4G", thingspace.Change4Gto3G: "4Gto3G",
		thingspace.ChangeIMEIandEID: "ChangeIMEIandEID",
	}
	if len(thingspace.Change4GOptions()) != len(want) {
		t.Errorf("Change4GOptions has %d values, want %d", len(thingspace.Change4GOptions()), len(want))
	}
	for opt, s := range want {
		if string(opt) != s {
			t.Errorf("%q != %q", opt, s)
		}
		if got, ok := thingspace.ParseChange4GOption(strings.ToLower(s)); !ok || got != opt {
			t.Errorf("ParseChange4GOption(%q) = %q, %v", strings.ToLower(s), got, ok)
		}
	}
	if _, ok := thingspace.ParseChange4GOption("ChangeEverything"); ok {
		t.Error("unknown option parsed")
	}
}
