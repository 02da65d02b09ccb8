// Package onboard is what an admin uses to set idswap up and keep it so: tenants, users, service
// providers with their ThingSpace credentials (and the test of them), the carrier's plan
// catalogue and the device model (TAC) table. The admin console and the CLI both call it.
//
// Every method checks its input first and answers bad input with an apperr error whose message
// says what to fix; nothing is written then. Every change is stored with its AuditEvent in one
// transaction (see store.Actor); no event holds a secret.
package onboard

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// Service is the onboarding and administration service.
type Service struct {
	db *store.DB
	// HTTPClient, when set, carries the connection test's calls (tests point it anywhere).
	HTTPClient *http.Client
	// Limit, when set, gives a provider's carrier limiter (the engine's, shared by every
	// process through the database): the connection test and the plan import then count
	// against the same IDSWAP_CARRIER_RATE as the engine's calls.
	Limit func(providerID int64) thingspace.Limiter
}

// New returns the service over db.
func New(db *store.DB) *Service { return &Service{db: db} }

// Actor is who acts; see store.Actor.
type Actor = store.Actor

// cleanName trims a name and rejects it empty or longer than max UTF-16 units, the width of
// its column (change.TextLen); what names it in the error.
func cleanName(what, name string, max int) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", apperr.E(apperr.Invalid, "the %s is empty", what)
	}
	if err := change.CheckLen("The "+what, name, max); err != nil {
		return "", err
	}
	return name, nil
}

// CreateTenant adds a tenant. A name another tenant has, in any letter case, is a Conflict.
func (s *Service) CreateTenant(ctx context.Context, a Actor, name string) (int64, error) {
	name, err := cleanName("tenant name", name, change.MaxTenantName)
	if err != nil {
		return 0, err
	}
	return s.db.AddTenant(ctx, name, a)
}

// RenameTenant renames a tenant.
func (s *Service) RenameTenant(ctx context.Context, a Actor, id int64, name string) error {
	name, err := cleanName("tenant name", name, change.MaxTenantName)
	if err != nil {
		return err
	}
	return s.db.RenameTenant(ctx, id, name, a)
}

// SetTenantActive deactivates (false) or reactivates (true) a tenant.
func (s *Service) SetTenantActive(ctx context.Context, a Actor, id int64, active bool) error {
	return s.db.SetTenantActive(ctx, id, active, a)
}

// Tenants lists every tenant, deactivated ones too.
func (s *Service) Tenants(ctx context.Context) ([]store.TenantRow, error) {
	return s.db.AllTenants(ctx)
}

// TenantByName finds a tenant by name (letter case ignored).
func (s *Service) TenantByName(ctx context.Context, name string) (*store.TenantRow, error) {
	return s.db.TenantByName(ctx, name)
}

// NewUser is what CreateUser needs. Managers need a TenantID; admins have none.
type NewUser struct {
	Email, DisplayName, Role, Password string
	TenantID                           int64
	// PasswordHash, when set, is used instead of hashing Password: the demo gives its users one
	// password and hashes it once (bcrypt is the slowest step of building the demo).
	PasswordHash string
}

// CreateUser adds a user. An e-mail address already taken is a Conflict.
func (s *Service) CreateUser(ctx context.Context, a Actor, nu NewUser) (int64, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(nu.Email))
	if err != nil || addr.Name != "" {
		return 0, apperr.E(apperr.Invalid, "%q is not an e-mail address", nu.Email)
	}
	if err := change.CheckLen("The e-mail address", addr.Address, change.MaxEmail); err != nil {
		return 0, err
	}
	if nu.Role != store.RoleAdmin && nu.Role != store.RoleManager {
		return 0, apperr.E(apperr.Invalid, "the role must be admin or manager, not %q", nu.Role)
	}
	var tenant *int64
	switch {
	case nu.Role == store.RoleManager && nu.TenantID == 0:
		return 0, apperr.E(apperr.Invalid, "a manager needs a tenant")
	case nu.Role == store.RoleAdmin && nu.TenantID != 0:
		return 0, apperr.E(apperr.Invalid, "an admin acts for every tenant and belongs to none")
	case nu.TenantID != 0:
		tenant = &nu.TenantID
	}
	display := strings.TrimSpace(nu.DisplayName)
	if err := change.CheckLen("The name", display, change.MaxDisplayName); err != nil {
		return 0, err
	}
	if display == "" {
		display = change.CutText(addr.Address, change.MaxDisplayName) // an address may be longer than a name's column
	}
	hash := nu.PasswordHash
	if hash == "" {
		if hash, err = auth.HashPassword(nu.Password); err != nil {
			return 0, err
		}
	}
	return s.db.AddUser(ctx, store.NewUser{TenantID: tenant, Email: addr.Address, DisplayName: display, PasswordHash: hash, Role: nu.Role}, a)
}

// SetUserActive disables (false) or re-enables (true) a user. A disabled user can do nothing
// from that moment: the session, token and sign-in checks read IsActive on every request.
// Admins cannot disable themselves, so that an install is never left without one by mistake.
func (s *Service) SetUserActive(ctx context.Context, a Actor, id int64, active bool) error {
	if !active && a.UserID != nil && *a.UserID == id {
		return apperr.E(apperr.Invalid, "you cannot disable yourself")
	}
	return s.db.SetUserActive(ctx, id, active, a)
}

// ResetPassword sets a user's password as an admin.
func (s *Service) ResetPassword(ctx context.Context, a Actor, id int64, password string) error {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.ChangePassword(ctx, id, hash, false, a)
}

// ChangeOwnPassword lets a signed-in user replace their password, given the current one.
func (s *Service) ChangeOwnPassword(ctx context.Context, a Actor, current, next string) error {
	if a.UserID == nil {
		return apperr.E(apperr.Unauthorized, "sign in to change your password")
	}
	u, err := s.db.UserByID(ctx, *a.UserID)
	if err != nil {
		return err
	}
	// The current password is a guess like a sign-in's: it takes the same throttle (per
	// account and per address, growing waits), so a session left open is no place to guess it.
	account := store.NormalizeEmail(u.Email)
	claim, err := s.db.ClaimLoginAttempt(ctx, account, a.RemoteAddr, auth.AccountRule, auth.AddrRule)
	if err != nil {
		return err
	}
	matched := auth.CheckPassword(u.PasswordHash, current)
	if !claim.Allowed {
		return apperr.E(apperr.Invalid, "too many wrong passwords: wait a minute before trying again")
	}
	if !matched {
		return apperr.E(apperr.Invalid, "the current password is wrong")
	}
	if err := s.db.ClearLoginAttempt(ctx, account, a.RemoteAddr); err != nil {
		return err
	}
	if current == next {
		return apperr.E(apperr.Invalid, "the new password is the same as the current one")
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	return s.db.ChangePassword(ctx, u.ID, hash, true, a)
}

// Users lists every user.
func (s *Service) Users(ctx context.Context) ([]store.User, error) { return s.db.Users(ctx) }

// ProviderInput is a service provider with its ThingSpace credentials as an admin enters them.
// ClientSecret and UWSPassword are write-only: on an edit, empty keeps the stored value.
type ProviderInput struct {
	Name              string
	BaseURL           string
	AccountName       string
	ClientID          string
	ClientSecret      string
	UWSUser           string
	UWSPassword       string
	NotificationEmail string
	FromEmail         string
	RegisterCallbacks bool
	WritesEnabled     bool
	// ServiceType is the {serviceType} of the change-identifier call; default "4G".
	ServiceType string
	// CallbackSecret is the secret part of the callback URL; generated when empty on create.
	CallbackSecret string
}

func (in *ProviderInput) check(create bool) error {
	var err error
	if in.Name, err = cleanName("provider name", in.Name, change.MaxProviderName); err != nil {
		return err
	}
	in.BaseURL = strings.TrimRight(strings.TrimSpace(in.BaseURL), "/")
	if err := change.CheckLen("The base URL", in.BaseURL, change.MaxBaseURL); err != nil {
		return err
	}
	u, perr := url.Parse(in.BaseURL)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return apperr.E(apperr.Invalid, "the base URL %q is not an http(s) URL such as https://thingspace.verizon.com", in.BaseURL)
	}
	for _, f := range []struct {
		what string
		v    *string
		max  int
	}{{"account name", &in.AccountName, change.MaxAccountNumber}, {"client id", &in.ClientID, change.MaxClientID},
		{"UWS user", &in.UWSUser, change.MaxUWSUser}} {
		if *f.v, err = cleanName(f.what, *f.v, f.max); err != nil {
			return err
		}
	}
	if create && (in.ClientSecret == "" || in.UWSPassword == "") {
		return apperr.E(apperr.Invalid, "a new provider needs its client secret and UWS password")
	}
	// Secrets are stored sealed, which makes them longer: the limit is in bytes (see
	// change.MaxSecretBytes).
	for _, f := range []struct{ what, v string }{{"client secret", in.ClientSecret}, {"UWS password", in.UWSPassword}} {
		if n := len(f.v); n > change.MaxSecretBytes {
			return apperr.E(apperr.Invalid, "The %s has %d bytes; at most %d fit.", f.what, n, change.MaxSecretBytes)
		}
	}
	for _, e := range []string{in.NotificationEmail, in.FromEmail} {
		if e = strings.TrimSpace(e); e != "" {
			if err := change.CheckLen("The e-mail address", e, change.MaxEmail); err != nil {
				return err
			}
			if _, err := mail.ParseAddress(e); err != nil {
				return apperr.E(apperr.Invalid, "%q is not an e-mail address", e)
			}
		}
	}
	if in.ServiceType == "" {
		in.ServiceType = "4G"
	}
	return nil
}

func (in ProviderInput) change(id int64) store.ProviderChange {
	changed := []string{"Name", "BaseUrl", "AccountNumber", "ClientId", "Username", "NotificationEmail", "FromEmail",
		"RegisterCarrierServiceCallBack", "WriteIsEnabled", "ServiceType"}
	if in.ClientSecret != "" {
		changed = append(changed, "ClientSecret")
	}
	if in.UWSPassword != "" {
		changed = append(changed, "Password")
	}
	return store.ProviderChange{
		Provider: store.Provider{ID: id, Name: in.Name, DisplayName: in.Name, IntegrationID: store.IntegrationThingSpace,
			NotificationEmail: strings.TrimSpace(in.NotificationEmail), FromEmail: strings.TrimSpace(in.FromEmail),
			RegisterCallback: in.RegisterCallbacks},
		Credentials: store.Credentials{BaseURL: in.BaseURL, ClientID: in.ClientID, ClientSecret: in.ClientSecret,
			AuthTokenURL: thingspace.DefaultTokenURL, AuthURL: thingspace.DefaultLoginPath, Username: in.UWSUser,
			Password: in.UWSPassword, AccountNumber: in.AccountName, WriteIsEnabled: in.WritesEnabled,
			ServiceType: in.ServiceType, CallbackSecret: in.CallbackSecret},
		Changed: changed,
	}
}

// CreateProvider adds a provider with its credentials (secrets sealed at rest) and returns its
// id. It does not call the carrier: CheckProvider does, so that an admin can store credentials
// the carrier has not enabled yet.
func (s *Service) CreateProvider(ctx context.Context, a Actor, in ProviderInput) (int64, error) {
	if err := in.check(true); err != nil {
		return 0, err
	}
	if in.CallbackSecret == "" {
		in.CallbackSecret = randomSecret()
	}
	return s.db.AddProvider(ctx, in.change(0), a)
}

// UpdateProvider replaces a provider's settings and credentials; empty secrets keep the stored ones.
func (s *Service) UpdateProvider(ctx context.Context, a Actor, id int64, in ProviderInput) error {
	if err := in.check(false); err != nil {
		return err
	}
	return s.db.EditProvider(ctx, in.change(id), a)
}

// Provider reads a provider's settings, secrets reduced to whether they are set.
func (s *Service) Provider(ctx context.Context, id int64) (*store.ProviderSettings, error) {
	return s.db.ProviderSettingsByID(ctx, id)
}

// SetWriteGate opens or closes a provider's write gate.
func (s *Service) SetWriteGate(ctx context.Context, a Actor, id int64, enabled bool) error {
	return s.db.SetWriteEnabled(ctx, id, enabled, a.Name)
}

// ImportPlans reads the carrier's plan catalogue (GET /api/m2m/v1/plans/{account}) into
// ThingSpaceCarrierRatePlan. Prices and network types an admin set are kept; new plans come
// with neither, and serve no network type until an admin says which.
func (s *Service) ImportPlans(ctx context.Context, a Actor, providerID int64) (added, updated int, err error) {
	c, err := s.client(ctx, providerID)
	if err != nil {
		return 0, 0, err
	}
	plans, err := c.Plans(ctx)
	if err != nil {
		return 0, 0, carrierError("reading the plan catalogue", err)
	}
	in := make([]store.PlanImport, 0, len(plans))
	for _, p := range plans {
		if p.Code == "" {
			continue
		}
		in = append(in, store.PlanImport{Code: p.Code, Name: p.Name, CarrierServicePlanCode: p.CarrierServicePlanCode,
			PlanMB: float64(p.SizeKb) / 1024})
	}
	return s.db.ImportCarrierPlans(ctx, providerID, in, a)
}

// Plans lists a provider's plans with their prices and network types.
func (s *Service) Plans(ctx context.Context, providerID int64) ([]store.CarrierPlan, error) {
	return s.db.AllCarrierPlans(ctx, providerID)
}

// SetPlanPricing sets a plan's monthly price and the network types it serves.
func (s *Service) SetPlanPricing(ctx context.Context, a Actor, planID int64, monthly float64, networks []string) error {
	if monthly < 0 || monthly > 100000 {
		return apperr.E(apperr.Invalid, "the monthly price must be between 0 and 100,000")
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range networks {
		n = strings.TrimSpace(n)
		if !slices.Contains(change.NetworkTypes, n) {
			return apperr.E(apperr.Invalid, "%q is not a network type (one of %s)", n, strings.Join(change.NetworkTypes, ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return s.db.SetPlanPricing(ctx, planID, monthly, out, a)
}

// client builds a carrier client from a provider's stored credentials.
func (s *Service) client(ctx context.Context, providerID int64) (*thingspace.Client, error) {
	c, err := s.db.ThingSpaceCredentials(ctx, providerID)
	if err != nil {
		return nil, err
	}
	return NewClient(c, s.HTTPClient, 0, s.limiter(providerID))
}

// limiter is the provider's carrier limiter, or nil without one (a provider not yet saved).
func (s *Service) limiter(providerID int64) thingspace.Limiter {
	if s.Limit == nil || providerID == 0 {
		return nil
	}
	return s.Limit(providerID)
}

// NewClient builds a ThingSpace client from stored credentials. pageSize 0 is the client's
// default page size; lim, when not nil, paces its calls (Service.Limit).
func NewClient(c *store.Credentials, hc *http.Client, pageSize int, lim thingspace.Limiter) (*thingspace.Client, error) {
	cl, err := thingspace.New(thingspace.Config{BaseURL: c.BaseURL, TokenURL: c.AuthTokenURL, LoginPath: c.AuthURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Username: c.Username, Password: c.Password,
		AccountName: c.AccountNumber, ServiceType: c.ServiceType, HTTPClient: hc, ListPageSize: pageSize,
		ListPageSizeLimit: pageSize, Limiter: lim})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "the provider's credentials are incomplete: %v", err)
	}
	return cl, nil
}

// carrierError turns a carrier failure into an apperr error whose message is the carrier's
// answer in words.
func carrierError(doing string, err error) error {
	msg := Explain(err)
	code := apperr.Unavailable
	switch thingspace.ClassOf(err) {
	case thingspace.ClassUnauthorized:
		code = apperr.Invalid
	case thingspace.ClassInvalid, thingspace.ClassNotFound:
		code = apperr.Invalid
	}
	return apperr.Wrap(err, code, "%s: %s", doing, msg)
}

// Explain says in words what the carrier answered.
func Explain(err error) string {
	var ae *thingspace.APIError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	var b strings.Builder
	switch ae.Class {
	case thingspace.ClassUnauthorized:
		b.WriteString("the carrier refused the credentials")
	case thingspace.ClassThrottled:
		b.WriteString("the carrier asks to slow down (too many requests)")
	case thingspace.ClassUnavailable:
		if ae.HTTPStatus == 0 {
			b.WriteString("the carrier did not answer")
		} else {
			b.WriteString("the carrier is unavailable")
		}
	case thingspace.ClassInvalid:
		b.WriteString("the carrier refused the request")
	case thingspace.ClassNotFound:
		b.WriteString("the carrier does not know it")
	default:
		b.WriteString("the carrier answered with an error")
	}
	if ae.HTTPStatus != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(http.StatusText(ae.HTTPStatus))
		b.WriteString(")")
	}
	if ae.Code != "" {
		b.WriteString(": ")
		b.WriteString(ae.Code)
	}
	if ae.Message != "" {
		b.WriteString(": ")
		b.WriteString(ae.Message)
	}
	if ae.Err != nil && ae.HTTPStatus == 0 {
		b.WriteString(": ")
		b.WriteString(ae.Err.Error())
	}
	return b.String()
}
