package tssim_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

const (
	account    = "0000123456-00001"
	line1MDN   = "5095550101"
	line1ICCID = "89148000000000010000"
	line1IMEI  = "353320110001000" // LTE Cat-1, plan M2MCAT1-5GB
	line2ICCID = "89148000000000010018"
	line2IMEI  = "353320110001018"
	line3ICCID = "89148000000000010026" // LTE-M, plan M2MLTEM-1GB
	line4ICCID = "89148000000000010034" // suspended
	line5ICCID = "89148000000000010042" // pre-active, no MDN
	spareSIM   = "89148000000000010059"
	spareSIM2  = "89148000000000010067"
	spareCat1  = "353320110001026"
	spareLTEM  = "867548040001026"
	spareNBIoT = "868238050001012"
)

// Env is a simulator on a real HTTP server with a client and a listener.
type Env struct {
	Sim       *tssim.Sim
	URL       string
	Client    *thingspace.Client
	Callbacks chan *thingspace.Callback
}

func MustEnv(tb testing.TB, cfg tssim.Config) *Env {
	tb.Helper()
	return MustEnvSeed(tb, cfg, tssim.DemoSeed())
}

func MustEnvSeed(tb testing.TB, cfg tssim.Config, seed tssim.Seed) *Env {
	tb.Helper()
	sim, err := tssim.New(cfg, seed)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	tb.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	e := &Env{Sim: sim, URL: srv.URL, Callbacks: make(chan *thingspace.Callback, 16)}
	e.Client = e.MustClient(tb, "demo-password")
	return e
}

func (e *Env) MustClient(tb testing.TB, password string) *thingspace.Client {
	tb.Helper()
	c, err := thingspace.New(thingspace.Config{BaseURL: e.URL, ClientID: "demo-key", ClientSecret: tssim.DemoClientSecret,
		Username: "demo-user", Password: password, AccountName: account, ServiceType: "4G", MaxFailedLogins: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// MustListen registers a CarrierService listener that queues callbacks.
func (e *Env) MustListen(tb testing.TB) {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb, err := thingspace.ParseCallback(body)
		if err != nil {
			tb.Errorf("bad callback: %v", err)
			return
		}
		e.Callbacks <- cb
	}))
	tb.Cleanup(srv.Close)
	if err := e.Client.RegisterCallback(context.Background(), thingspace.ServiceCarrier, srv.URL, "", ""); err != nil {
		tb.Fatal(err)
	}
}

func (e *Env) MustCallback(tb testing.TB) *thingspace.Callback {
	tb.Helper()
	select {
	case cb := <-e.Callbacks:
		return cb
	case <-time.After(10 * time.Second):
		tb.Fatal("no callback")
		return nil
	}
}

func ids(pairs ...string) []thingspace.DeviceID {
	var out []thingspace.DeviceID
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, thingspace.DeviceID{ID: pairs[i], Kind: pairs[i+1]})
	}
	return out
}

func TestSynchronousRefusals(t *testing.T) {
	cases := []struct {
		name   string
		strict bool
		fault  string // identifier given an injected sync fault
		req    thingspace.ChangeIdentifierRequest
		code   string
	}{
		{"unknown option", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: "ChangeEverything"}, tssim.CodeChange4GOptionInvalid},
		{"no option", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid")}, tssim.CodeChange4GOptionInvalid},
		{"no deviceIds", false, "", thingspace.ChangeIdentifierRequest{DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeRequestUndefined},
		{"no deviceIdsTo", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeRequestUndefined},
		{"wrong kind in deviceIdsTo", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareCat1, "imei"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeRequestUndefined},
		{"no smsrOid", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareCat1, "imei", "89049032000000000000000000500101", "eid"), Change4GOption: thingspace.ChangeIMEIandEID}, tssim.CodeRequestUndefined},
		{"msisdn without npaNxx or zip", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), Change4GOption: thingspace.ChangeMSISDN}, tssim.CodeRequestUndefined},
		{"msisdn with deviceIdsTo", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeMSISDN, NpaNxx: "509555"}, tssim.CodeChange4GOptionInvalid},
		{"bad kind", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "serial"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeKindInvalid},
		{"malformed iccid", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids("8914-ABC", "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeIdentifierInvalid},
		{"strict: bad luhn", true, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids("89148000000000010051", "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeIdentifierInvalid},
		{"line not found", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids("89148000000000099999", "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeDeviceNotFound},
		{"ids of two lines", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid", line2IMEI, "imei"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeIdentifierInvalid},
		{"line suspended", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line4ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeDeviceStateInvalid},
		{"line without MDN", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line5ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeDeviceStateInvalid},
		{"unknown plan", false, "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID, ServicePlan: "NOPE"}, tssim.CodeServicePlanNotFound},
		{"injected", false, line1MDN, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, "UnifiedWebService.REQUEST_FAILED.Injected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t, tssim.Config{StrictIdentifiers: tc.strict})
			if tc.fault != "" {
				e.Sim.InjectFault(tc.fault, tssim.Fault{Sync: true, Code: tc.code, Message: "no"})
			}
			_, err := e.Client.ChangeIdentifier(context.Background(), tc.req)
			ae, ok := err.(*thingspace.APIError)
			if !ok || ae.HTTPStatus != 400 || ae.Code != tc.code {
				t.Fatalf("got %v, want HTTP 400 %s", err, tc.code)
			}
			if thingspace.Retryable(err) {
				t.Error("a refusal is retryable")
			}
			if st := e.Sim.Stats(); st.ChangesAccepted != 0 {
				t.Errorf("%d changes accepted", st.ChangesAccepted)
			}
		})
	}
}

func TestAsynchronousRefusals(t *testing.T) {
	cases := []struct {
		name  string
		fault string // identifier given an injected async fault
		req   thingspace.ChangeIdentifierRequest
		code  string
	}{
		{"SIM on another line", "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(line2ICCID, "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeICCIDInUse},
		{"SIM unknown", "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids("89148000000000099998", "iccid"), Change4GOption: thingspace.ChangeICCID}, tssim.CodeICCIDUnknown},
		{"IMEI on another line", "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(line2IMEI, "imei"), Change4GOption: thingspace.ChangeIMEI}, tssim.CodeIMEIInUse},
		{"device not supported by the current plan", "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1MDN, "mdn"), DeviceIDsTo: ids(spareNBIoT, "imei"), Change4GOption: thingspace.ChangeIMEI}, tssim.CodePlanIncompatible},
		{"device not supported by the given plan", "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1MDN, "mdn"), DeviceIDsTo: ids(spareNBIoT, "imei"), Change4GOption: thingspace.ChangeIMEI, ServicePlan: "M2MCAT1-5GB"}, tssim.CodePlanIncompatible},
		{"new SIM and in-use IMEI", "", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(line2IMEI, "imei", spareSIM, "iccid"), Change4GOption: thingspace.ChangeIMEIandICCID}, tssim.CodeIMEIInUse},
		{"injected on the new SIM", spareSIM, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}, "UnifiedWebService.REQUEST_FAILED.Injected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t, tssim.Config{})
			e.MustListen(t)
			if tc.fault != "" {
				e.Sim.InjectFault(tc.fault, tssim.Fault{Code: tc.code, Message: "no"})
			}
			before, _ := e.Sim.Line(line1ICCID)
			reqID, err := e.Client.ChangeIdentifier(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("refused at once: %v", err)
			}
			cb := e.MustCallback(t)
			if cb.RequestID != reqID || cb.Succeeded() || cb.FaultResponse == nil || cb.FaultResponse.FaultCode != tc.code || !strings.EqualFold(cb.Status, "failed") {
				t.Fatalf("callback %+v, want fault %s", cb, tc.code)
			}
			if after, _ := e.Sim.Line(line1ICCID); !reflect.DeepEqual(after, before) {
				t.Errorf("refused change altered the line: %+v -> %+v", before, after)
			}
		})
	}
}

func TestSuccessfulChanges(t *testing.T) {
	cases := []struct {
		name  string
		req   thingspace.ChangeIdentifierRequest
		check func(tssim.Line) bool
		gone  string // identifier that must no longer find the line
	}{
		{"ICCID", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1MDN, "mdn"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: "changeiccid"},
			func(l tssim.Line) bool { return l.ICCID == spareSIM && l.IMEI == line1IMEI }, line1ICCID},
		{"IMEI, compatible", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareCat1, "imei"), Change4GOption: thingspace.ChangeIMEI},
			func(l tssim.Line) bool { return l.IMEI == spareCat1 && l.ServicePlan == "M2MCAT1-5GB" }, line1IMEI},
		{"IMEI with a compatible plan", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareNBIoT, "imei"), Change4GOption: thingspace.ChangeIMEI, ServicePlan: "M2MNBIOT-50MB"},
			func(l tssim.Line) bool { return l.IMEI == spareNBIoT && l.ServicePlan == "M2MNBIOT-50MB" }, line1IMEI},
		{"IMEI of unknown TAC", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids("490154203237518", "imei"), Change4GOption: thingspace.ChangeIMEI},
			func(l tssim.Line) bool { return l.IMEI == "490154203237518" }, line1IMEI},
		{"IMEI and ICCID", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareCat1, "imei", spareSIM, "iccid"), Change4GOption: thingspace.ChangeIMEIandICCID},
			func(l tssim.Line) bool { return l.IMEI == spareCat1 && l.ICCID == spareSIM }, line1ICCID},
		{"IMEI and EID", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareCat1, "imei", "89049032000000000000000000500101", "eid"), Change4GOption: thingspace.ChangeIMEIandEID, SmsrOid: "SMSR01"},
			func(l tssim.Line) bool { return l.IMEI == spareCat1 && l.EID == "89049032000000000000000000500101" }, line1IMEI},
		{"MSISDN", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), Change4GOption: thingspace.ChangeMSISDN, NpaNxx: "208555"},
			func(l tssim.Line) bool { return strings.HasPrefix(l.MDN, "208555") && len(l.MDN) == 10 }, line1MDN},
		{"3G to 4G", thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareCat1, "imei"), Change4GOption: thingspace.Change3Gto4G},
			func(l tssim.Line) bool { return l.IMEI == spareCat1 }, line1IMEI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t, tssim.Config{})
			e.MustListen(t)
			reqID, err := e.Client.ChangeIdentifier(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			cb := e.MustCallback(t)
			if cb.RequestID != reqID || !cb.Succeeded() || len(cb.NewDeviceIDs()) == 0 {
				t.Fatalf("callback %+v", cb)
			}
			l, ok := e.Sim.Line(cb.NewDeviceIDs()[0].ID)
			if !ok || !tc.check(l) {
				t.Errorf("line after change: %+v (found %v)", l, ok)
			}
			if _, ok := e.Sim.Line(tc.gone); ok {
				t.Errorf("old identifier %s still finds a line", tc.gone)
			}
		})
	}
}

// A retired SIM stays known to the carrier and cannot go on another line.
func TestRetiredSIMCannotBeReused(t *testing.T) {
	e := MustEnv(t, tssim.Config{})
	e.MustListen(t)
	ctx := context.Background()
	if _, err := e.Client.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
		t.Fatal(err)
	}
	if cb := e.MustCallback(t); !cb.Succeeded() {
		t.Fatalf("first change failed: %+v", cb.FaultResponse)
	}
	if _, err := e.Client.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line2ICCID, "iccid"), DeviceIDsTo: ids(line1ICCID, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
		t.Fatal(err)
	}
	if cb := e.MustCallback(t); cb.Succeeded() || cb.FaultResponse.FaultCode != tssim.CodeICCIDInUse {
		t.Errorf("reuse of a retired SIM: %+v", cb)
	}
}

// A line may take back the SIM it just left (an undo of the swap); the SIM it gives up is
// retired in turn, and no other line may take either.
func TestARetiredSIMGoesBackOnlyToItsOwnLine(t *testing.T) {
	e := MustEnv(t, tssim.Config{})
	e.MustListen(t)
	ctx := context.Background()
	swap := func(from, to string) *thingspace.Callback {
		t.Helper()
		if _, err := e.Client.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(from, "iccid"), DeviceIDsTo: ids(to, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
			t.Fatal(err)
		}
		return e.MustCallback(t)
	}
	if cb := swap(line1ICCID, spareSIM); !cb.Succeeded() {
		t.Fatalf("first change failed: %+v", cb.FaultResponse)
	}
	if cb := swap(line2ICCID, line1ICCID); cb.Succeeded() || cb.FaultResponse.FaultCode != tssim.CodeICCIDInUse {
		t.Fatalf("another line took the retired SIM: %+v", cb)
	}
	if cb := swap(spareSIM, line1ICCID); !cb.Succeeded() {
		t.Fatalf("the line could not take its own SIM back: %+v", cb.FaultResponse)
	}
	if l, ok := e.Sim.Line(line1ICCID); !ok || l.ICCID != line1ICCID {
		t.Fatalf("line after the undo: %+v %v", l, ok)
	}
	if cb := swap(line2ICCID, spareSIM); cb.Succeeded() || cb.FaultResponse.FaultCode != tssim.CodeICCIDInUse {
		t.Fatalf("the SIM given up was not retired: %+v", cb)
	}
}

// TestNoStateFileWritesNothing: a simulator without a state file (every test's) leaves no file
// behind, wherever it runs.
func TestNoStateFileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	e := MustEnv(t, tssim.Config{})
	e.MustListen(t)
	if _, err := e.Client.ChangeIdentifier(context.Background(), thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
		t.Fatal(err)
	}
	e.MustCallback(t)
	if err := e.Sim.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 || e.Sim.Stats().StateFileError != "" {
		t.Fatalf("files left: %v, state file error %q", left, e.Sim.Stats().StateFileError)
	}
}

func TestStateFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carrier.json")
	e := MustEnv(t, tssim.Config{StateFile: path})
	e.MustListen(t)
	if _, err := e.Client.ChangeIdentifier(context.Background(), thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
		t.Fatal(err)
	}
	e.MustCallback(t)
	if err := e.Sim.Close(); err != nil {
		t.Fatal(err)
	}
	if st := e.Sim.Stats(); st.StateFileError != "" {
		t.Fatal(st.StateFileError)
	}

	again := MustEnvSeed(t, tssim.Config{StateFile: path}, tssim.Seed{}) // the seed is ignored now
	if l, ok := again.Sim.Line(spareSIM); !ok || l.MDN != line1MDN {
		t.Errorf("after restart: %+v, %v", l, ok)
	}
	for _, s := range again.Sim.Stock().SIMs {
		if s.ICCID == spareSIM {
			t.Error("used SIM back in stock after restart")
		}
	}
	list, err := again.Client.ListCallbacks(context.Background())
	if err != nil || len(list) != 1 {
		t.Errorf("listeners after restart: %v, %v", list, err)
	}
}

func TestTokenIsReusedUntilItExpires(t *testing.T) {
	e := MustEnv(t, tssim.Config{})
	first, second := mustToken(t, e.URL), mustToken(t, e.URL)
	if first.AccessToken != second.AccessToken || first.ExpiresIn <= 0 || first.ExpiresIn > 3600 {
		t.Errorf("tokens %+v then %+v, want the same one", first, second)
	}
	e.Sim.ExpireTokens()
	if third := mustToken(t, e.URL); third.AccessToken == first.AccessToken {
		t.Error("expired token issued again")
	}
}

func mustToken(tb testing.TB, base string) thingspace.OAuthToken {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/ts/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-key", tssim.DemoClientSecret)
	var tok thingspace.OAuthToken
	mustDo(tb, req, http.StatusOK, &tok)
	return tok
}

func mustDo(tb testing.TB, req *http.Request, status int, out any) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		tb.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			tb.Fatalf("%s: %v", body, err)
		}
	}
}

// The gateway and session refusals, as raw HTTP.
func TestAuthRefusals(t *testing.T) {
	e := MustEnv(t, tssim.Config{})
	tok := mustToken(t, e.URL).AccessToken
	cases := []struct {
		name           string
		bearer, sess   string
		status         int
		errCode, fault string
	}{
		{"no bearer", "", "00000000-0000-4000-8000-000000000000", 401, "", tssim.FaultMissingCredentials},
		{"wrong bearer", "nope", "00000000-0000-4000-8000-000000000000", 401, "", tssim.FaultInvalidCredentials},
		{"no session", tok, "", 400, tssim.CodeSessionFormat, ""},
		{"session not a GUID", tok, "abc", 400, tssim.CodeSessionInvalid, ""},
		{"unknown session", tok, "00000000-0000-4000-8000-000000000000", 400, tssim.CodeSessionExpired, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/m2m/v1/plans/"+account, nil)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			if tc.sess != "" {
				req.Header.Set("VZ-M2M-Token", tc.sess)
			}
			var body struct {
				thingspace.ErrorResponse
				Fault thingspace.GatewayFaultDetail `json:"fault"`
			}
			mustDo(t, req, tc.status, &body)
			if body.ErrorCode != tc.errCode || string(body.Fault.Code) != tc.fault {
				t.Errorf("body %+v", body)
			}
		})
	}
}

func TestCallbackPortAllowList(t *testing.T) {
	e := MustEnv(t, tssim.Config{CallbackPortAllowList: true})
	ctx := context.Background()
	err := e.Client.RegisterCallback(ctx, thingspace.ServiceCarrier, "http://127.0.0.1:8080/cb", "", "")
	if ae, ok := err.(*thingspace.APIError); !ok || ae.Code != tssim.CodeCallbackURLInvalid {
		t.Errorf("port 8080: %v", err)
	}
	if err := e.Client.RegisterCallback(ctx, thingspace.ServiceCarrier, "http://127.0.0.1:9001/cb", "", ""); err != nil {
		t.Errorf("port 9001: %v", err)
	}
}

func TestStockAndStatsEndpoints(t *testing.T) {
	e := MustEnv(t, tssim.Config{})
	var stock tssim.Stock
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/sim/v1/stock", nil)
	mustDo(t, req, http.StatusOK, &stock)
	if len(stock.SIMs) != 6 || len(stock.Devices) != 5 {
		t.Fatalf("stock %+v", stock)
	}
	for _, d := range stock.Devices {
		if d.NetworkType == "" {
			t.Errorf("device %s has no network type", d.IMEI)
		}
	}
	if _, err := e.Client.Plans(context.Background()); err != nil {
		t.Fatal(err)
	}
	var st tssim.Stats
	req, _ = http.NewRequest(http.MethodGet, e.URL+"/sim/v1/stats", nil)
	mustDo(t, req, http.StatusOK, &st)
	if st.Call(tssim.KindToken, 200) != 1 || st.Call(tssim.KindLogin, 200) != 1 || st.Call(tssim.KindPlans, 200) != 1 || st.Call(tssim.KindStock, 200) != 1 {
		t.Errorf("stats calls %v", st.Calls)
	}
	req, _ = http.NewRequest(http.MethodGet, e.URL+"/api/m2m/v1/nowhere", nil)
	mustDo(t, req, http.StatusNotFound, nil)
}

func TestSeedIsChecked(t *testing.T) {
	cases := []struct {
		name string
		edit func(*tssim.Seed)
	}{
		{"ICCID on a line and on the shelf", func(s *tssim.Seed) { s.SIMs = append(s.SIMs, tssim.SIM{ICCID: line1ICCID}) }},
		{"unknown plan", func(s *tssim.Seed) { s.Lines[0].ServicePlan = "NOPE" }},
		{"unknown account", func(s *tssim.Seed) { s.Lines[0].Account = "nobody" }},
		{"repeated account", func(s *tssim.Seed) { s.Accounts = append(s.Accounts, s.Accounts[0]) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seed := tssim.DemoSeed()
			tc.edit(&seed)
			if _, err := tssim.New(tssim.Config{}, seed); err == nil {
				t.Error("New accepted a bad seed")
			}
		})
	}
}

// The same seed and the same requests give the same tokens and request ids.
func TestSeedRepeatsRuns(t *testing.T) {
	run := func() []string {
		e := MustEnv(t, tssim.Config{Seed: 42})
		id, err := e.Client.ChangeIdentifier(context.Background(), thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"), DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID})
		if err != nil {
			t.Fatal(err)
		}
		return []string{mustToken(t, e.URL).AccessToken, id}
	}
	a, b := run(), run()
	if a[0] != b[0] || a[1] != b[1] {
		t.Errorf("runs differ: %v vs %v", a, b)
	}
}

func TestRegisterFlags(t *testing.T) {
	cfg := tssim.DefaultConfig()
	fs := flag.NewFlagSet("tssim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	err := fs.Parse([]string{"-seed=7", "-latency=5ms", "-latency-jitter=1ms", "-error-rate=change_identifier=0.1,callbacks=0.2",
		"-timeout-rate=plans=0.5", "-hang=3s", "-rate-limit=12.5", "-token-lifetime=2m", "-session-idle=30s",
		"-callback-delay=0", "-callback-retry-interval=1s", "-drop-callbacks=0.3", "-duplicate-callbacks=0.4",
		"-strict-identifiers", "-state-file=/tmp/x.json", "-callback-port-allow-list", "-page-size=50",
		"-max-page-size=500", "-list-cursor", "-service-types=4G, 5G", "-callbacks-without-status",
		"-connect-after=90s", "-never-connect=0.25"})
	if err != nil {
		t.Fatal(err)
	}
	want := tssim.Config{Seed: 7, Latency: tssim.Latency{Mean: 5 * time.Millisecond, Jitter: time.Millisecond},
		ErrorRate: map[string]float64{"change_identifier": 0.1, "callbacks": 0.2}, TimeoutRate: map[string]float64{"plans": 0.5},
		Hang: 3 * time.Second, RateLimit: 12.5, TokenLifetime: 2 * time.Minute, SessionIdle: 30 * time.Second,
		CallbackDelay: 0, CallbackRetryInterval: time.Second, DropCallbackRate: 0.3, DuplicateCallbackRate: 0.4,
		StrictIdentifiers: true, StateFile: "/tmp/x.json", CallbackPortAllowList: true, PageSize: 50,
		MaxPageSize: 500, ListCursor: true, ServiceTypes: []string{"4G", "5G"}, CallbacksWithoutStatus: true,
		ConnectAfter: 90 * time.Second, NeverConnectRate: 0.25}
	if got, w := mustMarshal(t, cfg), mustMarshal(t, want); got != w {
		t.Errorf("flags gave\n%s\nwant\n%s", got, w)
	}
	for _, bad := range []string{"-error-rate=nosuchkind=0.1", "-error-rate=plans=2", "-timeout-rate=plans", "-service-types=,"} {
		fs := flag.NewFlagSet("tssim", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c := tssim.Config{}
		c.RegisterFlags(fs)
		if err := fs.Parse([]string{bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func mustMarshal(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Knobs changed on a running simulator take effect for the next request.
func TestSetKnobs(t *testing.T) {
	e := MustEnv(t, tssim.Config{})
	e.Sim.SetKnobs(func(c *tssim.Config) { c.ErrorRate = map[string]float64{tssim.KindCallbacks: 1}; c.Seed = 99 })
	_, err := e.Client.ListCallbacks(context.Background())
	if thingspace.ClassOf(err) != thingspace.ClassUnavailable {
		t.Errorf("callbacks error rate 1: %v", err)
	}
	if k := e.Sim.Knobs(); k.Seed != 0 || k.ErrorRate[tssim.KindCallbacks] != 1 {
		t.Errorf("knobs %+v", k)
	}
	e.Sim.SetKnobs(func(c *tssim.Config) { c.ErrorRate = nil })
	if _, err := e.Client.ListCallbacks(context.Background()); err != nil {
		t.Errorf("after clearing: %v", err)
	}
}

// BenchmarkChangeIdentifierRoundTrip times one ICCID change through the
// client, the simulator and its (listener-less) completion.
func BenchmarkChangeIdentifierRoundTrip(b *testing.B) {
	seed := tssim.DemoSeed()
	sim := func(i int) string { return fmt.Sprintf("89148000001%09d", i) }
	for i := range b.N {
		seed.SIMs = append(seed.SIMs, tssim.SIM{ICCID: sim(i)})
	}
	e := MustEnvSeed(b, tssim.Config{}, seed)
	ctx := context.Background()
	from := line1ICCID
	b.ResetTimer()
	for i := range b.N {
		to := sim(i)
		if _, err := e.Client.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(from, "iccid"), DeviceIDsTo: ids(to, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
			b.Fatal(err)
		}
		if err := e.Sim.WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
		if _, ok := e.Sim.Line(to); !ok {
			b.Fatalf("change %d not applied", i)
		}
		from = to
	}
}

func TestFetchStock(t *testing.T) {
	env := MustEnv(t, tssim.Config{})
	got, err := tssim.FetchStock(context.Background(), env.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	want := env.Sim.Stock()
	if len(got.SIMs) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fetched %+v, simulator has %+v", got, want)
	}
	if _, err := tssim.FetchStock(context.Background(), env.URL+"/nowhere"); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("stock from a wrong URL: %v", err)
	}
}

// A changed device connects with its new identifiers after ConnectAfter's random delay: the
// device list shows its lastConnectionDate.
func TestChangedDevicesConnect(t *testing.T) {
	e := MustEnv(t, tssim.Config{ConnectAfter: 5 * time.Millisecond})
	ctx := context.Background()
	if _, err := e.Client.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{DeviceIDs: ids(line1ICCID, "iccid"),
		DeviceIDsTo: ids(spareSIM, "iccid"), Change4GOption: thingspace.ChangeICCID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := e.Client.FindDevice(ctx, thingspace.DeviceID{ID: spareSIM, Kind: thingspace.KindICCID})
		if err != nil {
			t.Fatal(err)
		}
		if d.LastConnectionDate != "" {
			if _, err := time.Parse(time.RFC3339, d.LastConnectionDate); err != nil {
				t.Fatalf("lastConnectionDate %q: %v", d.LastConnectionDate, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the changed device never connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !e.Sim.Connect(line1MDN, time.Now()) || e.Sim.Connect("no-such-line", time.Now()) {
		t.Error("Connect found the wrong lines")
	}
}
