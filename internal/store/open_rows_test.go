package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// TestTheDatabaseRefusesASecondOpenRow writes rows past the request checks, as two requests
// racing under SQL Server's READ COMMITTED would: the second open row for the same new ICCID,
// new IMEI or device is refused by the database, with the checks' conflict; a row that is no
// longer open does not count.
func TestTheDatabaseRefusesASecondOpenRow(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Seed(ctx, SeedData{Tenants: []string{"Acme"}, Provider: Provider{Name: "TS", DisplayName: "TS"},
		Credentials: Credentials{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s", Username: "u", Password: "p"},
		Users:       []SeedUser{{Email: "a@example.com", DisplayName: "A", Role: RoleAdmin, PasswordHash: "x"}},
		Devices: []SeedDevice{{TenantName: "Acme", ICCID: "89148000000000000001", IMEI: "866957040000001", StatusID: DeviceStatusActive},
			{TenantName: "Acme", ICCID: "89148000000000000002", IMEI: "866957040000002", StatusID: DeviceStatusActive}}}, "test"); err != nil {
		t.Fatal(err)
	}
	var devices []int64
	var batch int64
	t0, _ := db.begin(ctx)
	if err := t0.sel(ctx, &devices, `SELECT Id FROM Device ORDER BY Id`); err != nil || len(devices) != 2 {
		t.Fatalf("devices %v %v", devices, err)
	}
	var tenant, provider, user int64
	_ = t0.get(ctx, &tenant, `SELECT Id FROM Tenant`)
	_ = t0.get(ctx, &provider, `SELECT Id FROM ServiceProvider`)
	_ = t0.get(ctx, &user, `SELECT Id FROM AppUser`)
	batch, err = t0.insert(ctx, "DeviceBulkChange", []string{"TenantId", "ChangeRequestTypeId", "ServiceProviderId", "Status",
		"Reason", "RequestedByUserId", "CreatedBy"}, tenant, change.ChangeICCID.ID(), provider, string(change.BatchNew), "r", user, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := t0.Commit(); err != nil {
		t.Fatal(err)
	}
	cols := []string{"BulkChangeId", "DeviceId", "NewICCID", "NewIMEI", "Status", "ChangeRequest", "CreatedBy"}
	write := func(device any, newICCID, newIMEI any, status change.Status) error {
		tx, err := db.begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := insertMany(ctx, tx, "M2M_DeviceChange", cols, [][]any{{batch, device, newICCID, newIMEI, string(status), "{}", "test"}}); err != nil {
			return openRowConflict(err)
		}
		return tx.Commit()
	}
	if err := write(devices[0], "89148000090000000001", nil, change.StatusProcessing); err != nil {
		t.Fatal(err)
	}
	if err := write(devices[1], nil, "866957040000009", change.StatusNew); err != nil {
		t.Fatal(err)
	}
	// Each case clashes on one index only: rows without a device are not in the device index.
	for _, c := range []struct {
		name              string
		device            any
		newICCID, newIMEI any
	}{
		{"same device", devices[0], "89148000090000000009", nil},
		{"same new SIM", nil, "89148000090000000001", nil},
		{"same new IMEI", nil, nil, "866957040000009"},
	} {
		if err := write(c.device, c.newICCID, c.newIMEI, change.StatusNew); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("%s: %v, want the open-change conflict", c.name, err)
		}
	}
	// Closed rows hold nothing: a finished row for the same SIM and device is fine.
	if err := write(devices[0], "89148000090000000001", nil, change.StatusProcessed); err != nil {
		t.Fatalf("a processed row beside an open one: %v", err)
	}
}
