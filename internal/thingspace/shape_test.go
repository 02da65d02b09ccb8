package thingspace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// The contract: testdata holds the request and response shapes of the
// carrier's SDK models and documented examples (thingspace-api.md §12).
// The client's requests and the simulator's responses are both checked
// against them, so the two cannot drift away from the carrier together:
// a field one side invents and the other accepts fails here.

// keyPaths lists every object key path of a JSON value ("a.b", "a[].c").
func keyPaths(tb testing.TB, raw []byte) map[string]bool {
	tb.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("not JSON: %v: %s", err, raw)
	}
	out := map[string]bool{}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := strings.TrimPrefix(path+"."+k, ".")
				out[p] = true
				walk(c, p)
			}
		case []any:
			for _, c := range x {
				walk(c, path+"[]")
			}
		}
	}
	walk(v, "")
	return out
}

func goldenPaths(tb testing.TB, files ...string) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	for _, f := range files {
		for p := range keyPaths(tb, MustReadFile(tb, filepath.Join("testdata", f))) {
			out[p] = true
		}
	}
	return out
}

// mustFit fails for every key path of raw that the golden shapes lack.
func mustFit(tb testing.TB, who string, raw []byte, golden map[string]bool) {
	tb.Helper()
	var extra []string
	for p := range keyPaths(tb, raw) {
		if !golden[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		tb.Errorf("%s has fields the carrier's models lack: %v\n%s", who, extra, raw)
	}
}

// bodyOf is the body of an exchange text (headers, a blank line, the body).
func bodyOf(text string) []byte {
	_, body, _ := strings.Cut(text, "\n\n")
	return []byte(strings.TrimSpace(body))
}

// Every request the client sends and every answer the simulator gives, over
// a run touching each call, fits the golden shapes.
func TestContractShapesOfClientAndSimulator(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	r.MustRegister(t)
	if _, err := r.Client.ListCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	MustChange(t, r.Client, iccidChange(line1ICCID, spareSIM))
	r.MustWaitIdle(t)
	MustChange(t, r.Client, iccidChange(line2ICCID, spareSIM)) // the SIM is taken by then: a failure callback
	msisdn := thingspace.ChangeIdentifierRequest{DeviceIDs: []thingspace.DeviceID{{ID: "5095550103", Kind: thingspace.KindMDN}},
		Change4GOption: thingspace.ChangeMSISDN, NpaNxx: "509555"}
	MustChange(t, r.Client, msisdn)
	if err := r.Client.AllDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: 2, Earliest: "2020-01-01T00:00:00Z"},
		func(thingspace.Device) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Client.FindDevice(ctx, thingspace.DeviceID{ID: line2ICCID, Kind: thingspace.KindICCID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	bad := iccidChange(line2ICCID, spareSIM2)
	bad.ServicePlan = "NO-SUCH-PLAN"
	_, _ = r.Client.ChangeIdentifier(ctx, bad) // a 400 error body
	r.MustWaitIdle(t)
	if err := r.Client.DeleteCallback(ctx, thingspace.ServiceCarrier); err != nil {
		t.Fatal(err)
	}
	if err := r.Client.Logout(ctx); err != nil {
		t.Fatal(err)
	}

	requests := map[string][]string{
		thingspace.OpChangeIdentifier: {"change_identifier_request.json", "change_identifier_request_msisdn.json"},
		thingspace.OpListDevices:      {"device_list_request.json"},
		thingspace.OpFindDevice:       {"device_list_request.json"},
		thingspace.OpLogin:            {"login_request.json"},
		thingspace.OpRegisterCallback: {"register_callback_request.json"},
	}
	responses := map[string][]string{
		thingspace.OpToken:            {"oauth_token.json"},
		thingspace.OpLogin:            {"session_response.json"},
		thingspace.OpLogout:           {"session_response.json"},
		thingspace.OpChangeIdentifier: {"request_id_response.json"},
		thingspace.OpListDevices:      {"device_list_response.json", "device_list_response_more.json"},
		thingspace.OpFindDevice:       {"device_list_response.json", "device_list_response_more.json"},
		thingspace.OpPlans:            {"service_plans.json"},
		thingspace.OpRegisterCallback: {"callback_account_response.json"},
		thingspace.OpDeleteCallback:   {"callback_account_response.json"},
		thingspace.OpListCallbacks:    {"callback_listeners.json"},
	}
	checked := map[string]bool{}
	for _, ex := range r.Exchanges() {
		if files, ok := requests[ex.Op]; ok {
			mustFit(t, "client "+ex.Op+" request", bodyOf(ex.RequestText), goldenPaths(t, files...))
			checked["request "+ex.Op] = true
		}
		body := bodyOf(ex.ResponseText)
		switch {
		case ex.StatusCode == http.StatusBadRequest:
			mustFit(t, "simulator "+ex.Op+" error", body, goldenPaths(t, "error_response.json"))
			checked["error"] = true
		case ex.StatusCode/100 == 2 && len(body) > 0:
			files, ok := responses[ex.Op]
			if !ok {
				t.Errorf("no golden shape for %s responses", ex.Op)
				continue
			}
			mustFit(t, "simulator "+ex.Op+" response", body, goldenPaths(t, files...))
			checked["response "+ex.Op] = true
		}
	}
	for _, want := range []string{"request change_identifier", "request list_devices", "request find_device", "request login",
		"request register_callback", "response token", "response login", "response logout", "response change_identifier",
		"response list_devices", "response find_device", "response plans", "response register_callback",
		"response delete_callback", "response list_callbacks", "error"} {
		if !checked[want] {
			t.Errorf("the run had no %s to check", want)
		}
	}

	callbacks := goldenPaths(t, "callback_change_identifier_success.json", "callback_failure.json", "callback_no_status.json")
	var outcomes []thingspace.Outcome
	for range 3 {
		select {
		case cb := <-r.Listener.Callbacks:
			body := <-r.Listener.Bodies
			o, _ := cb.Outcome()
			outcomes = append(outcomes, o)
			mustFit(t, "simulator callback", []byte(body), callbacks)
		default:
			t.Fatalf("only %d callbacks arrived", len(outcomes))
		}
	}
	if !slices.Contains(outcomes, thingspace.OutcomeFailed) || !slices.Contains(outcomes, thingspace.OutcomeSucceeded) {
		t.Errorf("outcomes %v, want a success and a failure", outcomes)
	}
}

// The simulator reads every documented request shape: the golden requests
// are refused for their values (unknown devices), never as undecodable.
func TestContractSimulatorReadsGoldenRequests(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	tok, sess := mustRawSession(t, r)
	for _, c := range []struct{ method, path, file string }{
		{http.MethodPut, "/api/m2m/v1/devices/4G/actions/deviceId", "change_identifier_request.json"},
		{http.MethodPut, "/api/m2m/v1/devices/4G/actions/deviceId", "change_identifier_request_msisdn.json"},
		{http.MethodPost, "/api/m2m/v1/devices/actions/list", "device_list_request.json"},
		{http.MethodPost, "/api/m2m/v1/callbacks/" + account, "register_callback_request.json"},
	} {
		req, _ := http.NewRequest(c.method, r.Server.URL+c.path, bytes.NewReader(MustReadFile(t, filepath.Join("testdata", c.file))))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("VZ-M2M-Token", sess)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte(tssim.CodeDeserializationFailed)) || resp.StatusCode >= 500 {
			t.Errorf("%s: %d %s", c.file, resp.StatusCode, body)
		}
	}
}

// mustRawSession gets a token and a session the way the carrier's SDK does:
// raw Basic credentials, then a login with the bearer.
func mustRawSession(t *testing.T, r *Rig) (tok, sess string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.Server.URL+"/api/ts/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	var ot thingspace.OAuthToken
	mustDo(t, req, &ot)
	req, _ = http.NewRequest(http.MethodPost, r.Server.URL+"/api/m2m/v1/session/login", strings.NewReader(mustJSON(t, thingspace.LoginRequest{Username: username, Password: password})))
	req.Header.Set("Authorization", "Bearer "+ot.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	var sr thingspace.SessionResponse
	mustDo(t, req, &sr)
	return ot.AccessToken, sr.SessionToken
}

func mustDo(t *testing.T, req *http.Request, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s", req.URL.Path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
