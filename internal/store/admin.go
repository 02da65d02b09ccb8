package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
)

// Actor is who does an administrative action, as the audit event records them.
type Actor struct {
	UserID     *int64
	Name       string // e-mail address, or the command that acted ("idswap tenant create")
	RemoteAddr string
}

// audit writes an audit event of this actor inside t.
func (a Actor) audit(ctx context.Context, t *tx, action AuditAction, entity string, id int64, tenantID *int64, details any) error {
	return insertAudit(ctx, t, AuditEvent{TenantID: tenantID, UserID: a.UserID, Actor: a.Name, Action: action,
		EntityType: entity, EntityID: fmt.Sprint(id), Details: details, RemoteAddr: a.RemoteAddr})
}

// The administrative actions (issue 10). Details never hold a secret: a changed secret is
// recorded by name only.
const (
	ActionTenantCreate     AuditAction = "tenant.create"
	ActionTenantRename     AuditAction = "tenant.rename"
	ActionTenantActive     AuditAction = "tenant.active"
	ActionUserCreate       AuditAction = "user.create"
	ActionUserActive       AuditAction = "user.active"
	ActionUserPassword     AuditAction = "user.password"
	ActionProviderCreate   AuditAction = "provider.create"
	ActionProviderUpdate   AuditAction = "provider.update"
	ActionPlansImport      AuditAction = "plans.import"
	ActionPlanPricing      AuditAction = "plan.pricing"
	ActionDeviceModelsAdd  AuditAction = "device_models.add"
	ActionAssignmentRule   AuditAction = "assignment_rule.change"
	ActionInventoryAssign  AuditAction = "inventory.assign"
	ActionInventorySync    AuditAction = "inventory.sync"
	ActionInventorySyncReq AuditAction = "inventory.sync_request"
)

// NameDetails are the details of a create or rename: the name before (if any) and after.
type NameDetails struct {
	From string `json:"from,omitempty"`
	Name string `json:"name"`
}

// ActiveDetails are the details of ActionTenantActive and ActionUserActive.
type ActiveDetails struct {
	IsActive bool `json:"IsActive"`
}

// UserCreateDetails are the details of ActionUserCreate.
type UserCreateDetails struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	TenantID *int64 `json:"tenant_id,omitempty"`
}

// PasswordDetails are the details of ActionUserPassword: whose password and how, never the password.
type PasswordDetails struct {
	Own bool `json:"own"` // the user changed their own; false: an admin reset it
}

// ProviderDetails are the details of ActionProviderCreate and ActionProviderUpdate: the fields
// set, secrets by name only ("ClientSecret" when a new one was given).
type ProviderDetails struct {
	Name    string   `json:"name"`
	Changed []string `json:"changed"`
}

// PlansImportDetails are the details of ActionPlansImport.
type PlansImportDetails struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
}

// PlanPricingDetails are the details of ActionPlanPricing.
type PlanPricingDetails struct {
	Code         string   `json:"code"`
	MonthlyRate  float64  `json:"monthly_rate"`
	NetworkTypes []string `json:"network_types"`
}

// CountDetails are details that are a count of rows.
type CountDetails struct {
	Rows int `json:"rows"`
}

// AssignDetails are the details of ActionInventoryAssign.
type AssignDetails struct {
	Provider int64 `json:"provider"`
	Lines    int   `json:"lines"`
	Moved    int   `json:"moved"`
}

// RuleDetails are the details of ActionAssignmentRule.
type RuleDetails struct {
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Value   string `json:"value,omitempty"`
	Tenant  int64  `json:"tenant"`
	Deleted bool   `json:"deleted,omitempty"`
}

// TenantRow is a tenant as the admin console lists it, inactive ones included.
type TenantRow struct {
	ID       int64  `db:"Id"`
	Name     string `db:"Name"`
	IsActive bool   `db:"IsActive"`
	Devices  int    `db:"Devices"`
	Users    int    `db:"Users"`
	// ManagersMayMarkUrgent: see Tenant.
	ManagersMayMarkUrgent bool `db:"ManagersMayMarkUrgent"`
}

// AllTenants lists every tenant, active or not, with its device and user counts.
func (db *DB) AllTenants(ctx context.Context) ([]TenantRow, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []TenantRow
	err = t.sel(ctx, &out, `SELECT tn.Id, tn.Name, tn.IsActive, tn.ManagersMayMarkUrgent,
		(SELECT COUNT(*) FROM Device d WHERE d.TenantId = tn.Id AND d.IsDeleted = 0) AS Devices,
		(SELECT COUNT(*) FROM AppUser u WHERE u.TenantId = tn.Id AND u.IsDeleted = 0) AS Users
		FROM Tenant tn WHERE tn.IsDeleted = 0 ORDER BY tn.Name`)
	return out, err
}

// TenantByName finds a tenant by name, letter case ignored, active or not.
func (db *DB) TenantByName(ctx context.Context, name string) (*TenantRow, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var tn TenantRow
	err = t.get(ctx, &tn, `SELECT Id, Name, IsActive, ManagersMayMarkUrgent, 0 AS Devices, 0 AS Users FROM Tenant
		WHERE LOWER(Name) = ? AND IsDeleted = 0`, strings.ToLower(strings.TrimSpace(name)))
	if err != nil {
		return nil, notFound(err, "no tenant named %q", name)
	}
	return &tn, nil
}

func tenantNameTaken(ctx context.Context, t *tx, name string, except int64) error {
	var n int
	if err := t.get(ctx, &n, `SELECT COUNT(*) FROM Tenant WHERE LOWER(Name) = ? AND Id <> ?`, strings.ToLower(name), except); err != nil {
		return err
	}
	if n > 0 {
		return apperr.E(apperr.Conflict, "a tenant named %q already exists", name)
	}
	return nil
}

// AddTenant creates a tenant and records who did it. A name another tenant has (in any letter
// case) is a Conflict.
func (db *DB) AddTenant(ctx context.Context, name string, a Actor) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	if err := tenantNameTaken(ctx, t, name, 0); err != nil {
		return 0, err
	}
	id, err := t.insert(ctx, "Tenant", []string{"Name", "CreatedBy", "CreatedDate"}, name, a.Name, t.now)
	if err != nil {
		return 0, err
	}
	if err := a.audit(ctx, t, ActionTenantCreate, "Tenant", id, &id, NameDetails{Name: name}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// RenameTenant renames a tenant.
func (db *DB) RenameTenant(ctx context.Context, id int64, name string, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var old string
	if err := t.get(ctx, &old, `SELECT Name FROM Tenant WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
		return notFound(err, "no tenant %d", id)
	}
	if err := tenantNameTaken(ctx, t, name, id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE Tenant SET Name = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`, name, a.Name, t.now, id); err != nil {
		return err
	}
	if err := a.audit(ctx, t, ActionTenantRename, "Tenant", id, &id, NameDetails{From: old, Name: name}); err != nil {
		return err
	}
	return t.Commit()
}

// SetTenantActive deactivates (or reactivates) a tenant. It takes the tenant out of the active
// lists and refuses new users and assignments in it; its managers are disabled separately
// (SetUserActive) — the session and token checks do not read the tenant yet.
func (db *DB) SetTenantActive(ctx context.Context, id int64, active bool, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE Tenant SET IsActive = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ? AND IsDeleted = 0`,
		active, a.Name, t.now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "no tenant %d", id)
	}
	if err := a.audit(ctx, t, ActionTenantActive, "Tenant", id, &id, ActiveDetails{IsActive: active}); err != nil {
		return err
	}
	return t.Commit()
}

// AddUser creates a user (see CreateUser for the checks) and records who did it.
func (db *DB) AddUser(ctx context.Context, nu NewUser, a Actor) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	if nu.TenantID != nil {
		var active bool
		if err := t.get(ctx, &active, `SELECT IsActive FROM Tenant WHERE Id = ? AND IsDeleted = 0`, *nu.TenantID); err != nil {
			return 0, notFound(err, "no tenant %d", *nu.TenantID)
		}
		if !active {
			return 0, apperr.E(apperr.Invalid, "tenant %d is deactivated: reactivate it before adding users", *nu.TenantID)
		}
	}
	id, err := createUser(ctx, t, nu, a.Name)
	if err != nil {
		return 0, err
	}
	if err := a.audit(ctx, t, ActionUserCreate, "AppUser", id, nu.TenantID,
		UserCreateDetails{Email: NormalizeEmail(nu.Email), Role: nu.Role, TenantID: nu.TenantID}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// SetUserActive disables (or re-enables) a user. A disabled user's session and tokens stop
// working at their next request: the session and token lookups read IsActive every time.
func (db *DB) SetUserActive(ctx context.Context, id int64, active bool, a Actor) error {
	end := "" // a disabled user can do nothing from this moment: their sessions end with it
	if !active {
		end = SessionEndDisabled
	}
	return db.updateUser(ctx, id, a, ActionUserActive, ActiveDetails{IsActive: active}, end, `IsActive = ?`, active)
}

// ChangePassword replaces a user's password hash and records it (never the password).
func (db *DB) ChangePassword(ctx context.Context, id int64, hash string, own bool, a Actor) error {
	// A new password ends every session the old one opened, the changer's own included: a
	// session stolen before the change must not outlive it.
	return db.updateUser(ctx, id, a, ActionUserPassword, PasswordDetails{Own: own}, SessionEndPassword,
		`PasswordHash = ?, FailedLoginCount = 0`, hash)
}

// updateUser makes one change to a live user in one transaction: the UPDATE (set, with its
// args, and who and when), the audit record under the user's tenant and, when endReason is not
// empty, the end of every session the user has open, so none outlives the change.
func (db *DB) updateUser(ctx context.Context, id int64, a Actor, action AuditAction, details any, endReason, set string, args ...any) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var tenant *int64
	if err := t.get(ctx, &tenant, `SELECT TenantId FROM AppUser WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
		return notFound(err, "no user %d", id)
	}
	args = append(args, a.Name, t.now, id)
	if _, err := t.exec(ctx, `UPDATE AppUser SET `+set+`, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`, args...); err != nil {
		return err
	}
	if err := a.audit(ctx, t, action, "AppUser", id, tenant, details); err != nil {
		return err
	}
	if endReason != "" {
		if _, err := endSessionsOf(ctx, t, id, endReason); err != nil {
			return err
		}
	}
	return t.Commit()
}

// ProviderSettings is a provider with its credentials as an admin may see them: every secret
// reduced to whether it is set.
type ProviderSettings struct {
	Provider
	IsActive          bool
	BaseURL           string
	AccountName       string
	ClientID          string
	Username          string
	WriteIsEnabled    bool
	ServiceType       string
	HasClientSecret   bool
	HasPassword       bool
	HasCredentials    bool
	CredentialsEdited *time.Time
}

// ProviderSettingsByID reads a provider and its credentials without opening any secret.
func (db *DB) ProviderSettingsByID(ctx context.Context, id int64) (*ProviderSettings, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var p struct {
		Provider
		IsActive bool `db:"IsActive"`
	}
	if err := t.get(ctx, &p, `SELECT `+providerColumns+`, IsActive FROM ServiceProvider WHERE Id = ? AND IsDeleted = 0`, id); err != nil {
		return nil, notFound(err, "no service provider %d", id)
	}
	s := &ProviderSettings{Provider: p.Provider, IsActive: p.IsActive}
	var c []struct {
		BaseURL      string     `db:"BaseUrl"`
		Account      string     `db:"AccountNumber"`
		ClientID     string     `db:"ClientId"`
		Username     string     `db:"Username"`
		Write        bool       `db:"WriteIsEnabled"`
		ServiceType  string     `db:"ServiceType"`
		Secret       string     `db:"ClientSecret"`
		Password     string     `db:"Password"`
		ModifiedDate *time.Time `db:"ModifiedDate"`
	}
	if err := t.sel(ctx, &c, `SELECT BaseUrl, AccountNumber, ClientId, Username, WriteIsEnabled, ServiceType,
		ClientSecret, Password, ModifiedDate FROM ThingSpaceAuthentication WHERE ServiceProviderId = ? AND IsDeleted = 0`, id); err != nil {
		return nil, err
	}
	if len(c) > 0 {
		s.HasCredentials = true
		s.BaseURL, s.AccountName, s.ClientID, s.Username = c[0].BaseURL, c[0].Account, c[0].ClientID, c[0].Username
		s.WriteIsEnabled, s.ServiceType = c[0].Write, c[0].ServiceType
		s.HasClientSecret, s.HasPassword = c[0].Secret != "", c[0].Password != ""
		s.CredentialsEdited = c[0].ModifiedDate
	}
	return s, nil
}

// ProviderChange creates or edits a provider with its credentials. Empty ClientSecret and
// Password on an edit keep the stored ones (secrets are write-only: the console never shows
// them, so an empty field means "unchanged").
type ProviderChange struct {
	Provider    Provider
	Credentials Credentials
	Changed     []string // field names for the audit event, secrets by name only
}

// AddProvider creates a provider and its credentials in one transaction.
func (db *DB) AddProvider(ctx context.Context, pc ProviderChange, a Actor) (int64, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var n int
	if err := t.get(ctx, &n, `SELECT COUNT(*) FROM ServiceProvider WHERE LOWER(Name) = ? AND IsDeleted = 0`,
		strings.ToLower(pc.Provider.Name)); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, apperr.E(apperr.Conflict, "a service provider named %q already exists", pc.Provider.Name)
	}
	id, err := createProvider(ctx, t, pc.Provider, a.Name)
	if err != nil {
		return 0, err
	}
	c := pc.Credentials
	c.ServiceProviderID = id
	if err := putCredentials(ctx, t, c, a.Name); err != nil {
		return 0, err
	}
	if err := a.audit(ctx, t, ActionProviderCreate, "ServiceProvider", id, nil,
		ProviderDetails{Name: pc.Provider.Name, Changed: pc.Changed}); err != nil {
		return 0, err
	}
	return id, t.Commit()
}

// EditProvider replaces a provider's settings and credentials, keeping stored secrets that the
// change leaves empty.
func (db *DB) EditProvider(ctx context.Context, pc ProviderChange, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	p := pc.Provider
	res, err := t.exec(ctx, `UPDATE ServiceProvider SET Name = ?, DisplayName = ?, NotificationEmail = ?, FromEmail = ?,
		RegisterCarrierServiceCallBack = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ? AND IsDeleted = 0`,
		p.Name, p.DisplayName, nullIfEmpty(p.NotificationEmail), nullIfEmpty(p.FromEmail), p.RegisterCallback, a.Name, t.now, p.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.E(apperr.NotFound, "no service provider %d", p.ID)
	}
	c := pc.Credentials
	c.ServiceProviderID = p.ID
	if c.ClientSecret == "" || c.Password == "" || c.CallbackSecret == "" {
		old, err := t.db.ThingSpaceCredentials(ctx, p.ID)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
		if old != nil {
			if c.ClientSecret == "" {
				c.ClientSecret = old.ClientSecret
			}
			if c.Password == "" {
				c.Password = old.Password
			}
			if c.CallbackSecret == "" {
				c.CallbackSecret = old.CallbackSecret
			}
		}
	}
	if c.ClientSecret == "" || c.Password == "" {
		return apperr.E(apperr.Invalid, "the client secret and the UWS password are required")
	}
	if err := putCredentials(ctx, t, c, a.Name); err != nil {
		return err
	}
	if err := a.audit(ctx, t, ActionProviderUpdate, "ServiceProvider", p.ID, nil,
		ProviderDetails{Name: p.Name, Changed: pc.Changed}); err != nil {
		return err
	}
	return t.Commit()
}

// PlanImport is one plan of the carrier's catalogue as GET /plans/{account} lists it.
type PlanImport struct {
	Code, Name, CarrierServicePlanCode string
	PlanMB                             float64
}

// ImportCarrierPlans brings ThingSpaceCarrierRatePlan in line with the carrier's catalogue:
// new plans added (price 0, no network type until an admin sets them), names and sizes of
// known ones updated. Prices and network types set by an admin are kept.
func (db *DB) ImportCarrierPlans(ctx context.Context, providerID int64, plans []PlanImport, a Actor) (added, updated int, err error) {
	t, err := db.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer t.Rollback()
	var have []struct {
		ID   int64   `db:"Id"`
		Code string  `db:"RatePlanCode"`
		Name string  `db:"RatePlanName"`
		CSP  string  `db:"CarrierServicePlanCode"`
		MB   float64 `db:"PlanMB"`
	}
	if err := t.sel(ctx, &have, `SELECT Id, RatePlanCode, RatePlanName, CarrierServicePlanCode, PlanMB
		FROM ThingSpaceCarrierRatePlan WHERE ServiceProviderId = ?`, providerID); err != nil {
		return 0, 0, err
	}
	byCode := map[string]int{}
	for i, h := range have {
		byCode[h.Code] = i
	}
	for _, p := range plans {
		i, ok := byCode[p.Code]
		if !ok {
			if _, err := t.insert(ctx, "ThingSpaceCarrierRatePlan",
				[]string{"ServiceProviderId", "RatePlanCode", "RatePlanName", "RatePlanShortName", "CarrierServicePlanCode",
					"PlanMB", "BaseRate", "CreatedBy", "CreatedDate"},
				providerID, p.Code, p.Name, p.Code, p.CarrierServicePlanCode, p.PlanMB, 0, a.Name, t.now); err != nil {
				return 0, 0, err
			}
			added++
			continue
		}
		h := have[i]
		if h.Name == p.Name && h.CSP == p.CarrierServicePlanCode && h.MB == p.PlanMB {
			continue
		}
		if _, err := t.exec(ctx, `UPDATE ThingSpaceCarrierRatePlan SET RatePlanName = ?, CarrierServicePlanCode = ?, PlanMB = ?,
			IsActive = 1, IsDeleted = 0, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`,
			p.Name, p.CarrierServicePlanCode, p.PlanMB, a.Name, t.now, h.ID); err != nil {
			return 0, 0, err
		}
		updated++
	}
	if err := a.audit(ctx, t, ActionPlansImport, "ServiceProvider", providerID, nil,
		PlansImportDetails{Added: added, Updated: updated}); err != nil {
		return 0, 0, err
	}
	return added, updated, t.Commit()
}

// AllCarrierPlans lists every plan of a provider, priced or not (CarrierPlans lists the active
// ones a request may use).
func (db *DB) AllCarrierPlans(ctx context.Context, providerID int64) ([]CarrierPlan, error) {
	return db.CarrierPlans(ctx, providerID)
}

// SetPlanPricing sets a plan's monthly price and the network types it serves.
func (db *DB) SetPlanPricing(ctx context.Context, planID int64, monthly float64, networks []string, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var code string
	if err := t.get(ctx, &code, `SELECT RatePlanCode FROM ThingSpaceCarrierRatePlan WHERE Id = ? AND IsDeleted = 0`, planID); err != nil {
		return notFound(err, "no carrier plan %d", planID)
	}
	if _, err := t.exec(ctx, `UPDATE ThingSpaceCarrierRatePlan SET BaseRate = ?, ModifiedBy = ?, ModifiedDate = ? WHERE Id = ?`,
		monthly, a.Name, t.now, planID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM CarrierRatePlanNetworkType WHERE CarrierRatePlanId = ?`, planID); err != nil {
		return err
	}
	for _, n := range networks {
		if _, err := t.exec(ctx, `INSERT INTO CarrierRatePlanNetworkType (CarrierRatePlanId, NetworkType) VALUES (?, ?)`, planID, n); err != nil {
			return err
		}
	}
	if err := a.audit(ctx, t, ActionPlanPricing, "ThingSpaceCarrierRatePlan", planID, nil,
		PlanPricingDetails{Code: code, MonthlyRate: monthly, NetworkTypes: networks}); err != nil {
		return err
	}
	return t.Commit()
}

// NewDeviceModel is one TAC or IMEI range to add to IMEI_DeviceType_CarrierRatePlan.
type NewDeviceModel struct {
	Manufacturer, Model, FromIMEI, ToIMEI, NetworkType string
}

// AddDeviceModels stores checked ranges in one transaction. A range that overlaps a stored one
// is refused, and then none is stored.
func (db *DB) AddDeviceModels(ctx context.Context, ms []NewDeviceModel, a Actor) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	rows := make([][]any, 0, len(ms))
	for i, m := range ms {
		var n int
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM IMEI_DeviceType_CarrierRatePlan
			WHERE IsActive = 1 AND FromIMEI <= ? AND ToIMEI >= ?`, m.ToIMEI, m.FromIMEI); err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "row %d: the range %s–%s overlaps a stored device model", i+1, m.FromIMEI, m.ToIMEI)
		}
		rows = append(rows, []any{m.Manufacturer, m.Model, m.FromIMEI, m.ToIMEI, "Module", m.Manufacturer + " " + m.Model,
			m.Manufacturer + " " + m.Model, m.NetworkType, a.Name, t.now})
	}
	if err := insertMany(ctx, t, "IMEI_DeviceType_CarrierRatePlan",
		[]string{"Manufacturer", "Model", "FromIMEI", "ToIMEI", "DeviceType", "DeviceCommonName", "DeviceMarketingName",
			"NetworkType", "CreatedBy", "CreatedDate"}, rows); err != nil {
		return err
	}
	if err := a.audit(ctx, t, ActionDeviceModelsAdd, "IMEI_DeviceType_CarrierRatePlan", 0, nil, CountDetails{Rows: len(ms)}); err != nil {
		return err
	}
	return t.Commit()
}
