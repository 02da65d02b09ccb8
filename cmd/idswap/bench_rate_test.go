package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
// It reports the time from storing the request until every row is final (ideal 600 ÷ 20 = 30 s;
// the carrier's callback delay is set to 0.5 s so that little else counts) and the simulator's
// 429 answers (want none); then the same with `serve` alone.
//
//	make bench-rate    # go test -run='^$' -bench=CarrierRateAcrossProcesses -benchtime=1x ./cmd/idswap
func BenchmarkCarrierRateAcrossProcesses(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "idswap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for b.Loop() {
		for _, workers := range []int{2, 0} {
			took, throttled := rateBenchRun(b, bin, workers)
			name := fmt.Sprintf("serve+%d-workers", workers)
			b.ReportMetric(took.Seconds(), "s-to-final-"+name)
			b.ReportMetric(float64(throttled), "429s-"+name)
			b.Logf("%s: %d rows final in %.1fs (ideal %.0fs), %d answers 429",
				name, rateBenchRows, took.Seconds(), float64(rateBenchRows)/rateBenchLimit, throttled)
		}
	}
}

// rateBenchRun starts the simulator, serve and the given number of workers in a fresh data
// folder, stores the request, and returns how long it took until the request was final and how
// many 429 answers the simulator gave.
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
		seed.SIMs = append(seed.SIMs, tssim.SIM{ICCID: fmt.Sprintf("8914800099%010d", i)})
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
	start("idswap is running at", "serve", "--demo", "--data", dir, "--addr", freeAddr(b), "--tssim-url", "http://"+simAddr)
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
	id := rateBenchBatch(b, db, seed.SIMs)
	began := time.Now()
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
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(began)

	res, err := http.Get("http://" + simAddr + "/sim/v1/stats")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var st tssim.Stats
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	throttled := 0
	for _, byStatus := range st.Calls {
		throttled += byStatus["429"]
	}
	b.Logf("simulator calls: %v", st.Calls)
	return took, throttled
}

// rateBenchBatch stores a request of SIM swaps for Acme's first active devices, one spare SIM
// each, as the request wizard would.
func rateBenchBatch(b *testing.B, db *store.DB, sims []tssim.SIM) int64 {
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
	const reason = "rate benchmark"
	var rows []store.NewDeviceChange
	for i, d := range ds {
		rows = append(rows, store.NewDeviceChange{DeviceID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, NewICCID: sims[i].ICCID,
			Envelope: change.NewEnvelope(change.ChangeICCID, change.Identifier{OldICCID: d.ICCID, NewICCID: sims[i].ICCID, OldIMEI: d.IMEI, Reason: reason})})
	}
	id, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: *u.TenantID, ServiceProviderID: ds[0].ServiceProviderID,
		Type: change.ChangeICCID, Reason: reason, RequestedBy: u, Rows: rows})
	if err != nil {
		b.Fatal(err)
	}
	return id
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
