// Package config is idswap's one typed configuration: flags and IDSWAP_* environment variables,
// read once in main, validated at start, and handed to constructors. Nothing else reads the
// environment.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything a subcommand may need. Each subcommand registers the flags it uses.
type Config struct {
	// Database.
	Demo    bool   // embedded defaults: SQLite under DataDir, simulator, outbox, demo data
	DataDir string // where demo mode keeps its files
	DSN     string // IDSWAP_DB: sqlite:PATH or sqlserver://…

	// Secrets.
	SecretKey  []byte // IDSWAP_SECRET_KEY: 32 bytes that seal carrier secrets at rest
	SessionKey []byte // IDSWAP_SESSION_KEY: signs the session cookie

	// HTTP.
	Addr      string // listen address
	PublicURL string // IDSWAP_PUBLIC_URL: how people and the carrier reach us (links, callback URL)
	// PublicURLFromAddr is set when PublicURL was derived from Addr rather than given: serve
	// then replaces it with the address it actually listens on (--addr 127.0.0.1:0 in tests).
	PublicURLFromAddr bool
	SecureOnly        bool // Secure cookies (behind TLS)

	// Security (docs/SECURITY.md).
	SessionIdle    time.Duration // IDSWAP_SESSION_IDLE: a session unused this long ends
	SessionMax     time.Duration // IDSWAP_SESSION_MAX: any session ends this long after sign-in
	TrustedProxies []*net.IPNet  // IDSWAP_TRUSTED_PROXIES: CIDRs whose X-Forwarded-For is believed
	MaxInflight    int           // IDSWAP_MAX_INFLIGHT: requests served at once; more get 503
	TokenTTL       time.Duration // IDSWAP_TOKEN_TTL: a new API token's life
	MetricsAddr    string        // IDSWAP_METRICS_ADDR: serve /metrics on this address instead of the portal's
	MetricsToken   string        // IDSWAP_METRICS_TOKEN: /metrics wants "Authorization: Bearer" this
	// MemoryLimit (IDSWAP_MEMORY_LIMIT) is the Go runtime's soft memory limit in bytes: past it
	// the garbage collector works harder before the heap grows. 0: none (GOMEMLIMIT, if set, rules).
	MemoryLimit int64

	// Engine.
	WritesEnabled bool          // IDSWAP_WRITES_ENABLED: the global write gate
	Workers       int           // IDSWAP_WORKERS: goroutines claiming jobs
	CarrierRate   float64       // IDSWAP_CARRIER_RATE: ThingSpace requests per second per provider
	CallbackWait  time.Duration // IDSWAP_CALLBACK_WAIT: how long to wait for a callback before asking the carrier
	CheckInterval time.Duration // IDSWAP_CHECK_INTERVAL: the first wait between carrier checks (then doubling, up to 1h)
	// ConfirmHorizon (IDSWAP_CONFIRM_HORIZON) is how long a sent row waits for the carrier
	// before it is given up as not confirmed.
	ConfirmHorizon time.Duration
	OnlineHorizon  time.Duration // IDSWAP_ONLINE_HORIZON: how long changed devices are watched for coming online
	TSSimURL       string        // --tssim-url: in demo mode, use this simulator instead of an in-process one

	// Alerts (internal/alerting): the admin banner and e-mails.
	AlertQueueAge        time.Duration // IDSWAP_ALERT_QUEUE_AGE: the oldest due job waiting longer is an incident
	AlertCarrierFailures int           // IDSWAP_ALERT_CARRIER_FAILURES: more failed carrier calls in 10 minutes is an incident
	// SyncEvery is IDSWAP_SYNC_EVERY: how often serve queues an inventory sync of every
	// provider; 0 turns the schedule off.
	SyncEvery time.Duration

	// Mail.
	SMTP SMTP

	// Demo.
	DemoPassword string // IDSWAP_DEMO_PASSWORD

	LogLevel  string // IDSWAP_LOG_LEVEL: debug, info, warn, error
	LogFormat string // IDSWAP_LOG_FORMAT: text or json
}

// SMTP is the mail server for result e-mails (IDSWAP_SMTP_*).
type SMTP struct {
	Host, User, Password, From string
	Port                       int
	TLS                        string // none, starttls or tls
}

// DefaultDemoPassword is the password of every demo user unless IDSWAP_DEMO_PASSWORD is set.
const DefaultDemoPassword = "idswap-demo"

// DefaultCarrierRate is IDSWAP_CARRIER_RATE when unset: ThingSpace requests per second per
// provider for the whole deployment.
const DefaultCarrierRate = 50.0

// RegisterDB adds the flags of every subcommand that opens the database.
func (c *Config) RegisterDB(fs *flag.FlagSet) {
	fs.BoolVar(&c.Demo, "demo", false, "run on embedded defaults: SQLite under --data, in-process ThingSpace simulator, mail to an outbox folder, demo data")
	fs.StringVar(&c.DataDir, "data", "data", "the folder demo mode keeps its database, keys, simulator state and outbox in")
}

// RegisterServe adds the flags of `serve` and `worker`.
func (c *Config) RegisterServe(fs *flag.FlagSet) {
	c.RegisterDB(fs)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.TSSimURL, "tssim-url", "", "demo mode: point the demo provider at this running `idswap tssim` instead of starting one in-process")
}

// Resolve fills the rest from the environment, applies defaults and validates. Every problem
// is reported at once, so an operator fixes the configuration in one go. It reads the demo key
// files but writes nothing: see DemoKeys.
func (c *Config) Resolve(getenv func(string) string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	c.DSN = getenv("IDSWAP_DB")
	if c.DSN == "" && c.Demo {
		c.DSN = "sqlite:" + filepath.Join(c.DataDir, "idswap.db")
	}
	if c.DSN == "" {
		return errors.New("no database: set IDSWAP_DB (sqlite:PATH or sqlserver://user:password@host:1433?database=idswap), or run with --demo to use the embedded defaults")
	}
	if !strings.HasPrefix(c.DSN, "sqlite:") && !strings.HasPrefix(c.DSN, "sqlserver://") {
		bad("IDSWAP_DB must start with sqlite: or sqlserver://")
	}

	var err error
	if c.SecretKey, err = c.key(getenv, DemoKeys[0].Env, DemoKeys[0].File); err != nil {
		bad("%v", err)
	}
	if c.SessionKey, err = c.key(getenv, DemoKeys[1].Env, DemoKeys[1].File); err != nil {
		bad("%v", err)
	}

	c.PublicURL = strings.TrimRight(getenv("IDSWAP_PUBLIC_URL"), "/")
	if c.PublicURL == "" && c.Addr != "" {
		c.PublicURL, c.PublicURLFromAddr = "http://"+c.Addr, true
	}
	c.SecureOnly = strings.HasPrefix(c.PublicURL, "https://")

	// In demo mode writes go to the simulator, so the gate is open unless said otherwise;
	// against a real carrier it is closed until an operator opens it on purpose.
	c.WritesEnabled = c.Demo
	if v := getenv("IDSWAP_WRITES_ENABLED"); v != "" {
		if c.WritesEnabled, err = strconv.ParseBool(v); err != nil {
			bad("IDSWAP_WRITES_ENABLED must be true or false, not %q", v)
		}
	}
	c.Workers = intEnv(getenv, "IDSWAP_WORKERS", 8, bad)
	if c.Workers < 1 || c.Workers > 256 {
		bad("IDSWAP_WORKERS must be between 1 and 256")
	}
	c.CarrierRate = floatEnv(getenv, "IDSWAP_CARRIER_RATE", DefaultCarrierRate, bad)
	if c.CarrierRate <= 0 {
		bad("IDSWAP_CARRIER_RATE must be above 0 requests per second")
	}
	c.CallbackWait = durationEnv(getenv, "IDSWAP_CALLBACK_WAIT", 3*time.Minute, bad)
	c.CheckInterval = durationEnv(getenv, "IDSWAP_CHECK_INTERVAL", time.Minute, bad)
	c.ConfirmHorizon = durationEnv(getenv, "IDSWAP_CONFIRM_HORIZON", 24*time.Hour, bad)
	c.OnlineHorizon = durationEnv(getenv, "IDSWAP_ONLINE_HORIZON", 72*time.Hour, bad)
	if c.ConfirmHorizon < c.CallbackWait {
		bad("IDSWAP_CONFIRM_HORIZON (%s) must not be shorter than IDSWAP_CALLBACK_WAIT (%s)", c.ConfirmHorizon, c.CallbackWait)
	}
	c.AlertQueueAge = durationEnv(getenv, "IDSWAP_ALERT_QUEUE_AGE", 15*time.Minute, bad)
	if c.AlertQueueAge < time.Minute {
		bad("IDSWAP_ALERT_QUEUE_AGE must be at least 1m")
	}
	c.AlertCarrierFailures = intEnv(getenv, "IDSWAP_ALERT_CARRIER_FAILURES", 20, bad)
	if c.AlertCarrierFailures < 1 {
		bad("IDSWAP_ALERT_CARRIER_FAILURES must be at least 1")
	}

	c.SessionIdle = durationEnv(getenv, "IDSWAP_SESSION_IDLE", time.Hour, bad)
	c.SessionMax = durationEnv(getenv, "IDSWAP_SESSION_MAX", 12*time.Hour, bad)
	if c.SessionIdle > c.SessionMax {
		bad("IDSWAP_SESSION_IDLE (%s) is longer than IDSWAP_SESSION_MAX (%s)", c.SessionIdle, c.SessionMax)
	}
	c.TrustedProxies = trustedProxiesEnv(getenv, bad)
	c.MaxInflight = intEnv(getenv, "IDSWAP_MAX_INFLIGHT", 256, bad)
	if c.MaxInflight < 1 || c.MaxInflight > 100000 {
		bad("IDSWAP_MAX_INFLIGHT must be between 1 and 100000")
	}
	c.MemoryLimit = memoryLimitEnv(getenv, bad)
	c.TokenTTL = durationEnv(getenv, "IDSWAP_TOKEN_TTL", 90*24*time.Hour, bad)
	c.resolveMetrics(getenv, bad)
	c.SyncEvery = syncEveryEnv(getenv, bad)

	c.SMTP = smtpEnv(getenv, bad)
	c.DemoPassword = getenv("IDSWAP_DEMO_PASSWORD")
	if c.DemoPassword == "" {
		c.DemoPassword = DefaultDemoPassword
	}
	c.LogLevel = strings.ToLower(getenv("IDSWAP_LOG_LEVEL"))
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	c.LogFormat = strings.ToLower(getenv("IDSWAP_LOG_FORMAT"))
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			bad("--addr %q: %v", c.Addr, err)
		}
	}
	return errors.Join(errs...)
}

// OutboxDir is where mail goes when no SMTP server is configured (always in demo mode): one
// .eml file per message, listed on the admin outbox page.
func (c *Config) OutboxDir() string { return filepath.Join(c.DataDir, "outbox") }

// DemoKeys are the keys demo mode keeps in its data folder when their environment variable is
// unset: the variable and the file's name. Resolve only reads the files; the demo wiring in
// cmd/idswap generates them on first start (config writes nothing).
var DemoKeys = []struct{ Env, File string }{
	{"IDSWAP_SECRET_KEY", "secret.key"},
	{"IDSWAP_SESSION_KEY", "session.key"},
}

// DemoKeyPath is where demo mode keeps the key file named file.
func (c *Config) DemoKeyPath(file string) string { return filepath.Join(c.DataDir, file) }

// EncodeKey writes a key as demo mode stores it, and as decodeKey reads it: base64.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// key reads a 32-byte key from an environment variable (base64 or hex), or in demo mode from
// its file in the data folder, so a restart can still open what the last run sealed.
func (c *Config) key(getenv func(string) string, env, file string) ([]byte, error) {
	if v := strings.TrimSpace(getenv(env)); v != "" {
		return decodeKey(env, v)
	}
	if !c.Demo {
		return nil, fmt.Errorf("%s is not set: give 32 random bytes as base64 or hex (e.g. `openssl rand -base64 32`)", env)
	}
	path := c.DemoKeyPath(file)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not set and demo mode has no %s yet (idswap creates it when it starts with --demo)", env, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return decodeKey(path, strings.TrimSpace(string(b)))
}

func decodeKey(where, v string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, fmt.Errorf("%s must be 32 bytes written as base64 (44 characters) or hex (64 characters)", where)
}

// resolveMetrics reads where the metrics are served apart (IDSWAP_METRICS_ADDR) and the token
// that reading them needs (IDSWAP_METRICS_TOKEN).
func (c *Config) resolveMetrics(getenv func(string) string, bad func(string, ...any)) {
	c.MetricsAddr = getenv("IDSWAP_METRICS_ADDR")
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("IDSWAP_METRICS_ADDR %q: %v", c.MetricsAddr, err)
		}
	}
	c.MetricsToken = getenv("IDSWAP_METRICS_TOKEN")
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		bad("IDSWAP_METRICS_TOKEN must have at least 16 characters")
	}
}

// trustedProxiesEnv reads IDSWAP_TRUSTED_PROXIES: a comma-separated list of CIDRs, where a
// single address stands for itself alone.
func trustedProxiesEnv(getenv func(string) string, bad func(string, ...any)) []*net.IPNet {
	var nets []*net.IPNet
	for _, p := range strings.Split(getenv("IDSWAP_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		cidr := p
		if !strings.Contains(p, "/") { // one address: a /32 or /128
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				cidr += "/32"
			} else {
				cidr += "/128"
			}
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			bad("IDSWAP_TRUSTED_PROXIES: %q is not an address or a CIDR such as 10.0.0.0/8", p)
			continue
		}
		nets = append(nets, n)
	}
	return nets
}

// syncEveryEnv reads IDSWAP_SYNC_EVERY: how often the inventory is synced, 6h unless set, 0 for never.
func syncEveryEnv(getenv func(string) string, bad func(string, ...any)) time.Duration {
	v := getenv("IDSWAP_SYNC_EVERY")
	if v == "0" {
		return 0
	}
	every := durationEnv(getenv, "IDSWAP_SYNC_EVERY", 6*time.Hour, bad)
	if every < time.Minute {
		bad("IDSWAP_SYNC_EVERY must be 0 (off) or at least 1m, not %q", v)
	}
	return every
}

// smtpEnv reads the IDSWAP_SMTP_ variables, with STARTTLS and a noreply sender unless set.
func smtpEnv(getenv func(string) string, bad func(string, ...any)) SMTP {
	s := SMTP{
		Host:     getenv("IDSWAP_SMTP_HOST"),
		User:     getenv("IDSWAP_SMTP_USER"),
		Password: getenv("IDSWAP_SMTP_PASSWORD"),
		From:     getenv("IDSWAP_SMTP_FROM"),
		TLS:      strings.ToLower(getenv("IDSWAP_SMTP_TLS")),
		Port:     intEnv(getenv, "IDSWAP_SMTP_PORT", 587, bad),
	}
	switch s.TLS {
	case "":
		s.TLS = "starttls"
	case "none", "starttls", "tls":
	default:
		bad("IDSWAP_SMTP_TLS must be none, starttls or tls, not %q", s.TLS)
	}
	if s.From == "" {
		s.From = "idswap <noreply@idswap.local>"
	}
	return s
}

func intEnv(getenv func(string) string, name string, def int, bad func(string, ...any)) int {
	v := getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		bad("%s must be a whole number, not %q", name, v)
		return def
	}
	return n
}

// DefaultMemoryLimit is the soft memory limit when neither IDSWAP_MEMORY_LIMIT nor GOMEMLIMIT
// is set: a flood of 8,000 requests a second (make load) stays near 110 MB; the limit keeps
// the collector from letting garbage double the heap past that.
const DefaultMemoryLimit = 128 << 20

// memoryLimitEnv reads IDSWAP_MEMORY_LIMIT: bytes with an optional KiB, MiB or GiB suffix, or
// "off". An operator's GOMEMLIMIT (read by the Go runtime itself) is kept when
// IDSWAP_MEMORY_LIMIT is unset.
func memoryLimitEnv(getenv func(string) string, bad func(string, ...any)) int64 {
	v := strings.TrimSpace(getenv("IDSWAP_MEMORY_LIMIT"))
	switch {
	case v == "" && getenv("GOMEMLIMIT") != "":
		return 0
	case v == "":
		return DefaultMemoryLimit
	case v == "off" || v == "0":
		return 0
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		bad("IDSWAP_MEMORY_LIMIT must be a size such as 128MiB, 1GiB or 268435456 (bytes), or off, not %q", getenv("IDSWAP_MEMORY_LIMIT"))
		return DefaultMemoryLimit
	}
	if n*mult < 32<<20 {
		bad("IDSWAP_MEMORY_LIMIT must be at least 32MiB: idswap idles near 40 MB, and the collector would run without pause below that")
		return DefaultMemoryLimit
	}
	return n * mult
}

func floatEnv(getenv func(string) string, name string, def float64, bad func(string, ...any)) float64 {
	v := getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		bad("%s must be a number, not %q", name, v)
		return def
	}
	return f
}

func durationEnv(getenv func(string) string, name string, def time.Duration, bad func(string, ...any)) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		bad("%s must be a positive duration such as 90s or 3m, not %q", name, v)
		return def
	}
	return d
}
