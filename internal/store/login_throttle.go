package store

import (
	"context"
	"fmt"
	"time"
)

// Audit actions of the security controls.
const (
	ActionLoginThrottled AuditAction = "user.login_throttled" // a burst of failed sign-ins began to be slowed down
	ActionSessionEnd     AuditAction = "session.end"
	ActionTokenRevoke    AuditAction = "token.revoke"
)

// Throttle kinds: a submitted e-mail address (whether or not it belongs to a user, so that an
// unknown address is slowed down exactly like a real one) and a client address.
const (
	ThrottleAccount = "account"
	ThrottleAddr    = "addr"
)

// ThrottleRule says how long the next attempt must wait after n failures in a row: nothing
// for the first Free-1, then First, doubling per failure up to Most. Failures older than
// Forget no longer count, and neither does the wait they set: a wait never outlasts Forget
// after the last failure. A wait ends by itself: the right password works again once it is
// over, so a guesser can slow a user down but never lock them out.
type ThrottleRule struct {
	Free   int
	First  time.Duration
	Most   time.Duration
	Forget time.Duration
}

// Delay is the wait after n failures.
func (r ThrottleRule) Delay(n int) time.Duration {
	if n < r.Free {
		return 0
	}
	d := r.First
	for i := r.Free; i < n && d < r.Most; i++ {
		d *= 2
	}
	return min(d, r.Most)
}

// LoginClaim is the outcome of ClaimLoginAttempt.
type LoginClaim struct {
	// Allowed: this attempt may be checked. When false the caller still verifies the password
	// (so the answer takes as long) and answers the one generic message.
	Allowed bool
	// Started names the kinds (account, addr) whose throttling this attempt switched on: a burst.
	Started []string
}

// throttleRow is one LoginThrottle row as read under its lock.
type throttleRow struct {
	Failures int        `db:"Failures"`
	Last     *time.Time `db:"LastFailureDate"`
	Next     *time.Time `db:"NextAllowedDate"`
}

// ClaimLoginAttempt decides, atomically, whether a sign-in attempt for account (a normalised
// e-mail address) from addr may be checked now, and if so counts it as a failure in advance:
// so of 50 attempts sent at once, exactly as many are checked as the rules allow, never more.
// A successful sign-in calls ClearLoginAttempt to take the advance count back. Each burst that
// starts being slowed down is written to the audit log once.
//
// Every attempt runs the same statements, allowed or refused: both rows are read under their
// lock, both are written, and the transaction commits. A refused attempt writes the rows back
// as they were, so nothing of it counts (waiting it out is enough), yet it takes as long as a
// counted one: a throttled account is not a fast path that timing would tell apart.
func (db *DB) ClaimLoginAttempt(ctx context.Context, account, addr string, acct, byAddr ThrottleRule) (LoginClaim, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return LoginClaim{}, err
	}
	defer t.Rollback()
	subjects := [2]struct {
		kind, subject string
		rule          ThrottleRule
	}{{ThrottleAccount, account, acct}, {ThrottleAddr, addr, byAddr}}
	var rows [2]throttleRow
	allowed := true
	for i, s := range subjects {
		if len(s.subject) > 320 {
			subjects[i].subject = s.subject[:320]
		}
		if rows[i], err = lockThrottle(ctx, t, s.kind, subjects[i].subject); err != nil {
			return LoginClaim{}, err
		}
		if waiting(rows[i], s.rule, t.now) {
			allowed = false
		}
	}
	var out LoginClaim
	for i, s := range subjects {
		r := rows[i]
		n, last, next := r.Failures, r.Last, r.Next // refused: written back as they were
		if allowed {
			n = failuresThatCount(r, s.rule, t.now) + 1
			next = ptr(t.now.Add(s.rule.Delay(n)))
			last = &t.now
		}
		// The stored count is compared too: with the lock above it always matches; without one
		// (a future dialect) two claims still cannot both take the same slot.
		res, err := t.exec(ctx, `UPDATE LoginThrottle SET Failures = ?, LastFailureDate = ?, NextAllowedDate = ?
			WHERE Kind = ? AND Subject = ? AND Failures = ?`, n, last, next, s.kind, s.subject, r.Failures)
		if err != nil {
			return LoginClaim{}, fmt.Errorf("store: login throttle: %w", err)
		}
		if k, _ := res.RowsAffected(); k != 1 && allowed {
			return LoginClaim{}, nil // another claim took the slot: refused, nothing counted
		}
		if allowed && s.rule.Delay(n) > 0 && s.rule.Delay(n-1) == 0 {
			out.Started = append(out.Started, s.kind)
			if err := insertAudit(ctx, t, AuditEvent{Actor: account, Action: ActionLoginThrottled,
				EntityType: "LoginThrottle", EntityID: s.kind, RemoteAddr: addr}); err != nil {
				return LoginClaim{}, err
			}
		}
	}
	out.Allowed = allowed
	return out, t.Commit()
}

// lockThrottle reads a throttle row under its lock, making it first if there is none.
func lockThrottle(ctx context.Context, t *tx, kind, subject string) (throttleRow, error) {
	lock := t.db.dialect.lockForUpdate()
	var row throttleRow
	if _, err := t.exec(ctx, `INSERT INTO LoginThrottle (Kind, Subject, Failures)
		SELECT ?, ?, 0 WHERE NOT EXISTS (SELECT 1 FROM LoginThrottle`+lock+` WHERE Kind = ? AND Subject = ?)`,
		kind, subject, kind, subject); err != nil {
		return row, fmt.Errorf("store: login throttle: %w", err)
	}
	if err := t.get(ctx, &row, `SELECT Failures, LastFailureDate, NextAllowedDate FROM LoginThrottle`+lock+`
		WHERE Kind = ? AND Subject = ?`, kind, subject); err != nil {
		return row, fmt.Errorf("store: login throttle: %w", err)
	}
	return row, nil
}

// failuresThatCount is the row's failures in a row, or none once the last is older than Forget.
func failuresThatCount(r throttleRow, rule ThrottleRule, now time.Time) int {
	if r.Last != nil && rule.Forget > 0 && now.Sub(*r.Last) > rule.Forget {
		return 0
	}
	return r.Failures
}

// waiting reports whether the row's wait is still running. Forgiven failures carry no wait:
// stale failures with a wait still to run (set by a stricter rule, or under a clock that ran
// ahead) would otherwise keep refusing the real user.
func waiting(r throttleRow, rule ThrottleRule, now time.Time) bool {
	return r.Next != nil && now.Before(*r.Next) && failuresThatCount(r, rule, now) > 0
}

func ptr[T any](v T) *T { return &v }

// ClearLoginAttempt takes back the advance count of a successful sign-in: the account starts
// afresh, and the client address loses the one failure its claim added.
func (db *DB) ClearLoginAttempt(ctx context.Context, account, addr string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE LoginThrottle SET Failures = 0, NextAllowedDate = NULL WHERE Kind = ? AND Subject = ?`,
		ThrottleAccount, account); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE LoginThrottle SET Failures = CASE WHEN Failures > 0 THEN Failures - 1 ELSE 0 END,
		NextAllowedDate = NULL WHERE Kind = ? AND Subject = ?`, ThrottleAddr, addr); err != nil {
		return err
	}
	return t.Commit()
}
