package tssim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
)

// Sim is an in-memory ThingSpace carrier. All state sits behind one mutex;
// callbacks are delivered on goroutines that Close stops.
type Sim struct {
	mu  sync.Mutex
	cfg Config
	rng *rand.Rand
	st  *carrierState

	tokens      map[string]*oauthToken // access token → token
	clientToken map[string]string      // client id → its current token
	sessions    map[string]*session
	faults      map[string]Fault        // identifier → next change fails
	delivered   map[string]sentCallback // requestId → the callback sent for it (ReplayCallback)
	hold        chan struct{}           // while set, accepted changes wait (HoldChanges)
	stats       Stats
	window      rateWindow
	pending     int           // changes accepted and not yet finished
	dirty       bool          // the state changed since the state file was written
	writeMu     sync.Mutex    // one state file write at a time
	idle        chan struct{} // closed when pending drops to zero

	httpc   *http.Client
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// Fault makes the next change of a line fail (see InjectFault). Sync faults
// are answered at once with HTTP 400; others come back as the callback's
// faultResponse. Code defaults to ...REQUEST_FAILED.UnexpectedError.
type Fault struct {
	Sync    bool
	Code    string
	Message string
}

type oauthToken struct {
	clientID string
	expires  time.Time
}

type session struct {
	account  string
	lastUsed time.Time
	expired  bool
}

type rateWindow struct {
	start time.Time
	count int
}

// carrierState is what the carrier keeps, and what the state file holds.
type carrierState struct {
	Accounts []*accountState `json:"accounts"`
	Lines    []*lineState    `json:"lines"`
	SIMs     []SIM           `json:"spareSims"`
	Devices  []Hardware      `json:"spareDevices"`
	// Known remembers every device that was ever on the shelf, for its
	// network type after it moved onto a line.
	Known map[string]Hardware `json:"knownDevices"`
	Plans []Plan              `json:"plans"`
	TACs  []TACRange          `json:"tacs"`
	// Retired ICCIDs left a line; the carrier still knows them, so they
	// cannot be reused without a delete (thingspace-api.md §2.4).
	Retired []string `json:"retiredIccids"`
	// RetiredFrom is the line (lineState.ID) each retired ICCID left. That line may take its
	// old SIM back — a swap reversed, as an idswap undo does — and no other line may.
	// [UNCONFIRMED] thingspace-api.md §2.4 does not say whether the carrier lets a line take
	// back the SIM it just left without a delete; the simulator assumes it does.
	RetiredFrom  map[string]int64 `json:"retiredFrom,omitempty"`
	NextDeviceID int64            `json:"nextDeviceId"`
}

type accountState struct {
	Account
	FailedLogins int                                    `json:"failedLogins"`
	Locked       bool                                   `json:"locked"`
	Listeners    map[string]thingspace.CallbackListener `json:"listeners"`
}

type lineState struct {
	ID int64 `json:"id"` // the carrier's internal device id (paging cursor)
	Line
	CreatedAt time.Time `json:"createdAt"`
	// LastConnection is when the device last connected to the network (lastConnectionDate);
	// nil: never, as far as the simulator knows.
	LastConnection *time.Time `json:"lastConnection,omitempty"`
}

// seedEpoch dates seeded lines, so device lists are the same on every run.
func seedEpoch() time.Time { return time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC) }

// New builds a simulator from cfg and seed, or from cfg.StateFile when that
// file exists. It starts no goroutine until a change is accepted.
func New(cfg Config, seed Seed) (*Sim, error) {
	cfg = cfg.withDefaults()
	st, err := loadState(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	if st == nil {
		if st, err = stateFromSeed(seed); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sim{
		cfg:         cfg,
		rng:         rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7453494d)),
		st:          st,
		tokens:      map[string]*oauthToken{},
		clientToken: map[string]string{},
		sessions:    map[string]*session{},
		faults:      map[string]Fault{},
		delivered:   map[string]sentCallback{},
		stats:       newStats(),
		httpc:       &http.Client{Timeout: 10 * time.Second},
		ctx:         ctx,
		cancel:      cancel,
		closing:     make(chan struct{}),
	}
	s.mu.Lock()
	s.dirty = true
	s.mu.Unlock()
	s.writeState()
	return s, nil
}

func stateFromSeed(seed Seed) (*carrierState, error) {
	st := &carrierState{Known: map[string]Hardware{}, NextDeviceID: 1}
	names := map[string]bool{}
	for _, a := range seed.Accounts {
		if a.Name == "" || names[a.Name] {
			return nil, fmt.Errorf("tssim: seed: empty or repeated account name %q", a.Name)
		}
		names[a.Name] = true
		st.Accounts = append(st.Accounts, &accountState{Account: a, Listeners: map[string]thingspace.CallbackListener{}})
	}
	plans := map[string]bool{}
	for _, p := range seed.Plans {
		plans[p.Code] = true
	}
	st.Plans = slices.Clone(seed.Plans)
	st.TACs = slices.Clone(seed.TACs)
	used := map[string]bool{}
	claim := func(what, id string) error {
		if id == "" {
			return nil
		}
		if used[id] {
			return fmt.Errorf("tssim: seed: %s %s appears twice", what, id)
		}
		used[id] = true
		return nil
	}
	for i, l := range seed.Lines {
		if !names[l.Account] {
			return nil, fmt.Errorf("tssim: seed: line %d: unknown account %q", i, l.Account)
		}
		if l.ServicePlan != "" && !plans[l.ServicePlan] {
			return nil, fmt.Errorf("tssim: seed: line %d: unknown plan %q", i, l.ServicePlan)
		}
		for _, e := range [][2]string{{"MDN", l.MDN}, {"ICCID", l.ICCID}, {"IMEI", l.IMEI}, {"EID", l.EID}} {
			if err := claim(e[0], e[1]); err != nil {
				return nil, err
			}
		}
		if l.State == "" {
			l.State = StateActive
		}
		seen := l.LastSeen
		l.LastSeen = nil // lineState.LastConnection holds it from here on
		st.Lines = append(st.Lines, &lineState{ID: st.NextDeviceID, Line: l, CreatedAt: seedEpoch().Add(time.Duration(i) * time.Minute),
			LastConnection: seen})
		st.NextDeviceID++
	}
	for _, sim := range seed.SIMs {
		if err := claim("ICCID", sim.ICCID); err != nil {
			return nil, err
		}
		st.SIMs = append(st.SIMs, sim)
	}
	for _, d := range seed.Devices {
		if err := claim("IMEI", d.IMEI); err != nil {
			return nil, err
		}
		st.Devices = append(st.Devices, d)
		st.Known[d.IMEI] = d
	}
	return st, nil
}

func loadState(path string) (*carrierState, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tssim: state file: %w", err)
	}
	var st carrierState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("tssim: state file %s: %w", path, err)
	}
	if st.Known == nil {
		st.Known = map[string]Hardware{}
	}
	for _, a := range st.Accounts {
		if a.Listeners == nil {
			a.Listeners = map[string]thingspace.CallbackListener{}
		}
	}
	return &st, nil
}

// persistEvery is how often, at most, the state file is rewritten while the state changes. The
// whole state goes into the file each time (a megabyte for the demo's lines), and it is
// marshalled under the simulator's one lock: rewritten after every change, at 20 changes a
// second the lock was held most of the time and every answer waited for it.
const persistEvery = 250 * time.Millisecond

// persistLocked says the state changed: the state file is rewritten within persistEvery (temp
// file + rename, so a crash leaves an older or the newer state, never half of one), and by
// Close.
func (s *Sim) persistLocked() {
	if s.cfg.StateFile == "" || s.dirty {
		return
	}
	s.dirty = true
	select {
	case <-s.closing:
		return // Close writes it
	default:
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(persistEvery)
		defer t.Stop()
		select {
		case <-t.C:
			s.writeState()
		case <-s.ctx.Done(): // Close writes it
		}
	}()
}

// writeState writes the state file if the state changed since it was last written.
func (s *Sim) writeState() {
	if s.cfg.StateFile == "" {
		return
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return
	}
	s.dirty = false
	data, err := json.MarshalIndent(s.st, "", "  ")
	s.mu.Unlock()
	if err == nil {
		tmp := s.cfg.StateFile + ".tmp"
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, s.cfg.StateFile)
		}
	}
	s.mu.Lock()
	if err != nil {
		s.stats.StateFileError = fmt.Sprintf("%s: %v", filepath.Base(s.cfg.StateFile), err)
	} else {
		s.stats.StateFileError = ""
	}
	s.mu.Unlock()
}

// Close stops callback delivery and waits for its goroutines. It does not
// close HTTP servers serving Handler; it is safe to call more than once.
func (s *Sim) Close() error {
	s.once.Do(func() {
		// Under the lock, so no change is accepted (wg.Add) after this.
		s.mu.Lock()
		close(s.closing)
		s.mu.Unlock()
		s.cancel()
	})
	s.wg.Wait()
	s.writeState()
	return nil
}

// WaitIdle waits until every accepted change has been applied and its
// callback delivered, dropped or given up, or ctx ends.
func (s *Sim) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.pending == 0 {
			s.mu.Unlock()
			return nil
		}
		ch := s.idle
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ExpireTokens makes every OAuth token issued so far invalid, as if its hour
// had passed: the next API call gets 401 and a token request gets a new one.
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, t := range s.tokens {
		t.expires = past
	}
}

// ExpireSessions makes every M2M session expired, as after 20 idle minutes.
func (s *Sim) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		ss.expired = true
	}
}

// Unlock clears the failed-login count and lock of an account, as Verizon
// support would.
func (s *Sim) Unlock(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accountLocked(account); a != nil {
		a.FailedLogins, a.Locked = 0, false
		s.persistLocked()
	}
}

// InjectFault makes the next change of the line that holds identifier, or of
// any line to identifier as its new ICCID/IMEI/EID, fail with f. One fault
// per identifier; it is used up by the change it fails.
func (s *Sim) InjectFault(identifier string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Code == "" {
		f.Code = CodeUnexpectedError
	}
	if f.Message == "" {
		f.Message = "Injected fault"
	}
	s.faults[identifier] = f
}

// SetKnobs changes a running simulator's knobs under its lock, e.g.
// sim.SetKnobs(func(c *tssim.Config) { c.RateLimit = 5 }). Seed and
// StateFile cannot change after New; changes to them are ignored.
func (s *Sim) SetKnobs(fn func(*Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.ErrorRate = cloneRates(c.ErrorRate)
	c.TimeoutRate = cloneRates(c.TimeoutRate)
	fn(&c)
	c.Seed, c.StateFile = s.cfg.Seed, s.cfg.StateFile
	s.cfg = c.withDefaults()
}

// Knobs returns a copy of the current configuration.
func (s *Sim) Knobs() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.withDefaults()
}

// SetCreated dates the line that holds identifier as added at t, e.g. to
// give many lines one creation instant for a paging test. It reports whether
// such a line exists.
func (s *Sim) SetCreated(identifier string, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.st.Lines {
		if identifier != "" && (l.MDN == identifier || l.ICCID == identifier || l.IMEI == identifier || l.EID == identifier) {
			l.CreatedAt = t
			s.persistLocked()
			return true
		}
	}
	return false
}

// RemoveLine takes the line that holds identifier off the account, as the carrier does when a
// line is deleted: it is no longer listed. It reports whether such a line existed.
func (s *Sim) RemoveLine(identifier string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range s.st.Lines {
		if identifier != "" && (l.MDN == identifier || l.ICCID == identifier || l.IMEI == identifier || l.EID == identifier) {
			s.st.Lines = slices.Delete(s.st.Lines, i, i+1)
			s.persistLocked()
			return true
		}
	}
	return false
}

// Line returns the current carrier state of the line that holds identifier
// as its MDN, ICCID, IMEI or EID right now.
func (s *Sim) Line(identifier string) (Line, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.st.Lines {
		if identifier != "" && (l.MDN == identifier || l.ICCID == identifier || l.IMEI == identifier || l.EID == identifier) {
			return l.Line, true
		}
	}
	return Line{}, false
}

// Stock is what the carrier would accept in a swap: spare SIMs on no line
// and spare devices on no line, with their network type.
type Stock struct {
	SIMs    []SIM      `json:"sims"`
	Devices []Hardware `json:"devices"`
}

// Stock returns the unused SIMs and devices, sorted.
func (s *Sim) Stock() Stock {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stock{SIMs: []SIM{}, Devices: []Hardware{}}
	for _, sim := range s.st.SIMs {
		if s.lineWithLocked(thingspace.KindICCID, sim.ICCID) == nil {
			st.SIMs = append(st.SIMs, sim)
		}
	}
	for _, d := range s.st.Devices {
		if s.lineWithLocked(thingspace.KindIMEI, d.IMEI) == nil {
			hw := s.hardwareLocked(d.IMEI)
			d.Make, d.Model, d.NetworkType = cmp.Or(d.Make, hw.Make), cmp.Or(d.Model, hw.Model), cmp.Or(d.NetworkType, hw.NetworkType)
			st.Devices = append(st.Devices, d)
		}
	}
	slices.SortFunc(st.SIMs, func(a, b SIM) int { return strings.Compare(a.ICCID, b.ICCID) })
	slices.SortFunc(st.Devices, func(a, b Hardware) int { return strings.Compare(a.IMEI, b.IMEI) })
	return st
}

func (s *Sim) accountLocked(name string) *accountState {
	for _, a := range s.st.Accounts {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// lineWithLocked finds the line holding id as its identifier of kind.
func (s *Sim) lineWithLocked(kind, id string) *lineState {
	if id == "" {
		return nil
	}
	for _, l := range s.st.Lines {
		switch strings.ToLower(kind) {
		case thingspace.KindICCID:
			if l.ICCID == id {
				return l
			}
		case thingspace.KindIMEI:
			if l.IMEI == id {
				return l
			}
		case thingspace.KindMDN:
			if l.MDN == id {
				return l
			}
		case thingspace.KindMSISDN:
			if l.MDN != "" && (l.MDN == id || "1"+l.MDN == id) {
				return l
			}
		case thingspace.KindEID:
			if l.EID == id {
				return l
			}
		}
	}
	return nil
}

func (s *Sim) lineByIDLocked(id int64) *lineState {
	for _, l := range s.st.Lines {
		if l.ID == id {
			return l
		}
	}
	return nil
}

func (s *Sim) planLocked(code string) (Plan, bool) {
	for _, p := range s.st.Plans {
		if p.Code == code {
			return p, true
		}
	}
	return Plan{}, false
}

// networkTypeLocked: the shelf record of the device, else its TAC, else "".
func (s *Sim) networkTypeLocked(imei string) string {
	return s.hardwareLocked(imei).NetworkType
}

// hardwareLocked describes a device from its shelf record, filling what that
// lacks from its TAC range.
func (s *Sim) hardwareLocked(imei string) Hardware {
	hw := s.st.Known[imei]
	hw.IMEI = imei
	if len(imei) >= 8 {
		for _, t := range s.st.TACs {
			if t.TAC == imei[:8] {
				hw.Make = cmp.Or(hw.Make, t.Make)
				hw.Model = cmp.Or(hw.Model, t.Model)
				hw.NetworkType = cmp.Or(hw.NetworkType, t.NetworkType)
			}
		}
	}
	return hw
}

// uuidLocked draws a GUID-shaped string from the seeded generator, so
// tokens and request ids repeat between runs.
func (s *Sim) uuidLocked() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, (b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

func (s *Sim) chanceLocked(p float64) bool {
	return p > 0 && s.rng.Float64() < p
}
