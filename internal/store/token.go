package store

import (
	"context"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// APIToken is a bearer token's record; the token itself is never stored, only its SHA-256.
type APIToken struct {
	ID           int64      `db:"Id"`
	UserID       int64      `db:"AppUserId"`
	Name         string     `db:"Name"`
	TokenPrefix  string     `db:"TokenPrefix"`
	CreatedDate  time.Time  `db:"CreatedDate"`
	LastUsedDate *time.Time `db:"LastUsedDate"`
	ExpiresDate  *time.Time `db:"ExpiresDate"`
}

// CreateAPIToken stores a token's hash for a user.
func (db *DB) CreateAPIToken(ctx context.Context, userID int64, name, hash, prefix string, expires *time.Time, by string) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	id, err := t.insert(ctx, "ApiToken",
		[]string{"AppUserId", "Name", "TokenHash", "TokenPrefix", "CreatedBy", "CreatedDate", "ExpiresDate"},
		userID, name, hash, prefix, by, t.now, expires)
	if err != nil {
		return 0, err
	}
	if err := insertAudit(ctx, t, AuditEvent{UserID: &userID, Actor: by, Action: ActionTokenCreate,
		EntityType: "ApiToken", EntityID: prefix}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// UserByTokenHash finds the active user that owns an unexpired token, and marks the token used.
func (db *DB) UserByTokenHash(ctx context.Context, hash string) (*User, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var tok APIToken
	err = t.get(ctx, &tok, `SELECT Id, AppUserId, Name, TokenPrefix, CreatedDate, LastUsedDate, ExpiresDate
		FROM ApiToken WHERE TokenHash = ? AND IsActive = 1`, asciiKey(hash))
	if err != nil {
		return nil, notFound(err, "unknown API token")
	}
	if tok.ExpiresDate != nil && !t.now.Before(*tok.ExpiresDate) {
		return nil, apperr.E(apperr.Unauthorized, "the API token has expired")
	}
	var u User
	err = t.get(ctx, &u, `SELECT `+userColumns+` FROM AppUser u LEFT JOIN Tenant t ON t.Id = u.TenantId
		WHERE u.Id = ? AND u.IsDeleted = 0 AND u.IsActive = 1`, tok.UserID)
	if err != nil {
		return nil, notFound(err, "unknown API token")
	}
	// Record use at most once a minute: the API may be called thousands of times a minute and
	// this is a write on every call otherwise.
	if tok.LastUsedDate == nil || t.now.Sub(*tok.LastUsedDate) > time.Minute {
		if _, err := t.exec(ctx, `UPDATE ApiToken SET LastUsedDate = ? WHERE Id = ?`, t.now, tok.ID); err != nil {
			return nil, err
		}
	}
	return &u, t.Commit()
}
