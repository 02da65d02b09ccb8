package process

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"golang.org/x/time/rate"

	"github.com/idswap/idswap/internal/store"
)

// CarrierSlotStore grants request slots of a provider's carrier rate, shared by every process on
// the database (store.DB.GrantCarrierSlots).
type CarrierSlotStore interface {
	GrantCarrierSlots(ctx context.Context, providerID int64, n int, rate float64, by string) (store.CarrierGrant, error)
}

// CarrierLimiterConfig sets up a CarrierLimiter; zero fields take the defaults below.
type CarrierLimiterConfig struct {
	Store      CarrierSlotStore
	ProviderID int64
	// Rate is the provider's carrier requests per second for the whole deployment; requests
	// leave at most at Rate/1.05 (see jitterGuard).
	Rate float64
	// Slots is how many slots one trip to the database takes. Default a quarter second's worth:
	// small enough that slots a process holds but does not use (it ran out of work, or stopped)
	// cost the others little, large enough that the database is asked four times a second.
	Slots int
	// By names this process in CarrierRateSchedule.GrantedTo. Default host:pid.
	By     string
	Logger *slog.Logger
	// OnWait, when set, is called after every wait with how long it took.
	OnWait func(time.Duration)
	// Now and Sleep are the process's clock; tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// CarrierLimiter is the wait before each ThingSpace request of one provider (the client's
// Limiter). It takes slots of the deployment's one schedule from the database a few at a time
// and lets one request go at each slot's time, so all processes together keep to the rate and
// one process alone reaches it (see store.GrantCarrierSlots). A slot whose time passed with no
// request waiting, or whose waiter woke too late, is dropped, not used late: a late request
// could land next to another process's slot. So held slots that a process never uses (shutdown, no more work) are lost,
// never sent in a burst later. A local limiter at the rate, burst one, smooths what is left:
// the grants are placed on this process's clock through the database's "now", and that reading
// can be off by a round trip.
type CarrierLimiter struct {
	cfg    CarrierLimiterConfig
	smooth *rate.Limiter
	turn   chan struct{} // one goroutine at a time takes a slot or installs a grant

	// Guarded by turn.
	grant    store.CarrierGrant
	next     int           // the grant's next unused slot
	offset   time.Duration // this process's clock minus the database's (clockOffset)
	pending  *heldGrant    // the grant after this one, fetched ahead
	inflight chan struct{} // closed when the fetch under way ends; nil when none is
	backoff  time.Duration // before the next fetch after a failed one
}

// heldGrant is a grant and the offset that places it on this process's clock.
type heldGrant struct {
	grant  store.CarrierGrant
	offset time.Duration
}

// jitterGuard is the headroom the schedule keeps: slots are laid out as if each second were
// this much longer. Requests leave a few milliseconds off their slots (timer wake-up, the
// scheduler, the round trip that places a grant on this process's clock), and a carrier that
// counts requests per one-second window answers 429 to the rate+1-th whenever the first request
// of its window was later than the one a second after it. At exactly the rate that happened
// about once a second in the rate benchmark, where the simulator's latency alone spreads
// arrivals over 40 ms. 50 ms costs 5% of the rate.
const jitterGuard = 50 * time.Millisecond

// NewCarrierLimiter builds the limiter of one provider.
func NewCarrierLimiter(cfg CarrierLimiterConfig) *CarrierLimiter {
	cfg.Rate /= 1 + jitterGuard.Seconds()
	if cfg.Slots <= 0 {
		cfg.Slots = max(1, int(cfg.Rate/4))
	}
	if cfg.By == "" {
		host, _ := os.Hostname()
		cfg.By = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	return &CarrierLimiter{cfg: cfg, smooth: rate.NewLimiter(rate.Limit(cfg.Rate), 1), turn: make(chan struct{}, 1)}
}

// Wait blocks until this process may send the provider one request, or ctx ends.
func (l *CarrierLimiter) Wait(ctx context.Context) error {
	began := l.cfg.Now()
	now := began
	r := l.smooth.ReserveN(now, 1)
	if err := l.cfg.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(l.cfg.Now())
		return err
	}
	for {
		at, err := l.slot(ctx)
		if err != nil {
			return err
		}
		if err := l.cfg.Sleep(ctx, at.Sub(l.cfg.Now())); err != nil {
			return err
		}
		// Woken too late (a busy machine), the request would land next to the following
		// slot, perhaps another process's: the slot is lost, and the request takes the next.
		if l.cfg.Now().Sub(at) <= slotGrace {
			break
		}
	}
	if l.cfg.OnWait != nil {
		l.cfg.OnWait(l.cfg.Now().Sub(began))
	}
	return nil
}

// slot returns the time, on this process's clock, of the next slot held. The next grant is
// fetched in the background while the current one runs out (prefetchLocked), so that a busy
// process's grants follow one another without a gap and no request waits for the database
// (on SQLite a grant waits for the one writer, which took hundreds of milliseconds on a loaded
// machine); a waiter blocks on the database only when no grant is left at all.
func (l *CarrierLimiter) slot(ctx context.Context) (time.Time, error) {
	for {
		select {
		case l.turn <- struct{}{}:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
		at, ok := l.takeLocked()
		if !ok && l.pending != nil {
			l.grant, l.next, l.offset = l.pending.grant, 0, l.pending.offset
			l.pending = nil
			at, ok = l.takeLocked()
		}
		if ok {
			l.prefetchLocked(at)
			<-l.turn
			return at, nil
		}
		l.fetchLocked()
		wait := l.inflight
		<-l.turn
		select {
		case <-wait:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// prefetchLocked starts fetching the next grant once the current one has less than half its
// length left after the slot just taken.
func (l *CarrierLimiter) prefetchLocked(taken time.Time) {
	end := l.grant.End.Add(l.offset)
	if l.pending == nil && end.Sub(taken) <= l.grant.End.Sub(l.grant.Start)/2 {
		l.fetchLocked()
	}
}

// fetchLocked starts a fetch of the next grant unless one is under way. The fetch outlives the
// waiter that started it (its slots go to whoever waits next); without the database there is
// no deployment-wide rate, so carrier requests wait, and fetches are retried with a backoff.
func (l *CarrierLimiter) fetchLocked() {
	if l.inflight != nil {
		return
	}
	done := make(chan struct{})
	l.inflight = done
	backoff := l.backoff
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if backoff > 0 {
			_ = l.cfg.Sleep(ctx, backoff)
		}
		before := l.cfg.Now()
		g, err := l.cfg.Store.GrantCarrierSlots(ctx, l.cfg.ProviderID, l.cfg.Slots, l.cfg.Rate, l.cfg.By)
		after := l.cfg.Now()
		l.turn <- struct{}{}
		if err != nil {
			l.backoff = min(max(2*l.backoff, 100*time.Millisecond), 5*time.Second)
			l.cfg.Logger.Warn("carrier rate: cannot take slots; requests to the carrier wait", "provider", l.cfg.ProviderID, "err", err, "retry_in", l.backoff)
		} else {
			l.backoff = 0
			l.pending = &heldGrant{grant: g, offset: clockOffset(before, after, g.Now)}
		}
		l.inflight = nil
		close(done)
		<-l.turn
	}()
}

// slotGrace is how late a slot may still be used: a request sent later than that lands too
// close to the slots after it, which may be another process's. It is well inside jitterGuard,
// and not smaller than a busy machine's timer lateness (a grace of half a slot, 0.5 ms at
// 1,000/s, lost nearly every slot under the race detector).
const slotGrace = 50 * time.Millisecond

// takeLocked hands out the next slot that has not passed (by more than slotGrace), dropping
// those that have.
func (l *CarrierLimiter) takeLocked() (time.Time, bool) {
	if l.grant.Slots == 0 {
		return time.Time{}, false
	}
	now := l.cfg.Now()
	for l.next < l.grant.Slots {
		at := l.grant.At(l.next).Add(l.offset)
		l.next++
		if !at.Before(now.Add(-slotGrace)) {
			return at, true
		}
	}
	return time.Time{}, false
}

// clockOffset is this process's clock minus the database's, from a reading of the database's
// clock (cut to the millisecond) taken between before and after on this process's. A reading
// inside that interval is the same clock (SQLite, whose clock is this host's): no offset. Else
// (SQL Server on another host) the best guess is that the server read its clock half-way
// through the round trip.
func clockOffset(before, after, db time.Time) time.Duration {
	if !db.Before(before.Truncate(time.Millisecond)) && !db.After(after) {
		return 0
	}
	return before.Add(after.Sub(before) / 2).Sub(db)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
