package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/idswap/idswap/internal/apperr"
)

// Provider is a carrier account (table ServiceProvider).
type Provider struct {
	ID                int64  `db:"Id"`
	Name              string `db:"Name"`
	DisplayName       string `db:"DisplayName"`
	IntegrationID     int    `db:"IntegrationId"`
	NotificationEmail string `db:"NotificationEmail"`
	FromEmail         string `db:"FromEmail"`
	RegisterCallback  bool   `db:"RegisterCarrierServiceCallBack"`
}

// IntegrationThingSpace is the Integration row of Verizon ThingSpace.
const IntegrationThingSpace = 2

const providerColumns = `Id, Name, DisplayName, IntegrationId, COALESCE(NotificationEmail, '') AS NotificationEmail,
	COALESCE(FromEmail, '') AS FromEmail, RegisterCarrierServiceCallBack`

// Providers lists the active service providers.
func (db *DB) Providers(ctx context.Context) ([]Provider, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var ps []Provider
	err = t.sel(ctx, &ps, `SELECT `+providerColumns+` FROM ServiceProvider WHERE IsDeleted = 0 AND IsActive = 1 ORDER BY DisplayName`)
	return ps, err
}

// ProviderByID finds a provider.
func (db *DB) ProviderByID(ctx context.Context, id int64) (*Provider, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var p Provider
	if err := t.get(ctx, &p, `SELECT `+providerColumns+` FROM ServiceProvider WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
		return nil, notFound(err, "no service provider %d", id)
	}
	return &p, nil
}

// CreateProvider adds a ThingSpace service provider.
func (db *DB) CreateProvider(ctx context.Context, p Provider, by string) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	id, err := createProvider(ctx, t, p, by)
	if err != nil {
		return 0, err
	}
	return id, t.Commit()
}

func createProvider(ctx context.Context, t *tx, p Provider, by string) (int64, error) {
	if p.IntegrationID == 0 {
		p.IntegrationID = IntegrationThingSpace
	}
	return t.insert(ctx, "ServiceProvider",
		[]string{"Name", "DisplayName", "IntegrationId", "NotificationEmail", "FromEmail", "RegisterCarrierServiceCallBack", "CreatedBy", "CreatedDate"},
		p.Name, p.DisplayName, p.IntegrationID, nullIfEmpty(p.NotificationEmail), nullIfEmpty(p.FromEmail), p.RegisterCallback, by, t.now)
}

// Credentials are one provider's ThingSpace credentials, decrypted (ThingSpaceAuthentication).
type Credentials struct {
	ID                int64
	ServiceProviderID int64
	BaseURL           string
	ClientID          string
	ClientSecret      string
	AuthTokenURL      string // OAuth token endpoint, absolute or relative to BaseURL
	AuthURL           string // M2M session login, relative to BaseURL
	Username          string
	Password          string
	AccountNumber     string // the ThingSpace account name
	WriteIsEnabled    bool
	ServiceType       string // path segment of the change-identifier call
	CallbackSecret    string // the secret part of our callback URL
}

// authRow is the row usp_ThingSpace_Get_AuthenticationByProviderId returns, legacy names and all.
type authRow struct {
	ID             int64   `db:"integrationAuthenticationId"`
	ProviderID     int64   `db:"serviceProviderId"`
	BaseURL        string  `db:"baseUrl"`
	ClientID       string  `db:"clientId"`
	ClientSecret   string  `db:"clientSecret"`
	AuthTokenURL   string  `db:"authTokenUrl"`
	AuthURL        string  `db:"authUrl"`
	Username       string  `db:"username"`
	Password       string  `db:"password"`
	AccountNumber  string  `db:"accountNumber"`
	WriteIsEnabled bool    `db:"writeIsEnabled"`
	ServiceType    string  `db:"serviceType"`
	CallbackSecret *string `db:"callbackSecret"`
}

// ThingSpaceCredentials reads a provider's credentials through
// usp_ThingSpace_Get_AuthenticationByProviderId (its SELECT on SQLite) and decrypts the secrets.
// A provider without credentials is a NotFound error that says so.
func (db *DB) ThingSpaceCredentials(ctx context.Context, providerID int64) (*Credentials, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var r authRow
	if err := t.get(ctx, &r, db.dialect.authByProvider(), providerID); err != nil {
		return nil, notFound(err, "Authentication credentials not found for service provider %d", providerID)
	}
	c := &Credentials{ID: r.ID, ServiceProviderID: r.ProviderID, BaseURL: r.BaseURL, ClientID: r.ClientID,
		AuthTokenURL: r.AuthTokenURL, AuthURL: r.AuthURL, Username: r.Username, AccountNumber: r.AccountNumber,
		WriteIsEnabled: r.WriteIsEnabled, ServiceType: r.ServiceType}
	if c.ClientSecret, err = db.sealer.open(r.ClientSecret); err != nil {
		return nil, fmt.Errorf("open the ClientSecret of provider %d: %w", providerID, err)
	}
	if c.Password, err = db.sealer.open(r.Password); err != nil {
		return nil, fmt.Errorf("open the Password of provider %d: %w", providerID, err)
	}
	if r.CallbackSecret != nil {
		if c.CallbackSecret, err = db.sealer.open(*r.CallbackSecret); err != nil {
			return nil, fmt.Errorf("open the CallbackSecret of provider %d: %w", providerID, err)
		}
	}
	return c, nil
}

// PutThingSpaceCredentials creates or replaces a provider's credentials, sealing the secrets.
func (db *DB) PutThingSpaceCredentials(ctx context.Context, c Credentials, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := putCredentials(ctx, t, c, by); err != nil {
		return err
	}
	return t.Commit()
}

func putCredentials(ctx context.Context, t *tx, c Credentials, by string) error {
	if c.ServiceProviderID == 0 || c.BaseURL == "" || c.ClientID == "" || c.Username == "" {
		return apperr.E(apperr.Invalid, "credentials need a provider, a base URL, a client id and a username")
	}
	s := t.db.sealer
	var secretHash any
	if c.CallbackSecret != "" {
		secretHash = CallbackSecretHash(c.CallbackSecret)
	}
	res, err := t.exec(ctx, `UPDATE ThingSpaceAuthentication SET BaseUrl = ?, ClientId = ?, ClientSecret = ?,
		AuthTokenUrl = ?, AuthUrl = ?, Username = ?, Password = ?, AccountNumber = ?, WriteIsEnabled = ?,
		ServiceType = ?, CallbackSecret = ?, CallbackSecretHash = ?, ModifiedBy = ?, ModifiedDate = ?
		WHERE ServiceProviderId = ? AND IsDeleted = 0`,
		c.BaseURL, c.ClientID, s.seal(c.ClientSecret), c.AuthTokenURL, c.AuthURL, c.Username, s.seal(c.Password),
		c.AccountNumber, c.WriteIsEnabled, c.ServiceType, nullIfEmpty(s.seal(c.CallbackSecret)), secretHash, by, t.now,
		c.ServiceProviderID)
	if err != nil {
		return fmt.Errorf("store: update credentials: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.insert(ctx, "ThingSpaceAuthentication",
		[]string{"ServiceProviderId", "BaseUrl", "ClientId", "ClientSecret", "AuthTokenUrl", "AuthUrl", "Username",
			"Password", "AccountNumber", "WriteIsEnabled", "ServiceType", "CallbackSecret", "CallbackSecretHash", "CreatedBy", "CreatedDate"},
		c.ServiceProviderID, c.BaseURL, c.ClientID, s.seal(c.ClientSecret), c.AuthTokenURL, c.AuthURL, c.Username,
		s.seal(c.Password), c.AccountNumber, c.WriteIsEnabled, c.ServiceType, nullIfEmpty(s.seal(c.CallbackSecret)), secretHash, by, t.now)
	return err
}

// CallbackSecretHash is how a callback URL's secret is looked up without storing it in clear.
func CallbackSecretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ProviderIDByCallbackSecret finds the provider whose callback URL carries this secret.
func (db *DB) ProviderIDByCallbackSecret(ctx context.Context, secret string) (int64, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var id int64
	err = t.get(ctx, &id, `SELECT ServiceProviderId FROM ThingSpaceAuthentication
		WHERE CallbackSecretHash = ? AND IsDeleted = 0`, asciiKey(CallbackSecretHash(secret)))
	if err != nil {
		return 0, notFound(err, "unknown callback URL")
	}
	return id, nil
}

// SetBaseURL points a provider's credentials at another ThingSpace host (the demo's simulator
// listens on a new port on each start).
func (db *DB) SetBaseURL(ctx context.Context, providerID int64, baseURL, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE ThingSpaceAuthentication SET BaseUrl = ?, ModifiedBy = ?, ModifiedDate = ?
		WHERE ServiceProviderId = ? AND IsDeleted = 0`, baseURL, by, t.now, providerID); err != nil {
		return err
	}
	return t.Commit()
}

// SetWriteEnabled opens or closes a provider's write gate (WriteIsEnabled).
func (db *DB) SetWriteEnabled(ctx context.Context, providerID int64, enabled bool, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE ThingSpaceAuthentication SET WriteIsEnabled = ?, ModifiedBy = ?, ModifiedDate = ?
		WHERE ServiceProviderId = ? AND IsDeleted = 0`, enabled, by, t.now, providerID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "service provider %d has no ThingSpace credentials", providerID)
	}
	if err := insertAudit(ctx, t, AuditEvent{Actor: by, Action: ActionProviderWriteGate,
		EntityType: "ServiceProvider", EntityID: fmt.Sprint(providerID), Details: WriteGateDetails{WriteIsEnabled: enabled}}); err != nil {
		return err
	}
	return t.Commit()
}
