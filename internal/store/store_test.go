package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/store"
)

// fixture is a small world: two tenants, a provider with credentials, a plan and devices.
type fixture struct {
	acme, globex int64
	provider     int64
	plan         string
}

func mustSeed(t *testing.T, db *store.DB) fixture {
	t.Helper()
	return mustSeedDevices(t, db, 20, 10)
}

// mustSeedDevices is mustSeed with acme devices for Acme (the 20th suspended) and globex for
// Globex: the devices of the i-th are numbered i in every identifier.
func mustSeedDevices(t *testing.T, db *store.DB, acme, globex int) fixture {
	t.Helper()
	data := store.SeedData{
		Tenants: []string{"Acme", "Globex"},
		Users: []store.SeedUser{
			{Email: "Admin@Example.com", DisplayName: "Admin", Role: store.RoleAdmin, PasswordHash: "x"},
			{Email: "m@acme.example", DisplayName: "M", Role: store.RoleManager, TenantName: "Acme", PasswordHash: "x"},
		},
		Provider: store.Provider{Name: "TS", DisplayName: "ThingSpace", NotificationEmail: "ops@example.com"},
		Credentials: store.Credentials{BaseURL: "http://127.0.0.1:1", ClientID: "cid", ClientSecret: "client-secret-value",
			AuthTokenURL: "/api/ts/v1/oauth2/token", AuthURL: "/api/m2m/v1/session/login", Username: "uws",
			Password: "uws-password-value", AccountNumber: "0000123456-00001", WriteIsEnabled: true, CallbackSecret: "cb-secret"},
		Plans: []store.SeedPlan{
			{Code: "LTEM-10MB", Name: "LTE-M 10MB", ShortName: "LTEM", PlanMB: 10, MonthlyRate: 4.5, NetworkTypes: []string{"LTE-M"}},
			{Code: "FLEX", Name: "Flex", ShortName: "FLEX", PlanMB: 5120, MonthlyRate: 30, NetworkTypes: []string{"5G", "LTE Cat-1"}},
		},
		Models: []store.SeedModel{
			{Manufacturer: "Quectel", Model: "BG96", FromIMEI: "866957040000000", ToIMEI: "866957049999999", NetworkType: "LTE-M"},
			{Manufacturer: "Telit", Model: "FN980", FromIMEI: "354405110000000", ToIMEI: "354405119999999", NetworkType: "5G"},
		},
	}
	for i := range acme + globex {
		tenant := "Acme"
		if i >= acme {
			tenant = "Globex"
		}
		status := store.DeviceStatusActive
		if i == 19 {
			status = store.DeviceStatusSuspended
		}
		data.Devices = append(data.Devices, store.SeedDevice{TenantName: tenant,
			ICCID: fmt.Sprintf("8914800000%010d", i), IMEI: fmt.Sprintf("86695704%07d", i),
			MSISDN: fmt.Sprintf("51255%05d", i), StatusID: status, PlanCode: "LTEM-10MB", Description: fmt.Sprint("dev ", i)})
	}
	seeded, pid, err := db.Seed(context.Background(), data, "test")
	if err != nil || !seeded {
		t.Fatalf("seed: %v %v", seeded, err)
	}
	ts, err := db.Tenants(context.Background())
	if err != nil || len(ts) != 2 {
		t.Fatalf("tenants: %v %v", ts, err)
	}
	return fixture{acme: ts[0].ID, globex: ts[1].ID, provider: pid, plan: "LTEM-10MB"}
}

func TestSeedIsWrittenOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		again, pid, err := db.Seed(ctx, store.SeedData{Tenants: []string{"Acme"}, Provider: store.Provider{Name: "TS"}}, "test")
		if err != nil || again || pid != f.provider {
			t.Fatalf("second seed: wrote=%v provider=%d err=%v", again, pid, err)
		}
		_, total, err := db.Devices(ctx, store.DeviceFilter{AllTenants: true})
		if err != nil || total != 30 {
			t.Fatalf("devices after a second seed: %d %v", total, err)
		}
	})
}

func TestDevicesAreScopedToTheTenant(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		ds, total, err := db.Devices(ctx, store.DeviceFilter{TenantID: f.acme, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if total != 20 || len(ds) != 5 {
			t.Fatalf("acme: total %d, page %d", total, len(ds))
		}
		for _, d := range ds {
			if d.TenantID != f.acme {
				t.Fatalf("device %d of tenant %d in Acme's list", d.ID, d.TenantID)
			}
		}
		// A Globex device is not found through Acme.
		_, gtotal, _ := db.Devices(ctx, store.DeviceFilter{TenantID: f.globex, Query: "89148000000000000025"})
		if gtotal != 1 {
			t.Fatalf("globex finds its own device: %d", gtotal)
		}
		_, atotal, _ := db.Devices(ctx, store.DeviceFilter{TenantID: f.acme, Query: "89148000000000000025"})
		if atotal != 0 {
			t.Fatalf("acme finds globex's device: %d", atotal)
		}
		gd, _, _ := db.Devices(ctx, store.DeviceFilter{TenantID: f.globex, Limit: 1})
		if _, err := db.DeviceByID(ctx, f.acme, gd[0].ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("DeviceByID across tenants: %v", err)
		}
	})
}

func TestDeviceSearchByAnyIdentifier(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		for name, tc := range map[string]struct {
			query string
			want  int
		}{
			"full ICCID":         {"89148000000000000007", 1},
			"ICCID with spaces":  {"8914 8000 0000 0000 0007", 1},
			"ICCID prefix":       {"8914800000000000001", 10},
			"ICCID ending in 9":  {"89148000000000000009", 1},
			"18-digit prefix":    {"891480000000000000", 20},
			"IMEI ending in 9":   {"866957040000019", 1},
			"MDN prefix all 9s":  {"9999", 0},
			"suffix ending in 9": {"19", 1},
			"IMEI":               {"866957040000012", 1},
			"MDN with dashes":    {"512-550-0003", 1},
			"last digits of SIM": {"0011", 1},
			"nothing matches":    {"4444", 0},
		} {
			t.Run(name, func(t *testing.T) {
				ds, total, err := db.Devices(ctx, store.DeviceFilter{TenantID: f.acme, Query: tc.query})
				if err != nil {
					t.Fatal(err)
				}
				if total != tc.want || len(ds) != tc.want {
					t.Fatalf("query %q: total %d, rows %d, want %d", tc.query, total, len(ds), tc.want)
				}
			})
		}
	})
}

func TestCredentialsAreSealedAtRest(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		c, err := db.ThingSpaceCredentials(ctx, f.provider)
		if err != nil {
			t.Fatal(err)
		}
		if c.ClientSecret != "client-secret-value" || c.Password != "uws-password-value" || c.CallbackSecret != "cb-secret" {
			t.Fatalf("secrets did not round-trip: %+v", c)
		}
		if c.AccountNumber != "0000123456-00001" || !c.WriteIsEnabled || c.Username != "uws" {
			t.Fatalf("credentials: %+v", c)
		}
		raw, err := db.RawCredentialColumns(ctx, f.provider)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range raw {
			for _, plain := range []string{"client-secret-value", "uws-password-value", "cb-secret"} {
				if strings.Contains(v, plain) {
					t.Fatalf("a secret is stored in clear: %q", v)
				}
			}
		}
		pid, err := db.ProviderIDByCallbackSecret(ctx, "cb-secret")
		if err != nil || pid != f.provider {
			t.Fatalf("callback secret lookup: %d %v", pid, err)
		}
		if _, err := db.ProviderIDByCallbackSecret(ctx, "wrong"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("wrong callback secret: %v", err)
		}
		if _, err := db.ThingSpaceCredentials(ctx, f.provider+100); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("missing credentials: %v", err)
		}
		if err := db.SetWriteEnabled(ctx, f.provider, false, "test"); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.ThingSpaceCredentials(ctx, f.provider); c.WriteIsEnabled {
			t.Fatal("write gate still open")
		}
	})
}

func TestCredentialsDoNotOpenWithAnotherKey(t *testing.T) {
	ctx := context.Background()
	path := "sqlite:" + t.TempDir() + "/k.db"
	db, err := store.Open(ctx, path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := mustSeed(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, path, []byte("ffffffffffffffffffffffffffffffff"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.ThingSpaceCredentials(ctx, f.provider)
	if err == nil || !strings.Contains(err.Error(), "IDSWAP_SECRET_KEY") {
		t.Fatalf("want an error naming the key, got %v", err)
	}
}

func TestUpdateIdentifierSwapsOnceAndKeepsHistory(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		ds, _, _ := db.Devices(ctx, store.DeviceFilter{TenantID: f.acme, Query: "89148000000000000003"})
		d := ds[0]
		u := store.IdentifierUpdate{ServiceProviderID: f.provider, DeviceID: d.ID, OldICCID: d.ICCID, OldIMEI: d.IMEI,
			NewICCID: "89148000009999999995", ProcessedBy: "test", Reason: "SIM failed"}
		n, err := db.UpdateIdentifier(ctx, u)
		if err != nil || n != 1 {
			t.Fatalf("first update: %d %v", n, err)
		}
		got, _ := db.DeviceByID(ctx, f.acme, d.ID)
		if got.ICCID != "89148000009999999995" || got.IMEI != d.IMEI {
			t.Fatalf("device after swap: %s %s", got.ICCID, got.IMEI)
		}
		tsICCID, err := db.ThingSpaceDeviceICCID(ctx, f.provider, d.IMEI)
		if err != nil || tsICCID != "89148000009999999995" {
			t.Fatalf("ThingSpaceDevice: %q %v", tsICCID, err)
		}
		// Finalising the same change again finds no device with the old ICCID and writes nothing.
		n, err = db.UpdateIdentifier(ctx, u)
		if err != nil || n != 0 {
			t.Fatalf("second update: %d %v", n, err)
		}
		hist, err := db.IdentifierHistory(ctx, f.acme, d.ID)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history: %d rows, %v", len(hist), err)
		}
		h := hist[0]
		if h.OldICCID != d.ICCID || h.NewICCID != "89148000009999999995" || h.OldIMEI != d.IMEI || h.NewIMEI != d.IMEI || h.ChangedBy != "test" {
			t.Fatalf("history row: %+v", h)
		}
	})
}

func TestAnICCIDBelongsToOneLiveDevice(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		ds, _, _ := db.Devices(ctx, store.DeviceFilter{TenantID: f.acme, Limit: 2})
		// Moving device 1 onto device 0's ICCID must be refused by the database itself.
		_, err := db.UpdateIdentifier(ctx, store.IdentifierUpdate{ServiceProviderID: f.provider, DeviceID: ds[1].ID,
			OldICCID: ds[1].ICCID, OldIMEI: ds[1].IMEI, NewICCID: ds[0].ICCID, ProcessedBy: "test"})
		if err == nil {
			t.Fatal("two live devices share an ICCID")
		}
		if d, _ := db.DeviceByID(ctx, f.acme, ds[1].ID); d.ICCID != ds[1].ICCID {
			t.Fatal("the failed update changed the device")
		}
	})
}

func TestUsers(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		u, err := db.UserByEmail(ctx, " ADMIN@example.com ")
		if err != nil || !u.IsAdmin() || u.TenantID != nil {
			t.Fatalf("admin by e-mail in another case: %+v %v", u, err)
		}
		m, err := db.UserByEmail(ctx, "m@acme.example")
		if err != nil || m.TenantID == nil || *m.TenantID != f.acme || m.TenantName != "Acme" {
			t.Fatalf("manager: %+v %v", m, err)
		}
		if _, err := db.CreateUser(ctx, store.NewUser{Email: "m@acme.example", Role: store.RoleManager, TenantID: &f.acme}, "t"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("duplicate e-mail: %v", err)
		}
		if _, err := db.CreateUser(ctx, store.NewUser{Email: "x@acme.example", Role: store.RoleManager}, "t"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("manager without tenant: %v", err)
		}
		if _, err := db.UserByEmail(ctx, "nobody@example.com"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		for range 2 {
			if err := db.RecordLoginFailure(ctx, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		m, _ = db.UserByEmail(ctx, "m@acme.example")
		if m.FailedLoginCount != 2 || m.LastFailedLoginDate == nil {
			t.Fatalf("failures not counted: %+v", m)
		}
		if err := db.RecordLogin(ctx, m, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		m, _ = db.UserByEmail(ctx, "m@acme.example")
		if m.FailedLoginCount != 0 || m.LastLoginDate == nil {
			t.Fatalf("login not recorded: %+v", m)
		}
	})
}

func TestAPITokens(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustSeed(t, db)
		m, _ := db.UserByEmail(ctx, "m@acme.example")
		id, err := db.CreateAPIToken(ctx, store.NewAPIToken{UserID: m.ID, Name: "ci", Hash: "hash-1", Prefix: "idsw_abc"}, m.Email)
		if err != nil {
			t.Fatal(err)
		}
		u, tok, err := db.UserByTokenHash(ctx, "hash-1", "192.0.2.7")
		if err != nil || u.ID != m.ID || tok.Scope != store.ScopeReadWrite {
			t.Fatalf("token owner: %+v %+v %v", u, tok, err)
		}
		if _, _, err := db.UserByTokenHash(ctx, "hash-2", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		past := db.Now().Add(-time.Hour)
		if _, err := db.CreateAPIToken(ctx, store.NewAPIToken{UserID: m.ID, Name: "old", Hash: "hash-3", Prefix: "idsw_def", Expires: &past}, m.Email); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.UserByTokenHash(ctx, "hash-3", ""); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("expired token: %v", err)
		}
		// Its use is on the list; a revoked token is refused at once, and only its owner (or
		// anyone, for owner 0) can revoke it.
		ts, err := db.APITokens(ctx, m.ID)
		if err != nil || len(ts) != 2 || ts[1].LastUsedAddr == nil || *ts[1].LastUsedAddr != "192.0.2.7" || ts[1].State(db.Now()) != "active" ||
			ts[0].State(db.Now()) != "expired" {
			t.Fatalf("tokens: %+v %v", ts, err)
		}
		if err := db.RevokeAPIToken(ctx, id, m.ID+1000, "someone", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("revoke by another owner: %v", err)
		}
		if err := db.RevokeAPIToken(ctx, id, m.ID, m.Email, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.UserByTokenHash(ctx, "hash-1", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := db.RevokeAPIToken(ctx, id, 0, "admin", ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("revoking twice: %v", err)
		}
	})
}

func TestPlansAndDeviceModels(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		ps, err := db.CarrierPlans(ctx, f.provider)
		if err != nil || len(ps) != 2 {
			t.Fatalf("plans: %v %v", ps, err)
		}
		if ps[0].Code != "LTEM-10MB" || ps[0].MonthlyRate != 4.5 || !ps[0].Serves("LTE-M") || ps[0].Serves("5G") {
			t.Fatalf("cheapest plan: %+v", ps[0])
		}
		if !ps[1].Serves("5G") || !ps[1].Serves("LTE Cat-1") {
			t.Fatalf("flex plan: %+v", ps[1])
		}
		m, err := db.DeviceModelByIMEI(ctx, "354405110123456")
		if err != nil || m.Model != "FN980" || m.NetworkType != "5G" {
			t.Fatalf("model: %+v %v", m, err)
		}
		// Between the two ranges: no model, and the error names the TAC.
		if _, err := db.DeviceModelByIMEI(ctx, "500000000000000"); !apperr.Is(err, apperr.NotFound) || !strings.Contains(err.Error(), "50000000") {
			t.Fatalf("unknown TAC: %v", err)
		}
	})
}

func TestEnqueueWakesTheQueueAfterCommit(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		woken := 0
		db.OnEnqueue = func() { woken++ }
		if err := db.Enqueue(ctx, store.NewJob{Kind: "test", Payload: map[string]int{"n": 1}}, store.NewJob{Kind: "test", Payload: 2}); err != nil {
			t.Fatal(err)
		}
		if woken != 1 {
			t.Fatalf("OnEnqueue called %d times for one commit", woken)
		}
		n, err := db.CountJobs(ctx, store.JobQueued)
		if err != nil || n != 2 {
			t.Fatalf("queued jobs: %d %v", n, err)
		}
	})
}

func TestMigrateIsIdempotentAndChecked(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d: %v", n, err)
		}
		if err := db.CheckCurrent(ctx); err != nil {
			t.Fatal(err)
		}
	})
	// A database that was never migrated is refused.
	db, err := store.Open(context.Background(), "sqlite:"+t.TempDir()+"/empty.db", testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckCurrent(context.Background()); err == nil {
		t.Fatal("an empty database passed CheckCurrent")
	}
}

func TestOpenRefusesBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "postgres://x", "sqlite:"} {
		if _, err := store.Open(context.Background(), dsn, testKey); err == nil {
			t.Errorf("DSN %q accepted", dsn)
		}
	}
	if _, err := store.Open(context.Background(), "sqlite:"+t.TempDir()+"/x.db", []byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
	_ = sql.ErrNoRows
}

// Two near-simultaneous creations of one address (two admins, one double-clicked form): one
// user is made, and the other caller gets the Conflict with the address, not the database's
// unique-constraint error.
func TestConcurrentCreationsOfOneUserGiveOneConflict(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		admin := store.Actor{Name: "admin@example.com"}
		const n = 4
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			go func() {
				<-start
				// The same address in another case: it is stored normalised.
				email := "Twice@Acme.example"
				if i%2 == 1 {
					email = "twice@acme.example"
				}
				_, err := db.AddUser(ctx, store.NewUser{TenantID: &f.acme, Email: email, DisplayName: "Twice", PasswordHash: "h", Role: store.RoleManager}, admin)
				errs <- err
			}()
		}
		close(start)
		made := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				made++
			case !apperr.Is(err, apperr.Conflict):
				t.Fatalf("a second creation: %v (code %s), want Conflict", err, apperr.CodeOf(err))
			case !strings.Contains(apperr.MessageOf(err), "a user with e-mail twice@acme.example already exists"):
				t.Fatalf("the conflict's message: %q", apperr.MessageOf(err))
			}
		}
		if made != 1 {
			t.Fatalf("%d creations succeeded, want 1", made)
		}
	})
}
