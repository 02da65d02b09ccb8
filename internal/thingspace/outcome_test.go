package thingspace_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Callback outcomes are read without guessing: the two documented shapes
// decide, anything else is unclear and left to a look at the line.
func TestCallbackOutcome(t *testing.T) {
	success := string(MustReadFile(t, "testdata/callback_change_identifier_success.json"))
	failure := string(MustReadFile(t, "testdata/callback_failure.json"))
	cases := []struct {
		name string
		body string
		want thingspace.Outcome
		why  string
	}{
		{"documented success", success, thingspace.OutcomeSucceeded, ""},
		{"documented failure", failure, thingspace.OutcomeFailed, ""},
		{"success, unknown extra fields", strings.Replace(success, `"status"`, `"newThing":{"a":[1,2]},"orderId":"x","status"`, 1), thingspace.OutcomeSucceeded, ""},
		{"failure, unknown extra fields", strings.Replace(failure, `"status"`, `"newThing":true,"status"`, 1), thingspace.OutcomeFailed, ""},
		{"status in other case", strings.Replace(success, `"Success"`, `"SUCCESS"`, 1), thingspace.OutcomeSucceeded, ""},
		{"success shape, status absent", strings.Replace(success, `"status": "Success",`, ``, 1), thingspace.OutcomeUnclear, "no status"},
		{"failure shape, status absent", strings.Replace(failure, `"status": "Failed",`, ``, 1), thingspace.OutcomeUnclear, "no status"},
		{"status empty", strings.Replace(success, `"Success"`, `""`, 1), thingspace.OutcomeUnclear, "no status"},
		{"Success with a faultResponse", strings.Replace(failure, `"Failed"`, `"Success"`, 1), thingspace.OutcomeUnclear, "faultResponse"},
		{"Failed with a changeIdentifierResponse", strings.Replace(success, `"Success"`, `"Failed"`, 1), thingspace.OutcomeUnclear, "changeIdentifierResponse"},
		{"unknown status", strings.Replace(success, `"Success"`, `"Pending"`, 1), thingspace.OutcomeUnclear, "Pending"},
		{"only a requestId", `{"requestId":"r-1"}`, thingspace.OutcomeUnclear, "no status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cb := MustParseCallback(t, []byte(tc.body))
			got, why := cb.Outcome()
			if got != tc.want || (tc.why != "" && !strings.Contains(why, tc.why)) || (tc.why == "" && why != "") {
				t.Errorf("outcome %s (%q), want %s (%q)\n%s", got, why, tc.want, tc.why, tc.body)
			}
			if cb.Succeeded() != (tc.want == thingspace.OutcomeSucceeded) {
				t.Errorf("Succeeded() = %v", cb.Succeeded())
			}
		})
	}
}

// With -callbacks-without-status the simulator leaves status out; the
// client reads such a callback as unclear, never as failed.
func TestContractCallbackWithoutStatus(t *testing.T) {
	r := MustRig(t, tssim.Config{CallbacksWithoutStatus: true})
	r.MustRegister(t)
	reqID := MustChange(t, r.Client, iccidChange(line1ICCID, spareSIM))
	var cb *thingspace.Callback
	var body string
	select {
	case cb = <-r.Listener.Callbacks:
		body = <-r.Listener.Bodies
	case <-t.Context().Done():
		t.Fatal("no callback")
	}
	if strings.Contains(body, `"status"`) {
		t.Errorf("body has a status: %s", body)
	}
	if o, _ := cb.Outcome(); o != thingspace.OutcomeUnclear || cb.RequestID != reqID {
		t.Errorf("outcome %s for %+v", o, cb)
	}
	// The line itself shows what happened.
	dev, err := r.Client.FindDevice(context.Background(), thingspace.DeviceID{ID: spareSIM, Kind: thingspace.KindICCID})
	if err != nil {
		t.Fatal(err)
	}
	if mdn, _ := dev.ID(thingspace.KindMDN); mdn != line1MDN {
		t.Errorf("device %+v", dev)
	}
}

// The stricter simulator refuses what the carrier's SDK would not send.
func TestContractStrictSimulatorRefusals(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()

	_, err := r.Client.ListDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: tssim.DefaultMaxPageSize + 1})
	if ae := MustAPIError(t, err, thingspace.ClassInvalid); ae.Code != tssim.CodeMaxDevicesInvalid {
		t.Errorf("page over the bound: code %q", ae.Code)
	}
	if _, err := r.Client.ListDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: tssim.DefaultMaxPageSize}); err != nil {
		t.Errorf("page at the bound: %v", err)
	}
	_, err = r.Client.ListDevices(ctx, thingspace.ListDevicesRequest{Earliest: "yesterday"})
	if ae := MustAPIError(t, err, thingspace.ClassInvalid); ae.Code != tssim.CodeEarliestInvalid {
		t.Errorf("bad earliest: code %q", ae.Code)
	}

	other := r.MustClient(t, func(c *thingspace.Config) { c.ServiceType = "serviceType6" }) // the SDK's placeholder
	_, err = other.ChangeIdentifier(ctx, iccidChange(line1ICCID, spareSIM))
	if ae := MustAPIError(t, err, thingspace.ClassInvalid); ae.Code != tssim.CodeServiceTypeInvalid {
		t.Errorf("unknown serviceType: code %q", ae.Code)
	}
	if n := r.Sim.Stats().ChangeSubmissions[line1MDN]; n != 0 {
		t.Errorf("a refused serviceType reached the line: %d submissions", n)
	}
	r2 := MustRig(t, tssim.Config{ServiceTypes: []string{"serviceType6"}}, func(c *thingspace.Config) { c.ServiceType = "serviceType6" })
	MustChange(t, r2.Client, iccidChange(line1ICCID, spareSIM))
}
