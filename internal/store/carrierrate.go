package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// The carrier rate limit of the whole deployment (IDSWAP_CARRIER_RATE): every serve and worker
// process on the database draws a provider's carrier requests from one schedule, the row of
// CarrierRateSchedule. The schedule is a token bucket of burst one kept as a time: NextSlotDate
// is when the next request may leave. A grant takes the next n slots, from max(NextSlotDate,
// now) on, one every 1/rate, and moves NextSlotDate past them; so grants never overlap, however
// many processes ask, and a process that asks again before its slots run out gets the slots
// right after them, which is how one process alone reaches the rate. Slots are held in the
// future rather than counted as tokens: a process spends them one by one at their times, so the
// carrier sees evenly spaced requests from all processes together, not bursts of n.
//
// "now" is the database's clock: SYSUTCDATETIME() on SQL Server, so hosts whose clocks disagree
// still share one schedule; on SQLite every process is on the database's own host, and db.Now
// (which tests replace) is that clock.

// CarrierGrant is a run of request slots of one provider's carrier rate: Slots requests evenly
// spaced from Start (the first) to End (just after the last; where the next grant starts), on
// the database's clock. Now is the database's clock when it granted them, so that a process can
// place the slots on its own clock.
type CarrierGrant struct {
	Start, End time.Time
	Slots      int
	Now        time.Time
}

// At is the time of slot i (0-based).
func (g CarrierGrant) At(i int) time.Time {
	return g.Start.Add(time.Duration(int64(g.End.Sub(g.Start)) * int64(i) / int64(g.Slots)))
}

// grantToWidth bounds CarrierRateSchedule.GrantedTo.
const grantToWidth = 200

// GrantCarrierSlots takes the next n request slots of a provider's carrier rate of rate requests
// per second, for the process named by. A grant lasts n/rate rounded up to the millisecond that
// DATETIME2(3) keeps, so it is never denser than the rate.
func (db *DB) GrantCarrierSlots(ctx context.Context, providerID int64, n int, rate float64, by string) (CarrierGrant, error) {
	if n < 1 || rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return CarrierGrant{}, fmt.Errorf("store: carrier grant of %d slots at %v/s: want at least one slot and a positive rate", n, rate)
	}
	if len(by) > grantToWidth {
		by = by[:grantToWidth]
	}
	// Less a nanosecond's worth before rounding up, so that float noise (206.00000000000003)
	// does not cost a whole millisecond.
	length := time.Duration(math.Ceil(float64(n)*1000/rate-1e-6)) * time.Millisecond
	var g CarrierGrant
	err := withRetry(ctx, func() (e error) {
		g, e = db.grantCarrierSlotsOnce(ctx, providerID, n, length, by)
		return e
	})
	return g, err
}

// grantCarrierSlotsOnce reads the schedule under a lock held to the end of its tiny transaction
// and moves it. SQL Server: UPDLOCK so that two processes cannot both read the same
// NextSlotDate (the second waits for the first to commit; a locking read, so also on a
// READ_COMMITTED_SNAPSHOT database), HOLDLOCK so that the lock also covers the key of a provider
// that has no row yet, and two first grants do not both insert. SQLite: the write transaction
// (BEGIN IMMEDIATE) is already exclusive.
func (db *DB) grantCarrierSlotsOnce(ctx context.Context, providerID int64, n int, length time.Duration, by string) (CarrierGrant, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return CarrierGrant{}, err
	}
	defer t.Rollback()
	now := alt("?", "CAST(SYSUTCDATETIME() AS DATETIME2(3))")
	nowArgs := []any{t.now}
	if db.dialect.name == "sqlserver" {
		nowArgs = nil
	}
	var row struct {
		Next dbTime `db:"NextSlotDate"`
		Now  dbTime `db:"Now"`
	}
	err = t.get(ctx, &row, `SELECT NextSlotDate, `+now+` AS Now
FROM CarrierRateSchedule`+alt("", " WITH (UPDLOCK, HOLDLOCK)")+` WHERE ServiceProviderId = ?`, append(nowArgs, providerID)...)
	exists := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		// The provider's first grant: the database's clock alone, still under the lock above.
		err = t.get(ctx, &row, `SELECT NULL AS NextSlotDate, `+now+` AS Now`, nowArgs...)
	}
	if err != nil {
		return CarrierGrant{}, fmt.Errorf("store: read the carrier rate schedule of provider %d: %w", providerID, err)
	}
	if !row.Now.Valid {
		return CarrierGrant{}, errors.New("store: the database did not say what time it is")
	}
	g := CarrierGrant{Start: row.Now.Time, Slots: n, Now: row.Now.Time}
	if row.Next.Valid && row.Next.Time.After(g.Start) {
		g.Start = row.Next.Time // slots up to NextSlotDate are someone's already
	}
	g.End = g.Start.Add(length)
	if exists {
		_, err = t.exec(ctx, `UPDATE CarrierRateSchedule SET NextSlotDate = ?, GrantedDate = ?, GrantedSlots = ?, GrantedTo = ?
WHERE ServiceProviderId = ?`, g.End, g.Now, n, by, providerID)
	} else {
		_, err = t.exec(ctx, `INSERT INTO CarrierRateSchedule (ServiceProviderId, NextSlotDate, GrantedDate, GrantedSlots, GrantedTo)
VALUES (?, ?, ?, ?, ?)`, providerID, g.End, g.Now, n, by)
	}
	if err != nil {
		return CarrierGrant{}, fmt.Errorf("store: move the carrier rate schedule of provider %d: %w", providerID, err)
	}
	return g, t.Commit()
}
