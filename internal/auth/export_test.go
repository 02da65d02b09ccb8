package auth

import "time"

// SetCompare replaces the password check, so a test can count the calls of the real one.
func (s *Service) SetCompare(f func(hash, password []byte) error) { s.compare = f }

// SetNow replaces the clock of token expiry.
func (s *Service) SetNow(f func() time.Time) { s.now = f }
