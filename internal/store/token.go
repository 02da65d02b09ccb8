package store

import (
	"context"
	"fmt"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// Token scopes: a read-only token may only read (GET); a read-write one may also submit.
const (
	ScopeReadOnly  = "read-only"
	ScopeReadWrite = "read-write"
)

// APIToken is a bearer token's record; the token itself is never stored, only its SHA-256.
type APIToken struct {
	ID           int64      `db:"Id"`
	UserID       int64      `db:"AppUserId"`
	UserEmail    string     `db:"UserEmail"`
	Name         string     `db:"Name"`
	TokenPrefix  string     `db:"TokenPrefix"`
	Scope        string     `db:"Scope"`
	CreatedDate  time.Time  `db:"CreatedDate"`
	LastUsedDate *time.Time `db:"LastUsedDate"`
	LastUsedAddr *string    `db:"LastUsedAddr"`
	ExpiresDate  *time.Time `db:"ExpiresDate"`
	RevokedDate  *time.Time `db:"RevokedDate"`
}

// ReadOnly reports whether the token may only read.
func (t *APIToken) ReadOnly() bool { return t.Scope == ScopeReadOnly }

// State is "active", "expired" or "revoked" at now.
func (t *APIToken) State(now time.Time) string {
	switch {
	case t.RevokedDate != nil:
		return "revoked"
	case t.ExpiresDate != nil && !now.Before(*t.ExpiresDate):
		return "expired"
	}
	return "active"
}

// TokenOptions are a new token's name, life and scope, as a person asks for them.
type TokenOptions struct {
	Name  string
	TTL   time.Duration // 0: the default life (IDSWAP_TOKEN_TTL)
	Scope string        // ScopeReadOnly or ScopeReadWrite (the default)
}

// NewAPIToken is what CreateAPIToken stores.
type NewAPIToken struct {
	UserID       int64
	Name         string
	Hash, Prefix string
	Expires      *time.Time
	Scope        string
}

const tokenColumns = `k.Id, k.AppUserId, u.Email AS UserEmail, k.Name, k.TokenPrefix, k.Scope, k.CreatedDate,
	k.LastUsedDate, k.LastUsedAddr, k.ExpiresDate, k.RevokedDate`

// CreateAPIToken stores a token's hash for a user.
func (db *DB) CreateAPIToken(ctx context.Context, nt NewAPIToken, by string) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	if nt.Scope == "" {
		nt.Scope = ScopeReadWrite
	}
	id, err := t.insert(ctx, "ApiToken",
		[]string{"AppUserId", "Name", "TokenHash", "TokenPrefix", "CreatedBy", "CreatedDate", "ExpiresDate", "Scope"},
		nt.UserID, nt.Name, nt.Hash, nt.Prefix, by, t.now, nt.Expires, nt.Scope)
	if err != nil {
		return 0, err
	}
	if err := insertAudit(ctx, t, AuditEvent{UserID: &nt.UserID, Actor: by, Action: ActionTokenCreate,
		EntityType: "ApiToken", EntityID: nt.Prefix}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// UserByTokenHash finds the active user that owns a live token (not revoked, not expired) and
// records its use and the address it came from.
func (db *DB) UserByTokenHash(ctx context.Context, hash, remoteAddr string) (*User, *APIToken, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer t.Rollback()
	var tok APIToken
	err = t.get(ctx, &tok, `SELECT `+tokenColumns+` FROM ApiToken k JOIN AppUser u ON u.Id = k.AppUserId
		WHERE k.TokenHash = ? AND k.IsActive = 1 AND k.RevokedDate IS NULL`, asciiKey(hash))
	if err != nil {
		return nil, nil, notFound(err, "unknown API token")
	}
	if tok.ExpiresDate != nil && !t.now.Before(*tok.ExpiresDate) {
		return nil, nil, apperr.E(apperr.Unauthorized, "the API token expired on %s", tok.ExpiresDate.Format("2006-01-02 15:04 UTC"))
	}
	var u User
	err = t.get(ctx, &u, `SELECT `+userColumns+` FROM AppUser u LEFT JOIN Tenant t ON t.Id = u.TenantId
		WHERE u.Id = ? AND u.IsDeleted = 0 AND u.IsActive = 1`, tok.UserID)
	if err != nil {
		return nil, nil, notFound(err, "unknown API token")
	}
	_ = t.Rollback()
	// Record use at most once a minute per address: the API may be called thousands of times a
	// minute, and a write on every call would queue them all behind SQLite's one writer.
	if tok.LastUsedDate == nil || t.now.Sub(*tok.LastUsedDate) > time.Minute || tok.LastUsedAddr == nil || *tok.LastUsedAddr != remoteAddr {
		w, err := db.begin(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer w.Rollback()
		if _, err := w.exec(ctx, `UPDATE ApiToken SET LastUsedDate = ?, LastUsedAddr = ? WHERE Id = ?`, w.now, remoteAddr, tok.ID); err != nil {
			return nil, nil, err
		}
		if err := w.Commit(); err != nil {
			return nil, nil, err
		}
	}
	return &u, &tok, nil
}

// APITokens lists tokens, newest first: one user's (userID > 0) or everyone's (0).
func (db *DB) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q := `SELECT ` + tokenColumns + ` FROM ApiToken k JOIN AppUser u ON u.Id = k.AppUserId WHERE k.IsActive = 1`
	args := []any{}
	if userID > 0 {
		q += ` AND k.AppUserId = ?`
		args = append(args, userID)
	}
	var out []APIToken
	err = t.sel(ctx, &out, q+` ORDER BY k.CreatedDate DESC, k.Id DESC`, args...)
	return out, err
}

// RevokeAPIToken revokes a token at once. ownerID > 0 limits it to that user's tokens (a
// user's own page); 0 is an admin's or the command line's, for any token. A token that is not
// there (or not the owner's) is NotFound.
func (db *DB) RevokeAPIToken(ctx context.Context, tokenID, ownerID int64, by, remoteAddr string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var tok APIToken
	err = t.get(ctx, &tok, `SELECT `+tokenColumns+` FROM ApiToken k JOIN AppUser u ON u.Id = k.AppUserId
		WHERE k.Id = ? AND k.IsActive = 1 AND (? = 0 OR k.AppUserId = ?)`, tokenID, ownerID, ownerID)
	if err != nil {
		return notFound(err, "There is no API token %d.", tokenID)
	}
	if tok.RevokedDate != nil {
		return apperr.E(apperr.Conflict, "API token %d (%s) was already revoked on %s.", tokenID, tok.Name, tok.RevokedDate.Format("2006-01-02"))
	}
	if _, err := t.exec(ctx, `UPDATE ApiToken SET RevokedDate = ?, RevokedBy = ? WHERE Id = ?`, t.now, by, tokenID); err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	if err := insertAudit(ctx, t, AuditEvent{UserID: &tok.UserID, Actor: by, Action: ActionTokenRevoke,
		EntityType: "ApiToken", EntityID: tok.TokenPrefix, RemoteAddr: remoteAddr}); err != nil {
		return err
	}
	return t.Commit()
}
