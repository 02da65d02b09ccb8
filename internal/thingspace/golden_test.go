package thingspace_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/idswap/idswap/internal/thingspace"
)

// Every JSON example of thingspace-api.md sits in testdata; each must decode
// into our types and encode back with every key and value it had.
func TestGoldenPayloadsKeepEveryField(t *testing.T) {
	cases := []struct {
		file string
		into func() any
	}{
		{"change_identifier_request.json", func() any { return new(thingspace.ChangeIdentifierRequest) }},
		{"change_identifier_request_msisdn.json", func() any { return new(thingspace.ChangeIdentifierRequest) }},
		{"request_id_response.json", func() any { return new(thingspace.RequestIDResponse) }},
		{"callback_change_identifier_success.json", func() any { return new(thingspace.Callback) }},
		{"callback_failure.json", func() any { return new(thingspace.Callback) }},
		{"callback_nidd.json", func() any { return new(thingspace.Callback) }},
		{"login_request.json", func() any { return new(thingspace.LoginRequest) }},
		{"session_response.json", func() any { return new(thingspace.SessionResponse) }},
		{"register_callback_request.json", func() any { return new(thingspace.RegisterCallbackRequest) }},
		{"callback_account_response.json", func() any { return new(thingspace.CallbackAccountResponse) }},
		{"callback_listeners.json", func() any { return new([]thingspace.CallbackListener) }},
		{"device_list_request.json", func() any { return new(thingspace.ListDevicesRequest) }},
		{"device_list_response.json", func() any { return new(thingspace.DeviceListPage) }},
		{"device_list_response_more.json", func() any { return new(thingspace.DeviceListPage) }},
		{"callback_no_status.json", func() any { return new(thingspace.Callback) }},
		{"service_plans.json", func() any { return new([]thingspace.ServicePlan) }},
		{"error_response.json", func() any { return new(thingspace.ErrorResponse) }},
		{"gateway_fault.json", func() any { return new(thingspace.GatewayFault) }},
		{"oauth_token.json", func() any { return new(thingspace.OAuthToken) }},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			raw := MustReadFile(t, filepath.Join("testdata", tc.file))
			v := tc.into()
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if diff := lost(MustGeneric(t, raw), MustGeneric(t, again), "$"); diff != "" {
				t.Errorf("round trip changed the payload at %s\nwant %s\ngot  %s", diff, compact(t, raw), again)
			}
		})
	}
	// A new example file must get a case, or it is never checked.
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("testdata/%s has no golden case", filepath.Base(f))
		}
	}
}

// The golden callbacks carry what the engine reads; check the values, not
// only that they survive a round trip.
func TestGoldenCallbacksDecodeToValues(t *testing.T) {
	ok := MustParseCallback(t, MustReadFile(t, "testdata/callback_change_identifier_success.json"))
	if !ok.Succeeded() || ok.RequestID != "a28892ea-6503-4aa7-bfa2-4cd45d42f61b" || ok.CallbackCount != 1 || ok.MaxCallbackThreshold != 4 {
		t.Errorf("success callback decoded as %+v", ok)
	}
	res, found := ok.ChangeIdentifierResult()
	if !found || res.ServicePlan != "M2M_4G" || len(res.DeviceIDs) != 1 || !res.DeviceIDs[0].Is("ICCID") || res.DeviceIDs[0].ID != "A1000001999990" {
		t.Errorf("changeIdentifierResponse = %+v, %v", res, found)
	}

	bad := MustParseCallback(t, MustReadFile(t, "testdata/callback_failure.json"))
	if bad.Succeeded() || bad.FaultResponse == nil || bad.FaultResponse.FaultCode != "UnifiedWebService.REQUEST_FAILED.DeviceAlreadyActive" {
		t.Errorf("failure callback decoded as %+v", bad)
	}
	if bad.NewDeviceIDs() != nil {
		t.Errorf("failure callback has new ids %v", bad.NewDeviceIDs())
	}
	if id, ok := thingspace.FindID(bad.DeviceIDs, thingspace.KindIMEI); !ok || id != "201809030000009" {
		t.Errorf("imei of %q kinds not found: %v", "Imei", bad.DeviceIDs)
	}

	nidd := MustParseCallback(t, MustReadFile(t, "testdata/callback_nidd.json"))
	if _, ok := nidd.Extra["niddResponse"]; !ok {
		t.Errorf("niddResponse not kept in Extra: %v", nidd.Extra)
	}
}

// lost returns the path of the first value of want that got lacks or
// changes, or of a key got invents with a non-zero value; "" when none.
// Keys our encoder adds with a zero value (e.g. "username": "") are fine.
func lost(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k
			}
			if d := lost(wv, gv, path+"."+k); d != "" {
				return d
			}
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok && gv != nil && !reflect.ValueOf(gv).IsZero() {
				return path + "." + k + " (invented)"
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path
		}
		for i := range w {
			if d := lost(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(want, got) {
			return path
		}
		return ""
	}
}

func MustReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func MustGeneric(tb testing.TB, b []byte) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("generic decode: %v", err)
	}
	return v
}

func MustParseCallback(tb testing.TB, b []byte) *thingspace.Callback {
	tb.Helper()
	cb, err := thingspace.ParseCallback(b)
	if err != nil {
		tb.Fatal(err)
	}
	return cb
}

func compact(tb testing.TB, b []byte) string {
	tb.Helper()
	out, err := json.Marshal(MustGeneric(tb, b))
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}
