package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/store"
)

func TestThrottle(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {2, 0},
		{3, 2 * time.Second}, {4, 4 * time.Second}, {5, 8 * time.Second},
		{10, 256 * time.Second},
		{11, 5 * time.Minute}, {40, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := auth.Throttle(tt.failures); got != tt.want {
			t.Errorf("Throttle(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")) != nil {
		t.Fatal("the hash does not match its password")
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horsE")) == nil {
		t.Fatal("the hash matches another password")
	}
	if again, _ := auth.HashPassword("correct horse"); again == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"short", strings.Repeat("x", 73)} {
		if _, err := auth.HashPassword(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("HashPassword of %d characters: %v, want an invalid error", len(bad), err)
		}
	}
}

func TestHashTokenIsTheTokensSHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("idsw_abc"))
	if got := auth.HashToken("idsw_abc"); got != hex.EncodeToString(sum[:]) || auth.HashToken("idsw_abd") == got {
		t.Fatalf("HashToken = %q", got)
	}
}

func TestLoginThrottlesAfterFailures(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("right password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, store.NewUser{Email: "a@example.com", DisplayName: "A", PasswordHash: hash, Role: store.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	s := auth.New(db)
	if u, err := s.Login(ctx, "a@example.com", "right password", "127.0.0.1"); err != nil || u.Email != "a@example.com" {
		t.Fatalf("the right password: %v %v", u, err)
	}
	if _, err := s.Login(ctx, "nobody@example.com", "right password", "127.0.0.1"); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("an unknown address: %v", err)
	}
	for i := range 3 {
		if _, err := s.Login(ctx, "a@example.com", "wrong password", "127.0.0.1"); !apperr.Is(err, apperr.Unauthorized) ||
			strings.Contains(err.Error(), "Too many") {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Three failures in a row: even the right password waits (2 s from the last failure).
	_, err = s.Login(ctx, "a@example.com", "right password", "127.0.0.1")
	if !apperr.Is(err, apperr.Unauthorized) || !strings.Contains(err.Error(), "Too many failed sign-ins") {
		t.Fatalf("the right password right after three failures: %v", err)
	}
}
