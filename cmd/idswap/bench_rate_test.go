package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// Settings of the deployment-wide carrier rate benchmark (issue 12, item 7).
const (
	rateBenchRows  = 600
	rateBenchLimit = 20 // the simulator's limit and IDSWAP_CARRIER_RATE
)

// BenchmarkCarrierRateAcrossProcesses runs the built binary as a deployment would: the
// simulator (`idswap tssim --rate-limit 20`), one `idswap serve` and two `idswap worker`
// processes on one SQLite file, every one with IDSWAP_CARRIER_RATE=20, and a 600-row SIM swap.
// It reports the time from sending the request to serve's API until every row is final (ideal
// 600 ÷ 20 = 30 s, goal within 10% of it; the carrier's callback delay is set to 0.5 s so that
// little else counts) and the simulator's 429 answers (want none); then the same with `serve`
// alone (sub-benchmarks serve+2-workers and serve+0-workers).
//
//	make bench-rate    # go test -run='^$' -bench=CarrierRateAcrossProcesses -benchtime=1x ./cmd/idswap
func BenchmarkCarrierRateAcrossProcesses(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "idswap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, workers := range []int{2, 0} {
		name := fmt.Sprintf("serve+%d-workers", workers)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				took, throttled := rateBenchRun(b, bin, workers)
				b.ReportMetric(took.Seconds(), "s-to-final")
				b.ReportMetric(float64(throttled), "429s")
				b.Logf("%s: %d rows final in %.1fs (ideal %.0fs), %d answers 429",
					name, rateBenchRows, took.Seconds(), float64(rateBenchRows)/rateBenchLimit, throttled)
			}
		})
	}
}

// rateBenchRun starts the simulator, serve and the given number of workers in a fresh data
// folder, stores the request, and returns how long it took until the request was final and how
// many 429 answers the simulator gave. The request goes in as a client of the API would send it
// (a token made by `idswap token create`, POST /api/v1/bulk-changes to serve), so the time
// counts its check and storing, and serve's queue starts on it as it would for a person.
func rateBenchRun(b *testing.B, bin string, workers int) (time.Duration, int) {
	b.Helper()
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The demo carrier has 300 spare SIMs; the request needs 600. Its state file starts with
	// the demo world and 300 SIMs more.
	world := demo.Build()
	seed := world.Carrier
	for i := range rateBenchRows - len(seed.SIMs) {
		seed.SIMs = append(seed.SIMs, tssim.SIM{ICCID: ident.AppendLuhn(fmt.Sprintf("8914800099%09d", i))})
	}
	stateFile := filepath.Join(dir, "carrier.json")
	sim, err := tssim.New(tssim.Config{StateFile: stateFile}, seed)
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		b.Fatal(err)
	}

	simAddr := freeAddr(b)
	env := append(os.Environ(), fmt.Sprintf("IDSWAP_CARRIER_RATE=%d", rateBenchLimit), "IDSWAP_LOG_LEVEL=warn")
	start := func(ready string, args ...string) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env, cmd.Stderr = env, os.Stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 30 * time.Second
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cancel(); _ = cmd.Wait() })
		up := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.Contains(sc.Text(), ready) {
					close(up)
				}
			}
		}()
		select {
		case <-up:
		case <-time.After(60 * time.Second):
			b.Fatalf("%v did not start", args)
		}
	}
	start("ThingSpace simulator at", "tssim", "--addr", simAddr, "--state-file", stateFile,
		"--rate-limit", fmt.Sprint(rateBenchLimit), "--callback-delay", "500ms")
	serveAddr := freeAddr(b)
	start("idswap is running at", "serve", "--demo", "--data", dir, "--addr", serveAddr, "--tssim-url", "http://"+simAddr)
	for range workers {
		start("is running", "worker", "--demo", "--data", dir)
	}

	cfg := &config.Config{Demo: true, DataDir: dir}
	if err := cfg.Resolve(func(string) string { return "" }); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.DSN, cfg.SecretKey)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	body := rateBenchRequest(b, db, seed.SIMs)
	token := rateBenchToken(b, bin, dir)
	rateBenchAtRest(b, "http://"+simAddr)
	began := time.Now()
	id := rateBenchSubmit(b, "http://"+serveAddr, token, body)
	for {
		bc, err := db.BulkChange(ctx, 0, id)
		if err != nil {
			b.Fatal(err)
		}
		if bc.Status.Final() {
			if bc.Counts.Processed != rateBenchRows {
				b.Errorf("request %s: %+v", bc.Status, bc.Counts)
			}
			break
		}
		if time.Since(began) > 5*time.Minute {
			b.Fatalf("request not final after 5 minutes: %+v", bc.Counts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(began)

	st := simStats(b, "http://"+simAddr)
	throttled := 0
	for _, byStatus := range st.Calls {
		throttled += byStatus["429"]
	}
	b.Logf("simulator calls: %v", st.Calls)
	return took, throttled
}

// rateBenchAtRest waits until the carrier has had no call for a second and a half: the demo's
// set-up (onboarding and a sync of its lines) calls the carrier as serve starts, and each of
// its permits is held a second after its answer. The request is timed from a deployment at
// rest, as a person's would be.
func rateBenchAtRest(b *testing.B, simURL string) {
	b.Helper()
	last, since := -1, time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n := simCalls(b, simURL)
		if n != last {
			last, since = n, time.Now()
		}
		if time.Since(since) >= 1500*time.Millisecond {
			return
		}
	}
	b.Fatal("the carrier was still being called a minute after start")
}

// simCalls is how many API calls the simulator has answered (its own stats and stock pages
// are not the carrier's API).
func simCalls(b *testing.B, simURL string) (n int) {
	b.Helper()
	for kind, byStatus := range simStats(b, simURL).Calls {
		if kind == tssim.KindStats || kind == tssim.KindStock {
			continue
		}
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// simStats reads the simulator's counters.
func simStats(b *testing.B, simURL string) tssim.Stats {
	b.Helper()
	res, err := http.Get(simURL + "/sim/v1/stats")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var st tssim.Stats
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	return st
}

// rateBenchRequest is the API body of a request of SIM swaps for Acme's first active devices,
// one spare SIM each, each row named by its device's MDN.
func rateBenchRequest(b *testing.B, db *store.DB, sims []tssim.SIM) []byte {
	b.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, demo.AcmeManager)
	if err != nil {
		b.Fatal(err)
	}
	ds, _, err := db.Devices(ctx, store.DeviceFilter{TenantID: *u.TenantID, StatusID: store.DeviceStatusActive, Limit: rateBenchRows})
	if err != nil || len(ds) != rateBenchRows {
		b.Fatalf("devices: %d %v", len(ds), err)
	}
	type row struct {
		Current  string `json:"current"`
		NewICCID string `json:"new_iccid"`
	}
	req := struct {
		ServiceProviderID int64  `json:"service_provider_id"`
		ChangeType        string `json:"change_type"`
		Reason            string `json:"reason"`
		Rows              []row  `json:"rows"`
	}{ServiceProviderID: ds[0].ServiceProviderID, ChangeType: string(change.ChangeICCID), Reason: "rate benchmark"}
	for i, d := range ds {
		req.Rows = append(req.Rows, row{Current: d.MSISDN, NewICCID: sims[i].ICCID})
	}
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// rateBenchToken makes an API token for Acme's manager as an operator would.
func rateBenchToken(b *testing.B, bin, dir string) string {
	b.Helper()
	out, err := exec.Command(bin, "token", "create", "--demo", "--data", dir, "--email", demo.AcmeManager).Output()
	if err != nil {
		b.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// rateBenchSubmit sends the request to serve's API and returns its id.
func rateBenchSubmit(b *testing.B, base, token string, body []byte) int64 {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, base+paths.APIBulkChanges, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var created struct {
		ID int64 `json:"id"`
	}
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(data, &created) != nil || created.ID == 0 {
		b.Fatalf("POST %s: %d %.500s", paths.APIBulkChanges, res.StatusCode, data)
	}
	return created.ID
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
