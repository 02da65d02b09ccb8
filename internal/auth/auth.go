// Package auth signs people and programs in: password hashing, sign-in with failures slowed
// down, and API bearer tokens that are shown once and stored only as a hash.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/store"
)

// Store is what auth needs of the database.
type Store interface {
	UserByEmail(ctx context.Context, email string) (*store.User, error)
	RecordLoginFailure(ctx context.Context, userID int64) error
	RecordLogin(ctx context.Context, u *store.User, remoteAddr string) error
	CreateAPIToken(ctx context.Context, userID int64, name, hash, prefix string, expires *time.Time, by string) (int64, error)
	UserByTokenHash(ctx context.Context, hash string) (*store.User, error)
}

// Service signs users in.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns a Service.
func New(s Store) *Service { return &Service{store: s, now: time.Now} }

// dummyHash is compared against when the e-mail is unknown, so that an unknown address takes
// as long to refuse as a wrong password and cannot be told apart by timing. Made on first use.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("idswap: no such user"), bcrypt.DefaultCost)
	return h
})

// HashPassword hashes a password with bcrypt. Passwords shorter than 8 characters are refused.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", apperr.E(apperr.Invalid, "a password needs at least 8 characters")
	}
	if len(password) > 72 {
		return "", apperr.E(apperr.Invalid, "a password may have at most 72 bytes") // bcrypt's limit
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CheckPassword reports whether password is the one hash was made from.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// Throttle is how long a user must wait after n consecutive failed sign-ins: nothing for the
// first three, then 2 s doubling to at most 5 minutes. It slows guessing to a crawl without
// locking a real user out for good.
func Throttle(failures int) time.Duration {
	const most = 5 * time.Minute
	if failures < 3 {
		return 0
	}
	if failures > 11 { // 2^9 s is past the cap already; larger powers would overflow a Duration
		return most
	}
	d := time.Duration(math.Pow(2, float64(failures-2))) * time.Second
	return min(d, most)
}

var errBadLogin = apperr.E(apperr.Unauthorized, "The e-mail address or the password is wrong.")

// Login checks an e-mail address and password and returns the user.
func (s *Service) Login(ctx context.Context, email, password, remoteAddr string) (*store.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if apperr.Is(err, apperr.NotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if wait := Throttle(u.FailedLoginCount); wait > 0 && u.LastFailedLoginDate != nil {
		if left := u.LastFailedLoginDate.Add(wait).Sub(s.now()); left > 0 {
			return nil, apperr.E(apperr.Unauthorized,
				"Too many failed sign-ins for this account. Try again in %d seconds.", int(math.Ceil(left.Seconds())))
		}
	}
	if !u.IsActive || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		if u.IsActive {
			if err := s.store.RecordLoginFailure(ctx, u.ID); err != nil {
				return nil, err
			}
		}
		return nil, errBadLogin
	}
	if err := s.store.RecordLogin(ctx, u, remoteAddr); err != nil {
		return nil, err
	}
	return u, nil
}

// tokenPrefix starts every API token, so a leaked one is easy to recognise in logs and scans.
const tokenPrefix = "idsw_"

// CreateToken makes a new API token for the user with that e-mail address and returns it. It
// is shown once; only its SHA-256 is stored.
func (s *Service) CreateToken(ctx context.Context, email, name string) (string, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	if name == "" {
		name = "token created " + s.now().UTC().Format("2006-01-02")
	}
	if _, err := s.store.CreateAPIToken(ctx, u.ID, name, HashToken(token), token[:len(tokenPrefix)+6], nil, u.Email); err != nil {
		return "", fmt.Errorf("auth: store token: %w", err)
	}
	return token, nil
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// UserByToken returns the user a bearer token belongs to.
func (s *Service) UserByToken(ctx context.Context, token string) (*store.User, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, apperr.E(apperr.Unauthorized, "the bearer token is not an idswap API token")
	}
	u, err := s.store.UserByTokenHash(ctx, HashToken(token))
	if apperr.Is(err, apperr.NotFound) {
		return nil, apperr.E(apperr.Unauthorized, "the bearer token is unknown or revoked")
	}
	return u, err
}
