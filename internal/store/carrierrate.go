package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The carrier rate limit of the whole deployment (IDSWAP_CARRIER_RATE): every serve and worker
// process on the database shares a provider's carrier requests through its rows of
// CarrierRatePermit, one permit per request a second.
//
// Why permits and not a schedule of send times: the carrier counts a request when it arrives,
// per one-second window (the simulator opens a window at the first request after the last one
// closed, and answers 429 past the rate within it). Arrival lies somewhere between the send and
// the answer, so send times evenly spaced at the rate say nothing certain about arrivals: the
// latency of each request differs, a process wakes late, and two processes' requests bunch up.
// A permit is held from before its request is sent until one second after the answer came
// back. If R+1 requests arrived within one window [s, s+1s), each was sent before the last
// arrival a and answered after its own arrival ≥ s, so each permit was held at time a: R+1
// permits held at once. With R permits that cannot happen, whatever the latency, the hosts or
// the timers. One process alone still reaches the rate (less the latency: a permit turns over
// every 1 s + round trip).
//
// A process takes permits a few at a time (TakeCarrierPermits), reuses them itself while it has
// work (each after its second is up), and hands them back (ReturnCarrierPermits, or with its
// next take) with the time they become free. A held permit's FreeDate is its lease: the process
// renews it (RenewCarrierPermits) while it holds it, so that the permits of a process that died
// come back when the lease ends; a process starts no request on a permit whose lease could end
// before the request's answer plus a second.
//
// "now" is the database's clock: SYSUTCDATETIME() on SQL Server, so hosts whose clocks disagree
// still share one set of permits; on SQLite every process is on the database's own host, and
// db.Now (which tests replace) is that clock.

// PermitReturn gives a held permit back: it may be taken again from FreeAt (database clock).
type PermitReturn struct {
	Slot   int
	FreeAt time.Time
}

// PermitTake is the answer of TakeCarrierPermits.
type PermitTake struct {
	Slots []int // the permits taken, held until LeaseEnd
	// FreeAt[i] is when Slots[i] may be used (database clock): Now, or later for a permit taken
	// ahead of the end of its second.
	FreeAt []time.Time
	// Now is the database's clock when it answered; LeaseEnd is Now + the lease.
	Now, LeaseEnd time.Time
	// NextFree, when fewer permits were taken than asked for, is when the next permit nobody
	// holds becomes free (zero when every permit is held by a live lease: then the earliest
	// lease end).
	NextFree time.Time
}

// heldByWidth bounds CarrierRatePermit.HeldBy.
const heldByWidth = 200

// TakeCarrierPermits hands back returns (permits by held) and takes up to n of the provider's
// permits free now or within ahead, for the process named by, leased until now + lease; each
// taken permit comes with the time it may be used from. Taking a permit shortly before it frees
// lets a process waiting for one use it the moment it frees, wherever it was given back.
// permits is the provider's rate: how many permits it has (created on first use; when the rate
// is lowered the permits above it are no longer taken).
func (db *DB) TakeCarrierPermits(ctx context.Context, providerID int64, permits, n int, by string, lease, ahead time.Duration, returns []PermitReturn) (PermitTake, error) {
	if permits < 1 || n < 0 || lease <= ahead || ahead < 0 {
		return PermitTake{}, fmt.Errorf("store: take %d of %d carrier permits for %v: want at least one permit and a lease", n, permits, lease)
	}
	if len(by) > heldByWidth {
		by = by[:heldByWidth]
	}
	var out PermitTake
	err := withRetry(ctx, func() (e error) {
		out, e = db.takeCarrierPermitsOnce(ctx, providerID, permits, n, by, lease, ahead, returns)
		return e
	})
	return out, err
}

func (db *DB) takeCarrierPermitsOnce(ctx context.Context, providerID int64, permits, n int, by string, lease, ahead time.Duration, returns []PermitReturn) (PermitTake, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return PermitTake{}, err
	}
	defer t.Rollback()
	for _, r := range returns {
		if _, err := t.exec(ctx, `UPDATE CarrierRatePermit SET FreeDate = ?, HeldBy = NULL
WHERE ServiceProviderId = ? AND Slot = ? AND HeldBy = ?`, r.FreeAt.UTC(), providerID, r.Slot, by); err != nil {
			return PermitTake{}, fmt.Errorf("store: return carrier permit %d of provider %d: %w", r.Slot, providerID, err)
		}
	}
	var out PermitTake
	if out.Now, err = dbNow(ctx, t, db.dialect); err != nil {
		return PermitTake{}, err
	}
	out.LeaseEnd = out.Now.Add(lease)
	if err := ensurePermits(ctx, t, providerID, permits, out.Now); err != nil {
		return PermitTake{}, err
	}
	if n > 0 {
		var free []struct {
			Slot     int    `db:"Slot"`
			FreeDate dbTime `db:"FreeDate"`
		}
		q, args := db.dialect.freePermits(providerID, permits, n, out.Now, ahead)
		if err := t.selRendered(ctx, &free, q, args...); err != nil {
			return PermitTake{}, fmt.Errorf("store: find free carrier permits of provider %d: %w", providerID, err)
		}
		slots := make([]int64, len(free))
		for i, f := range free {
			slots[i] = int64(f.Slot)
		}
		if len(slots) > 0 {
			// One statement for them all, whatever their number (a rate of 1,000 takes 250).
			leaseSQL, leaseArg := db.dialect.leaseEnd(out.Now, lease)
			set, setArg := db.dialect.idSet(slots, "INT")
			if _, err := t.exec(ctx, `UPDATE CarrierRatePermit SET FreeDate = `+leaseSQL+`, HeldBy = ?
WHERE ServiceProviderId = ? AND Slot IN (`+set+`)`, leaseArg, by, providerID, setArg); err != nil {
				return PermitTake{}, fmt.Errorf("store: take carrier permits %v of provider %d: %w", slots, providerID, err)
			}
		}
		for _, f := range free {
			freeAt := out.Now
			if f.FreeDate.Valid && f.FreeDate.Time.After(freeAt) {
				freeAt = f.FreeDate.Time
			}
			out.Slots, out.FreeAt = append(out.Slots, f.Slot), append(out.FreeAt, freeAt)
		}
	}
	if len(out.Slots) < n {
		var next dbTime
		if err := t.get(ctx, &next, `SELECT MIN(FreeDate) FROM CarrierRatePermit WHERE ServiceProviderId = ? AND Slot < ?`,
			providerID, permits); err != nil {
			return PermitTake{}, err
		}
		if next.Valid {
			out.NextFree = next.Time
		}
	}
	return out, t.Commit()
}

// dbNow reads the database's clock: SYSUTCDATETIME() on SQL Server, cut to what DATETIME2(3)
// keeps; the transaction's (db.Now) on SQLite.
func dbNow(ctx context.Context, t *tx, d dialect) (time.Time, error) {
	if d.name != "sqlserver" {
		return t.now, nil
	}
	var now dbTime
	if err := t.get(ctx, &now, `SELECT CAST(SYSUTCDATETIME() AS DATETIME2(3)) AS Now`); err != nil {
		return time.Time{}, fmt.Errorf("store: read the database's clock: %w", err)
	}
	if !now.Valid {
		return time.Time{}, errors.New("store: the database did not say what time it is")
	}
	return now.Time, nil
}

// ensurePermits creates the provider's permits 0…permits-1 that do not exist yet, free now.
// SQL Server: UPDLOCK, HOLDLOCK on the read, so that two first takes do not both insert (the
// second waits, then finds them).
func ensurePermits(ctx context.Context, t *tx, providerID int64, permits int, now time.Time) error {
	var have int
	if err := t.get(ctx, &have, `SELECT COUNT(*) FROM CarrierRatePermit WHERE ServiceProviderId = ? AND Slot < ?`, providerID, permits); err != nil {
		return fmt.Errorf("store: count the carrier permits of provider %d: %w", providerID, err)
	}
	if have >= permits {
		return nil
	}
	var slots []int
	if err := t.sel(ctx, &slots, `SELECT Slot FROM CarrierRatePermit`+alt("", " WITH (UPDLOCK, HOLDLOCK)")+`
WHERE ServiceProviderId = ?`, providerID); err != nil {
		return err
	}
	exists := map[int]bool{}
	for _, s := range slots {
		exists[s] = true
	}
	var rows [][]any
	for s := range permits {
		if !exists[s] {
			rows = append(rows, []any{providerID, s, now})
		}
	}
	if err := insertMany(ctx, t, "CarrierRatePermit", []string{"ServiceProviderId", "Slot", "FreeDate"}, rows); err != nil {
		return fmt.Errorf("store: create the carrier permits of provider %d: %w", providerID, err)
	}
	return nil
}

// ReturnCarrierPermits hands held permits back (see TakeCarrierPermits), each free from its
// FreeAt. A permit no longer held by by (its lease ran out and another took it) is left alone.
func (db *DB) ReturnCarrierPermits(ctx context.Context, providerID int64, by string, returns []PermitReturn) error {
	if len(by) > heldByWidth {
		by = by[:heldByWidth]
	}
	return withRetry(ctx, func() error {
		t, err := db.begin(ctx)
		if err != nil {
			return err
		}
		defer t.Rollback()
		for _, r := range returns {
			if _, err := t.exec(ctx, `UPDATE CarrierRatePermit SET FreeDate = ?, HeldBy = NULL
WHERE ServiceProviderId = ? AND Slot = ? AND HeldBy = ?`, r.FreeAt.UTC(), providerID, r.Slot, by); err != nil {
				return fmt.Errorf("store: return carrier permit %d of provider %d: %w", r.Slot, providerID, err)
			}
		}
		return t.Commit()
	})
}

// RenewCarrierPermits extends the lease of every permit of the provider by holds whose lease
// has not ended, to now + lease, and says how many it renewed and the new lease end.
func (db *DB) RenewCarrierPermits(ctx context.Context, providerID int64, by string, lease time.Duration) (int64, time.Time, error) {
	if len(by) > heldByWidth {
		by = by[:heldByWidth]
	}
	var (
		n   int64
		end time.Time
	)
	err := withRetry(ctx, func() error {
		t, err := db.begin(ctx)
		if err != nil {
			return err
		}
		defer t.Rollback()
		now, err := dbNow(ctx, t, db.dialect)
		if err != nil {
			return err
		}
		end = now.Add(lease)
		nowSQL, nowArgs := alt("?", "CAST(SYSUTCDATETIME() AS DATETIME2(3))"), []any{now}
		if db.dialect.name == "sqlserver" {
			nowArgs = nil
		}
		args := append([]any{end, providerID, by}, nowArgs...)
		res, err := t.exec(ctx, `UPDATE CarrierRatePermit SET FreeDate = ?
WHERE ServiceProviderId = ? AND HeldBy = ? AND FreeDate > `+nowSQL, args...)
		if err != nil {
			return fmt.Errorf("store: renew the carrier permits of provider %d: %w", providerID, err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return t.Commit()
	})
	return n, end, err
}
