package store_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// The tests in this file reach the admin console's, the sign-in's and the carrier-truth's store
// methods that no other test of the package calls (TestEveryStoreMethodIsCalledByAStoreTest
// finds them), so that their statements are recorded for the T-SQL parser and run on SQL
// Server when IDSWAP_MSSQL_DSN is set.

func TestAdminConsoleMethods(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		admin := store.Actor{Name: "admin@example.com"}

		if !strings.HasSuffix(t.Name(), "/"+db.Dialect()) {
			t.Fatalf("Dialect() = %q in %s", db.Dialect(), t.Name())
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}

		// Tenants.
		if tn, err := db.TenantByName(ctx, " ACME "); err != nil || tn.ID != f.acme || !tn.IsActive {
			t.Fatalf("TenantByName: %+v %v", tn, err)
		}
		if _, err := db.TenantByName(ctx, "nobody"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("TenantByName of an unknown name: %v, want NotFound", err)
		}
		if err := db.RenameTenant(ctx, f.globex, "Globex Corp", admin); err != nil {
			t.Fatal(err)
		}
		if tn, err := db.TenantByName(ctx, "globex corp"); err != nil || tn.ID != f.globex {
			t.Fatalf("the renamed tenant: %+v %v", tn, err)
		}
		if err := db.RenameTenant(ctx, f.globex, "acme", admin); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("renaming to another tenant's name: %v, want Conflict", err)
		}
		if err := db.SetTenantActive(ctx, f.globex, false, admin); err != nil {
			t.Fatal(err)
		}
		if tn, _ := db.TenantByName(ctx, "Globex Corp"); tn == nil || tn.IsActive {
			t.Fatalf("the deactivated tenant: %+v", tn)
		}
		if err := db.SetTenantActive(ctx, 99999, false, admin); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("deactivating an unknown tenant: %v, want NotFound", err)
		}
		nu := store.NewUser{TenantID: &f.globex, Email: "new@globex.example", DisplayName: "New", PasswordHash: "h1", Role: store.RoleManager}
		if _, err := db.AddUser(ctx, nu, admin); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a user in a deactivated tenant: %v, want Invalid", err)
		}
		if err := db.SetTenantActive(ctx, f.globex, true, admin); err != nil {
			t.Fatal(err)
		}

		// Users.
		uid, err := db.AddUser(ctx, nu, admin)
		if err != nil {
			t.Fatal(err)
		}
		if u, err := db.UserByID(ctx, uid); err != nil || u.Email != "new@globex.example" || u.TenantID == nil || *u.TenantID != f.globex {
			t.Fatalf("the added user: %+v %v", u, err)
		}
		if err := db.ChangePassword(ctx, uid, "h2", false, admin); err != nil {
			t.Fatal(err)
		}
		if err := db.ChangePassword(ctx, 99999, "h2", false, admin); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the password of an unknown user: %v, want NotFound", err)
		}
		if err := db.SetUserActive(ctx, uid, false, admin); err != nil {
			t.Fatal(err)
		}
		if u, err := db.UserByID(ctx, uid); err != nil || u.PasswordHash != "h2" || u.IsActive {
			t.Fatalf("the user after a new password and disabling: %+v %v", u, err)
		}

		// Providers.
		if s, err := db.ProviderSettingsByID(ctx, f.provider); err != nil || !s.HasCredentials || !s.HasClientSecret || !s.HasPassword ||
			s.BaseURL != "http://127.0.0.1:1" || s.Username != "uws" || !s.WriteIsEnabled || s.Name != "TS" {
			t.Fatalf("ProviderSettingsByID: %+v %v", s, err)
		}
		if _, err := db.ProviderSettingsByID(ctx, 99999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the settings of an unknown provider: %v, want NotFound", err)
		}
		pc := store.ProviderChange{Provider: store.Provider{Name: "TS3", DisplayName: "Third"},
			Credentials: store.Credentials{BaseURL: "http://127.0.0.1:4", ClientID: "c3", ClientSecret: "secret-3",
				Username: "u3", Password: "password-3"}, Changed: []string{"Name"}}
		pid, err := db.AddProvider(ctx, pc, admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddProvider(ctx, pc, admin); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a second provider named TS3: %v, want Conflict", err)
		}
		edit := store.ProviderChange{Provider: store.Provider{ID: pid, Name: "TS3", DisplayName: "Renamed"},
			Credentials: store.Credentials{BaseURL: "http://127.0.0.1:5", ClientID: "c3", Username: "u3"}}
		if err := db.EditProvider(ctx, edit, admin); err != nil {
			t.Fatal(err)
		}
		if c, err := db.ThingSpaceCredentials(ctx, pid); err != nil || c.BaseURL != "http://127.0.0.1:5" ||
			c.ClientSecret != "secret-3" || c.Password != "password-3" {
			t.Fatalf("the edit did not keep the stored secrets: %+v %v", c, err)
		}
		if p, err := db.ProviderByID(ctx, pid); err != nil || p.DisplayName != "Renamed" {
			t.Fatalf("the edited provider: %+v %v", p, err)
		}
		edit.Provider.ID = 99999
		if err := db.EditProvider(ctx, edit, admin); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("editing an unknown provider: %v, want NotFound", err)
		}

		// Plans.
		added, updated, err := db.ImportCarrierPlans(ctx, f.provider, []store.PlanImport{
			{Code: "LTEM-10MB", Name: "LTE-M 10 MB", PlanMB: 10},
			{Code: "FLEX", Name: "Flex", PlanMB: 5120},
			{Code: "NEW-1GB", Name: "New 1 GB", CarrierServicePlanCode: "CSP1", PlanMB: 1024},
		}, admin)
		if err != nil || added != 1 || updated != 1 {
			t.Fatalf("ImportCarrierPlans: added %d updated %d %v, want 1 and 1", added, updated, err)
		}
		plans, err := db.AllCarrierPlans(ctx, f.provider)
		if err != nil || len(plans) != 3 {
			t.Fatalf("AllCarrierPlans: %+v %v", plans, err)
		}
		var fresh *store.CarrierPlan
		for i := range plans {
			switch plans[i].Code {
			case "NEW-1GB":
				fresh = &plans[i]
			case "LTEM-10MB":
				if plans[i].Name != "LTE-M 10 MB" || plans[i].MonthlyRate != 4.5 {
					t.Fatalf("the updated plan lost its price or kept its name: %+v", plans[i])
				}
			}
		}
		if fresh == nil || fresh.MonthlyRate != 0 || len(fresh.NetworkTypes) != 0 || fresh.PlanMB != 1024 {
			t.Fatalf("the imported plan: %+v", fresh)
		}
		if err := db.SetPlanPricing(ctx, fresh.ID, 7.5, []string{"LTE-M", "5G"}, admin); err != nil {
			t.Fatal(err)
		}
		plans, _ = db.AllCarrierPlans(ctx, f.provider)
		for _, p := range plans {
			if p.ID == fresh.ID && (p.MonthlyRate != 7.5 || !p.Serves("5G") || !p.Serves("LTE-M") || len(p.NetworkTypes) != 2) {
				t.Fatalf("the priced plan: %+v", p)
			}
		}
		if err := db.SetPlanPricing(ctx, 99999, 1, nil, admin); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("pricing an unknown plan: %v, want NotFound", err)
		}

		// Device models.
		nordic := store.NewDeviceModel{Manufacturer: "Nordic", Model: "nRF9160", FromIMEI: "351234560000000",
			ToIMEI: "351234569999999", NetworkType: "LTE-M"}
		if err := db.AddDeviceModels(ctx, []store.NewDeviceModel{nordic}, admin); err != nil {
			t.Fatal(err)
		}
		overlap := store.NewDeviceModel{Manufacturer: "X", Model: "Y", FromIMEI: "351234565000000", ToIMEI: "351234575000000"}
		if err := db.AddDeviceModels(ctx, []store.NewDeviceModel{overlap}, admin); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("an overlapping range: %v, want Conflict", err)
		}
		if ms, err := db.DeviceModelsForIMEIs(ctx, []string{"351234561234567"}); err != nil || ms["351234561234567"].Model != "nRF9160" {
			t.Fatalf("the added model: %+v %v", ms, err)
		}
		if all, err := db.DeviceModels(ctx); err != nil || len(all) != 3 {
			t.Fatalf("DeviceModels after one add and one refusal: %d %v, want 3", len(all), err)
		}

		// The inventory's filters: Acme has an active and a suspended line, Globex only active ones.
		statuses := func(tenant int64) map[int]bool {
			fs, err := db.DeviceFacets(ctx, store.DeviceFilter{TenantID: tenant, Query: "no-such-line"})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int]bool{}
			for _, x := range fs {
				out[x.StatusID] = true
			}
			return out
		}
		if a, g := statuses(f.acme), statuses(f.globex); len(a) != 2 || len(g) != 1 {
			t.Fatalf("DeviceFacets statuses: Acme %v, Globex %v", a, g)
		}
	})
}

func TestSessionsAndSignInThrottle(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustSeed(t, db)
		us, err := db.Users(ctx)
		if err != nil || len(us) == 0 {
			t.Fatalf("Users: %v %v", us, err)
		}
		uid := us[0].ID
		ss := db.NewSessionStore([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32)), time.Hour, 24*time.Hour)
		ss.UserKey = "uid"

		// signIn saves a new signed-in session and returns its cookie.
		signIn := func() *http.Cookie {
			t.Helper()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			sess, err := ss.Get(r, "s")
			if err != nil || !sess.IsNew {
				t.Fatalf("a request without a cookie: %+v %v", sess, err)
			}
			sess.Values["uid"] = uid
			w := httptest.NewRecorder()
			if err := ss.Save(r, w, sess); err != nil {
				t.Fatal(err)
			}
			cs := w.Result().Cookies()
			if len(cs) != 1 {
				t.Fatalf("cookies: %v", cs)
			}
			return cs[0]
		}
		load := func(c *http.Cookie) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(c)
			return r
		}
		first, second := signIn(), signIn()

		r := load(first)
		sess, err := ss.Get(r, "s")
		if err != nil || sess.IsNew || sess.Values["uid"] != uid {
			t.Fatalf("the signed-in session: %+v %v", sess, err)
		}
		sess.Values["flash"] = "saved"
		if err := ss.Save(r, httptest.NewRecorder(), sess); err != nil {
			t.Fatal(err)
		}
		r = load(first)
		if again, err := ss.New(r, "s"); err != nil || again.Values["flash"] != "saved" {
			t.Fatalf("the session's saved values: %+v %v", again.Values, err)
		}
		firstID, err := ss.CurrentSessionID(ctx, sess)
		if err != nil || firstID == 0 {
			t.Fatalf("CurrentSessionID: %d %v", firstID, err)
		}
		live, err := db.SessionsOf(ctx, uid, time.Hour)
		if err != nil || len(live) != 2 {
			t.Fatalf("SessionsOf with two sign-ins: %+v %v", live, err)
		}
		if err := db.EndSessionOf(ctx, uid+1000, firstID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("ending another user's session: %v, want NotFound", err)
		}
		if err := db.EndSessionOf(ctx, uid, firstID); err != nil {
			t.Fatal(err)
		}
		if err := db.EndSessionOf(ctx, uid, firstID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("ending an ended session: %v, want NotFound", err)
		}
		r = load(first)
		if ended, err := ss.New(r, "s"); err != nil || !ended.IsNew || ended.Values["uid"] != nil {
			t.Fatalf("the ended session still signs in: %+v %v", ended, err)
		}

		r = load(second)
		sess2, err := ss.Get(r, "s")
		if err != nil || sess2.IsNew {
			t.Fatalf("the second session: %+v %v", sess2, err)
		}
		if err := ss.End(ctx, sess2, store.SessionEndRotated); err != nil {
			t.Fatal(err)
		}
		if live, err := db.SessionsOf(ctx, uid, time.Hour); err != nil || len(live) != 0 {
			t.Fatalf("SessionsOf after both ended: %+v %v", live, err)
		}
		third := signIn()
		if n, err := db.EndSessionsOf(ctx, uid, store.SessionEndPassword); err != nil || n != 1 {
			t.Fatalf("EndSessionsOf: %d %v, want 1", n, err)
		}
		r = load(third)
		if ended, err := ss.New(r, "s"); err != nil || !ended.IsNew {
			t.Fatalf("a session ended by EndSessionsOf still signs in: %+v %v", ended, err)
		}
		// Sessions ended just now are kept for a day.
		if n, err := db.PruneSessions(ctx); err != nil || n != 0 {
			t.Fatalf("PruneSessions: %d %v, want 0", n, err)
		}

		// The throttle: the second failure in a row starts a wait of an hour.
		rule := store.ThrottleRule{Free: 2, First: time.Hour, Most: time.Hour, Forget: time.Hour}
		claim := func() store.LoginClaim {
			t.Helper()
			c, err := db.ClaimLoginAttempt(ctx, "who@example.com", "192.0.2.1", rule, rule)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := claim(); !c.Allowed || len(c.Started) != 0 {
			t.Fatalf("the first attempt: %+v", c)
		}
		if c := claim(); !c.Allowed || len(c.Started) != 2 {
			t.Fatalf("the second attempt: %+v, want allowed, starting both waits", c)
		}
		if c := claim(); c.Allowed {
			t.Fatalf("the third attempt within the wait: %+v, want refused", c)
		}
		if err := db.ClearLoginAttempt(ctx, "who@example.com", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		// The account starts afresh; the address keeps one failure, so its next one waits again.
		if c := claim(); !c.Allowed || len(c.Started) != 1 || c.Started[0] != store.ThrottleAddr {
			t.Fatalf("the attempt after a success: %+v, want allowed, starting the address's wait", c)
		}
	})
}

func TestCarrierTruthAndSyncMethods(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)

		if err := db.SetCallbackListener(ctx, f.provider, "", "", "p", "admin"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a listener without a username: %v, want Invalid", err)
		}
		if err := db.SetCallbackListener(ctx, f.provider, "new-secret", "cb-user", "cb-pass", "admin"); err != nil {
			t.Fatal(err)
		}
		if l, err := db.CallbackListener(ctx, f.provider); err != nil || l.Username != "cb-user" || l.Password != "cb-pass" || l.ConfirmSuccesses {
			t.Fatalf("CallbackListener: %+v %v", l, err)
		}
		if c, err := db.ThingSpaceCredentials(ctx, f.provider); err != nil || c.CallbackSecret != "new-secret" {
			t.Fatalf("the new callback secret: %+v %v", c, err)
		}
		if err := db.SetCallbackListener(ctx, 99999, "", "u", "p", "admin"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the listener of an unknown provider: %v, want NotFound", err)
		}
		if err := db.SetConfirmSuccesses(ctx, f.provider, true, "admin"); err != nil {
			t.Fatal(err)
		}
		if l, err := db.CallbackListener(ctx, f.provider); err != nil || !l.ConfirmSuccesses {
			t.Fatalf("CallbackListener after SetConfirmSuccesses: %+v %v", l, err)
		}
		if err := db.SetConfirmSuccesses(ctx, 99999, true, "admin"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("SetConfirmSuccesses of an unknown provider: %v, want NotFound", err)
		}
		if _, err := db.CallbackListener(ctx, 99999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("CallbackListener of an unknown provider: %v, want NotFound", err)
		}

		bulk, rows := mustBatch(t, db, f, 2)
		targets, err := db.OpenChangeTargets(ctx, []int64{*rows[0].DeviceID})
		if err != nil || len(targets[*rows[0].DeviceID]) != 1 ||
			targets[*rows[0].DeviceID][0] != [2]string{rows[0].NewICCID, rows[0].NewIMEI} {
			t.Fatalf("OpenChangeTargets: %v %v", targets, err)
		}
		mustFinish(t, db, rows[0].ID, change.StatusProcessed)
		mustFinish(t, db, rows[1].ID, change.StatusProcessed)
		if targets, err := db.OpenChangeTargets(ctx, []int64{*rows[0].DeviceID}); err != nil || len(targets) != 0 {
			t.Fatalf("OpenChangeTargets of a finished row: %v %v", targets, err)
		}
		if not, err := db.RowsNotSeenOnline(ctx, bulk); err != nil || len(not) != 2 {
			t.Fatalf("RowsNotSeenOnline: %d %v, want 2", len(not), err)
		}
		if err := db.MarkOnline(ctx, rows[0].ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if online, notYet, err := db.OnlineCounts(ctx, bulk); err != nil || online != 1 || notYet != 1 {
			t.Fatalf("OnlineCounts: %d %d %v, want 1 1", online, notYet, err)
		}
		if not, err := db.RowsNotSeenOnline(ctx, bulk); err != nil || len(not) != 1 || not[0].ID != rows[1].ID {
			t.Fatalf("RowsNotSeenOnline after one was seen: %+v %v", not, err)
		}

		run, err := db.StartSyncRun(ctx, f.provider, "test")
		if err != nil {
			t.Fatal(err)
		}
		if r, err := db.SyncRunByID(ctx, run); err != nil || r.Status != store.SyncRunning || r.ProviderID != f.provider {
			t.Fatalf("the running sync: %+v %v", r, err)
		}
		if err := db.FailSyncRun(ctx, run, "the carrier is down"); err != nil {
			t.Fatal(err)
		}
		if r, err := db.SyncRunByID(ctx, run); err != nil || r.Status != store.SyncFailed || r.Error != "the carrier is down" || r.FinishedDate == nil {
			t.Fatalf("the failed sync: %+v %v", r, err)
		}
		if _, err := db.SyncRunByID(ctx, run+1000); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("an unknown sync run: %v, want NotFound", err)
		}
	})
}
