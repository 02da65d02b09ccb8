package demo

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

// SetupOptions are what Setup needs besides the world.
type SetupOptions struct {
	BaseURL        string // where the simulator listens
	Password       string // every demo user's password
	CallbackSecret string // the secret part of the provider's callback URL; generated when empty
	HTTPClient     *http.Client
	// Limit, when set, paces the set-up's carrier calls (the sync's pages, the plan import)
	// with the deployment's carrier limiter, so they count against IDSWAP_CARRIER_RATE too.
	Limit func(providerID int64) thingspace.Limiter
}

// SetupActor is who the demo's set-up is audited as.
const SetupActor = "idswap demo"

// Setup builds idswap's side of the demo world in db the way an admin does, through the same
// services: tenants, users, the provider with its credentials, the plan catalogue imported
// from the carrier with prices and network types, the device models from a TAC CSV (previewed,
// then stored), one assignment rule per tenant's device group, and a sync of the inventory.
//
// It is safe to run again after it stopped halfway (a killed first start): each step finds
// what an earlier run made and goes on from there, and the sync adds nothing twice. A world
// whose sync has succeeded once is left as it is. It returns the provider's id and whether it
// did any work.
func Setup(ctx context.Context, db *store.DB, w World, o SetupOptions) (providerID int64, built bool, err error) {
	a := store.Actor{Name: SetupActor}
	on := onboard.New(db)
	inv := inventory.New(db)
	inv.HTTPClient = o.HTTPClient
	on.Limit, inv.Limit = o.Limit, o.Limit

	pid, err := findProvider(ctx, db)
	if err != nil {
		return 0, false, err
	}
	if pid != 0 {
		if done, err := synced(ctx, db, pid); err != nil || done {
			return pid, false, err
		}
	}

	tenants, err := setupPeople(ctx, db, on, a, w, o.Password)
	if err != nil {
		return 0, false, err
	}
	if pid == 0 {
		pid, err = on.CreateProvider(ctx, a, onboard.ProviderInput{Name: ProviderName, BaseURL: o.BaseURL, AccountName: AccountName,
			ClientID: ClientID, ClientSecret: ClientSecret, UWSUser: UWSUsername, UWSPassword: UWSPassword,
			NotificationEmail: "iot-ops@demo.idswap", FromEmail: "idswap@demo.idswap", RegisterCallbacks: true,
			WritesEnabled: true, ServiceType: "4G", CallbackSecret: o.CallbackSecret})
		if err != nil {
			return 0, false, fmt.Errorf("demo provider: %w", err)
		}
	} else if err := db.SetBaseURL(ctx, pid, o.BaseURL, SetupActor); err != nil {
		return 0, false, err
	}

	if err := setupPlans(ctx, on, a, pid, w.Plans); err != nil {
		return 0, false, err
	}

	models, err := db.DeviceModels(ctx)
	if err != nil {
		return 0, false, err
	}
	if len(models) == 0 {
		preview, err := onboard.PreviewDeviceModels(strings.NewReader(w.TACCSV))
		if err != nil {
			return 0, false, fmt.Errorf("demo device models: %w", err)
		}
		if _, err := on.StoreDeviceModels(ctx, a, preview); err != nil {
			return 0, false, fmt.Errorf("demo device models: %w", err)
		}
	}

	if err := setupRules(ctx, inv, a, pid, w.Tenants, tenants); err != nil {
		return 0, false, err
	}

	if _, err := inv.Sync(ctx, pid, inventory.Options{By: SetupActor}); err != nil {
		return 0, false, fmt.Errorf("demo inventory sync: %w", err)
	}
	return pid, true, nil
}

// setupPeople finds or creates the demo's tenants and users (who share one password) and
// returns the tenants' ids by name.
func setupPeople(ctx context.Context, db *store.DB, on *onboard.Service, a store.Actor, w World, password string) (map[string]int64, error) {
	// One hash for every demo user, as they share one password.
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, fmt.Errorf("demo password: %w", err)
	}
	tenants := map[string]int64{}
	for _, t := range w.Tenants {
		id, err := findOrCreate(func() (int64, error) {
			row, err := on.TenantByName(ctx, t.Name)
			if err != nil {
				return 0, err
			}
			return row.ID, nil
		}, func() (int64, error) { return on.CreateTenant(ctx, a, t.Name) })
		if err != nil {
			return nil, fmt.Errorf("demo tenant %s: %w", t.Name, err)
		}
		tenants[t.Name] = id
	}
	for _, u := range w.Users {
		_, err := findOrCreate(func() (int64, error) {
			got, err := db.UserByEmail(ctx, u.Email)
			if err != nil {
				return 0, err
			}
			return got.ID, nil
		}, func() (int64, error) {
			return on.CreateUser(ctx, a, onboard.NewUser{Email: u.Email, DisplayName: u.DisplayName, Role: u.Role,
				PasswordHash: hash, TenantID: tenants[u.Tenant]})
		})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", u.Email, err)
		}
	}
	return tenants, nil
}

// setupPlans imports the carrier's plan catalogue for the provider and prices the demo's plans.
func setupPlans(ctx context.Context, on *onboard.Service, a store.Actor, pid int64, plans []Plan) error {
	if _, _, err := on.ImportPlans(ctx, a, pid); err != nil {
		return fmt.Errorf("demo plans: %w", err)
	}
	stored, err := on.Plans(ctx, pid)
	if err != nil {
		return err
	}
	for _, p := range plans {
		i := slices.IndexFunc(stored, func(s store.CarrierPlan) bool { return s.Code == p.Code })
		if i < 0 {
			return fmt.Errorf("demo plans: the carrier's catalogue has no plan %s", p.Code)
		}
		if err := on.SetPlanPricing(ctx, a, stored[i].ID, p.MonthlyRate, p.NetworkTypes); err != nil {
			return fmt.Errorf("demo plan %s: %w", p.Code, err)
		}
	}
	return nil
}

// setupRules gives each demo tenant the assignment rule for its device group, unless it has it.
func setupRules(ctx context.Context, inv *inventory.Service, a store.Actor, pid int64, ts []Tenant, tenants map[string]int64) error {
	rules, err := inv.Rules(ctx, pid)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if slices.ContainsFunc(rules, func(r store.AssignmentRule) bool { return r.Kind == store.RuleGroup && r.FieldValue == t.Group }) {
			continue
		}
		if _, err := inv.AddRule(ctx, a, store.AssignmentRule{ProviderID: pid, Kind: store.RuleGroup, FieldValue: t.Group,
			TenantID: tenants[t.Name]}); err != nil {
			return fmt.Errorf("demo rule for group %s: %w", t.Group, err)
		}
	}
	return nil
}

// Exists reports whether db holds a demo world, whole or begun (a demo tenant exists). When it
// does not, the simulator must start from the demo's seed, not from the carrier state an
// earlier database left.
func Exists(ctx context.Context, db *store.DB) (bool, error) {
	_, err := db.TenantByName(ctx, TenantAcme)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// findProvider returns the demo provider's id, 0 when there is none yet.
func findProvider(ctx context.Context, db *store.DB) (int64, error) {
	ps, err := db.Providers(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		if p.Name == ProviderName {
			return p.ID, nil
		}
	}
	return 0, nil
}

// synced reports whether a sync of the provider has succeeded: the demo's set-up is done.
func synced(ctx context.Context, db *store.DB, pid int64) (bool, error) {
	runs, err := db.SyncRuns(ctx, pid, 100)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(runs, func(r store.SyncRun) bool { return r.Status == store.SyncSucceeded }), nil
}

// findOrCreate returns what find finds, or what create makes when find finds nothing.
func findOrCreate(find, create func() (int64, error)) (int64, error) {
	id, err := find()
	if err == nil {
		return id, nil
	}
	if !apperr.Is(err, apperr.NotFound) {
		return 0, err
	}
	return create()
}
