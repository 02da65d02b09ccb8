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
// Forget no longer count. A wait ends by itself: the right password works again once it is
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

// ClaimLoginAttempt decides, atomically, whether a sign-in attempt for account (a normalised
// e-mail address) from addr may be checked now, and if so counts it as a failure in advance:
// so of 50 attempts sent at once, exactly as many are checked as the rules allow, never more.
// A successful sign-in calls ClearLoginAttempt to take the advance count back. Each burst that
// starts being slowed down is written to the audit log once.
func (db *DB) ClaimLoginAttempt(ctx context.Context, account, addr string, acct, byAddr ThrottleRule) (LoginClaim, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return LoginClaim{}, err
	}
	defer t.Rollback()
	var out LoginClaim
	for _, s := range []struct {
		kind, subject string
		rule          ThrottleRule
	}{{ThrottleAccount, account, acct}, {ThrottleAddr, addr, byAddr}} {
		ok, started, err := claimThrottle(ctx, t, s.kind, s.subject, s.rule)
		if err != nil {
			return LoginClaim{}, err
		}
		if !ok {
			// Refused: nothing of this attempt is counted (the rollback undoes the other
			// kind's claim), so waiting it out is enough.
			return LoginClaim{}, nil
		}
		if started {
			out.Started = append(out.Started, s.kind)
			if err := insertAudit(ctx, t, AuditEvent{Actor: account, Action: ActionLoginThrottled,
				EntityType: "LoginThrottle", EntityID: s.kind, RemoteAddr: addr}); err != nil {
				return LoginClaim{}, err
			}
		}
	}
	out.Allowed = true
	return out, t.Commit()
}

func claimThrottle(ctx context.Context, t *tx, kind, subject string, rule ThrottleRule) (ok, started bool, err error) {
	if len(subject) > 320 {
		subject = subject[:320]
	}
	lock := t.db.dialect.lockForUpdate()
	if _, err := t.exec(ctx, `INSERT INTO LoginThrottle (Kind, Subject, Failures)
		SELECT ?, ?, 0 WHERE NOT EXISTS (SELECT 1 FROM LoginThrottle`+lock+` WHERE Kind = ? AND Subject = ?)`,
		kind, subject, kind, subject); err != nil {
		return false, false, fmt.Errorf("store: login throttle: %w", err)
	}
	var row struct {
		Failures int        `db:"Failures"`
		Last     *time.Time `db:"LastFailureDate"`
		Next     *time.Time `db:"NextAllowedDate"`
	}
	if err := t.get(ctx, &row, `SELECT Failures, LastFailureDate, NextAllowedDate FROM LoginThrottle`+lock+`
		WHERE Kind = ? AND Subject = ?`, kind, subject); err != nil {
		return false, false, fmt.Errorf("store: login throttle: %w", err)
	}
	if row.Next != nil && t.now.Before(*row.Next) {
		return false, false, nil
	}
	n := row.Failures
	if row.Last != nil && rule.Forget > 0 && t.now.Sub(*row.Last) > rule.Forget {
		n = 0
	}
	n++
	// The stored count is compared too: with the lock above it always matches; without one
	// (a future dialect) two claims still cannot both take the same slot.
	res, err := t.exec(ctx, `UPDATE LoginThrottle SET Failures = ?, LastFailureDate = ?, NextAllowedDate = ?
		WHERE Kind = ? AND Subject = ? AND Failures = ?`, n, t.now, t.now.Add(rule.Delay(n)), kind, subject, row.Failures)
	if err != nil {
		return false, false, fmt.Errorf("store: login throttle: %w", err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return false, false, nil
	}
	return true, rule.Delay(n) > 0 && rule.Delay(n-1) == 0, nil
}

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
