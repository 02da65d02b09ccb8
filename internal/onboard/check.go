package onboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/idswap/idswap/internal/thingspace"
)

// CheckResult is what a connection test found, in words for the admin.
type CheckResult struct {
	OK bool
	// Steps are what was tried, in order, each with the carrier's answer.
	Steps []string
	// Answer is the carrier's answer to the step that failed, in words; "" when OK.
	Answer string
	// Devices is how many devices the one page listed.
	Devices int
}

// CheckProvider tests a provider's stored credentials against the carrier: it gets an OAuth
// token, opens an M2M session and lists one page of devices, and reports each answer in words.
// A failed test is a CheckResult with OK false, not an error; an error means the test could not
// run (no such provider, credentials incomplete).
func (s *Service) CheckProvider(ctx context.Context, providerID int64) (*CheckResult, error) {
	c, err := s.client(ctx, providerID)
	if err != nil {
		return nil, err
	}
	return Check(ctx, c), nil
}

// Check runs the connection test with a client.
func Check(ctx context.Context, c *thingspace.Client) *CheckResult {
	r := &CheckResult{}
	// A one-device list needs the token and the session first, so one call proves all three.
	page, err := c.ListDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: 1})
	if err != nil {
		r.Answer = Explain(err)
		switch thingspace.ClassOf(err) {
		case thingspace.ClassUnauthorized:
			r.Steps = append(r.Steps, "token or session login refused: "+r.Answer)
		default:
			r.Steps = append(r.Steps, "token, session and device list: "+r.Answer)
		}
		return r
	}
	r.OK = true
	r.Devices = len(page.Devices)
	more := ""
	if page.HasMoreData {
		more = " (the account has more)"
	}
	r.Steps = append(r.Steps, "OAuth token: granted", "M2M session: opened",
		fmt.Sprintf("device list: %d device(s) on the first page%s", r.Devices, more))
	return r
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CheckInput tests credentials as an admin entered them, before they are saved: providerID 0 is
// a new provider; for an existing one, an empty secret means the stored one (as on save).
// Nothing is stored. Bad input is an apperr error, as on save.
func (s *Service) CheckInput(ctx context.Context, providerID int64, in ProviderInput) (*CheckResult, error) {
	if err := in.check(providerID == 0); err != nil {
		return nil, err
	}
	creds := in.change(providerID).Credentials
	if providerID != 0 && (creds.ClientSecret == "" || creds.Password == "") {
		stored, err := s.db.ThingSpaceCredentials(ctx, providerID)
		if err != nil {
			return nil, err
		}
		if creds.ClientSecret == "" {
			creds.ClientSecret = stored.ClientSecret
		}
		if creds.Password == "" {
			creds.Password = stored.Password
		}
	}
	c, err := NewClient(&creds, s.HTTPClient, 0, s.limiter(providerID))
	if err != nil {
		return nil, err
	}
	return Check(ctx, c), nil
}
