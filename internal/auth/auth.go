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
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// Store is what auth needs of the database.
type Store interface {
	UserByEmail(ctx context.Context, email string) (*store.User, error)
	ClaimLoginAttempt(ctx context.Context, account, addr string, acct, byAddr store.ThrottleRule) (store.LoginClaim, error)
	ClearLoginAttempt(ctx context.Context, account, addr string) error
	RecordLogin(ctx context.Context, u *store.User, remoteAddr string) error
	CreateAPIToken(ctx context.Context, nt store.NewAPIToken, by string) (int64, error)
	UserByTokenHash(ctx context.Context, hash, remoteAddr string) (*store.User, *store.APIToken, error)
}

// Service signs users in.
type Service struct {
	store Store
	now   func() time.Time
	// compare checks a password against a bcrypt hash; a test wraps it to count the calls.
	compare func(hash, password []byte) error
	// OnThrottle, when set, is told of each burst of failed sign-ins that starts being slowed
	// down, by kind ("account" or "addr"): the metrics count them.
	OnThrottle func(kind string)
	// TokenTTL is how long a new API token lives unless told otherwise (IDSWAP_TOKEN_TTL).
	TokenTTL time.Duration
}

// New returns a Service.
func New(s Store) *Service {
	return &Service{store: s, now: time.Now, compare: bcrypt.CompareHashAndPassword, TokenTTL: DefaultTokenTTL}
}

// DefaultTokenTTL is an API token's life unless IDSWAP_TOKEN_TTL or --ttl says otherwise.
const DefaultTokenTTL = 90 * 24 * time.Hour

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

// The throttling rules. Per submitted e-mail address: three attempts free, then 2 s doubling to
// 5 minutes. Per client address, looser (an office behind one NAT): ten free, then 1 s doubling
// to 5 minutes. A failure is forgotten after an hour.
var (
	AccountRule = store.ThrottleRule{Free: 3, First: 2 * time.Second, Most: 5 * time.Minute, Forget: time.Hour}
	AddrRule    = store.ThrottleRule{Free: 10, First: time.Second, Most: 5 * time.Minute, Forget: time.Hour}
)

// errBadLogin is the one answer to every refused sign-in: an unknown address, a wrong
// password, a disabled user and an attempt made while throttled all read the same.
var errBadLogin = apperr.E(apperr.Unauthorized,
	"The e-mail address or the password is wrong. After several attempts, wait a minute before trying again.")

// Login checks an e-mail address and password and returns the user. Every attempt takes the
// same steps whatever the outcome — claim an attempt in the database, read the user, run
// bcrypt once (against a dummy hash for an unknown address) — and every refusal is the same
// errBadLogin, so neither the words nor the time tell whether an account exists or is
// throttled.
func (s *Service) Login(ctx context.Context, email, password, remoteAddr string) (*store.User, error) {
	account := store.NormalizeEmail(email)
	claim, err := s.store.ClaimLoginAttempt(ctx, account, remoteAddr, AccountRule, AddrRule)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, account)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return nil, err
	}
	hash := dummyHash()
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	matched := s.compare(hash, []byte(password)) == nil
	if s.OnThrottle != nil {
		for _, kind := range claim.Started {
			s.OnThrottle(kind)
		}
	}
	if !claim.Allowed || u == nil || !u.IsActive || !matched {
		return nil, errBadLogin
	}
	if err := s.store.RecordLogin(ctx, u, remoteAddr); err != nil {
		return nil, err
	}
	if err := s.store.ClearLoginAttempt(ctx, account, remoteAddr); err != nil {
		return nil, err
	}
	return u, nil
}

// tokenPrefix starts every API token, so a leaked one is easy to recognise in logs and scans.
const tokenPrefix = "idsw_"

// TokenOptions are a new token's name, life and scope.
type TokenOptions = store.TokenOptions

// CreateToken makes a new API token for the user with that e-mail address and returns it with
// its record. It is shown once; only its SHA-256 is stored.
func (s *Service) CreateToken(ctx context.Context, email string, o TokenOptions, by string) (string, *store.APIToken, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return "", nil, err
	}
	if o.Scope == "" {
		o.Scope = store.ScopeReadWrite
	}
	if o.Scope != store.ScopeReadOnly && o.Scope != store.ScopeReadWrite {
		return "", nil, apperr.E(apperr.Invalid, "the scope is %s or %s, not %q", store.ScopeReadOnly, store.ScopeReadWrite, o.Scope)
	}
	if o.TTL == 0 {
		o.TTL = s.TokenTTL
	}
	if o.TTL < time.Hour || o.TTL > 3*366*24*time.Hour {
		return "", nil, apperr.E(apperr.Invalid, "a token lives between an hour and three years, not %s", o.TTL)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	now := s.now().UTC()
	if o.Name = strings.TrimSpace(o.Name); o.Name == "" {
		o.Name = "token created " + now.Format("2006-01-02")
	}
	if err := change.CheckLen("The token's name", o.Name, change.MaxTokenName); err != nil {
		return "", nil, err
	}
	if by == "" {
		by = u.Email
	}
	expires := now.Add(o.TTL).Truncate(time.Millisecond)
	nt := store.NewAPIToken{UserID: u.ID, Name: o.Name, Hash: HashToken(token), Prefix: token[:len(tokenPrefix)+6],
		Expires: &expires, Scope: o.Scope}
	id, err := s.store.CreateAPIToken(ctx, nt, by)
	if err != nil {
		return "", nil, fmt.Errorf("auth: store token: %w", err)
	}
	return token, &store.APIToken{ID: id, UserID: u.ID, UserEmail: u.Email, Name: o.Name, TokenPrefix: nt.Prefix,
		ExpiresDate: &expires, Scope: o.Scope}, nil
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// UserByToken returns the user a bearer token belongs to, and the token's record (its scope).
// A revoked or expired token is refused at once.
func (s *Service) UserByToken(ctx context.Context, token, remoteAddr string) (*store.User, *store.APIToken, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, nil, apperr.E(apperr.Unauthorized, "the bearer token is not an idswap API token")
	}
	u, tok, err := s.store.UserByTokenHash(ctx, HashToken(token), remoteAddr)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil, apperr.E(apperr.Unauthorized, "the bearer token is unknown, expired or revoked")
	}
	return u, tok, err
}
