package process_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/process"
	"github.com/idswap/idswap/internal/queue"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

func TestThrottlingStorm(t *testing.T) {
	r := newRig(t, 30, tssim.Config{})
	r.start(nil, func(e *process.Config, q *queue.Config) {
		e.CallbackWait = 30 * time.Second // no carrier checks competing for the carrier's quota
		q.MaxBackoff = 2 * time.Second
	})
	// Now that the listener is registered, the carrier allows one request a second while the
	// engine, told it may send 1,000, starts on 30 rows with 8 workers: two sends in the same
	// second are throttled however slow a loaded machine makes the engine. (At 10 a second, a
	// -race run on a loaded machine never sent fast enough to be throttled.) Then the carrier
	// allows 10 a second, a storm the engine still outruns when the machine is idle.
	r.sim.SetKnobs(func(c *tssim.Config) { c.RateLimit = 1 })
	id := r.batch(change.ChangeICCID, 30)
	r.waitFor("the carrier to throttle a change request", func() bool {
		return r.sim.Stats().Call(tssim.KindChangeIdentifier, http.StatusTooManyRequests) > 0
	})
	r.sim.SetKnobs(func(c *tssim.Config) { c.RateLimit = 10 })
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	st := r.checkNothingSentTwice(30)
	if st.Call(tssim.KindChangeIdentifier, http.StatusTooManyRequests) == 0 {
		t.Fatal("the carrier never throttled: the test proves nothing")
	}
	if codes := r.logCodes(id); codes[tssim.FaultThrottled] == 0 {
		t.Errorf("the throttling is not in the log: %v", codes)
	}
	r.checkInventoryMatchesCarrier()
}

func TestServerErrorsBeforeTheCarrierActs(t *testing.T) {
	// Every change request gets a 500 or 503 from the gateway: the carrier may or may not
	// have acted, as far as the engine can tell. It must ask before it sends again.
	r := newRig(t, 10, tssim.Config{ErrorRate: map[string]float64{tssim.KindChangeIdentifier: 1}})
	r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 10)
	r.waitFor("every row to have had its unanswered send", func() bool {
		st := r.sim.Stats()
		return st.Call(tssim.KindChangeIdentifier, 500)+st.Call(tssim.KindChangeIdentifier, 503) >= 10
	})
	r.sim.SetKnobs(func(c *tssim.Config) { c.ErrorRate = nil }) // the carrier recovers
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.checkNothingSentTwice(10)
	r.checkInventoryMatchesCarrier()
	// Each row was looked up at the carrier before it was sent again.
	if n := r.logCount(id, store.LogResend); n < 10 {
		t.Errorf("%d rows were sent again after a lookup, want every one of the 10", n)
	}
}

// lossyCarrier stands between the engine and the carrier and loses the answer to change
// requests after the carrier has acted on them: the worst case for "never twice".
type lossyCarrier struct {
	*httptest.Server
	lose atomic.Bool
	lost atomic.Int32
}

func newLossyCarrier(t *testing.T, target string) *lossyCarrier {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	lc := &lossyCarrier{}
	lc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPut || !lc.lose.Load() {
			proxy.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, req) // the carrier acts…
		lc.lost.Add(1)
		<-req.Context().Done() // …and its answer never arrives
	}))
	t.Cleanup(lc.Close)
	return lc
}

func TestAnswersLostAfterTheCarrierActed(t *testing.T) {
	for name, sim := range map[string]tssim.Config{
		// The callback comes after the engine gave up waiting for the answer: it finds its
		// row by the line's identifiers.
		"callback late": {CallbackDelay: 2 * time.Second},
		// No callback either: only asking the carrier settles the rows.
		"callback lost": {DropCallbackRate: 1},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, 10, sim)
			lc := newLossyCarrier(t, r.carrier.URL)
			if err := r.db.SetBaseURL(context.Background(), r.provider, lc.URL, "test"); err != nil {
				t.Fatal(err)
			}
			lc.lose.Store(true)
			r.start(nil, func(e *process.Config, q *queue.Config) {
				// Long enough for the calls that do answer (checks, token, the carrier permit's
				// database trip) on a loaded machine under -race; a lost answer still times out.
				e.CallTimeout = time.Second
				if name == "callback late" {
					e.CallbackWait = 10 * time.Second // the late callback, not a check, settles the rows
				}
			})
			id := r.batch(change.ChangeICCID, 10)
			b := r.waitFinal(id)
			if b.Status != change.BatchProcessed {
				t.Fatalf("batch %s %+v", b.Status, b.Counts)
			}
			if lc.lost.Load() != 10 {
				t.Fatalf("%d answers were lost, want 10", lc.lost.Load())
			}
			r.checkNothingSentTwice(10)
			r.checkInventoryMatchesCarrier()
			if name == "callback late" {
				// The rows learnt their request ids from the callbacks.
				for _, row := range r.rows(id) {
					if row.RequestID == "" {
						t.Errorf("row %d has no request id", row.ID)
					}
				}
			}
		})
	}
}

func TestTimeoutsBeforeTheCarrierActs(t *testing.T) {
	// The simulator's hanging call holds its connection for Hang even after the client gave
	// up (it has not read the body, so it does not see the client leave); 3s keeps the test
	// short while the engine's 1s call timeout fires long before. The call timeout also bounds
	// the other calls (token, checks, the carrier permit's database trip), so it must leave
	// room for a loaded machine under -race: at 200ms, checks timed out there too and a row
	// was given up.
	r := newRig(t, 8, tssim.Config{TimeoutRate: map[string]float64{tssim.KindChangeIdentifier: 1}, Hang: 3 * time.Second})
	r.start(nil, func(e *process.Config, q *queue.Config) { e.CallTimeout = time.Second })
	id := r.batch(change.ChangeICCID, 8)
	r.waitFor("every row to have timed out once", func() bool { return r.logCodes(id)[process.CodeNoResponse] >= 8 })
	r.sim.SetKnobs(func(c *tssim.Config) { c.TimeoutRate = nil })
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.checkNothingSentTwice(8)
	r.checkInventoryMatchesCarrier()
}

func TestTokenAndSessionExpiry(t *testing.T) {
	for name, expire := range map[string]func(*tssim.Sim){
		"token":   (*tssim.Sim).ExpireTokens,
		"session": (*tssim.Sim).ExpireSessions,
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, 20, tssim.Config{})
			var claimed atomic.Int32
			r.start(nil, func(e *process.Config, q *queue.Config) {
				e.Hook = func(ctx context.Context, point string, changeID int64) error {
					if point == process.HookClaimed && claimed.Add(1) == 10 {
						expire(r.sim) // in the middle of the batch
					}
					return nil
				}
			})
			id := r.batch(change.ChangeICCID, 20)
			b := r.waitFinal(id)
			if b.Status != change.BatchProcessed {
				t.Fatalf("batch %s %+v", b.Status, b.Counts)
			}
			st := r.checkNothingSentTwice(20)
			kind := tssim.KindToken
			if name == "session" {
				kind = tssim.KindLogin
			}
			if st.Call(kind, 200) < 2 {
				t.Errorf("the %s was not renewed: %v", name, st.Calls[kind])
			}
			r.checkInventoryMatchesCarrier()
		})
	}
}

func TestLostCallbacksAreSettledByAskingTheCarrier(t *testing.T) {
	r := newRig(t, 10, tssim.Config{DropCallbackRate: 1})
	// Two of the rows fail at the carrier; without a callback only the line shows it.
	r.sim.InjectFault(r.lines[0].SpareICCID, tssim.Fault{Code: codeInUse})
	r.sim.InjectFault(r.lines[1].SpareICCID, tssim.Fault{Code: codeInUse})
	// They are given up at the horizon: short, so the test does not wait for it.
	r.start(nil, func(e *process.Config, _ *queue.Config) { e.ConfirmHorizon = 2 * time.Second })
	id := r.batch(change.ChangeICCID, 10)
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessedWithErrors || b.Counts.Processed != 8 || b.Counts.APIFailed != 2 {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	if st := r.sim.Stats(); st.CallbacksDropped != 10 || st.CallbacksSent != 0 {
		t.Fatalf("callbacks dropped %d sent %d", st.CallbacksDropped, st.CallbacksSent)
	}
	for _, row := range r.rows(id)[:2] {
		if !strings.Contains(row.StatusDetails, "did not confirm") {
			t.Errorf("row %d: %q", row.ID, row.StatusDetails)
		}
	}
	if codes := r.logCodes(id); codes[process.CodeNotConfirmed] != 2 {
		t.Errorf("not-confirmed codes: %v", codes)
	}
	r.checkNothingSentTwice(10)
	r.checkInventoryMatchesCarrier()
}

func TestDuplicatedCallbacksAreHarmless(t *testing.T) {
	r := newRig(t, 10, tssim.Config{DuplicateCallbackRate: 1})
	r.start(nil, func(e *process.Config, q *queue.Config) { e.CallbackWait = 30 * time.Second })
	id := r.batch(change.ChangeICCID, 10)
	b := r.waitFinal(id)
	if b.Status != change.BatchProcessed {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	r.waitFor("the duplicates", func() bool { return r.sim.Stats().CallbacksDuplicated == 10 })
	r.waitFor("every callback stored", func() bool {
		cbs, err := r.db.Callbacks(context.Background(), r.provider)
		return err == nil && len(cbs) == 20
	})
	for _, l := range r.lines[:10] {
		hist, err := r.db.IdentifierHistory(context.Background(), r.tenant, l.DeviceID)
		if err != nil || len(hist) != 1 {
			t.Errorf("line %s: %d history rows (%v)", l.MDN, len(hist), err)
		}
	}
	if n := len(r.mail.Messages()); n != 1 {
		t.Errorf("%d e-mails", n)
	}
	r.checkNothingSentTwice(10)
	r.checkInventoryMatchesCarrier()
}

func TestWritesDisabledFailsTheBatchUntilAnAdminRetries(t *testing.T) {
	for _, gate := range []string{"provider", "global"} {
		t.Run(gate, func(t *testing.T) {
			r := newRig(t, 5, tssim.Config{})
			ctx := context.Background()
			if gate == "provider" {
				if err := r.db.SetWriteEnabled(ctx, r.provider, false, "admin"); err != nil {
					t.Fatal(err)
				}
			}
			rn := r.start(nil, func(e *process.Config, q *queue.Config) { e.WritesEnabled = gate != "global" })
			id := r.batch(change.ChangeICCID, 5)
			b := r.waitFinal(id)
			if b.Status != change.BatchError || !strings.Contains(b.StatusDetails, "Write operations are disabled") || b.Counts.Error != 5 {
				t.Fatalf("batch %s %q %+v", b.Status, b.StatusDetails, b.Counts)
			}
			if st := r.sim.Stats(); len(st.ChangeSubmissions) != 0 {
				t.Fatalf("rows were sent with writes disabled: %v", st.ChangeSubmissions)
			}
			if codes := r.logCodes(id); codes[process.CodeWritesDisabled] == 0 {
				t.Errorf("log codes %v", codes)
			}
			if m := r.mail.Messages(); len(m) != 1 || !strings.Contains(m[0].Text, "failed") || !strings.Contains(m[0].Text, "Write operations are disabled") {
				t.Fatalf("the failure e-mail: %d messages", len(m))
			}

			// The admin opens the gate and retries.
			if gate == "provider" {
				if err := r.db.SetWriteEnabled(ctx, r.provider, true, "admin"); err != nil {
					t.Fatal(err)
				}
			} else {
				rn.stop()
				r.start(nil, nil)
			}
			if n, err := r.db.RetryBulkChange(ctx, 0, id, "admin@example.com", ""); err != nil || n != 5 {
				t.Fatalf("retry: %d %v", n, err)
			}
			r.waitFor("the retried batch", func() bool {
				b, _ = r.db.BulkChange(ctx, 0, id)
				return b.Status == change.BatchProcessed
			})
			r.waitFor("a second e-mail", func() bool { return len(r.mail.Messages()) == 2 })
			r.checkNothingSentTwice(5)
			r.checkInventoryMatchesCarrier()
		})
	}
}

func TestMissingCredentialsFailTheBatch(t *testing.T) {
	r := newRig(t, 4, tssim.Config{})
	r.setCredentialsActive(false)
	r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 4)
	b := r.waitFinal(id)
	if b.Status != change.BatchError || !strings.Contains(b.StatusDetails, "Authentication credentials not found") {
		t.Fatalf("batch %s %q", b.Status, b.StatusDetails)
	}
	if st := r.sim.Stats(); len(st.Calls) != 0 {
		t.Fatalf("the carrier was called without credentials: %v", st.Calls)
	}
	if r.logCount(id, store.LogCredentialsMissing) == 0 {
		t.Error("the missing credentials are not in the log")
	}
}

func TestRefusedLoginFailsTheBatchUntilFixed(t *testing.T) {
	r := newRig(t, 6, tssim.Config{})
	ctx := context.Background()
	creds, err := r.db.ThingSpaceCredentials(ctx, r.provider)
	if err != nil {
		t.Fatal(err)
	}
	good := *creds
	creds.Password = "a-wrong-password"
	if err := r.db.PutThingSpaceCredentials(ctx, *creds, "admin"); err != nil {
		t.Fatal(err)
	}
	r.start(nil, nil)
	id := r.batch(change.ChangeICCID, 6)
	b := r.waitFinal(id)
	if b.Status != change.BatchError || !strings.Contains(b.StatusDetails, "Unable to get session token") {
		t.Fatalf("batch %s %q", b.Status, b.StatusDetails)
	}
	st := r.sim.Stats()
	if len(st.ChangeSubmissions) != 0 {
		t.Fatalf("rows were sent without a session: %v", st.ChangeSubmissions)
	}
	if refusals := st.Call(tssim.KindLogin, 400); refusals == 0 || refusals >= tssim.MaxFailedLogins {
		t.Fatalf("%d refused logins: the carrier locks the user at %d", refusals, tssim.MaxFailedLogins)
	}
	if err := r.db.PutThingSpaceCredentials(ctx, good, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.RetryBulkChange(ctx, 0, id, "admin@example.com", ""); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the retried batch", func() bool {
		b, _ = r.db.BulkChange(ctx, 0, id)
		return b.Status == change.BatchProcessed
	})
	r.checkNothingSentTwice(6)
	r.checkInventoryMatchesCarrier()
}

func TestCancelStopsRowsNotYetSent(t *testing.T) {
	r := newRig(t, 10, tssim.Config{})
	ctx := context.Background()
	release := make(chan struct{})
	var once sync.Once
	r.start(nil, func(e *process.Config, q *queue.Config) {
		q.Workers = 1
		e.Hook = func(ctx context.Context, point string, changeID int64) error {
			if point == process.HookClaimed {
				<-release // the first row waits, claimed, while the rest are cancelled
			}
			return nil
		}
	})
	id := r.batch(change.ChangeICCID, 10)
	r.waitFor("the first row to be claimed", func() bool {
		b, _ := r.db.BulkChange(ctx, 0, id)
		return b.Counts.Processing == 1
	})
	n, err := r.db.CancelOpenRows(ctx, r.tenant, id, requester)
	once.Do(func() { close(release) })
	if err != nil || n != 9 {
		t.Fatalf("cancelled %d (%v), want the 9 rows not sent", n, err)
	}
	b := r.waitFinal(id)
	// One changed and nine cancelled is not "all changed".
	if b.Status != change.BatchProcessedWithErrors || b.Counts.Processed != 1 || b.Counts.Cancelled != 9 {
		t.Fatalf("batch %s %+v", b.Status, b.Counts)
	}
	if st := r.sim.Stats(); len(st.ChangeSubmissions) != 1 {
		t.Fatalf("sent %v", st.ChangeSubmissions)
	}
	r.checkInventoryMatchesCarrier()
}

func TestCallbacksNobodyAsksForAreKept(t *testing.T) {
	r := newRig(t, 1, tssim.Config{})
	rn := r.start(nil, nil)
	l := r.listener()
	for _, body := range []string{fmt.Sprintf(`{"requestId":"not-ours","status":"Success","username":%q,"password":%q}`, l.Username, l.Password),
		`not json at all`} {
		if code := r.postCallback(body); code != http.StatusOK {
			t.Fatalf("callback %q answered %d", body, code)
		}
	}
	cbs, err := r.db.Callbacks(context.Background(), r.provider)
	if err != nil || len(cbs) != 2 || cbs[1].Body != "not json at all" || cbs[0].RequestID != "not-ours" {
		t.Fatalf("stored callbacks %+v %v", cbs, err)
	}
	_ = rn
}
