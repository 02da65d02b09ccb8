package thingspace_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Demo seed identifiers used below.
const (
	line1MDN   = "5095550101"
	line1ICCID = "89148000000000010000"
	line1IMEI  = "353320110001000"
	line2ICCID = "89148000000000010018"
	spareSIM   = "89148000000000010059"
	spareSIM2  = "89148000000000010067"
	spareNBIoT = "868238050001012"
	spareCat1  = "353320110001026"
)

func TestContractChangeICCIDEndToEnd(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	r.MustRegister(t)
	ctx := context.Background()

	reqID := MustChange(t, r.Client, iccidChange())
	cb := r.Listener.MustNext(t)
	if cb.RequestID != reqID || !cb.Succeeded() || cb.CallbackCount != 1 || cb.MaxCallbackThreshold != 4 {
		t.Fatalf("callback %+v for request %s", cb, reqID)
	}
	if cb.Username != "cb-user" || cb.Password != "cb-pass-1234" {
		t.Errorf("callback credentials %q/%q, want the registered ones", cb.Username, cb.Password)
	}
	if id, ok := thingspace.FindID(cb.NewDeviceIDs(), thingspace.KindICCID); !ok || id != spareSIM {
		t.Errorf("new ids %v, want iccid %s", cb.NewDeviceIDs(), spareSIM)
	}
	if id, ok := thingspace.FindID(cb.DeviceIDs, "IccId"); !ok || id != line1ICCID {
		t.Errorf("changed device ids %v, want old iccid %s", cb.DeviceIDs, line1ICCID)
	}

	dev, err := r.Client.FindDevice(ctx, thingspace.DeviceID{ID: spareSIM, Kind: thingspace.KindICCID})
	if err != nil {
		t.Fatal(err)
	}
	if mdn, _ := dev.ID(thingspace.KindMDN); mdn != line1MDN || !strings.EqualFold(dev.State(), "active") || dev.ServicePlan() != "M2MCAT1-5GB" {
		t.Errorf("device after change: %+v", dev)
	}
	_, err = r.Client.FindDevice(ctx, thingspace.DeviceID{ID: line1ICCID, Kind: thingspace.KindICCID})
	MustAPIError(t, err, thingspace.ClassNotFound)

	for _, s := range r.Sim.Stock().SIMs {
		if s.ICCID == spareSIM {
			t.Errorf("used SIM %s still in stock", spareSIM)
		}
	}
	if got := r.Sim.Stats().ChangeSubmissions[line1MDN]; got != 1 {
		t.Errorf("submissions for %s = %d, want 1", line1MDN, got)
	}
}

func TestContractListDevicesPages(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()

	page, err := r.Client.ListDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !page.HasMoreData || len(page.Devices) != 2 || page.LargestDeviceIDSeen == 0 {
		t.Fatalf("first page: more=%v devices=%d cursor=%d", page.HasMoreData, len(page.Devices), page.LargestDeviceIDSeen)
	}

	var mdns []string
	err = r.Client.AllDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: 2}, func(d thingspace.Device) error {
		id, _ := d.ID(thingspace.KindICCID)
		mdns = append(mdns, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(mdns) != 5 {
		t.Errorf("AllDevices saw %d devices (%v), want the 5 demo lines", len(mdns), mdns)
	}
	st := r.Sim.Stats()
	if st.Call(tssim.KindListDevices, http.StatusAccepted) != 3 || st.Call(tssim.KindListDevices, http.StatusOK) != 1 {
		t.Errorf("list calls by status %v, want three 202 and one 200", st.Calls[tssim.KindListDevices])
	}

	stop := errors.New("stop")
	if err := r.Client.AllDevices(ctx, thingspace.ListDevicesRequest{}, func(thingspace.Device) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("AllDevices returned %v, want the callback's error", err)
	}
}

func TestContractPlans(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	plans, err := r.Client.Plans(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]thingspace.ServicePlan{}
	for _, p := range plans {
		codes[p.Code] = p
	}
	want := tssim.DemoSeed().Plans
	if len(plans) != len(want) {
		t.Fatalf("got %d plans, want %d", len(plans), len(want))
	}
	for _, p := range want {
		got, ok := codes[p.Code]
		if !ok || got.Name != p.Name || got.SizeKb != p.SizeKb || got.CarrierServicePlanCode != p.CarrierServicePlanCode {
			t.Errorf("plan %s: got %+v", p.Code, got)
		}
	}
}

func TestContractCallbackListeners(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	r.MustRegister(t)

	list, err := r.Client.ListCallbacks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ServiceName != thingspace.ServiceCarrier || list[0].URL != r.Listener.URL || list[0].AccountName != account {
		t.Fatalf("listeners %+v", list)
	}
	if err := r.Client.DeleteCallback(ctx, thingspace.ServiceCarrier); err != nil {
		t.Fatal(err)
	}
	if list, err = r.Client.ListCallbacks(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v, %v", list, err)
	}
	ae := MustAPIError(t, r.Client.DeleteCallback(ctx, thingspace.ServiceCarrier), thingspace.ClassInvalid)
	if ae.Code != tssim.CodeCallbackNotFound {
		t.Errorf("code %q", ae.Code)
	}
	ae = MustAPIError(t, r.Client.RegisterCallback(ctx, "NoSuchService", r.Listener.URL, "", ""), thingspace.ClassInvalid)
	if ae.Code != tssim.CodeCallbackNameInvalid {
		t.Errorf("code %q", ae.Code)
	}
}

// A change accepted while no listener is registered still applies.
func TestContractChangeWithoutListenerApplies(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	MustChange(t, r.Client, iccidChange())
	r.MustWaitIdle(t)
	if l, ok := r.Sim.Line(spareSIM); !ok || l.MDN != line1MDN {
		t.Errorf("line after change: %+v, %v", l, ok)
	}
	if st := r.Sim.Stats(); st.CallbacksNoListener != 1 || st.CallbacksSent != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestContractLogout(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	if err := r.Client.Logout(ctx); err != nil { // no session yet: nothing to do
		t.Fatal(err)
	}
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Client.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	st := r.Sim.Stats()
	if st.Call(tssim.KindLogout, 200) != 1 || st.Call(tssim.KindLogin, 200) != 2 {
		t.Errorf("logout %v login %v, want one logout and a fresh login after it", st.Calls[tssim.KindLogout], st.Calls[tssim.KindLogin])
	}
}

// concurrently runs n calls of fn at once and returns their errors.
func concurrently(n int, fn func() error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	return errs
}

func TestContractTokenExpiresMidRun(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	r.Sim.ExpireTokens()
	for i, err := range concurrently(8, func() error { _, err := r.Client.Plans(ctx); return err }) {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	st := r.Sim.Stats()
	if got := st.Call(tssim.KindToken, 200); got != 2 {
		t.Errorf("tokens issued = %d, want 2 (one re-fetch for all goroutines)", got)
	}
	if st.Call(tssim.KindPlans, 401) == 0 {
		t.Errorf("no call was refused with 401; the test did not expire the token")
	}
	if got := st.Call(tssim.KindLogin, 200); got != 1 {
		t.Errorf("logins = %d, want 1 (a new token keeps the session)", got)
	}
}

func TestContractSessionExpires(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	r.Sim.ExpireSessions()
	for i, err := range concurrently(8, func() error { _, err := r.Client.Plans(ctx); return err }) {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	st := r.Sim.Stats()
	if got := st.Call(tssim.KindLogin, 200); got != 2 {
		t.Errorf("logins = %d, want 2 (exactly one re-login)", got)
	}
	if st.Call(tssim.KindPlans, 400) == 0 {
		t.Errorf("no call saw the session expire")
	}
}

// A session that expires again right after the re-login is returned to the
// caller, after exactly one re-login for the call.
func TestContractSessionExpiredTwiceIsReturned(t *testing.T) {
	r := MustRig(t, tssim.Config{SessionIdle: time.Nanosecond})
	_, err := r.Client.Plans(context.Background())
	ae := MustAPIError(t, err, thingspace.ClassSessionExpired)
	if ae.Code != tssim.CodeSessionExpired || !thingspace.Retryable(err) {
		t.Errorf("error %v", ae)
	}
	if got := r.Sim.Stats().Call(tssim.KindLogin, 200); got != 2 {
		t.Errorf("logins = %d, want 2", got)
	}
}

func TestContractThrottleStorm(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	if _, err := r.Client.Plans(ctx); err != nil { // token and session first
		t.Fatal(err)
	}
	r.Sim.SetKnobs(func(c *tssim.Config) { c.RateLimit = 2 })
	errs := concurrently(20, func() error { _, err := r.Client.Plans(ctx); return err })
	throttled := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		ae := MustAPIError(t, err, thingspace.ClassThrottled)
		if ae.HTTPStatus != 429 || ae.Code != tssim.FaultThrottled || ae.RetryAfter != time.Second || !thingspace.Retryable(err) || thingspace.RetryAfter(err) != time.Second {
			t.Errorf("throttled error %+v", ae)
		}
		throttled++
	}
	if throttled < 15 {
		t.Errorf("%d of 20 calls throttled at 2 per second, want at least 15", throttled)
	}
	// The client hands 429s back; it never retries them itself.
	if got := r.Sim.Stats().Call(tssim.KindPlans, 429); got != throttled {
		t.Errorf("simulator answered 429 %d times, client reported %d", got, throttled)
	}
}

func TestContractErrorClasses(t *testing.T) {
	cases := []struct {
		name   string
		cfg    tssim.Config
		client func(*thingspace.Config)
		call   func(*thingspace.Client) error
		class  thingspace.ErrorClass
		code   string
		status int
	}{
		{
			name:  "invalid: unknown plan",
			call:  changeWithPlan("NO-SUCH-PLAN"),
			class: thingspace.ClassInvalid, code: tssim.CodeServicePlanNotFound, status: 400,
		},
		{
			name: "not found: unknown device",
			call: func(c *thingspace.Client) error {
				_, err := c.FindDevice(context.Background(), thingspace.DeviceID{ID: "89148000000000099999", Kind: "ICCID"})
				return err
			},
			class: thingspace.ClassNotFound, code: tssim.CodeDeviceNotFound, status: 400,
		},
		{
			name:  "unavailable: 5xx",
			cfg:   tssim.Config{ErrorRate: map[string]float64{tssim.KindPlans: 1}},
			call:  plans,
			class: thingspace.ClassUnavailable,
		},
		{
			name:   "unavailable: timeout",
			cfg:    tssim.Config{TimeoutRate: map[string]float64{tssim.KindPlans: 1}, Hang: time.Minute},
			client: func(c *thingspace.Config) { c.CallTimeout = 300 * time.Millisecond },
			call:   plans,
			class:  thingspace.ClassUnavailable,
		},
		{
			name:   "unauthorized: wrong secret",
			client: func(c *thingspace.Config) { c.ClientSecret = "wrong-secret" },
			call:   plans,
			class:  thingspace.ClassUnauthorized, code: "invalid_client", status: 401,
		},
		{
			name:   "unauthorized: wrong password",
			client: func(c *thingspace.Config) { c.Password = "wrong-password" },
			call:   plans,
			class:  thingspace.ClassUnauthorized, code: tssim.CodeLoginInvalid, status: 400,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := MustRig(t, tc.cfg)
			c := r.Client
			if tc.client != nil {
				c = r.MustClient(t, tc.client)
			}
			err := tc.call(c)
			ae := MustAPIError(t, err, tc.class)
			if tc.code != "" && ae.Code != tc.code {
				t.Errorf("code %q, want %q", ae.Code, tc.code)
			}
			if tc.status != 0 && ae.HTTPStatus != tc.status {
				t.Errorf("status %d, want %d", ae.HTTPStatus, tc.status)
			}
			wantRetry := tc.class == thingspace.ClassUnavailable
			if thingspace.Retryable(err) != wantRetry {
				t.Errorf("Retryable = %v, want %v", !wantRetry, wantRetry)
			}
			if tc.name == "unavailable: timeout" && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("timeout error does not wrap context.DeadlineExceeded: %v", err)
			}
		})
	}
}

func plans(c *thingspace.Client) error {
	_, err := c.Plans(context.Background())
	return err
}

func changeWithPlan(plan string) func(*thingspace.Client) error {
	return func(c *thingspace.Client) error {
		req := iccidChange()
		req.ServicePlan = plan
		_, err := c.ChangeIdentifier(context.Background(), req)
		return err
	}
}

func TestContractDuplicateCallback(t *testing.T) {
	r := MustRig(t, tssim.Config{DuplicateCallbackRate: 1})
	r.MustRegister(t)
	reqID := MustChange(t, r.Client, iccidChange())
	first, second := r.Listener.MustNext(t), r.Listener.MustNext(t)
	if first.RequestID != reqID || second.RequestID != reqID {
		t.Errorf("request ids %s, %s, want %s twice", first.RequestID, second.RequestID, reqID)
	}
	r.MustWaitIdle(t)
	if st := r.Sim.Stats(); st.CallbacksSent != 2 || st.CallbacksDuplicated != 1 || st.CallbacksAcknowledged != 2 {
		t.Errorf("stats sent=%d dup=%d acked=%d", st.CallbacksSent, st.CallbacksDuplicated, st.CallbacksAcknowledged)
	}
}

func TestContractDroppedCallback(t *testing.T) {
	r := MustRig(t, tssim.Config{DropCallbackRate: 1})
	r.MustRegister(t)
	MustChange(t, r.Client, iccidChange())
	r.MustWaitIdle(t)
	if n := r.Listener.Pending(); n != 0 {
		t.Errorf("%d callbacks arrived, want none", n)
	}
	if st := r.Sim.Stats(); st.CallbacksDropped != 1 || st.CallbacksSent != 0 {
		t.Errorf("stats dropped=%d sent=%d", st.CallbacksDropped, st.CallbacksSent)
	}
	// Without a callback the engine looks at the device: the change is there.
	dev, err := r.Client.FindDevice(context.Background(), thingspace.DeviceID{ID: spareSIM, Kind: thingspace.KindICCID})
	if err != nil {
		t.Fatal(err)
	}
	if mdn, _ := dev.ID(thingspace.KindMDN); mdn != line1MDN {
		t.Errorf("device %+v", dev)
	}
}

func TestContractCallbackRedelivery(t *testing.T) {
	r := MustRig(t, tssim.Config{CallbackRetryInterval: time.Millisecond})
	r.MustRegister(t)
	r.Listener.Status.Store(http.StatusInternalServerError)
	reqID := MustChange(t, r.Client, iccidChange())
	for attempt := 1; attempt <= 4; attempt++ {
		cb := r.Listener.MustNext(t)
		if cb.RequestID != reqID || cb.CallbackCount != attempt || cb.MaxCallbackThreshold != 4 {
			t.Errorf("attempt %d: count=%d max=%d id=%s", attempt, cb.CallbackCount, cb.MaxCallbackThreshold, cb.RequestID)
		}
	}
	r.MustWaitIdle(t)
	if n := r.Listener.Pending(); n != 0 {
		t.Errorf("%d callbacks after the fourth attempt", n)
	}
	if st := r.Sim.Stats(); st.CallbacksSent != 4 || st.CallbacksAbandoned != 1 || st.CallbacksAcknowledged != 0 {
		t.Errorf("stats sent=%d abandoned=%d acked=%d", st.CallbacksSent, st.CallbacksAbandoned, st.CallbacksAcknowledged)
	}
}

func TestContractLoginLockout(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	ctx := context.Background()
	// No limit of the client's own, to reach the carrier's lockout.
	bad := r.MustClient(t, func(c *thingspace.Config) { c.Password = "wrong-password"; c.MaxFailedLogins = -1 })
	for i := 1; i <= 5; i++ {
		_, err := bad.Plans(ctx)
		ae := MustAPIError(t, err, thingspace.ClassUnauthorized)
		if ae.Code != tssim.CodeLoginInvalid {
			t.Errorf("attempt %d: code %q", i, ae.Code)
		}
		if got := r.Sim.Stats().Call(tssim.KindLogin, 400); got != i {
			t.Fatalf("after %d calls the simulator saw %d logins: a call must try at most once", i, got)
		}
	}
	_, err := r.Client.Plans(ctx) // right password, too late
	if ae := MustAPIError(t, err, thingspace.ClassUnauthorized); ae.Code != tssim.CodeLoginLocked {
		t.Errorf("code %q, want %q", ae.Code, tssim.CodeLoginLocked)
	}
	r.Sim.Unlock(account)
	if _, err := r.MustClient(t).Plans(ctx); err != nil {
		t.Errorf("after unlock: %v", err)
	}
}

// The client's own limit stops before the carrier's five.
func TestContractClientStopsLoggingInAfterRefusals(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	bad := r.MustClient(t, func(c *thingspace.Config) { c.Password = "wrong-password" })
	for range 6 {
		_, err := bad.Plans(context.Background())
		MustAPIError(t, err, thingspace.ClassUnauthorized)
	}
	if got := r.Sim.Stats().Call(tssim.KindLogin, 400); got != thingspace.DefaultMaxFailedLogins {
		t.Errorf("simulator saw %d refused logins, want %d", got, thingspace.DefaultMaxFailedLogins)
	}
}

// Concurrent calls that all need a session share one login, even a failing one.
func TestContractSingleFlightLogin(t *testing.T) {
	r := MustRig(t, tssim.Config{Latency: tssim.Latency{Mean: 20 * time.Millisecond}})
	bad := r.MustClient(t, func(c *thingspace.Config) { c.Password = "wrong-password"; c.MaxFailedLogins = -1 })
	concurrently(10, func() error { _, err := bad.Plans(context.Background()); return err })
	if got := r.Sim.Stats().Call(tssim.KindLogin, 400); got > 2 {
		t.Errorf("10 concurrent calls made %d failed logins; waiters must share the leader's result", got)
	}
	concurrently(10, func() error { _, err := r.Client.Plans(context.Background()); return err })
	if got := r.Sim.Stats().Call(tssim.KindLogin, 200); got != 1 {
		t.Errorf("10 concurrent calls made %d logins, want 1", got)
	}
}

// recordingTransport keeps the raw credentials that went over the wire, to
// prove the Observer never saw them.
type recordingTransport struct {
	mu      sync.Mutex
	secrets []string
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	if _, v, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
		rt.secrets = append(rt.secrets, v)
	}
	rt.secrets = append(rt.secrets, req.Header.Get("VZ-M2M-Token"))
	rt.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestContractObserverRedacts(t *testing.T) {
	rec := &recordingTransport{}
	r := MustRig(t, tssim.Config{}, func(c *thingspace.Config) { c.HTTPClient = &http.Client{Transport: rec} })
	ctx := context.Background()
	r.MustRegister(t)
	if _, err := r.Client.ListCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	MustChange(t, r.Client, iccidChange())
	r.Sim.ExpireSessions() // a second login, and a second session token
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Client.Logout(ctx); err != nil {
		t.Fatal(err)
	}

	exs := r.Exchanges()
	secrets := append([]string{secret, password, "cb-pass-1234"}, rec.secrets...)
	ops := map[string]bool{}
	for _, ex := range exs {
		ops[ex.Op] = true
		if s := containsAny(ex.RequestText+ex.ResponseText+ex.URL, secrets...); s != "" {
			t.Errorf("%s exchange shows secret %q:\n%s\n%s", ex.Op, s, ex.RequestText, ex.ResponseText)
		}
		if !strings.Contains(ex.RequestText, "[REDACTED]") {
			t.Errorf("%s request text has no redaction mark:\n%s", ex.Op, ex.RequestText)
		}
		if ex.StatusCode == 0 || ex.Duration <= 0 || ex.Method == "" {
			t.Errorf("%s exchange incomplete: %+v", ex.Op, ex)
		}
	}
	for _, op := range []string{thingspace.OpToken, thingspace.OpLogin, thingspace.OpRegisterCallback, thingspace.OpListCallbacks, thingspace.OpChangeIdentifier, thingspace.OpPlans, thingspace.OpLogout} {
		if !ops[op] {
			t.Errorf("no %s exchange observed", op)
		}
	}
	// One observation per HTTP exchange the simulator answered.
	total := 0
	for kind, byStatus := range r.Sim.Stats().Calls {
		if kind == tssim.KindStats || kind == tssim.KindStock {
			continue
		}
		for _, n := range byStatus {
			total += n
		}
	}
	if total != len(exs) {
		t.Errorf("observer saw %d exchanges, simulator answered %d", len(exs), total)
	}
	// The refused call is observed with its error.
	var sawExpired bool
	for _, ex := range exs {
		if ex.Op == thingspace.OpPlans && thingspace.ClassOf(ex.Err) == thingspace.ClassSessionExpired {
			sawExpired = true
		}
	}
	if !sawExpired {
		t.Error("the session-expired exchange was not observed with its error")
	}
}

// countingLimiter counts Wait calls.
type countingLimiter struct {
	mu sync.Mutex
	n  int
}

func (l *countingLimiter) Wait(context.Context) error {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return nil
}

func TestContractLimiterBeforeEveryM2MRequest(t *testing.T) {
	lim := &countingLimiter{}
	r := MustRig(t, tssim.Config{}, func(c *thingspace.Config) { c.Limiter = lim })
	ctx := context.Background()
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	r.Sim.ExpireSessions()
	if _, err := r.Client.Plans(ctx); err != nil {
		t.Fatal(err)
	}
	// login, plans, plans (expired), login, plans; the token is not M2M.
	if lim.n != 5 {
		t.Errorf("limiter waited %d times, want 5", lim.n)
	}
}

func TestContractChangeIdentifierNeedsServiceType(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	c := r.MustClient(t, func(c *thingspace.Config) { c.ServiceType = "" })
	_, err := c.ChangeIdentifier(context.Background(), iccidChange())
	MustAPIError(t, err, thingspace.ClassInvalid)
	if n := len(r.Sim.Stats().Calls); n != 0 {
		t.Errorf("a call went out: %v", r.Sim.Stats().Calls)
	}
}

func TestContractPerCallObserverSeesOnlyItsCall(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	var mine []thingspace.Exchange
	ctx := thingspace.WithObserver(context.Background(), func(ex thingspace.Exchange) { mine = append(mine, ex) })
	// The first call of a fresh client fetches the token and logs in on its behalf.
	if _, err := r.Client.ChangeIdentifier(ctx, iccidChange()); err != nil {
		t.Fatal(err)
	}
	// A call without the observer is not seen by it.
	if _, err := r.Client.Plans(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, ex := range mine {
		ops = append(ops, ex.Op)
		if strings.Contains(ex.RequestText, secret) || strings.Contains(ex.RequestText, password) {
			t.Errorf("%s exchange shows a secret", ex.Op)
		}
	}
	want := []string{thingspace.OpToken, thingspace.OpLogin, thingspace.OpChangeIdentifier}
	if strings.Join(ops, ",") != strings.Join(want, ",") {
		t.Fatalf("per-call observer saw %v, want %v", ops, want)
	}
	// The client's own observer saw all four.
	if n := len(r.Exchanges()); n != 4 {
		t.Fatalf("config observer saw %d exchanges, want 4", n)
	}
}
