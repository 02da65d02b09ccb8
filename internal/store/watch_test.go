package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// clock is a settable store clock, so tests can put entries in the same millisecond or days apart.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func useClock(db *store.DB, start time.Time) *clock {
	c := &clock{now: start.UTC().Truncate(time.Millisecond)}
	db.Now = c.Now
	return c
}

// batchOf makes a request of n ICCID changes for the devices of a tenant from the offset-th on,
// to new ICCIDs numbered from firstNew, requested by user, as the request wizard stores it (the
// reason in each row's request too), and returns its id and rows.
func batchOf(t *testing.T, db *store.DB, f fixture, tenant int64, user string, offset, n, firstNew int) (int64, []store.DeviceChange) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	const reason = "SIMs failed"
	rows := newRows(t, db, tenant, offset, n, firstNew)
	for i := range rows {
		rows[i].Envelope.Identifier.Reason = reason
	}
	id, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: tenant, ServiceProviderID: f.provider,
		Type: change.ChangeICCID, Reason: reason, RequestedBy: u, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := db.DeviceChanges(ctx, id, store.DeviceChangeFilter{})
	if err != nil || len(got) != n {
		t.Fatalf("rows: %v %v", got, err)
	}
	return id, got
}

func TestRowsDriveTheirBatchToItsOutcome(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		id, rows := mustBatch(t, db, f, 3)

		mustSend(t, db, rows[0].ID, "req-1",
			store.LogEntry{Description: store.LogChangeIdentifier, RequestText: "PUT …", ResponseText: `{"requestId":"req-1"}`})
		b, _ := db.BulkChange(ctx, f.acme, id)
		if b.Status != change.BatchProcessing || b.Counts.Processing != 1 || b.Counts.New != 2 {
			t.Fatalf("after the first send: %s %+v", b.Status, b.Counts)
		}
		mustFinish(t, db, rows[0].ID, change.StatusProcessed)
		mustFinish(t, db, rows[1].ID, change.StatusAPIFailed,
			store.LogEntry{Description: store.LogChangeFailed, HasErrors: true, ErrorCode: "REQUEST_FAILED.UnknownICCID", ErrorText: "unknown ICCID"})
		// A step the row can no longer make changes nothing and is no error: another step got there first.
		if _, ok, err := db.ClaimChange(ctx, rows[0].ID, "x", time.Minute, 0); ok || err != nil {
			t.Fatalf("PROCESSED → PROCESSING: claimed=%v %v", ok, err)
		}
		if res, err := db.FinishChange(ctx, store.FinishedChange{ChangeID: rows[0].ID, From: change.StatusProcessing,
			To: change.StatusAPIFailed, By: "x"}); res.Done || err != nil {
			t.Fatalf("PROCESSED → API_FAILED: done=%v %v", res.Done, err)
		}
		b, _ = db.BulkChange(ctx, f.acme, id)
		if b.Status.Final() {
			t.Fatalf("the batch finished with a row still open: %s", b.Status)
		}
		if res := mustFinish(t, db, rows[2].ID, change.StatusProcessed); res.Completion == nil {
			t.Fatal("the last row did not complete its batch")
		}
		b, _ = db.BulkChange(ctx, f.acme, id)
		if b.Status != change.BatchProcessedWithErrors || b.ProcessedDate == nil {
			t.Fatalf("final batch: %s %v", b.Status, b.ProcessedDate)
		}
		// The successful rows swapped the inventory and wrote the history.
		d, err := db.DeviceByID(ctx, f.acme, *rows[0].DeviceID)
		if err != nil || d.ICCID != rows[0].NewICCID {
			t.Fatalf("device after the swap: %+v %v", d, err)
		}
		h, err := db.IdentifierHistory(ctx, f.acme, *rows[0].DeviceID)
		if err != nil || len(h) != 1 || h[0].OldICCID != rows[0].ICCID || h[0].BulkChangeID == nil || *h[0].BulkChangeID != id {
			t.Fatalf("history: %+v %v", h, err)
		}
		got, _ := db.DeviceChange(ctx, rows[0].ID)
		if got.RequestID != "req-1" || got.SubmittedDate == nil || got.ProcessedDate == nil || !got.IsProcessed {
			t.Fatalf("row 0: %+v", got)
		}
	})
}

func TestTheLogIsScopedToItsBatchRowAndTenant(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		c := useClock(db, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
		id, rows := mustBatch(t, db, f, 3)
		// The entry written last ("queued") is the oldest: the log is read in time order.
		c.now = c.now.Add(time.Second)
		mustSend(t, db, rows[0].ID, "req-1", store.LogEntry{Description: "sent"})
		mustFinish(t, db, rows[0].ID, change.StatusProcessed, store.LogEntry{Description: "confirmed"})
		if err := db.AddLogs(ctx, store.LogEntry{BulkChangeID: id, ChangeID: rows[0].ID, Description: "queued",
			ProcessedBy: "engine", ProcessedDate: c.now.Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddLogs(ctx, store.LogEntry{BulkChangeID: id, Description: "carrier login", ProcessedBy: "engine"}); err != nil {
			t.Fatal(err)
		}
		rowLog := []string{"queued", "sent", "confirmed", store.LogDatabaseUpdate}
		for _, tenant := range []int64{f.acme, 0} {
			es, err := db.BulkChangeLog(ctx, store.LogFilter{TenantID: tenant, BulkChangeID: id, ChangeID: rows[0].ID})
			if err != nil || !slices.Equal(descriptions(es), rowLog) {
				t.Fatalf("row log for tenant %d: %q, want %q (%v)", tenant, descriptions(es), rowLog, err)
			}
			if es[0].ChangeID != rows[0].ID || es[0].BulkChangeID != id || es[1].ResponseStatus != store.LogStatusProcessed {
				t.Fatalf("row log entry: %+v", es[0])
			}
		}
		for name, lf := range map[string]store.LogFilter{
			"another tenant's row log":    {TenantID: f.globex, BulkChangeID: id, ChangeID: rows[0].ID},
			"another tenant's batch log":  {TenantID: f.globex, BulkChangeID: id, BatchOnly: true},
			"a row under the wrong batch": {TenantID: f.acme, BulkChangeID: id + 1, ChangeID: rows[0].ID},
			"a batch that does not exist": {BulkChangeID: id + 1},
		} {
			if _, err := db.BulkChangeLog(ctx, lf); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		batch, err := db.BulkChangeLog(ctx, store.LogFilter{TenantID: f.acme, BulkChangeID: id, BatchOnly: true})
		if err != nil || len(batch) != 1 || batch[0].Description != "carrier login" || batch[0].ChangeID != 0 {
			t.Fatalf("batch log: %+v %v", batch, err)
		}
		all, err := db.BulkChangeLog(ctx, store.LogFilter{BulkChangeID: id})
		if err != nil || len(all) != len(rowLog)+1 {
			t.Fatalf("the whole log: %q %v", descriptions(all), err)
		}
		var n int
		if err := db.EachDeviceChange(ctx, id, func(store.DeviceChange) error { n++; return nil }); err != nil || n != 3 {
			t.Fatalf("each row: %d %v", n, err)
		}
	})
}

func descriptions(es []store.LogEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Description)
	}
	return out
}

func TestDevicesByIdentifierFindsEveryIdentifierADeviceHad(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mustSeed(t, db)
		_, rows := mustBatch(t, db, f, 3)
		mustFinish(t, db, rows[0].ID, change.StatusProcessed)
		dev := *rows[0].DeviceID
		for name, value := range map[string]string{"old ICCID": rows[0].ICCID, "new ICCID": rows[0].NewICCID,
			"IMEI": rows[0].IMEI, "MDN": rows[0].MSISDN} {
			ds, err := db.DevicesByIdentifier(ctx, f.acme, value)
			if err != nil || len(ds) != 1 || ds[0].ID != dev {
				t.Errorf("%s %s: %+v %v", name, value, ds, err)
			}
			if ds, err := db.DevicesByIdentifier(ctx, f.globex, value); err != nil || len(ds) != 0 {
				t.Errorf("%s from another tenant: %+v %v", name, ds, err)
			}
		}
		// A row that failed never gave its device the new SIM.
		if ds, _ := db.DevicesByIdentifier(ctx, 0, rows[1].NewICCID); len(ds) != 0 {
			t.Errorf("an ICCID the device never had found %+v", ds)
		}
		drs, err := db.DeviceRows(ctx, f.acme, dev)
		if err != nil || len(drs) != 1 || drs[0].Status != change.StatusProcessed || drs[0].Type != change.ChangeICCID {
			t.Fatalf("device rows: %+v %v", drs, err)
		}
		if drs, _ := db.DeviceRows(ctx, f.globex, dev); len(drs) != 0 {
			t.Fatalf("another tenant sees the device's rows: %+v", drs)
		}
	})
}

// auditWorld is an audit trail small enough to reason about:
//   - day 1, all in one millisecond: Acme's batch A of three rows is created and every row sent;
//   - day 2: A's first row swaps its SIM (with the engine's "Database Update Successful" entry),
//     the second is refused by the carrier, the third waits;
//   - day 3: an admin signs in; Acme's batch B (rows 3–5) is created and its first row sent;
//     Globex's batch G (requested by the admin) is created and its first row sent.
type auditWorld struct {
	f                  fixture
	a, b, g            int64
	aRows, bRows, gRow []store.DeviceChange
	day1, day2, day3   time.Time
}

func buildAuditWorld(t *testing.T, db *store.DB) auditWorld {
	t.Helper()
	ctx := context.Background()
	w := auditWorld{f: mustSeed(t, db), day1: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)}
	w.day2, w.day3 = w.day1.Add(24*time.Hour), w.day1.Add(48*time.Hour)
	c := useClock(db, w.day1)
	w.a, w.aRows = mustBatch(t, db, w.f, 3)
	for _, r := range w.aRows {
		mustSend(t, db, r.ID, fmt.Sprint("req-", r.ID),
			store.LogEntry{Description: "ThingSpace: change identifier", RequestText: "PUT " + r.ICCID, ProcessedBy: "engine"})
	}
	c.now = w.day2
	mustFinish(t, db, w.aRows[0].ID, change.StatusProcessed,
		store.LogEntry{Description: "Carrier confirmed", ResponseText: `{"status":"Success"}`, ProcessedBy: "engine"})
	mustFinish(t, db, w.aRows[1].ID, change.StatusAPIFailed, store.LogEntry{
		Description: "Carrier refused", HasErrors: true, ErrorCode: "REQUEST_FAILED.UnknownICCID", ErrorText: "no such SIM", ProcessedBy: "engine"})
	c.now = w.day3
	if err := db.RecordAudit(ctx, store.AuditEvent{Actor: "admin@example.com", Action: store.ActionUserLogin}); err != nil {
		t.Fatal(err)
	}
	w.b, w.bRows = batchOf(t, db, w.f, w.f.acme, "m@acme.example", 3, 3, 10)
	mustSend(t, db, w.bRows[0].ID, "req-b0", store.LogEntry{Description: "ThingSpace: change identifier", ProcessedBy: "engine"})
	w.g, w.gRow = batchOf(t, db, w.f, w.f.globex, "admin@example.com", 0, 1, 20)
	mustSend(t, db, w.gRow[0].ID, "req-g0", store.LogEntry{Description: "ThingSpace: change identifier", ProcessedBy: "engine"})
	return w
}

// describe turns hits into short strings a failure message can show.
func describe(hs []store.AuditHit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s:%s@%s", h.Source, h.Summary, h.Date.Format("02T15:04:05.000")))
	}
	return out
}

func TestAuditSearchFindsEverythingAboutAnIdentifierItHad(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := buildAuditWorld(t, db)
		want := []string{
			"log:" + store.LogDatabaseUpdate + "@" + w.day2.Format("02T15:04:05.000"),
			"log:Carrier confirmed@" + w.day2.Format("02T15:04:05.000"),
			"history:SIMs failed@" + w.day2.Format("02T15:04:05.000"),
			"log:ThingSpace: change identifier@" + w.day1.Format("02T15:04:05.000"),
			"audit:bulkchange.create@" + w.day1.Format("02T15:04:05.000"),
		}
		dev := *w.aRows[0].DeviceID
		for name, value := range map[string]string{"the ICCID swapped away": w.aRows[0].ICCID, "the ICCID it has now": w.aRows[0].NewICCID} {
			p, err := db.AuditSearch(ctx, store.AuditFilter{Identifier: value})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Devices) != 1 || p.Devices[0].ID != dev {
				t.Errorf("%s: devices %+v", name, p.Devices)
			}
			if got := describe(p.Hits); !slices.Equal(got, want) {
				t.Errorf("%s:\n got %q\nwant %q", name, got, want)
			}
			for _, h := range p.Hits {
				if h.BulkChangeID == nil || *h.BulkChangeID != w.a {
					t.Errorf("%s: hit %s has batch %v, want %d", name, h.Source, h.BulkChangeID, w.a)
				}
			}
		}
		// The refused SIM never reached a device: its row's log is found, no device is.
		p, err := db.AuditSearch(ctx, store.AuditFilter{Identifier: w.aRows[1].NewICCID, Kind: store.KindLogErrors})
		if err != nil || len(p.Hits) != 1 || p.Hits[0].ErrorCode != "REQUEST_FAILED.UnknownICCID" || p.Hits[0].RowStatus != "API_FAILED" {
			t.Fatalf("refused SIM: %+v %v", p, err)
		}
		// The first 19 digits of an ICCID find the ten devices whose ICCIDs start so, the
		// swapped one included through its history.
		p, err = db.AuditSearch(ctx, store.AuditFilter{Identifier: w.aRows[0].ICCID[:19], Prefix: true})
		if err != nil || len(p.Devices) != 10 || !slices.ContainsFunc(p.Devices, func(d store.Device) bool { return d.ID == dev }) {
			t.Fatalf("prefix: %d devices %v", len(p.Devices), err)
		}
		p, err = db.AuditSearch(ctx, store.AuditFilter{Identifier: "89148000000000000999"})
		if err != nil || len(p.Hits) != 0 || len(p.Devices) != 0 {
			t.Fatalf("an identifier nobody had: %+v %v", p, err)
		}
		// Tenant filter: Globex's view of an Acme identifier is empty.
		p, err = db.AuditSearch(ctx, store.AuditFilter{Identifier: w.aRows[0].ICCID, TenantID: w.f.globex})
		if err != nil || len(p.Hits) != 0 || len(p.Devices) != 0 {
			t.Fatalf("Acme's ICCID under Globex: %+v %v", p, err)
		}
	})
}

func TestAuditSearchFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		w := buildAuditWorld(t, db)
		all := collect(t, db, store.AuditFilter{Limit: 1000})
		count := func(pred func(store.AuditHit) bool) int {
			n := 0
			for _, h := range all {
				if pred(h) {
					n++
				}
			}
			return n
		}
		day2, day3 := w.day2, w.day3
		for name, tc := range map[string]struct {
			f    store.AuditFilter
			want int
		}{
			"tenant": {store.AuditFilter{TenantID: w.f.globex}, count(func(h store.AuditHit) bool { return h.TenantID != nil && *h.TenantID == w.f.globex })},
			// A: 3 sent + confirmed + database update + refused, one history row, its creation.
			"batch": {store.AuditFilter{BulkChangeID: w.a}, 8},
			// Row A1: sent, refused.
			"row status": {store.AuditFilter{RowStatus: change.StatusAPIFailed}, 2},
			"failures":   {store.AuditFilter{Kind: store.KindLogErrors}, 1},
			"history":    {store.AuditFilter{Kind: store.KindHistory}, 1},
			// seed, A, login, B, G.
			"audit events": {store.AuditFilter{Kind: store.KindAudit}, 5},
			// confirmed, database update, refused, history.
			"one day": {store.AuditFilter{From: &day2, To: &day3}, 4},
			// Requested by the admin (G: created + sent) or done by the admin (login).
			"user": {store.AuditFilter{User: "Admin@Example.com"}, 3},
			// Every log entry of row status PROCESSING on day 3: B0 and G0 sent.
			"combined": {store.AuditFilter{RowStatus: change.StatusProcessing, From: &day3, Kind: store.KindLog}, 2},
		} {
			t.Run(name, func(t *testing.T) {
				got := collect(t, db, withLimit(tc.f, 2))
				if len(got) != tc.want {
					t.Fatalf("%d hits, want %d: %q", len(got), tc.want, describe(got))
				}
			})
		}
		// seed, A (created, 3 sent, confirmed, database update, refused, history), login, B (created, sent), G (created, sent)
		if len(all) != 14 {
			t.Fatalf("the whole trail has %d entries, want 14: %q", len(all), describe(all))
		}
	})
}

func withLimit(f store.AuditFilter, n int) store.AuditFilter {
	f.Limit = n
	return f
}

func TestAuditPagingNeverSkipsOrRepeats(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		buildAuditWorld(t, db)
		one, err := db.AuditSearch(ctx, store.AuditFilter{Limit: 1000})
		if err != nil || one.Next != nil {
			t.Fatalf("one page: %v %v", one.Next, err)
		}
		for _, size := range []int{1, 2, 3, 7} {
			paged := collect(t, db, store.AuditFilter{Limit: size})
			if !slices.Equal(keys(paged), keys(one.Hits)) {
				t.Fatalf("pages of %d:\n got %q\nwant %q", size, keys(paged), keys(one.Hits))
			}
		}
		for i := 1; i < len(one.Hits); i++ {
			if one.Hits[i].Date.After(one.Hits[i-1].Date) {
				t.Fatalf("hit %d is newer than the one before it", i)
			}
		}
		var exported []store.AuditHit
		if err := db.AuditExport(ctx, store.AuditFilter{}, func(h store.AuditHit) error { exported = append(exported, h); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keys(exported), keys(one.Hits)) {
			t.Fatalf("export:\n got %q\nwant %q", keys(exported), keys(one.Hits))
		}
		if _, err := store.ParseAuditCursor("12-nope-3"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("damaged cursor: %v", err)
		}
		c := one.Hits[3].Cursor()
		back, err := store.ParseAuditCursor(c.String())
		if err != nil || !back.Date.Equal(c.Date) || back.Source != c.Source || back.ID != c.ID {
			t.Fatalf("cursor round trip: %+v %v", back, err)
		}
	})
}

// TestAuditExportCrossesChunks exports more entries than one export query reads, on SQLite (the
// volume loader writes explicit ids).
func TestAuditExportCrossesChunks(t *testing.T) {
	ctx := context.Background()
	db := mustOpenSQLite(t)
	f := mustSeed(t, db)
	v := store.AuditVolume{ProviderID: f.provider, TenantIDs: []int64{f.acme, f.globex}, Devices: 100, ChangesPerDevice: 3,
		LogsPerChange: 8, RowsPerBatch: 50, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Span: 30 * 24 * time.Hour}
	if _, _, err := db.LoadAuditVolume(ctx, v); err != nil {
		t.Fatal(err)
	}
	var exported []store.AuditHit
	if err := db.AuditExport(ctx, store.AuditFilter{}, func(h store.AuditHit) error { exported = append(exported, h); return nil }); err != nil {
		t.Fatal(err)
	}
	paged := collect(t, db, store.AuditFilter{Limit: 500})
	// 2,400 log entries, 300 history rows, 6 batch creations and the seed.
	if len(exported) != 2707 || !slices.Equal(keys(exported), keys(paged)) {
		t.Fatalf("export of %d hits, paging %d", len(exported), len(paged))
	}
	seen := map[string]bool{}
	for _, k := range keys(exported) {
		if seen[k] {
			t.Fatalf("%s exported twice", k)
		}
		seen[k] = true
	}
	// A device's whole chain of SIMs is found from its first one.
	p, err := db.AuditSearch(ctx, store.AuditFilter{Identifier: store.VolumeICCID(7, 0), Kind: store.KindHistory})
	if err != nil || len(p.Hits) != 3 || len(p.Devices) != 1 || p.Devices[0].ICCID != store.VolumeICCID(7, 3) {
		t.Fatalf("chain: %q %+v %v", describe(p.Hits), p.Devices, err)
	}
}

func TestDashboardCounts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := buildAuditWorld(t, db)
		d, err := db.Dashboard(ctx, store.DashboardFilter{WeekStart: w.day1, Since: w.day1.Add(-24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if d.WeekBatches != 3 || d.WeekRows.Total != 7 || d.WeekRows.Processed != 1 || d.WeekRows.APIFailed != 1 ||
			d.WeekRows.Processing != 3 || d.WeekRows.New != 2 {
			t.Fatalf("this week: %d batches, %+v", d.WeekBatches, d.WeekRows)
		}
		if d.Waiting != 3 || d.OldestWaiting == nil || !d.OldestWaiting.Equal(w.day1) || d.OldestWaitingBulkChangeID != w.a {
			t.Fatalf("waiting: %d since %v in %d", d.Waiting, d.OldestWaiting, d.OldestWaitingBulkChangeID)
		}
		if len(d.Days) != 1 || !d.Days[0].Day.Equal(w.day2.Truncate(24*time.Hour)) || d.Days[0].Processed != 1 || d.Days[0].APIFailed != 1 {
			t.Fatalf("days: %+v", d.Days)
		}
		if len(d.FailureCodes) != 1 || d.FailureCodes[0] != (store.CodeCount{Code: "REQUEST_FAILED.UnknownICCID", Rows: 1}) {
			t.Fatalf("codes: %+v", d.FailureCodes)
		}
		g, err := db.Dashboard(ctx, store.DashboardFilter{TenantID: w.f.globex, WeekStart: w.day1, Since: w.day1})
		if err != nil || g.WeekBatches != 1 || g.Waiting != 1 || g.OldestWaitingBulkChangeID != w.g || len(g.Days) != 0 || len(g.FailureCodes) != 0 {
			t.Fatalf("Globex: %+v %v", g, err)
		}
		later, err := db.Dashboard(ctx, store.DashboardFilter{WeekStart: w.day3.Add(time.Hour), Since: w.day3})
		if err != nil || later.WeekBatches != 0 || len(later.Days) != 0 {
			t.Fatalf("a week that starts after everything: %+v %v", later, err)
		}
	})
}

func TestJobStats(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := buildAuditWorld(t, db)
		// Seven rows, a submit job each (no worker took them); the five rows sent scheduled
		// their first carrier check a minute after the send.
		s, err := db.JobStats(ctx, w.day3.Add(time.Hour))
		if err != nil || s.Queued != 7+5 || s.Running != 0 || s.OldestDue == nil || !s.OldestDue.Equal(w.day1) {
			t.Fatalf("stats: %+v %v", s, err)
		}
		s, err = db.JobStats(ctx, w.day1.Add(-time.Hour))
		if err != nil || s.Queued != 7+5 || s.OldestDue != nil {
			t.Fatalf("before any job is due: %+v %v", s, err)
		}
	})
}

// collect follows a search page by page to its end.
func collect(t *testing.T, db *store.DB, f store.AuditFilter) []store.AuditHit {
	t.Helper()
	var out []store.AuditHit
	for range 10000 {
		p, err := db.AuditSearch(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Hits...)
		if p.Next == nil {
			return out
		}
		f.After = p.Next
	}
	t.Fatal("paging never ended")
	return nil
}

func keys(hs []store.AuditHit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Cursor().String())
	}
	return out
}
