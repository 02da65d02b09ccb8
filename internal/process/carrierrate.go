package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/idswap/idswap/internal/store"
)

// CarrierPermitStore keeps the deployment's carrier permits, shared by every process on the
// database (store.DB.TakeCarrierPermits).
type CarrierPermitStore interface {
	TakeCarrierPermits(ctx context.Context, providerID int64, permits, n int, by string, lease, ahead time.Duration, returns []store.PermitReturn) (store.PermitTake, error)
	ReturnCarrierPermits(ctx context.Context, providerID int64, by string, returns []store.PermitReturn) error
	RenewCarrierPermits(ctx context.Context, providerID int64, by string, lease time.Duration) (int64, time.Time, error)
}

// CarrierLimiterConfig sets up a CarrierLimiter; zero fields take the defaults below.
type CarrierLimiterConfig struct {
	Store      CarrierPermitStore
	ProviderID int64
	// Rate is the provider's carrier requests per second for the whole deployment: the number
	// of permits (rounded down, at least one).
	Rate float64
	// MaxCall bounds one carrier request, from its send to its answer (the client's
	// CallTimeout). A permit is used only while its lease has more than MaxCall and a second
	// left. Default 30 s.
	MaxCall time.Duration
	// Lease is how long the database keeps a permit for this process without news; it is
	// renewed every Lease/4. Default 2 × (MaxCall + 1 s), at least a minute.
	Lease time.Duration
	// Hold is how long this process keeps reusing a permit it took before it gives it back at
	// its next free time (a tenth of its permits a trip), so that busy processes share.
	// Default 2 s.
	Hold time.Duration
	// By names this process in CarrierRatePermit.HeldBy. Default host:pid.
	By     string
	Logger *slog.Logger
	// OnWait, when set, is called after every wait with how long it took.
	OnWait func(time.Duration)
}

// CarrierLimiter is the wait before each ThingSpace request of one provider (the client's
// Limiter): it holds one of the deployment's permits from before the request is sent until a
// second after its answer (see store.TakeCarrierPermits for why that keeps every one-second
// window of the carrier's at or under the rate). Permits come from the database a few at a time
// and are reused here while there is work and Hold has not passed, then given back.
type CarrierLimiter struct {
	cfg     CarrierLimiterConfig
	permits int

	mu       sync.Mutex
	idle     []*permit // held, not in use; each usable from its freeAt
	inUse    int
	waiters  int
	returns  []store.PermitReturn // given back at the next trip to the database
	leaseEnd time.Time            // of every permit held, on this process's clock
	renewed  time.Time
	offset   time.Duration // this process's clock minus the database's, and its doubt
	doubt    time.Duration
	nextFree time.Time     // when the database said a permit frees, after a short take
	backoff  time.Duration // after a failed trip
	changed  chan struct{} // closed when idle or nextFree change
	running  bool          // the manager goroutine runs
	stopped  chan struct{} // closed when the running manager ends
	closed   bool          // Close was called: no new requests; every permit goes back
}

// ErrLimiterClosed is Acquire's error once the limiter is closed.
var ErrLimiterClosed = errors.New("carrier limiter closed")

// permit is a held permit.
type permit struct {
	slot   int
	freeAt time.Time // this process's clock
	taken  time.Time // when it came from the database
}

// idleKeep is how long a free permit nobody here waits for is kept before it goes back: work
// comes in bursts (a job's next step, a retry), and a permit given back costs a trip to the
// database to take again, which on a busy SQLite can take longer than a carrier call may.
const idleKeep = 3 * time.Second

// askAgain is the longest a process waiting for permits goes without asking the database.
const askAgain = 200 * time.Millisecond

// takeAhead is how long before a permit frees a process may take it (store.TakeCarrierPermits):
// longer than askAgain, so that a permit given back while its second runs is taken by a process
// that waits before the second is up, and used the moment it is. A process gives back only
// permits with at least this long still to run, for the same reason.
const takeAhead = askAgain + 50*time.Millisecond

// releaseGuard is added to the second after an answer. The carrier counted the request before
// it answered, and the answer is read after that, so a second after reading it is already past
// the count's second; the guard is for clocks that tick a little apart (another host's, a
// timer's granularity). Every millisecond of it is lost on each request: 2 ms is 0.2% of the
// rate. (Times that go through the database are rounded later, not earlier: dbTime.)
const releaseGuard = 2 * time.Millisecond

// NewCarrierLimiter builds the limiter of one provider.
func NewCarrierLimiter(cfg CarrierLimiterConfig) *CarrierLimiter {
	if cfg.MaxCall <= 0 {
		cfg.MaxCall = 30 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = max(time.Minute, 2*(cfg.MaxCall+time.Second))
	}
	if cfg.Hold <= 0 {
		cfg.Hold = 2 * time.Second
	}
	if cfg.By == "" {
		host, _ := os.Hostname()
		cfg.By = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &CarrierLimiter{cfg: cfg, permits: max(1, int(cfg.Rate)), changed: make(chan struct{})}
}

// Wait takes a permit and gives it back at once: the request it stands for counts as answered
// now. Callers that can say when the answer came use Acquire.
func (l *CarrierLimiter) Wait(ctx context.Context) error {
	release, err := l.Acquire(ctx)
	if err != nil {
		return err
	}
	release()
	return nil
}

// Acquire blocks until this process may send the provider one request, or ctx ends. The
// request holds its permit until release is called, which must be once its answer has been
// read (or the request failed); the permit is free again a second later.
func (l *CarrierLimiter) Acquire(ctx context.Context) (release func(), err error) {
	began := time.Now()
	l.mu.Lock()
	l.waiters++
	l.startLocked()
	first := true
	for {
		if l.closed {
			l.waiters--
			l.mu.Unlock()
			return nil, ErrLimiterClosed
		}
		now := time.Now()
		if p := l.takeIdleLocked(now); p != nil {
			l.waiters--
			l.inUse++
			l.mu.Unlock()
			if l.cfg.OnWait != nil {
				l.cfg.OnWait(time.Since(began))
			}
			var once sync.Once
			return func() { once.Do(func() { l.release(p) }) }, nil
		}
		if first {
			// One more request waits: the manager may be asleep until a permit frees or
			// its lease is due, and must hear of it to take more.
			first = false
			l.signalLocked()
		}
		changed := l.changed
		wake := l.earliestIdleLocked()
		l.mu.Unlock()
		var (
			timer <-chan time.Time
			t     *time.Timer
		)
		if !wake.IsZero() {
			t = time.NewTimer(max(time.Until(wake), 0))
			timer = t.C
		}
		select {
		case <-changed:
		case <-timer:
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			l.mu.Lock()
			l.waiters--
			l.signalLocked()
			l.mu.Unlock()
			return nil, ctx.Err()
		}
		if t != nil {
			t.Stop()
		}
		l.mu.Lock()
	}
}

// usableLocked reports whether a request started now on a held permit certainly ends, plus
// its second, before the lease does.
func (l *CarrierLimiter) usableLocked(now time.Time) bool {
	return l.leaseEnd.Sub(now) > l.cfg.MaxCall+time.Second+l.doubt
}

// takeIdleLocked hands out the held permit free longest, if one is free now.
func (l *CarrierLimiter) takeIdleLocked(now time.Time) *permit {
	if !l.usableLocked(now) {
		return nil
	}
	best := -1
	for i, p := range l.idle {
		if !p.freeAt.After(now) && (best < 0 || p.freeAt.Before(l.idle[best].freeAt)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	p := l.idle[best]
	l.idle = append(l.idle[:best], l.idle[best+1:]...)
	return p
}

// earliestIdleLocked is when the next held permit frees (zero when none is held).
func (l *CarrierLimiter) earliestIdleLocked() time.Time {
	var at time.Time
	for _, p := range l.idle {
		if at.IsZero() || p.freeAt.Before(at) {
			at = p.freeAt
		}
	}
	return at
}

// release ends a request's hold: the permit frees a second from now.
func (l *CarrierLimiter) release(p *permit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p.freeAt = time.Now().Add(time.Second + releaseGuard)
	l.inUse--
	l.idle = append(l.idle, p)
	l.signalLocked()
}

// signalLocked wakes the waiters and the manager.
func (l *CarrierLimiter) signalLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// startLocked starts the manager unless it runs.
func (l *CarrierLimiter) startLocked() {
	if !l.running {
		l.running = true
		l.stopped = make(chan struct{})
		go l.manage(l.stopped)
	}
}

// Close gives back every permit this limiter holds, each free from when its second is up, and
// waits for that to reach the database (or ctx to end); Acquire fails from now on. A request
// in flight keeps its permit until its answer, and it goes back then. A process that ends —
// serve and worker on shutdown, a command such as `idswap sync` — closes its limiters, so the
// deployment has its permits again at once rather than when their lease runs out, a minute
// or more later.
func (l *CarrierLimiter) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	l.startLocked()
	stopped := l.stopped
	l.signalLocked()
	l.mu.Unlock()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("carrier limiter of provider %d: permits not all given back: %w", l.cfg.ProviderID, ctx.Err())
	}
}

// manage makes the trips to the database: it takes permits while requests wait and none held
// frees soon, gives back those whose hold has passed or that nobody here needs once they are
// free, and renews the lease of those held. It ends when this process holds and needs nothing,
// and closes stopped.
func (l *CarrierLimiter) manage(stopped chan struct{}) {
	defer close(stopped)
	ctx := context.Background()
	for {
		l.mu.Lock()
		now := time.Now()
		l.giveBackLocked(now)
		soon := l.freeingSoonLocked(now)
		// A take asks for a quarter of the rate at least: the requests of a burst (a job's
		// token, login and call; the retries that come together) then find permits here
		// instead of each waiting for a trip to the database.
		want := 0
		if l.waiters > soon && !now.Before(l.nextFree) && !l.closed {
			want = min(max(l.waiters-soon, l.permits/4, 1), l.permits)
		}
		held := len(l.idle) + l.inUse
		renew := held > 0 && now.Sub(l.renewed) >= l.cfg.Lease/4
		if l.closed && held == 0 && len(l.returns) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		returns := l.returns
		l.returns = nil
		if want == 0 && len(returns) == 0 && !renew {
			if held == 0 && l.waiters == 0 {
				l.running = false
				l.mu.Unlock()
				return
			}
			wake := l.wakeLocked(now, soon, held)
			changed := l.changed
			l.mu.Unlock()
			sleepUntil(wake, changed)
			continue
		}
		backoff := l.backoff
		l.mu.Unlock()
		if backoff > 0 {
			time.Sleep(backoff)
		}
		l.trip(ctx, want, returns, renew)
	}
}

// giveBackLocked moves to l.returns the permits nobody here has wanted for idleKeep since they
// freed, those whose second has takeAhead still to run while no request waits here, and, while
// requests wait here, those held past Hold — a few at a time, so that a busy
// process never goes without while its permits make the round trip, and only while their
// second still has takeAhead to run, so that whichever process waits (this one too) takes them
// before they free and nothing is lost — so that busy processes share.
func (l *CarrierLimiter) giveBackLocked(now time.Time) {
	needed := l.waiters
	shared := max(1, l.permits/10)
	kept := l.idle[:0]
	for _, p := range l.idle {
		free := !p.freeAt.After(now)
		cooling := p.freeAt.Sub(now) >= takeAhead
		unused := free && needed == 0 && now.Sub(p.freeAt) >= idleKeep
		share := needed > 0 && now.Sub(p.taken) >= l.cfg.Hold && cooling && shared > 0
		// Nobody here waits: a permit whose second still runs goes back now, for any process
		// that waits (this one too, should it need it) to take ahead and use the moment it
		// frees — the last rows of a request in another process do not wait for idleKeep.
		spare := l.waiters == 0 && cooling
		switch {
		case l.closed || unused || share || spare || (free && !l.usableLocked(now)):
			if share {
				shared--
			}
			l.returns = append(l.returns, store.PermitReturn{Slot: p.slot, FreeAt: l.dbTime(p.freeAt)})
		default:
			if free {
				needed--
			}
			kept = append(kept, p)
		}
	}
	l.idle = kept
}

// freeingSoonLocked counts the permits held here that free within takeAhead: they serve the
// waiters as soon as any taken from the database would.
func (l *CarrierLimiter) freeingSoonLocked(now time.Time) int {
	soon := 0
	for _, p := range l.idle {
		if p.freeAt.Sub(now) < takeAhead {
			soon++
		}
	}
	return soon
}

// wakeLocked is when the manager, with nothing to do now, looks again: when a held permit frees
// (or, unused, is due back), when the database said one would, or when the lease is due for
// renewal; zero means only when something changes.
func (l *CarrierLimiter) wakeLocked(now time.Time, soon, held int) time.Time {
	wake := l.earliestIdleLocked()
	if !wake.IsZero() && !wake.After(now) {
		wake = wake.Add(idleKeep)
	}
	if !l.nextFree.IsZero() && l.nextFree.After(now) && (wake.IsZero() || l.nextFree.Before(wake)) && l.waiters > soon {
		wake = l.nextFree
	}
	if l.renewed.Add(l.cfg.Lease/4).Before(wake) || wake.IsZero() {
		if held > 0 {
			wake = l.renewed.Add(l.cfg.Lease / 4)
		}
	}
	return wake
}

// sleepUntil waits for changed, or until wake when it is not zero.
func sleepUntil(wake time.Time, changed <-chan struct{}) {
	if wake.IsZero() {
		<-changed
		return
	}
	t := time.NewTimer(max(time.Until(wake), time.Millisecond))
	select {
	case <-changed:
	case <-t.C:
	}
	t.Stop()
}

// trip makes one round trip to the database: returns, a take of want permits, a renewal.
func (l *CarrierLimiter) trip(ctx context.Context, want int, returns []store.PermitReturn, renew bool) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	before := time.Now()
	var (
		take store.PermitTake
		err  error
	)
	if want > 0 || len(returns) > 0 {
		take, err = l.cfg.Store.TakeCarrierPermits(ctx, l.cfg.ProviderID, l.permits, want, l.cfg.By, l.cfg.Lease, takeAhead, returns)
	}
	after := time.Now()
	var (
		renewedEnd time.Time
		renewedN   int64
		renewErr   error
	)
	if renew && err == nil {
		renewedN, renewedEnd, renewErr = l.cfg.Store.RenewCarrierPermits(ctx, l.cfg.ProviderID, l.cfg.By, l.cfg.Lease)
	}
	renewAfter := time.Now()

	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.signalLocked()
	if err != nil {
		// Without the database there is no deployment-wide rate: requests wait. What was
		// being returned is returned with the next trip.
		l.returns = append(l.returns, returns...)
		l.backoff = min(max(2*l.backoff, 100*time.Millisecond), 5*time.Second)
		l.cfg.Logger.Warn("carrier rate: cannot take permits; requests to the carrier wait", "provider", l.cfg.ProviderID, "err", err, "retry_in", l.backoff)
		return
	}
	l.backoff = 0
	if want > 0 || len(returns) > 0 {
		l.tookLocked(take, want, before, after)
	}
	if renew {
		l.renewedLocked(renewedN, renewedEnd, renewErr, renewAfter)
	}
}

// tookLocked records a take of want permits, made between before and after: the database's
// clock, the permits now held here and their lease, and when to ask again if it gave fewer.
func (l *CarrierLimiter) tookLocked(take store.PermitTake, want int, before, after time.Time) {
	l.offset, l.doubt = clockOffset(before, after, take.Now)
	if len(take.Slots) > 0 {
		// Every permit held shares one lease, so the newest lease end counts only when
		// nothing else is held; otherwise the older end stays (renewal moves them all).
		end := take.LeaseEnd.Add(l.offset - l.doubt)
		if len(l.idle)+l.inUse == 0 || end.Before(l.leaseEnd) {
			l.leaseEnd = end
		}
		if l.renewed.IsZero() || len(l.idle)+l.inUse == 0 {
			l.renewed = after
		}
	}
	for i, s := range take.Slots {
		// A permit taken ahead of its second is used from then (placed late on this clock).
		freeAt := after
		if i < len(take.FreeAt) {
			if at := take.FreeAt[i].Add(l.offset + l.doubt); at.After(freeAt) {
				freeAt = at
			}
		}
		l.idle = append(l.idle, &permit{slot: s, freeAt: freeAt, taken: after})
	}
	l.nextFree = time.Time{}
	if len(take.Slots) < want {
		// Ask again when the next permit can be taken ahead (the database said when it
		// frees), but no later than askAgain: a process that holds permits gives them back
		// before their lease ends.
		l.nextFree = after.Add(askAgain)
		if next := take.NextFree.Add(l.offset + l.doubt - takeAhead); !take.NextFree.IsZero() && next.Before(l.nextFree) {
			l.nextFree = next
			if floor := after.Add(5 * time.Millisecond); next.Before(floor) {
				l.nextFree = floor
			}
		}
	}
}

// renewedLocked records a renewal of the lease of n permits, to end at end, answered at at.
func (l *CarrierLimiter) renewedLocked(n int64, end time.Time, err error, at time.Time) {
	if err != nil {
		l.cfg.Logger.Warn("carrier rate: cannot renew the permits' lease", "provider", l.cfg.ProviderID, "err", err)
		return
	}
	l.renewed = at
	// Fewer renewed than held: some lease had run out (the database was out of reach),
	// and another process may hold that permit now. The old lease end stays, so every
	// permit held here goes unused and back, and fresh ones are taken.
	if held := len(l.idle) + l.inUse; n >= int64(held) && !end.IsZero() {
		l.leaseEnd = end.Add(l.offset - l.doubt)
	} else {
		l.cfg.Logger.Warn("carrier rate: some permits' lease ran out; taking fresh ones", "provider", l.cfg.ProviderID,
			"renewed", n, "held", held)
	}
}

// dbTime places a time of this process's clock on the database's, late rather than early.
func (l *CarrierLimiter) dbTime(t time.Time) time.Time {
	return t.Add(-l.offset + l.doubt).Add(time.Millisecond).Truncate(time.Millisecond)
}

// clockOffset is this process's clock minus the database's, from a reading of the database's
// clock (cut to the millisecond) taken between before and after on this process's, and how far
// it may be off. A reading inside that interval is the same clock (SQLite, whose clock is this
// host's): no offset, no doubt. Else (SQL Server on another host) the best guess is that the
// server read its clock half-way through the round trip, give or take half of it.
func clockOffset(before, after, db time.Time) (offset, doubt time.Duration) {
	if !db.Before(before.Truncate(time.Millisecond)) && !db.After(after) {
		return 0, 0
	}
	half := after.Sub(before) / 2
	return before.Add(half).Sub(db), half + time.Millisecond
}
