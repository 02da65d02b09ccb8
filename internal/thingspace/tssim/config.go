package tssim

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Call kinds, the keys of Config.ErrorRate and Config.TimeoutRate and of
// Stats.Calls. KindCallbacks in a rate map covers the three callback
// endpoints; a rate for one of them by its own name wins.
const (
	KindToken            = "token"
	KindLogin            = "login"
	KindLogout           = "logout"
	KindChangeIdentifier = "change_identifier"
	KindListDevices      = "list_devices"
	KindPlans            = "plans"
	KindCallbacks        = "callbacks"
	KindRegisterCallback = "register_callback"
	KindListCallbacks    = "list_callbacks"
	KindDeleteCallback   = "delete_callback"
	KindStock            = "stock"
	KindStats            = "stats"
	KindUnknown          = "unknown"
)

// Latency is the delay added to every API answer: uniform in
// [Mean-Jitter, Mean+Jitter], never negative.
type Latency struct {
	Mean   time.Duration `json:"mean"`
	Jitter time.Duration `json:"jitter"`
}

// Config holds the simulator's knobs. The zero value is a fast, faultless
// carrier (no latency, callbacks at once) with the documented token and
// session lifetimes, which is what tests want; DefaultConfig is what a person
// running the simulator wants.
type Config struct {
	// Seed drives every random decision (latency, faults, drops, tokens,
	// request ids), so a run with the same requests in the same order repeats.
	Seed    int64
	Latency Latency
	// ErrorRate is the chance (0..1) per call kind of a 500 or 503 answer.
	ErrorRate map[string]float64
	// TimeoutRate is the chance per call kind that the call hangs for Hang
	// and then answers 504; the request is not acted on.
	TimeoutRate map[string]float64
	// Hang is how long a timed-out call hangs. Default 60s.
	Hang time.Duration
	// RateLimit is the carrier's limit in requests per one-second window over
	// all /api/ endpoints; past it the answer is 429 with Retry-After. 0 = off.
	RateLimit float64
	// TokenLifetime of an OAuth token. Default 1h (documented).
	TokenLifetime time.Duration
	// SessionIdle is how long an unused session lives. Default 20m (documented).
	SessionIdle time.Duration
	// CallbackDelay is the time between accepting a change and applying it
	// (and sending its callback).
	CallbackDelay time.Duration
	// CallbackRetryInterval is the wait between unacknowledged deliveries
	// (the carrier's is UNCONFIRMED, reportedly 5 minutes).
	CallbackRetryInterval time.Duration
	// DropCallbackRate is the chance a change's callback is never sent
	// (the change is still applied).
	DropCallbackRate float64
	// DuplicateCallbackRate is the chance an acknowledged callback is sent
	// once more, unchanged.
	DuplicateCallbackRate float64
	// StrictIdentifiers adds check digits and prefixes (ICCID 89 + Luhn, IMEI
	// Luhn, EID mod 97) to the format checks. Off by default because the
	// carrier's own samples fail them (thingspace-api.md §9, UNCONFIRMED).
	StrictIdentifiers bool
	// StateFile, when set, is loaded at start if it exists (instead of the
	// seed), rewritten within a quarter second of a state change, and
	// written by Close. Tokens, sessions and changes not yet applied are not
	// kept.
	StateFile string
	// CallbackPortAllowList refuses listener URLs on ports the carrier does
	// not call (80, 443, 9001-9006, 50551-50559, 28200-28220).
	CallbackPortAllowList bool
	// PageSize is the page a device list request without maxNumberOfDevices
	// gets. Default 2000 (documented).
	PageSize int
	// MaxPageSize is the largest maxNumberOfDevices a request may ask for;
	// more is refused with 400 ...INPUT_INVALID.MaxNumberOfDevices. Default
	// DefaultMaxPageSize, the bound of the carrier's SDK 1.7.0 (v5.12 allows
	// 500; thingspace-api.md §12.2). Negative means no bound.
	MaxPageSize int
	// ListCursor adds largestDeviceIdSeen to device list responses and pages
	// them by internal device id. Off by default: the carrier's response
	// model has no such field (§12.2), so clients must page without it.
	ListCursor bool
	// ServiceTypes are the {serviceType} path values the change-identifier
	// call accepts; others get 400 ...INPUT_INVALID.ServiceType.Invalid.
	// The carrier documents no values (§2.1, §12.4: a free string in its
	// SDK), so they are configuration. Default DefaultServiceTypes.
	ServiceTypes []string
	// CallbacksWithoutStatus leaves "status" out of every CarrierService
	// callback, as the carrier may (§12.3: no model in its SDK); listeners
	// must then settle the outcome by asking about the line.
	CallbacksWithoutStatus bool
	// ConnectAfter: after a successful identifier change the device connects to the network
	// with its new identifiers (lastConnectionDate) after a random delay in [0, 2×ConnectAfter),
	// except a share NeverConnectRate of them, which never do. 0: devices connect only when told
	// (Sim.Connect).
	ConnectAfter     time.Duration
	NeverConnectRate float64
}

// Defaults applied by New to zero fields.
const (
	DefaultTokenLifetime = time.Hour
	DefaultSessionIdle   = 20 * time.Minute
	DefaultHang          = 60 * time.Second
	DefaultPageSize      = 2000
	// DefaultMaxPageSize is SDK 1.7.0's bound on maxNumberOfDevices.
	DefaultMaxPageSize = 100
	// MaxCallbackAttempts is the carrier's maxCallbackThreshold.
	MaxCallbackAttempts = 4
	// MaxFailedLogins is how many refused logins in a row lock the user.
	MaxFailedLogins = 5
)

// DefaultServiceTypes are the {serviceType} values accepted unless
// Config.ServiceTypes says otherwise. UNCONFIRMED: "4G" is the value idswap
// is configured with (demo and tests); the carrier documents none.
func DefaultServiceTypes() []string { return []string{"4G"} }

// DefaultConfig is a believable carrier for a person at a terminal: some
// latency, callbacks after two seconds, redelivery every ten.
func DefaultConfig() Config {
	return Config{
		Seed:                  1,
		Latency:               Latency{Mean: 40 * time.Millisecond, Jitter: 20 * time.Millisecond},
		Hang:                  DefaultHang,
		TokenLifetime:         DefaultTokenLifetime,
		SessionIdle:           DefaultSessionIdle,
		CallbackDelay:         2 * time.Second,
		CallbackRetryInterval: 10 * time.Second,
		PageSize:              DefaultPageSize,
		MaxPageSize:           DefaultMaxPageSize,
		ServiceTypes:          DefaultServiceTypes(),
		ConnectAfter:          30 * time.Second,
		NeverConnectRate:      0.05,
	}
}

// withDefaults fills zero fields and copies the maps so the caller's cannot
// change a running simulator behind its lock.
func (c Config) withDefaults() Config {
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.Hang <= 0 {
		c.Hang = DefaultHang
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = DefaultMaxPageSize
	}
	if len(c.ServiceTypes) == 0 {
		c.ServiceTypes = DefaultServiceTypes()
	} else {
		c.ServiceTypes = slices.Clone(c.ServiceTypes)
	}
	c.ErrorRate = cloneRates(c.ErrorRate)
	c.TimeoutRate = cloneRates(c.TimeoutRate)
	return c
}

func cloneRates(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RegisterFlags adds every knob to fs, with c's current values as defaults,
// so `idswap tssim` exposes them all.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed for every random decision (repeatable runs)")
	fs.DurationVar(&c.Latency.Mean, "latency", c.Latency.Mean, "mean added latency per API call")
	fs.DurationVar(&c.Latency.Jitter, "latency-jitter", c.Latency.Jitter, "latency spread: uniform in mean±jitter")
	if c.ErrorRate == nil {
		c.ErrorRate = map[string]float64{}
	}
	if c.TimeoutRate == nil {
		c.TimeoutRate = map[string]float64{}
	}
	fs.Var(rateFlag(c.ErrorRate), "error-rate", "chance of a 500/503 per call kind, e.g. change_identifier=0.1,list_devices=0.05 (kinds: "+strings.Join(rateKinds(), ", ")+")")
	fs.Var(rateFlag(c.TimeoutRate), "timeout-rate", "chance per call kind that the call hangs for -hang, then 504")
	fs.DurationVar(&c.Hang, "hang", c.Hang, "how long a timed-out call hangs")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "carrier limit in requests per second; past it 429 with Retry-After (0 = off)")
	fs.DurationVar(&c.TokenLifetime, "token-lifetime", c.TokenLifetime, "OAuth token lifetime")
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "M2M session idle timeout")
	fs.DurationVar(&c.CallbackDelay, "callback-delay", c.CallbackDelay, "delay between accepting a change and applying it and calling back")
	fs.DurationVar(&c.CallbackRetryInterval, "callback-retry-interval", c.CallbackRetryInterval, "wait between unacknowledged callback deliveries")
	fs.Float64Var(&c.DropCallbackRate, "drop-callbacks", c.DropCallbackRate, "chance a callback is never sent (0..1)")
	fs.Float64Var(&c.DuplicateCallbackRate, "duplicate-callbacks", c.DuplicateCallbackRate, "chance an acknowledged callback is sent again (0..1)")
	fs.BoolVar(&c.StrictIdentifiers, "strict-identifiers", c.StrictIdentifiers, "check ICCID/IMEI Luhn digits, ICCID 89 prefix and EID mod 97")
	fs.StringVar(&c.StateFile, "state-file", c.StateFile, "JSON file that keeps carrier state across restarts (loaded if present)")
	fs.BoolVar(&c.CallbackPortAllowList, "callback-port-allow-list", c.CallbackPortAllowList, "refuse listener URLs on ports the carrier does not call")
	fs.IntVar(&c.PageSize, "page-size", c.PageSize, "devices per list page when the request gives no maxNumberOfDevices")
	fs.IntVar(&c.MaxPageSize, "max-page-size", c.MaxPageSize, "largest maxNumberOfDevices accepted (SDK 1.7.0: 100, v5.12: 500; negative: no bound)")
	fs.BoolVar(&c.ListCursor, "list-cursor", c.ListCursor, "add largestDeviceIdSeen to device list responses (the carrier's model has none)")
	fs.Var((*listFlag)(&c.ServiceTypes), "service-types", "comma-separated {serviceType} values the change-identifier call accepts (default "+strings.Join(DefaultServiceTypes(), ",")+")")
	fs.BoolVar(&c.CallbacksWithoutStatus, "callbacks-without-status", c.CallbacksWithoutStatus, "leave \"status\" out of CarrierService callbacks")
	fs.DurationVar(&c.ConnectAfter, "connect-after", c.ConnectAfter, "a changed device connects with its new identifiers after a random delay below twice this (0: only when told)")
	fs.Float64Var(&c.NeverConnectRate, "never-connect", c.NeverConnectRate, "chance a changed device never connects (0..1)")
}

// listFlag parses a comma-separated list; setting it replaces the default.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(v string) error {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	if len(out) == 0 {
		return fmt.Errorf("want at least one value, got %q", v)
	}
	*f = out
	return nil
}

func rateKinds() []string {
	return []string{KindToken, KindLogin, KindLogout, KindChangeIdentifier, KindListDevices, KindPlans, KindCallbacks, KindRegisterCallback, KindListCallbacks, KindDeleteCallback}
}

// rateFlag parses "kind=rate,kind=rate" into a map; repeated flags add up.
type rateFlag map[string]float64

func (f rateFlag) String() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.FormatFloat(f[k], 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

func (f rateFlag) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, rs, ok := strings.Cut(part, "=")
		if !ok || !slices.Contains(rateKinds(), k) {
			return fmt.Errorf("want kind=rate with kind one of %s, got %q", strings.Join(rateKinds(), ", "), part)
		}
		r, err := strconv.ParseFloat(rs, 64)
		if err != nil || r < 0 || r > 1 {
			return fmt.Errorf("rate for %s must be between 0 and 1, got %q", k, rs)
		}
		f[k] = r
	}
	return nil
}
