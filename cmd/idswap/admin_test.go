package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// TestProviderCreateCheckAndSync sets a provider up from the command line on an empty database,
// with a client secret full of characters that URL-encoding would change, and checks and syncs
// it against the simulator.
func TestProviderCreateCheckAndSync(t *testing.T) {
	const secret = "Ab+c/d=e&f%g h"
	seed := tssim.DemoSeed()
	seed.Accounts[0].ClientSecret = secret
	sim, err := tssim.New(tssim.Config{}, seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })

	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	env := map[string]string{
		"IDSWAP_DB":            "sqlite:" + filepath.Join(t.TempDir(), "cli.db"),
		"IDSWAP_SECRET_KEY":    key,
		"IDSWAP_SESSION_KEY":   key,
		"IDSWAP_CLIENT_SECRET": secret,
		"IDSWAP_UWS_PASSWORD":  seed.Accounts[0].Password,
	}
	getenv := func(k string) string { return env[k] }
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := cmd("migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if out, err := cmd("tenant", "create", "--name", "Acme"); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("tenant create: %q, %v", out, err)
	}
	if _, err := cmd("tenant", "create", "--name", "acme"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a duplicate tenant name: %v, want refused", err)
	}
	out, err := cmd("provider", "create", "--name", "ThingSpace", "--base-url", srv.URL, "--account", seed.Accounts[0].Name,
		"--client-id", seed.Accounts[0].ClientID, "--username", seed.Accounts[0].Username, "--writes")
	if err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("provider create: %q, %v", out, err)
	}
	if out, err := cmd("provider", "check", "1"); err != nil || !strings.Contains(out, "accepted the credentials") {
		t.Fatalf("provider check: %v\n%s", err, out)
	}
	out, err = cmd("sync", "--provider", "1", "--default-tenant", "Acme")
	if err != nil || !strings.Contains(out, "5 listed, 5 added") || !strings.Contains(out, "0 unassigned") {
		t.Fatalf("sync: %v\n%s", err, out)
	}

	// A wrong secret: the check fails, and says what the carrier answered.
	env["IDSWAP_CLIENT_SECRET"] = "wrong"
	if out, err := cmd("provider", "create", "--name", "Wrong", "--base-url", srv.URL, "--account", seed.Accounts[0].Name,
		"--client-id", seed.Accounts[0].ClientID, "--username", seed.Accounts[0].Username); err != nil || strings.TrimSpace(out) != "2" {
		t.Fatalf("provider create: %q, %v", out, err)
	}
	_, err = cmd("provider", "check", "2")
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Fatalf("check with a wrong secret: %v, want the carrier's refusal", err)
	}
}
