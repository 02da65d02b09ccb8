// Command idswap-load offers a fixed request rate to one status endpoint of a freshly started
// `idswap serve --demo` on loopback and reports what came back: the achieved rate, p50 and p99
// latency, how many 503s (load shed) and 500s, and the server's peak RSS. `make load` runs it
// at 8,000 requests a second for 10 seconds.
//
// It is bounded on purpose: loopback only, at most 60 s and 20,000 requests a second.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idswap-load:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "bin/idswap", "the idswap binary to start")
	rate := flag.Int("rate", 8000, "requests offered per second (at most 20000)")
	dur := flag.Duration("duration", 10*time.Second, "how long to offer them (at most 60s)")
	clientCap := flag.Int("client-inflight", 4096, "requests this program keeps open at most; past it an offered request counts as not sent")
	inflight := flag.String("max-inflight", "", "IDSWAP_MAX_INFLIGHT for the server (empty: its default)")
	maxRSS := flag.Float64("max-rss-mb", 150, "fail when the server's peak resident memory reaches this many MB (issue 14's target); 0: no check")
	flag.Parse()
	if *rate < 1 || *rate > 20000 || *dur <= 0 || *dur > time.Minute {
		return errors.New("--rate must be 1..20000 and --duration at most 60s")
	}
	dir, err := os.MkdirTemp("", "idswap-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(*bin, "serve", "--demo", "--data", filepath.Join(dir, "data"), "--addr", addr)
	cmd.Env = append(os.Environ(), "IDSWAP_LOG_LEVEL=error")
	if *inflight != "" {
		cmd.Env = append(cmd.Env, "IDSWAP_MAX_INFLIGHT="+*inflight)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w (run `make build` first)", *bin, err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	base := "http://" + addr
	if err := waitReady(base, 90*time.Second); err != nil {
		return err
	}
	client, target, err := signIn(base)
	if err != nil {
		return err
	}
	fmt.Printf("target  GET %s (signed in as manager@acme.example), %d req/s for %s\n", target, *rate, *dur)
	// The generator shares the machine with the server: a busy machine lowers the achieved rate
	// and raises latency, so the load average is part of the result.
	fmt.Printf("machine load average before: %s\n", loadAvg())

	peakRSS, stopRSS := watchPeakRSS(cmd.Process.Pid)
	startRSS := rssKB(cmd.Process.Pid)
	t := offer(client, base+target, *rate, *dur, *clientCap)
	stopRSS()
	latencies, statuses, offered, took := t.latencies, t.statuses, t.offered, t.took

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	var codes []string
	for code, n := range statuses {
		codes = append(codes, fmt.Sprintf("%d: %d", code, n))
	}
	slices.Sort(codes)
	fmt.Printf("offered %d in %s (%.0f/s); not sent (client cap %d): %d; transport errors: %d\n",
		offered, dur.String(), float64(offered)/dur.Seconds(), *clientCap, t.notSent.Load(), t.errs.Load())
	fmt.Printf("answered %d in %s: %.0f/s; 200s %.0f/s\n", len(latencies), took.Round(time.Millisecond),
		float64(len(latencies))/took.Seconds(), float64(statuses[200])/took.Seconds())
	fmt.Printf("status  %s\n", strings.Join(codes, ", "))
	fmt.Printf("latency p50 %s, p99 %s, max %s\n", pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	fmt.Printf("503s %d, 500s %d\n", statuses[503], statuses[500])
	fmt.Printf("server RSS %.1f MB at start, peak %.1f MB\n", float64(startRSS)/1024, float64(peakRSS())/1024)
	fmt.Printf("machine load average after: %s\n", loadAvg())
	var problems []error
	if statuses[500] > 0 {
		problems = append(problems, fmt.Errorf("%d answers were 500", statuses[500]))
	}
	if peak := float64(peakRSS()) / 1024; *maxRSS > 0 && peak >= *maxRSS {
		problems = append(problems, fmt.Errorf("the server's peak RSS was %.1f MB, the target is under %.0f MB", peak, *maxRSS))
	}
	return errors.Join(problems...)
}

// watchPeakRSS samples the resident memory of process pid every 20 ms until stop is called;
// peak reads the highest sample so far, in KB.
func watchPeakRSS(pid int) (peak func() int64, stop func()) {
	var highest atomic.Int64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := rssKB(pid); kb > highest.Load() {
				highest.Store(kb)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return highest.Load, func() { close(done) }
}

// tally is what came back from the offered requests.
type tally struct {
	mu        sync.Mutex
	latencies []time.Duration
	statuses  map[int]int
	errs      atomic.Int64 // transport errors
	notSent   atomic.Int64 // offered while the client cap was full
	offered   int
	took      time.Duration // from the first offer until the last answer
}

// offer sends rate GET requests a second to url for dur, keeping at most clientCap open. A request
// offered while the cap is full counts as not sent instead of waiting, so the offered rate stays
// what was asked for however slowly the server answers.
func offer(client *http.Client, url string, rate int, dur time.Duration, clientCap int) *tally {
	t := &tally{latencies: make([]time.Duration, 0, rate*int(dur.Seconds()+1)), statuses: map[int]int{}}
	var wg sync.WaitGroup
	slots := make(chan struct{}, clientCap)
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	for now := range tick.C {
		elapsed := now.Sub(start)
		if elapsed >= dur {
			break
		}
		due := int(float64(rate) * elapsed.Seconds())
		for ; t.offered < due; t.offered++ {
			select {
			case slots <- struct{}{}:
			default:
				t.notSent.Add(1)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				t.get(client, url)
			}()
		}
	}
	tick.Stop()
	wg.Wait()
	t.took = time.Since(start)
	return t
}

// get sends one request and records its latency and status, or a transport error.
func (t *tally) get(client *http.Client, url string) {
	t0 := time.Now()
	res, err := client.Get(url)
	if err != nil {
		t.errs.Add(1)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close() // read to the end already: closing only hands the connection back
	d := time.Since(t0)
	t.mu.Lock()
	t.latencies = append(t.latencies, d)
	t.statuses[res.StatusCode]++
	t.mu.Unlock()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			_ = res.Body.Close() // only the status matters
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the server at %s was not ready within %s", base, within)
}

var (
	csrfRE  = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	batchRE = regexp.MustCompile(`href="/bulk-changes/(\d+)"`)
)

// signIn signs in as the demo manager and picks the status endpoint of one of their requests
// (the dashboard when there is none).
func signIn(base string) (*http.Client, string, error) {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConns: 8192, MaxIdleConnsPerHost: 8192, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	c := &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	body, err := get(c, base+"/login")
	if err != nil {
		return nil, "", err
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return nil, "", errors.New("no CSRF token on the sign-in page")
	}
	res, err := c.PostForm(base+"/login", url.Values{"_csrf": {m[1]}, "email": {"manager@acme.example"}, "password": {"idswap-demo"}})
	if err != nil {
		return nil, "", err
	}
	_ = res.Body.Close() // only the status and the session cookie matter
	if res.StatusCode != http.StatusSeeOther {
		return nil, "", fmt.Errorf("sign-in answered %d", res.StatusCode)
	}
	list, err := get(c, base+"/bulk-changes")
	if err != nil {
		return nil, "", err
	}
	if m := batchRE.FindStringSubmatch(list); m != nil {
		return c, "/bulk-changes/" + m[1] + "/status", nil
	}
	// A fresh demo has no request yet: the request list (session, user and one query) stands in.
	return c, "/bulk-changes", nil
}

func get(c *http.Client, u string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// loadAvg is the first three fields of /proc/loadavg (Linux), or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// rssKB reads a process's resident set size from /proc (Linux).
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}
