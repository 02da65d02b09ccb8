package store

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/idswap/idswap/internal/ident"
)

// The lookups a new request is checked with. Each takes every identifier of the request at once
// and runs a few set-based statements (IN lists in chunks), never one query per row: a request
// has up to 10,000 rows and must be checked while the person waits.

// deviceColumn is the Device column that holds each kind of identifier.
var deviceColumn = map[ident.Kind]string{
	ident.ICCID: "ICCID",
	ident.IMEI:  "IMEI",
	ident.MDN:   "MSISDN",
	ident.EID:   "EID",
}

// DeviceMatches are the devices found for each identifier, by kind and normalised value.
// MSISDN and EID are not unique in the inventory, so one value may find several devices.
type DeviceMatches map[ident.Kind]map[string][]Device

// DevicesByIdentifiers finds the live devices of one tenant and service provider that hold the
// given identifiers (normalised, as ident returns them), whatever their status. A device of
// another tenant or provider is never returned: to the caller it does not exist.
func (db *DB) DevicesByIdentifiers(ctx context.Context, tenantID, providerID int64, ids map[ident.Kind][]string) (DeviceMatches, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	out := DeviceMatches{}
	for _, k := range []ident.Kind{ident.ICCID, ident.IMEI, ident.MDN, ident.EID} {
		values := slices.Compact(slices.Sorted(slices.Values(ids[k])))
		if len(values) == 0 {
			continue
		}
		col := deviceColumn[k]
		// The tenant and provider are compared with a unary plus so that SQLite, which has no
		// statistics to go by, seeks the identifier's index instead of scanning the tenant's
		// devices through IX_Device_Tenant; SQL Server reads it as the same comparison.
		q := deviceSelect + fmt.Sprintf(` WHERE d.IsDeleted = 0 AND +d.TenantId = ? AND +d.ServiceProviderId = ? AND d.%s IN (?)`, col)
		var ds []Device
		if err := selectIn(ctx, t, &ds, q, []any{tenantID, providerID}, anySlice(values)); err != nil {
			return nil, fmt.Errorf("store: devices by %s: %w", col, err)
		}
		m := make(map[string][]Device, len(ds))
		for _, d := range ds {
			v := map[ident.Kind]string{ident.ICCID: d.ICCID, ident.IMEI: d.IMEI, ident.MDN: d.MSISDN, ident.EID: d.EID}[k]
			m[v] = append(m[v], d)
		}
		out[k] = m
	}
	return out, nil
}

// FindClashes returns every way the new identifiers and devices of a request clash with the
// inventory and with open requests, in any tenant: a new ICCID or IMEI on a live device or the
// target of an open row, and a device that already has an open row.
func (db *DB) FindClashes(ctx context.Context, iccids, imeis []string, deviceIDs []int64) ([]Clash, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	return findClashes(ctx, t, iccids, imeis, deviceIDs)
}

// DeviceModelsForIMEIs finds the make, model and network type of each IMEI (15 digits) from the
// TAC range table. It reads the ranges that overlap the span of the IMEIs given — one statement,
// however many IMEIs — and places each IMEI by binary search. An IMEI in no range is absent
// from the answer.
func (db *DB) DeviceModelsForIMEIs(ctx context.Context, imeis []string) (map[string]DeviceModel, error) {
	out := map[string]DeviceModel{}
	if len(imeis) == 0 {
		return out, nil
	}
	lo, hi := slices.Min(imeis), slices.Max(imeis)
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var ms []DeviceModel
	if err := t.sel(ctx, &ms, `SELECT Id, Manufacturer, Model, FromIMEI, ToIMEI, NetworkType
		FROM IMEI_DeviceType_CarrierRatePlan WHERE IsActive = 1 AND FromIMEI <= ? AND ToIMEI >= ?
		ORDER BY FromIMEI`, hi, lo); err != nil {
		return nil, err
	}
	for _, imei := range imeis {
		// The ranges do not overlap: the last one starting at or below the IMEI is the only candidate.
		i := sort.Search(len(ms), func(i int) bool { return ms[i].FromIMEI > imei }) - 1
		if i >= 0 && imei <= ms[i].ToIMEI {
			out[imei] = ms[i]
		}
	}
	return out, nil
}

// BulkChangeIDByIdempotencyKey finds the request stored with an idempotency key.
func (db *DB) BulkChangeIDByIdempotencyKey(ctx context.Context, key string) (int64, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var id int64
	if err := t.get(ctx, &id, `SELECT Id FROM DeviceBulkChange WHERE IdempotencyKey = ?`, key); err != nil {
		return 0, notFound(err, "no bulk change with this idempotency key")
	}
	return id, nil
}
