package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// Roles of a user.
const (
	RoleAdmin   = "admin"   // every tenant, audit search, providers, users
	RoleManager = "manager" // one tenant's devices and requests
)

// User is a person who signs in (table AppUser).
type User struct {
	ID                  int64      `db:"Id"`
	TenantID            *int64     `db:"TenantId"`
	TenantName          string     `db:"TenantName"`
	Email               string     `db:"Email"`
	DisplayName         string     `db:"DisplayName"`
	PasswordHash        string     `db:"PasswordHash"`
	Role                string     `db:"Role"`
	FailedLoginCount    int        `db:"FailedLoginCount"`
	LastFailedLoginDate *time.Time `db:"LastFailedLoginDate"`
	LastLoginDate       *time.Time `db:"LastLoginDate"`
	IsActive            bool       `db:"IsActive"`
}

// IsAdmin reports whether the user may act for every tenant.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// NewUser is what CreateUser needs.
type NewUser struct {
	TenantID     *int64
	Email        string
	DisplayName  string
	PasswordHash string
	Role         string
}

// NormalizeEmail is the form e-mail addresses are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

const userColumns = `u.Id, u.TenantId, COALESCE(t.Name, '') AS TenantName, u.Email, u.DisplayName,
	u.PasswordHash, u.Role, u.FailedLoginCount, u.LastFailedLoginDate, u.LastLoginDate, u.IsActive`

// CreateUser adds a user and returns its id.
func (db *DB) CreateUser(ctx context.Context, nu NewUser, by string) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	id, err := createUser(ctx, t, nu, by)
	if err != nil {
		return 0, err
	}
	return id, t.Commit()
}

func createUser(ctx context.Context, t *tx, nu NewUser, by string) (int64, error) {
	if nu.Role != RoleAdmin && nu.Role != RoleManager {
		return 0, apperr.E(apperr.Invalid, "role must be admin or manager, not %q", nu.Role)
	}
	if (nu.Role == RoleManager) != (nu.TenantID != nil) {
		return 0, apperr.E(apperr.Invalid, "a manager belongs to exactly one tenant; an admin to none")
	}
	email := NormalizeEmail(nu.Email)
	if !strings.Contains(email, "@") {
		return 0, apperr.E(apperr.Invalid, "%q is not an e-mail address", nu.Email)
	}
	// No SELECT first: under READ COMMITTED two creations of one address would both find none
	// and the second INSERT would fail on UQ_AppUser_Email. The unique constraint is the one
	// check, and its violation is the Conflict, whoever came second.
	id, err := t.insert(ctx, "AppUser",
		[]string{"TenantId", "Email", "DisplayName", "PasswordHash", "Role", "CreatedBy", "CreatedDate"},
		nu.TenantID, email, nu.DisplayName, nu.PasswordHash, nu.Role, by, t.now)
	if err != nil && isUniqueViolation(err, "UQ_AppUser_Email", "AppUser.Email") {
		return 0, apperr.Wrap(err, apperr.Conflict, "a user with e-mail %s already exists", email)
	}
	return id, err
}

// UserByEmail finds an active user by e-mail address.
func (db *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := db.userWhere(ctx, `u.Email = ?`, NormalizeEmail(email))
	if err != nil {
		return nil, notFound(err, "no user with e-mail %s", email)
	}
	return u, nil
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := db.userWhere(ctx, `u.Id = ?`, id)
	if err != nil {
		return nil, notFound(err, "no user %d", id)
	}
	return u, nil
}

// userWhere reads the one live user that cond (on AppUser u) with arg names.
func (db *DB) userWhere(ctx context.Context, cond string, arg any) (*User, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var u User
	if err := t.get(ctx, &u, `SELECT `+userColumns+` FROM AppUser u LEFT JOIN Tenant t ON t.Id = u.TenantId
		WHERE `+cond+` AND u.IsDeleted = 0`, arg); err != nil {
		return nil, err
	}
	return &u, nil
}

// Users lists every user, admins first.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var us []User
	err = t.sel(ctx, &us, `SELECT `+userColumns+` FROM AppUser u LEFT JOIN Tenant t ON t.Id = u.TenantId
		WHERE u.IsDeleted = 0 ORDER BY u.Role, u.Email`)
	return us, err
}

// RecordLoginFailure counts a failed sign-in so the next attempt can be slowed down.
func (db *DB) RecordLoginFailure(ctx context.Context, userID int64) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE AppUser SET FailedLoginCount = FailedLoginCount + 1, LastFailedLoginDate = ?
		WHERE Id = ?`, t.now, userID); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return t.Commit()
}

// RecordLogin resets the failure count after a successful sign-in and writes the audit event.
func (db *DB) RecordLogin(ctx context.Context, u *User, remoteAddr string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE AppUser SET FailedLoginCount = 0, LastLoginDate = ? WHERE Id = ?`, t.now, u.ID); err != nil {
		return fmt.Errorf("store: record login: %w", err)
	}
	if err := insertAudit(ctx, t, AuditEvent{TenantID: u.TenantID, UserID: &u.ID, Actor: u.Email,
		Action: ActionUserLogin, EntityType: "AppUser", EntityID: fmt.Sprint(u.ID), RemoteAddr: remoteAddr}); err != nil {
		return err
	}
	return t.Commit()
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE AppUser SET PasswordHash = ?, FailedLoginCount = 0, ModifiedBy = ?, ModifiedDate = ?
		WHERE Id = ? AND IsDeleted = 0`, hash, by, t.now, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "no user %d", userID)
	}
	return t.Commit()
}
