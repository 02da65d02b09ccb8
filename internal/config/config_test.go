package config_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/config"
)

var (
	key32     = bytes.Repeat([]byte{7}, 32)
	key32B64  = base64.StdEncoding.EncodeToString(key32)
	otherKey  = bytes.Repeat([]byte{9}, 32)
	otherHex  = hex.EncodeToString(otherKey)
	validEnvs = map[string]string{
		"IDSWAP_DB":          "sqlserver://sa:pw@db:1433?database=idswap",
		"IDSWAP_SECRET_KEY":  key32B64,
		"IDSWAP_SESSION_KEY": otherHex,
	}
)

func env(m map[string]string, more ...string) func(string) string {
	all := map[string]string{}
	for k, v := range m {
		all[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		all[more[i]] = more[i+1]
	}
	return func(k string) string { return all[k] }
}

func TestResolveReadsTheEnvironment(t *testing.T) {
	c := &config.Config{Addr: "127.0.0.1:9000"}
	err := c.Resolve(env(validEnvs, "IDSWAP_WORKERS", "3", "IDSWAP_CALLBACK_WAIT", "90s", "IDSWAP_SYNC_EVERY", "30m",
		"IDSWAP_PUBLIC_URL", "https://idswap.example/", "IDSWAP_SMTP_TLS", "TLS"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.SecretKey, key32) || !bytes.Equal(c.SessionKey, otherKey) {
		t.Fatalf("keys: %x %x", c.SecretKey, c.SessionKey)
	}
	if c.Workers != 3 || c.CallbackWait != 90*time.Second || c.SyncEvery != 30*time.Minute || c.SMTP.TLS != "tls" || c.SMTP.Port != 587 {
		t.Fatalf("engine and mail: %+v", c)
	}
	if c.PublicURL != "https://idswap.example" || c.PublicURLFromAddr || !c.SecureOnly {
		t.Fatalf("public URL %q from addr %v secure %v", c.PublicURL, c.PublicURLFromAddr, c.SecureOnly)
	}
	if c.WritesEnabled {
		t.Fatal("the write gate is open against a real carrier without IDSWAP_WRITES_ENABLED")
	}
}

func TestResolveDerivesThePublicURLFromTheAddress(t *testing.T) {
	c := &config.Config{Addr: "127.0.0.1:0"}
	if err := c.Resolve(env(validEnvs)); err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://127.0.0.1:0" || !c.PublicURLFromAddr || c.SecureOnly {
		t.Fatalf("public URL %q from addr %v secure %v", c.PublicURL, c.PublicURLFromAddr, c.SecureOnly)
	}
}

func TestResolveWithoutADatabaseSaysHowToGiveOne(t *testing.T) {
	err := (&config.Config{}).Resolve(env(nil))
	if err == nil || !strings.Contains(err.Error(), "IDSWAP_DB") || !strings.Contains(err.Error(), "--demo") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveReportsEveryProblemAtOnce(t *testing.T) {
	err := (&config.Config{Addr: "no-port"}).Resolve(env(map[string]string{"IDSWAP_DB": "postgres://x"},
		"IDSWAP_SESSION_KEY", "too-short", "IDSWAP_WORKERS", "0", "IDSWAP_CARRIER_RATE", "fast",
		"IDSWAP_CALLBACK_WAIT", "-1s", "IDSWAP_SYNC_EVERY", "5s", "IDSWAP_SMTP_TLS", "ssl", "IDSWAP_WRITES_ENABLED", "yes please"))
	if err == nil {
		t.Fatal("a configuration full of mistakes resolved")
	}
	for _, want := range []string{"IDSWAP_DB must start with", "IDSWAP_SECRET_KEY is not set", "IDSWAP_SESSION_KEY must be 32 bytes",
		"IDSWAP_WORKERS must be between", "IDSWAP_CARRIER_RATE must be a number", "IDSWAP_CALLBACK_WAIT must be a positive duration",
		"IDSWAP_SYNC_EVERY must be 0 (off) or at least 1m",
		"IDSWAP_SMTP_TLS must be none", "IDSWAP_WRITES_ENABLED must be true or false", `--addr "no-port"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
}

func TestResolveInDemoModeReadsTheKeyFilesAndWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c := &config.Config{Demo: true, DataDir: dir}
	err := c.Resolve(env(nil))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "secret.key")) {
		t.Fatalf("demo mode without key files: %v", err)
	}
	if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
		t.Fatalf("Resolve wrote to the data folder: %v", serr)
	}

	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, k := range config.DemoKeys {
		if err := os.WriteFile(c.DemoKeyPath(k.File), []byte(config.EncodeKey(key32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c = &config.Config{Demo: true, DataDir: dir}
	if err := c.Resolve(env(nil, "IDSWAP_SESSION_KEY", otherHex)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.SecretKey, key32) || !bytes.Equal(c.SessionKey, otherKey) {
		t.Fatalf("the file's key, or the environment's when set: %x %x", c.SecretKey, c.SessionKey)
	}
	if c.DSN != "sqlite:"+filepath.Join(dir, "idswap.db") || !c.WritesEnabled || c.DemoPassword != config.DefaultDemoPassword {
		t.Fatalf("demo defaults: %+v", c)
	}
}

func TestSyncEveryDefaultsToSixHoursAndZeroTurnsItOff(t *testing.T) {
	for _, c := range []struct {
		v    string
		want time.Duration
	}{{"", 6 * time.Hour}, {"0", 0}, {"2h", 2 * time.Hour}} {
		cfg := &config.Config{Addr: "127.0.0.1:9000"}
		if err := cfg.Resolve(env(validEnvs, "IDSWAP_SYNC_EVERY", c.v)); err != nil {
			t.Fatal(err)
		}
		if cfg.SyncEvery != c.want {
			t.Errorf("IDSWAP_SYNC_EVERY=%q: %v, want %v", c.v, cfg.SyncEvery, c.want)
		}
	}
}

func TestMemoryLimitDefaultsToASoftCapAndDefersToGOMEMLIMIT(t *testing.T) {
	for _, c := range []struct {
		v, gomem string
		want     int64
	}{
		{"", "", config.DefaultMemoryLimit},
		{"", "1GiB", 0}, // the runtime already applied the operator's GOMEMLIMIT
		{"256MiB", "1GiB", 256 << 20},
		{"off", "", 0},
		{"1GiB", "", 1 << 30},
		{"100000000", "", 100000000},
	} {
		cfg := &config.Config{Addr: "127.0.0.1:9000"}
		if err := cfg.Resolve(env(validEnvs, "IDSWAP_MEMORY_LIMIT", c.v, "GOMEMLIMIT", c.gomem)); err != nil {
			t.Fatal(err)
		}
		if cfg.MemoryLimit != c.want {
			t.Errorf("IDSWAP_MEMORY_LIMIT=%q GOMEMLIMIT=%q: %d, want %d", c.v, c.gomem, cfg.MemoryLimit, c.want)
		}
	}
	for _, v := range []string{"lots", "-5MiB", "1MiB"} {
		cfg := &config.Config{Addr: "127.0.0.1:9000"}
		err := cfg.Resolve(env(validEnvs, "IDSWAP_MEMORY_LIMIT", v))
		if err == nil || !strings.Contains(err.Error(), "IDSWAP_MEMORY_LIMIT") {
			t.Errorf("IDSWAP_MEMORY_LIMIT=%q: %v, want an error naming it", v, err)
		}
	}
}

// IDSWAP_TRUSTED_PROXIES: none by default (the TCP peer is the client); CIDRs and single
// addresses (a /32 or /128) otherwise; anything else is refused by name at start.
func TestTrustedProxiesDefaultToNoneAndTakeCIDRsAndAddresses(t *testing.T) {
	c := &config.Config{Addr: "127.0.0.1:9000"}
	if err := c.Resolve(env(validEnvs)); err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 0 {
		t.Fatalf("trusted proxies without IDSWAP_TRUSTED_PROXIES: %v", c.TrustedProxies)
	}
	c = &config.Config{Addr: "127.0.0.1:9000"}
	if err := c.Resolve(env(validEnvs, "IDSWAP_TRUSTED_PROXIES", " 10.0.0.0/8, 192.0.2.7 ,2001:db8::1,")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.TrustedProxies {
		got = append(got, n.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::1/128" {
		t.Fatalf("trusted proxies: %v", got)
	}
	c = &config.Config{Addr: "127.0.0.1:9000"}
	err := c.Resolve(env(validEnvs, "IDSWAP_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal"))
	if err == nil || !strings.Contains(err.Error(), `IDSWAP_TRUSTED_PROXIES: "proxy.internal" is not an address or a CIDR`) {
		t.Fatalf("a host name: %v", err)
	}
}
