package request_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// TACs of the test world's device models.
const (
	tacLTEM    = "86695704" // Quectel BG96, LTE-M
	tacCat1    = "86424704" // Quectel EG91-NA, LTE Cat-1
	tac5G      = "35440511" // Telit FN980, 5G
	tacUnknown = "35999999" // in no range
)

func iccid(n int) string            { return ident.AppendLuhn(fmt.Sprintf("891480000%010d", n)) }
func imei(tac string, n int) string { return ident.AppendLuhn(fmt.Sprintf("%s%06d", tac, n)) }
func mdn(n int) string              { return fmt.Sprintf("512555%04d", n) }

// world is a small inventory on a real SQLite database:
//
//	Acme:   devices 1–10 active LTE-M on LTEM-10MB; 11 suspended; 12 active without an MDN;
//	        13 active Cat-1 on CAT1-1GB
//	Globex: devices 21–25 active LTE-M on LTEM-10MB
//
// Spare SIMs are iccid(1000+n); spare devices imei(tac, 1000+n).
type world struct {
	db             *store.DB
	path           string
	svc            *request.Service
	acme, globex   int64
	provider       int64
	manager, other *store.User // Acme's and Globex's managers
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "request.db")
	db, err := store.Open(ctx, "sqlite:"+path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	data := store.SeedData{
		Tenants: []string{"Acme", "Globex"},
		Users: []store.SeedUser{
			{Email: "m@acme.example", DisplayName: "Acme manager", Role: store.RoleManager, TenantName: "Acme", PasswordHash: "x"},
			{Email: "m@globex.example", DisplayName: "Globex manager", Role: store.RoleManager, TenantName: "Globex", PasswordHash: "x"},
		},
		Provider: store.Provider{Name: "TS", DisplayName: "ThingSpace"},
		Credentials: store.Credentials{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s", Username: "u", Password: "p",
			AuthTokenURL: "/t", AuthURL: "/l"},
		Plans: []store.SeedPlan{
			{Code: "LTEM-10MB", Name: "LTE-M 10 MB", ShortName: "LTEM", MonthlyRate: 4.50, NetworkTypes: []string{change.NetworkLTEM}},
			{Code: "CAT1-1GB", Name: "Cat-1 1 GB", ShortName: "CAT1", MonthlyRate: 12, NetworkTypes: []string{change.NetworkLTECat1}},
			{Code: "SHR-2GB", Name: "Shared 2 GB", ShortName: "SHR", MonthlyRate: 18, NetworkTypes: []string{change.NetworkLTECat1, change.NetworkLTEM}},
			{Code: "5G-NR", Name: "5G NR 10 GB", ShortName: "5G", MonthlyRate: 45, NetworkTypes: []string{change.Network5G}},
		},
		Models: []store.SeedModel{
			{Manufacturer: "Telit", Model: "FN980", FromIMEI: tac5G + "0000000", ToIMEI: tac5G + "9999999", NetworkType: change.Network5G},
			{Manufacturer: "Quectel", Model: "EG91-NA", FromIMEI: tacCat1 + "0000000", ToIMEI: tacCat1 + "9999999", NetworkType: change.NetworkLTECat1},
			{Manufacturer: "Quectel", Model: "BG96", FromIMEI: tacLTEM + "0000000", ToIMEI: tacLTEM + "9999999", NetworkType: change.NetworkLTEM},
		},
	}
	add := func(tenant string, n, status int, tac, plan, msisdn string) {
		data.Devices = append(data.Devices, store.SeedDevice{TenantName: tenant, ICCID: iccid(n), IMEI: imei(tac, n),
			MSISDN: msisdn, StatusID: status, PlanCode: plan, Description: fmt.Sprint("device ", n)})
	}
	for n := 1; n <= 10; n++ {
		add("Acme", n, store.DeviceStatusActive, tacLTEM, "LTEM-10MB", mdn(n))
	}
	add("Acme", 11, store.DeviceStatusSuspended, tacLTEM, "LTEM-10MB", mdn(11))
	add("Acme", 12, store.DeviceStatusActive, tacLTEM, "LTEM-10MB", "")
	add("Acme", 13, store.DeviceStatusActive, tacCat1, "CAT1-1GB", mdn(13))
	for n := 21; n <= 25; n++ {
		add("Globex", n, store.DeviceStatusActive, tacLTEM, "LTEM-10MB", mdn(n))
	}
	_, pid, err := db.Seed(ctx, data, "test")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, path: path, svc: request.New(db), provider: pid}
	ts, _ := db.Tenants(ctx)
	w.acme, w.globex = ts[0].ID, ts[1].ID
	if w.manager, err = db.UserByEmail(ctx, "m@acme.example"); err != nil {
		t.Fatal(err)
	}
	if w.other, err = db.UserByEmail(ctx, "m@globex.example"); err != nil {
		t.Fatal(err)
	}
	return w
}

// draft is an Acme request of type t with the given rows.
func (w *world) draft(t change.Type, rows ...change.Row) request.Draft {
	return request.Draft{TenantID: w.acme, ProviderID: w.provider, Type: t, Reason: "SIMs failed in the field", Rows: rows}
}

// setRowStatus moves every row of a bulk change to a status. No store method does this yet
// outside the engine, so the test writes it directly into the same SQLite file.
func (w *world) setRowStatus(t testing.TB, bulkID int64, status change.Status) {
	t.Helper()
	conn, err := sql.Open("sqlite", w.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE M2M_DeviceChange SET Status = ? WHERE BulkChangeId = ?`, string(status), bulkID); err != nil {
		t.Fatal(err)
	}
}
