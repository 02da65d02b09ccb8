package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// Issue 14's findings 4, 6 and 8 through the command an operator runs and the settings they
// set, using nothing but run and HTTP, so that the same file runs against the code before the
// issue (where each of these fails).

// serveWithEnv runs `idswap serve --demo` in-process with the given environment on a free port
// and returns its URL and data folder; it stops when the test ends.
func serveWithEnv(t *testing.T, env map[string]string) (url, dataDir string) {
	t.Helper()
	dataDir = t.TempDir()
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", dataDir, "--addr", "127.0.0.1:0"}, getenv, strings.NewReader(""), outW, io.Discard)
		_ = outW.Close()
	}()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "idswap is running at "); ok {
				urlc <- strings.Fields(rest)[0]
			}
		}
	}()
	select {
	case url = <-urlc:
	case err := <-done:
		cancel()
		t.Fatalf("idswap serve stopped before it listened: %v", err)
	case <-time.After(90 * time.Second):
		cancel()
		t.Fatal("idswap serve did not start in 90 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("idswap serve stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("idswap serve did not stop within 30 s")
		}
	})
	return url, dataDir
}

// Finding 8: IDSWAP_METRICS_TOKEN puts /metrics behind a bearer token.
// Finding 4: IDSWAP_MAX_INFLIGHT caps the requests in flight; past it, 503 with Retry-After.
func TestFindingsMetricsTokenAndInflightCapFromTheEnvironment(t *testing.T) {
	const token = "metrics-token-0123456789"
	url, _ := serveWithEnv(t, map[string]string{"IDSWAP_LOG_LEVEL": "error", "IDSWAP_METRICS_TOKEN": token, "IDSWAP_MAX_INFLIGHT": "1"})
	get := func(path, auth string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := get(paths.Metrics, ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", res.StatusCode)
	}
	if res := get(paths.Metrics, "Bearer "+token); res.StatusCode != http.StatusOK {
		t.Errorf("/metrics with the token: %d, want 200", res.StatusCode)
	}

	// One request held in flight: a sign-in whose body never finishes arriving. The held
	// request can itself be shed if it arrives while another is still finishing (the 503 ends
	// it at once); then nothing is in flight, so it is held again.
	hold := func() (release func(), ended <-chan struct{}) {
		pr, pw := io.Pipe()
		req, _ := http.NewRequest(http.MethodPost, url+paths.Login, pr)
		req.ContentLength = 100
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		held := make(chan struct{})
		go func() {
			defer close(held)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}()
		if _, err := pw.Write([]byte("email=")); err != nil {
			t.Fatal(err)
		}
		return func() { pw.CloseWithError(io.ErrUnexpectedEOF); <-held }, held
	}
	release, ended := hold()
	defer func() { release() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-ended:
			release()
			release, ended = hold()
		default:
		}
		res := get(paths.Login, "")
		if res.StatusCode == http.StatusServiceUnavailable {
			if res.Header.Get("Retry-After") == "" {
				t.Error("the 503 has no Retry-After")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second request while one is in flight under IDSWAP_MAX_INFLIGHT=1: %d, want 503", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond) // the held request may not have reached its handler yet
	}
}

var tokenIDRE = regexp.MustCompile(`Token (\d+) `)

// Finding 6: a token made by `idswap token create` expires by default and `idswap token revoke`
// refuses it at once, without editing the database.
func TestFindingTokensExpireByDefaultAndAreRevokedFromTheCommandLine(t *testing.T) {
	url, dir := serveWithEnv(t, map[string]string{"IDSWAP_LOG_LEVEL": "error"})
	// cmd runs `idswap token SUB --demo --data DIR ARGS...` (flags before an ID argument).
	cmd := func(sub string, args ...string) (string, string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), append([]string{"token", sub, "--demo", "--data", dir}, args...), func(string) string { return "" },
			strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, msg, err := cmd("create", "--email", demo.AcmeManager)
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, msg)
	}
	token := strings.TrimSpace(out)
	m := tokenIDRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("token create names no token id: %q", msg)
	}
	in90 := time.Now().UTC().AddDate(0, 0, 90).Format("2006-01-02")
	if !strings.Contains(msg, "expires "+in90) {
		t.Errorf("a new token without --ttl: %q, want it to expire on %s (90 days)", msg, in90)
	}
	status := func() int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url+paths.APIBulkChanges, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status(); s != http.StatusOK {
		t.Fatalf("the new token: %d, want 200", s)
	}
	if _, msg, err := cmd("revoke", m[1]); err != nil {
		t.Fatalf("token revoke %s: %v\n%s", m[1], err, msg)
	}
	if s := status(); s != http.StatusUnauthorized {
		t.Fatalf("the revoked token: %d, want 401 at once", s)
	}
	// Every user's tokens, without --email.
	if out, msg, err := cmd("list"); err != nil || !strings.Contains(out, token[:11]) {
		t.Fatalf("token list: %v %s\n%s", err, msg, out)
	}
}
