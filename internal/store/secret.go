package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealer encrypts carrier secrets (ClientSecret, Password, CallbackSecret) with AES-256-GCM
// before they reach a table, so a copy of the database or a backup does not hand out the
// carrier account. The legacy system stored them Base64-"encoded"; that is not kept.
type sealer struct{ aead cipher.AEAD }

// sealedPrefix marks a sealed value and its format version, so the format can change later.
const sealedPrefix = "gcm1:"

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("store: the secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns "gcm1:" + base64(nonce | ciphertext). The empty string stays empty.
func (s *sealer) seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("store: no randomness for a nonce: %v", err)) // crypto/rand never fails on Linux
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), nil)
	return sealedPrefix + base64.StdEncoding.EncodeToString(out)
}

// open reverses seal. A value sealed with another key fails loudly rather than decrypting into
// garbage that would then be sent to the carrier as a password.
func (s *sealer) open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !strings.HasPrefix(sealed, sealedPrefix) {
		return "", errors.New("store: a secret in the database is not sealed; re-enter it")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", errors.New("store: a sealed secret is damaged")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("store: a sealed secret does not open with this IDSWAP_SECRET_KEY")
	}
	return string(plain), nil
}
