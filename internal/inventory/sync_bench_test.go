package inventory_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// benchSimEnv, set, makes this test binary a simulator of benchLines lines instead of running
// tests: the benchmark starts it as its own process, as the carrier is in production, so the
// resident size it reports is idswap's and the carrier's memory is reported apart.
const benchSimEnv = "INVENTORY_BENCH_SIM"

const benchLines, benchPage = 100000, 2000

func TestMain(m *testing.M) {
	if os.Getenv(benchSimEnv) != "" {
		if err := serveBenchSim(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveBenchSim serves the benchmark's carrier on a loopback port, prints its URL, and stops
// when standard input closes (the benchmark ended or died).
func serveBenchSim() error {
	seed := tssim.Seed{Accounts: []tssim.Account{{Name: account, ClientID: clientID, ClientSecret: secret, Username: uwsUser, Password: uwsPass}},
		Plans: []tssim.Plan{{Code: "LTEM-10MB", Name: "LTE-M 10 MB", SizeKb: 10240, CarrierServicePlanCode: "84000"}}}
	for i := range benchLines {
		l := tssim.Line{Account: account, MDN: fmt.Sprintf("41%08d", i), ICCID: iccid(i), IMEI: imei(i), State: tssim.StateActive, ServicePlan: "LTEM-10MB"}
		if i%2 == 0 {
			l.Groups = []string{"acme"}
		}
		seed.Lines = append(seed.Lines, l)
	}
	sim, err := tssim.New(tssim.Config{MaxPageSize: benchPage, ServiceTypes: tssim.DefaultServiceTypes()}, seed)
	if err != nil {
		return err
	}
	defer sim.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString(0); _ = srv.Close() }()
	fmt.Printf("http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// peakRSS reads a process's peak resident set size (VmHWM) in MB from /proc.
func peakRSS(b *testing.B, pid string) float64 {
	b.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		b.Fatalf("peak resident size: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/" + pid + "/status")
	return 0
}

// BenchmarkSync100k syncs an account of 100,000 lines from the simulator into an empty SQLite
// inventory, 2,000 devices a page (the simulator started with a max page size of 2,000), then
// syncs it again with nothing changed. The simulator runs as a separate process (this binary
// again, see TestMain). It reports both times and the peak resident size (VmHWM) of this
// process, which is idswap's sync, and of the simulator's:
//
//	go test -run '^$' -bench Sync100k -benchtime 1x ./internal/inventory
func BenchmarkSync100k(b *testing.B) {
	ctx := context.Background()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchSimEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	simURL, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("the simulator process did not start: %v", err)
	}
	simURL = strings.TrimSpace(simURL)
	for b.Loop() {
		db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), testKey)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		on := onboard.New(db)
		admin := store.Actor{Name: "bench"}
		tenant, _ := on.CreateTenant(ctx, admin, "Acme")
		other, _ := on.CreateTenant(ctx, admin, "Other")
		pid, err := on.CreateProvider(ctx, admin, onboard.ProviderInput{Name: "TS", BaseURL: simURL, AccountName: account,
			ClientID: clientID, ClientSecret: secret, UWSUser: uwsUser, UWSPassword: uwsPass})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.AddAssignmentRule(ctx, store.AssignmentRule{ProviderID: pid, Kind: store.RuleGroup, FieldValue: "acme", TenantID: tenant}, admin); err != nil {
			b.Fatal(err)
		}
		inv := inventory.New(db)
		inv.PageSize = benchPage
		t0 := time.Now()
		run, err := inv.Sync(ctx, pid, inventory.Options{By: "bench", DefaultTenantID: other})
		first := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if run.Listed != benchLines || run.Added != benchLines {
			b.Fatalf("first run %+v", run)
		}
		t0 = time.Now()
		run, err = inv.Sync(ctx, pid, inventory.Options{By: "bench"})
		again := time.Since(t0)
		if err != nil || run.Listed != benchLines || run.Added != 0 || run.Updated != 0 {
			b.Fatalf("second run %+v, %v", run, err)
		}
		b.ReportMetric(first.Seconds(), "first-s")
		b.ReportMetric(again.Seconds(), "again-s")
		b.ReportMetric(peakRSS(b, "self"), "peak-rss-MB")
		b.ReportMetric(peakRSS(b, strconv.Itoa(cmd.Process.Pid)), "sim-peak-rss-MB")
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
