package thingspace_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// waitFor is how long a test waits for something asynchronous before it
// fails; generous because it only matters when the test is failing.
const waitFor = 10 * time.Second

// demo account of tssim.DemoSeed.
const (
	account  = "0000123456-00001"
	clientID = "demo-key"
	secret   = "demo-secret"
	username = "demo-user"
	password = "demo-password"
)

// Rig is a simulator on a real HTTP server, a callback listener and a client.
type Rig struct {
	Sim      *tssim.Sim
	Server   *httptest.Server
	Listener *Listener
	Client   *thingspace.Client

	mu        sync.Mutex
	exchanges []thingspace.Exchange
}

// MustRig starts a simulator with cfg and the demo seed, and a client for
// the demo account; edit adjusts the client config.
func MustRig(tb testing.TB, cfg tssim.Config, edit ...func(*thingspace.Config)) *Rig {
	tb.Helper()
	sim, err := tssim.New(cfg, tssim.DemoSeed())
	if err != nil {
		tb.Fatal(err)
	}
	r := &Rig{Sim: sim, Server: httptest.NewServer(sim.Handler()), Listener: MustListener(tb)}
	tb.Cleanup(func() {
		r.Server.Close()
		if err := sim.Close(); err != nil {
			tb.Error(err)
		}
	})
	r.Client = r.MustClient(tb, edit...)
	return r
}

// MustClient builds another client against the rig's simulator.
func (r *Rig) MustClient(tb testing.TB, edit ...func(*thingspace.Config)) *thingspace.Client {
	tb.Helper()
	cfg := thingspace.Config{
		BaseURL: r.Server.URL, ClientID: clientID, ClientSecret: secret,
		Username: username, Password: password, AccountName: account, ServiceType: "4G",
		Observer: func(ex thingspace.Exchange) {
			r.mu.Lock()
			r.exchanges = append(r.exchanges, ex)
			r.mu.Unlock()
		},
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := thingspace.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Exchanges returns what the Observer saw so far.
func (r *Rig) Exchanges() []thingspace.Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]thingspace.Exchange(nil), r.exchanges...)
}

// MustRegister registers the rig's listener as the CarrierService listener.
func (r *Rig) MustRegister(tb testing.TB) {
	tb.Helper()
	if err := r.Client.RegisterCallback(context.Background(), thingspace.ServiceCarrier, r.Listener.URL, "cb-user", "cb-pass-1234"); err != nil {
		tb.Fatal(err)
	}
}

// MustWaitIdle waits until the simulator has finished every change.
func (r *Rig) MustWaitIdle(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := r.Sim.WaitIdle(ctx); err != nil {
		tb.Fatalf("simulator not idle: %v", err)
	}
}

// Listener is a callback receiver that answers with Status (200 unless
// changed) and queues every callback it gets.
type Listener struct {
	URL       string
	Status    atomic.Int32
	Callbacks chan *thingspace.Callback
	Bodies    chan string
}

// MustListener starts a callback listener.
func MustListener(tb testing.TB) *Listener {
	tb.Helper()
	l := &Listener{Callbacks: make(chan *thingspace.Callback, 64), Bodies: make(chan string, 64)}
	l.Status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb, err := thingspace.ParseCallback(body)
		if err != nil {
			tb.Errorf("listener got a bad callback: %v: %s", err, body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		l.Callbacks <- cb
		l.Bodies <- string(body)
		w.WriteHeader(int(l.Status.Load()))
	}))
	tb.Cleanup(srv.Close)
	l.URL = srv.URL + "/thingspace/callbacks/secret"
	return l
}

// MustNext returns the next callback or fails the test.
func (l *Listener) MustNext(tb testing.TB) *thingspace.Callback {
	tb.Helper()
	select {
	case cb := <-l.Callbacks:
		<-l.Bodies
		return cb
	case <-time.After(waitFor):
		tb.Fatal("no callback arrived")
		return nil
	}
}

// Pending returns how many callbacks are queued and not yet read.
func (l *Listener) Pending() int { return len(l.Callbacks) }

// MustAPIError asserts err is an *APIError of the class and returns it.
func MustAPIError(tb testing.TB, err error, class thingspace.ErrorClass) *thingspace.APIError {
	tb.Helper()
	if err == nil {
		tb.Fatalf("want a %s error, got nil", class)
	}
	ae, ok := err.(*thingspace.APIError)
	if !ok {
		tb.Fatalf("want *APIError, got %T: %v", err, err)
	}
	if ae.Class != class || thingspace.ClassOf(err) != class {
		tb.Fatalf("want class %s, got %s (%v)", class, ae.Class, err)
	}
	return ae
}

// MustChange changes one line and returns the request id.
func MustChange(tb testing.TB, c *thingspace.Client, req thingspace.ChangeIdentifierRequest) string {
	tb.Helper()
	id, err := c.ChangeIdentifier(context.Background(), req)
	if err != nil {
		tb.Fatalf("change: %v", err)
	}
	return id
}

// iccidChange is a ChangeICCID of line 1 to the spare SIM.
func iccidChange() thingspace.ChangeIdentifierRequest {
	return thingspace.ChangeIdentifierRequest{
		DeviceIDs:      []thingspace.DeviceID{{ID: line1ICCID, Kind: thingspace.KindICCID}},
		DeviceIDsTo:    []thingspace.DeviceID{{ID: spareSIM, Kind: thingspace.KindICCID}},
		Change4GOption: thingspace.ChangeICCID,
	}
}

func containsAny(text string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			return s
		}
	}
	return ""
}
