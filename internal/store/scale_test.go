package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/store"
)

// scaleRows is the largest request the product takes (docs/DESIGN.md): every path such a
// request goes through is run at this size, on SQLite and, with IDSWAP_MSSQL_DSN, on SQL Server.
const scaleRows = 10000

// SQL Server refuses a statement with more than 2,100 parameters, and sp_executesql (how the
// driver sends a statement with parameters) spends two of them on the statement and its
// declarations; an INSERT … VALUES takes at most 1,000 rows.
const (
	maxStatementParams = 2098
	maxValuesRows      = 1000
)

var (
	sqlserverParam = regexp.MustCompile(`@p(\d+)`)
	valuesRow      = regexp.MustCompile(`\)\s*,\s*\(`)
)

// statementLimits watches the SQL Server text of every statement the store runs until the test
// ends, and fails the test when one would be refused by SQL Server for its size. It returns
// the largest parameter count seen, so a test can show that its big statements were watched.
func statementLimits(t *testing.T) (largest func() int) {
	t.Helper()
	var mu sync.Mutex
	most := 0
	stop := store.WatchSQLServerStatements(func(q string) {
		n := 0
		for _, m := range sqlserverParam.FindAllStringSubmatch(q, -1) {
			if k, _ := strconv.Atoi(m[1]); k > n {
				n = k
			}
		}
		rows := 0
		if strings.HasPrefix(strings.TrimSpace(q), "INSERT INTO") && strings.Contains(q, " VALUES (") {
			rows = len(valuesRow.FindAllStringIndex(q[strings.Index(q, " VALUES ("):], -1)) + 1
		}
		mu.Lock()
		defer mu.Unlock()
		most = max(most, n)
		if n > maxStatementParams {
			t.Errorf("a statement has %d parameters; SQL Server takes %d: %.200s…", n, maxStatementParams, q)
		}
		if rows > maxValuesRows {
			t.Errorf("an INSERT has %d rows of VALUES; SQL Server takes %d: %.200s…", rows, maxValuesRows, q)
		}
	})
	t.Cleanup(stop)
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return most
	}
}

// countStatuses tallies a request's rows as EachDeviceChange (the CSV export) reads them, and
// fails the test unless each row comes once, in order.
func countStatuses(t *testing.T, db *store.DB, bulk int64) (change.Counts, []store.DeviceChange) {
	t.Helper()
	var c change.Counts
	var rows []store.DeviceChange
	seen := map[int64]bool{}
	err := db.EachDeviceChange(context.Background(), bulk, func(r store.DeviceChange) error {
		if seen[r.ID] || (len(rows) > 0 && r.ID <= rows[len(rows)-1].ID) {
			return fmt.Errorf("row %d out of order or twice", r.ID)
		}
		seen[r.ID] = true
		c.Add(r.Status, 1)
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, rows
}

// mustCounts checks a request's status and its counts, both as BulkChange reports them and as
// its rows are.
func mustCounts(t *testing.T, db *store.DB, bulk int64, status change.BatchStatus, want change.Counts) {
	t.Helper()
	b, err := db.BulkChange(context.Background(), 0, bulk)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := countStatuses(t, db, bulk)
	if b.Status != status || b.Counts != want || got != want {
		t.Fatalf("request %d: %s %+v, rows %+v; want %s %+v", bulk, b.Status, b.Counts, got, status, want)
	}
}

// outboxOf counts the result e-mails of a request.
func outboxOf(t *testing.T, db *store.DB, bulk int64) int {
	t.Helper()
	es, total, err := db.OutboxEmails(context.Background(), 1000, 0)
	if err != nil || len(es) != total {
		t.Fatalf("outbox: %d of %d, %v", len(es), total, err)
	}
	n := 0
	for _, e := range es {
		if e.BulkChangeID != nil && *e.BulkChangeID == bulk {
			n++
		}
	}
	return n
}

// auditCount follows an audit export to its end and counts the hits per row, failing on a
// hit seen twice.
func auditCount(t *testing.T, db *store.DB, f store.AuditFilter) (total int, perRow map[int64]int) {
	t.Helper()
	perRow = map[int64]int{}
	seen := map[string]bool{}
	err := db.AuditExport(context.Background(), f, func(h store.AuditHit) error {
		k := h.Cursor().String()
		if seen[k] {
			return fmt.Errorf("hit %s twice", k)
		}
		seen[k] = true
		total++
		if h.ChangeID != nil {
			perRow[*h.ChangeID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total, perRow
}

// TestATenThousandRowRequest takes requests of the largest size through everything a request
// goes through in the store: the checks before it is made, CreateBulkChange (its INSERTs and
// IN lists chunked under SQL Server's 2,100 parameters: every statement is measured), the
// clash check of a second request for the same lines, paging, the CSV read, the counts, a
// scheduled start held by a pause and released by the resume, claims held while paused, the
// cancel of every unsent row, completion with one result e-mail, a failure of the whole
// request, its retry, the undo candidates and the audit search and export of its rows.
func TestATenThousandRowRequest(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		if raceEnabled && strings.HasSuffix(t.Name(), "/sqlite") {
			// SQLite here is Go (modernc), every memory access of it instrumented: 9 s becomes
			// 4½ minutes, and this test starts no goroutine for the detector to watch. The run
			// without -race (make sqlserver-statements, part of make test) takes it on SQLite.
			t.Skip("the 10,000-row request runs on SQLite without -race only")
		}
		ctx := context.Background()
		largest := statementLimits(t)
		began := time.Now()
		f := mustSeedDevices(t, db, scaleRows, 10)
		u, err := db.UserByEmail(ctx, "m@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		rows := newRows(t, db, f.acme, 0, scaleRows, 100000)
		t.Logf("seeded %d devices: %v", scaleRows, time.Since(began))

		// The checks of the form and the API, before the request is made.
		step := time.Now()
		var iccids, imeis, newICCIDs []string
		var devices []int64
		for _, r := range rows {
			iccids, imeis, newICCIDs = append(iccids, r.ICCID), append(imeis, r.IMEI), append(newICCIDs, r.NewICCID)
			devices = append(devices, r.DeviceID)
		}
		found, err := db.DevicesByIdentifiers(ctx, f.acme, f.provider, map[ident.Kind][]string{ident.ICCID: iccids})
		if err != nil || len(found[ident.ICCID]) != scaleRows {
			t.Fatalf("devices by ICCID: %d of %d, %v", len(found[ident.ICCID]), scaleRows, err)
		}
		for _, r := range rows {
			if ds := found[ident.ICCID][r.ICCID]; len(ds) != 1 || ds[0].ID != r.DeviceID {
				t.Fatalf("ICCID %s found %+v, want device %d", r.ICCID, ds, r.DeviceID)
			}
		}
		if clashes, err := db.FindClashes(ctx, newICCIDs, nil, devices); err != nil || len(clashes) != 0 {
			t.Fatalf("clashes before any request: %d %v", len(clashes), err)
		}
		models, err := db.DeviceModelsForIMEIs(ctx, imeis)
		if err != nil || len(models) != scaleRows || models[imeis[scaleRows-1]].Model != "BG96" {
			t.Fatalf("models: %d of %d, %v", len(models), scaleRows, err)
		}
		t.Logf("checks: %v", time.Since(step))

		// A request that starts in an hour: SCHEDULED, no submit job yet.
		step = time.Now()
		startAt := time.Now().Add(time.Hour)
		bulk, created, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "scale", RequestedBy: u, IdempotencyKey: "scale-1", RunAt: &startAt, Rows: rows})
		if err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		t.Logf("create %d rows: %v", scaleRows, time.Since(step))
		if most := largest(); most < 1900 {
			t.Fatalf("the largest statement had %d parameters: the inserts were not measured in chunks near the limit", most)
		}
		mustCounts(t, db, bulk, change.BatchScheduled, change.Counts{Total: scaleRows, New: scaleRows})
		if n, _ := db.CountJobsOfKind(ctx, jobs.KindSubmitChange, store.JobQueued); n != 0 {
			t.Fatalf("a scheduled request queued %d submits", n)
		}

		// Every line and new SIM is taken now: a second request for them is refused whole.
		clashes, err := db.FindClashes(ctx, newICCIDs, nil, devices)
		if err != nil || len(clashes) != 2*scaleRows {
			t.Fatalf("clashes: %d, want %d, %v", len(clashes), 2*scaleRows, err)
		}
		_, _, err = db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "again", RequestedBy: u, Rows: rows})
		var ce *store.ClashError
		if !apperr.Is(err, apperr.Conflict) || !errors.As(err, &ce) || len(ce.Clashes) != 2*scaleRows {
			t.Fatalf("a second request for the same lines: %v", err)
		}
		if _, n, _ := db.BulkChanges(ctx, store.BulkChangeFilter{TenantID: f.acme}); n != 1 {
			t.Fatalf("requests after a refused one: %d", n)
		}

		// Paging: every row once, in order, numbered by its place.
		step = time.Now()
		var paged []store.DeviceChange
		for off := 0; ; off += 1000 {
			page, total, err := db.DeviceChanges(ctx, bulk, store.DeviceChangeFilter{Limit: 1000, Offset: off})
			if err != nil || total != scaleRows {
				t.Fatalf("page at %d: total %d, %v", off, total, err)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
		}
		t.Logf("page through %d rows: %v", scaleRows, time.Since(step))
		step = time.Now()
		all, total, err := db.DeviceChanges(ctx, bulk, store.DeviceChangeFilter{})
		if err != nil || total != scaleRows || len(all) != scaleRows || len(paged) != scaleRows {
			t.Fatalf("every row at once: %d of %d; paged %d; %v", len(all), total, len(paged), err)
		}
		t.Logf("every row at once (the e-mail's and the API's read): %v", time.Since(step))
		for i := range all {
			if all[i].Number != i+1 || paged[i].ID != all[i].ID || paged[i].Number != i+1 || (i > 0 && all[i].ID <= all[i-1].ID) {
				t.Fatalf("row %d: number %d, paged %d (%d), id %d", i, all[i].Number, paged[i].Number, paged[i].ID, all[i].ID)
			}
		}
		if _, csv := countStatuses(t, db, bulk); len(csv) != scaleRows || csv[scaleRows-1].ID != all[scaleRows-1].ID {
			t.Fatalf("CSV rows: %d", len(csv))
		}

		// Paused before its start; the start job finds it paused and leaves it; the resume,
		// after the start time, starts it and queues all of its rows.
		if err := db.PauseBulkChange(ctx, f.acme, bulk, "m@acme.example", ""); err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return time.Now().Add(2 * time.Hour).UTC().Truncate(time.Millisecond) }
		if started, err := db.StartBulkChange(ctx, bulk, "engine"); err != nil || started {
			t.Fatalf("the start of a paused request: %v %v", started, err)
		}
		step = time.Now()
		now, err := db.ResumeBulkChange(ctx, f.acme, bulk, "m@acme.example", "")
		if err != nil || now != change.BatchProcessing {
			t.Fatalf("resume after the start time: %s %v", now, err)
		}
		t.Logf("start %d rows: %v", scaleRows, time.Since(step))
		if n, _ := db.CountJobsOfKind(ctx, jobs.KindSubmitChange, store.JobQueued); n != scaleRows {
			t.Fatalf("submits queued by the start: %d", n)
		}

		// Three rows go out; a pause holds the next two claims; the resume queues them again.
		var sent []time.Time
		for _, r := range all[:3] {
			sent = append(sent, mustClaim(t, db, r.ID))
		}
		if err := db.PauseBulkChange(ctx, f.acme, bulk, "m@acme.example", ""); err != nil {
			t.Fatal(err)
		}
		for _, r := range all[3:5] {
			if _, ok, err := db.ClaimChange(ctx, r.ID, "engine", time.Minute, 0); err != nil || ok {
				t.Fatalf("a claim while paused: %v %v", ok, err)
			}
		}
		if now, err := db.ResumeBulkChange(ctx, f.acme, bulk, "m@acme.example", ""); err != nil || now != change.BatchProcessing {
			t.Fatalf("resume: %s %v", now, err)
		}
		if n, _ := db.CountJobsOfKind(ctx, jobs.KindSubmitChange, store.JobQueued); n != scaleRows+2 {
			t.Fatalf("submits after the resume: %d, want the start's and the two held rows'", n)
		}

		// The user cancels: every row not sent, however many.
		step = time.Now()
		n, err := db.CancelOpenRows(ctx, f.acme, bulk, "m@acme.example")
		if err != nil || n != scaleRows-3 {
			t.Fatalf("cancel: %d %v", n, err)
		}
		t.Logf("cancel %d rows: %v", n, time.Since(step))
		mustCounts(t, db, bulk, change.BatchProcessing, change.Counts{Total: scaleRows, Processing: 3, Cancelled: scaleRows - 3})
		if ok, err := db.MarkSent(ctx, all[0].ID, sent[0]); err != nil || !ok {
			t.Fatalf("mark sent: %v %v", ok, err)
		}
		if err := db.RecordSent(ctx, all[0].ID, "req-0", "engine"); err != nil {
			t.Fatal(err)
		}
		mustFinish(t, db, all[0].ID, change.StatusProcessed)
		mustFinish(t, db, all[1].ID, change.StatusAPIFailed, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true, ErrorCode: "REQUEST_FAILED.UnknownError"})
		if outboxOf(t, db, bulk) != 0 {
			t.Fatal("completed with a row open")
		}
		last := mustFinish(t, db, all[2].ID, change.StatusProcessed)
		want := change.Counts{Total: scaleRows, Processed: 2, APIFailed: 1, Cancelled: scaleRows - 3}
		if c := last.Completion; c == nil || c.Status != change.BatchProcessedWithErrors || c.Counts != want {
			t.Fatalf("completion: %+v", last.Completion)
		}
		mustCounts(t, db, bulk, change.BatchProcessedWithErrors, want)
		if n := outboxOf(t, db, bulk); n != 1 {
			t.Fatalf("result e-mails: %d", n)
		}
		if codes, err := db.FailureCodes(ctx, bulk); err != nil || len(codes) != 1 || codes[all[1].ID] != "REQUEST_FAILED.UnknownError" {
			t.Fatalf("failure codes: %v %v", codes, err)
		}

		// The undo reads every row with its device now.
		step = time.Now()
		cands, err := db.UndoCandidates(ctx, bulk)
		if err != nil || len(cands) != scaleRows {
			t.Fatalf("undo candidates: %d %v", len(cands), err)
		}
		t.Logf("undo candidates of %d rows: %v", scaleRows, time.Since(step))
		for i, c := range cands {
			changed := i == 0 || i == 2
			if c.Number != i+1 || c.ID != all[i].ID || !c.DeviceFound || (c.DeviceICCID == c.NewICCID) != changed || c.LaterBulkChangeID != 0 {
				t.Fatalf("candidate %d: %+v", i, c)
			}
		}

		// Each row's log entry, as the engine writes it with AddLogs, for the audit search.
		logs := make([]store.LogEntry, 0, scaleRows)
		for _, r := range all {
			logs = append(logs, store.LogEntry{BulkChangeID: bulk, ChangeID: r.ID, Description: store.LogWaiting,
				ResponseStatus: store.LogStatusProcessing, ProcessedBy: "engine"})
		}
		if err := db.AddLogs(ctx, logs...); err != nil {
			t.Fatal(err)
		}
		step = time.Now()
		hits, perRow := auditCount(t, db, store.AuditFilter{BulkChangeID: bulk, Kind: store.KindLog})
		t.Logf("export the log of %d rows (%d hits): %v", scaleRows, hits, time.Since(step))
		if len(perRow) != scaleRows {
			t.Fatalf("the log export names %d rows of %d", len(perRow), scaleRows)
		}
		for _, r := range all[3:] {
			if perRow[r.ID] != 1 {
				t.Fatalf("row %d has %d log hits, want its one entry", r.ID, perRow[r.ID])
			}
		}
		// Cancelled rows are too many to name (more than the search looks up by row): the search
		// reads the log in date order and keeps theirs, page after page.
		step = time.Now()
		var cancelled int
		filter := store.AuditFilter{BulkChangeID: bulk, RowStatus: change.StatusCancelled, Limit: 2000}
		for {
			p, err := db.AuditSearch(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range p.Hits {
				if h.RowStatus != string(change.StatusCancelled) || h.ChangeID == nil {
					t.Fatalf("a hit of a row that is %q: %+v", h.RowStatus, h)
				}
			}
			cancelled += len(p.Hits)
			if p.Next == nil {
				break
			}
			filter.After = p.Next
		}
		t.Logf("search the cancelled rows' log, by pages: %v", time.Since(step))
		if cancelled != scaleRows-3 {
			t.Fatalf("cancelled rows' log entries found: %d, want %d", cancelled, scaleRows-3)
		}
		// The last row's SIM finds its request.
		p, err := db.AuditSearch(ctx, store.AuditFilter{Identifier: all[scaleRows-1].ICCID})
		if err != nil || len(p.Hits) == 0 {
			t.Fatalf("search by the last row's ICCID: %+v %v", p, err)
		}
		for _, h := range p.Hits {
			if h.BulkChangeID == nil || *h.BulkChangeID != bulk {
				t.Fatalf("a hit of another request: %+v", h)
			}
		}
		acts, err := db.AuditActionsOf(ctx, "DeviceBulkChange", fmt.Sprint(bulk))
		if err != nil || strings.Join(acts, ", ") != "bulkchange.create by m@acme.example, bulkchange.pause by m@acme.example, "+
			"bulkchange.start by m@acme.example, bulkchange.resume by m@acme.example, bulkchange.pause by m@acme.example, bulkchange.resume by m@acme.example, "+
			"bulkchange.cancel by m@acme.example, bulkchange.complete by engine" {
			t.Fatalf("audit events: %v %v", acts, err)
		}

		// A second request for the same lines (free again), sent at once: it fails as a whole,
		// is retried, and is cancelled whole.
		db.Now = func() time.Time { return time.Now().Add(3 * time.Hour).UTC().Truncate(time.Millisecond) }
		rows2 := newRows(t, db, f.acme, 0, scaleRows, 200000)
		step = time.Now()
		bulk2, _, err := db.CreateBulkChange(ctx, store.NewBulkChange{TenantID: f.acme, ServiceProviderID: f.provider,
			Type: change.ChangeICCID, Reason: "scale 2", RequestedBy: u, Rows: rows2})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("create %d rows sent at once: %v", scaleRows, time.Since(step))
		if n, _ := db.CountJobsOfKind(ctx, jobs.KindSubmitChange, store.JobQueued); n != 2*scaleRows+2 {
			t.Fatalf("submits: %d", n)
		}
		step = time.Now()
		failed, err := db.FailBulkChange(ctx, store.BatchFailure{BulkChangeID: bulk2, Reason: "Write operations are disabled",
			ErrorCode: "WRITES_DISABLED", By: "engine"})
		if err != nil || len(failed.Rows) != scaleRows || failed.Completion == nil || failed.Completion.Status != change.BatchError {
			t.Fatalf("fail: %d rows, %+v, %v", len(failed.Rows), failed.Completion, err)
		}
		t.Logf("fail %d rows: %v", scaleRows, time.Since(step))
		mustCounts(t, db, bulk2, change.BatchError, change.Counts{Total: scaleRows, Error: scaleRows})
		if n, err := db.UnsentFailedRows(ctx, bulk2); err != nil || n != scaleRows {
			t.Fatalf("unsent failed rows: %d %v", n, err)
		}
		step = time.Now()
		if n, err := db.RetryBulkChange(ctx, 0, bulk2, "admin@example.com", ""); err != nil || n != scaleRows {
			t.Fatalf("retry: %d %v", n, err)
		}
		t.Logf("retry %d rows: %v", scaleRows, time.Since(step))
		mustCounts(t, db, bulk2, change.BatchProcessing, change.Counts{Total: scaleRows, New: scaleRows})
		if n, _ := db.CountJobsOfKind(ctx, jobs.KindSubmitChange, store.JobQueued); n != 3*scaleRows+2 {
			t.Fatalf("submits after the retry: %d", n)
		}
		if n, err := db.CancelOpenRows(ctx, f.acme, bulk2, "m@acme.example"); err != nil || n != scaleRows {
			t.Fatalf("cancel the whole request: %d %v", n, err)
		}
		mustCounts(t, db, bulk2, change.BatchCancelled, change.Counts{Total: scaleRows, Cancelled: scaleRows})
		if n := outboxOf(t, db, bulk2); n != 2 {
			t.Fatalf("result e-mails of a request that failed, was retried and was cancelled: %d, want 2", n)
		}
		bs, n2, err := db.BulkChanges(ctx, store.BulkChangeFilter{TenantID: f.acme})
		if err != nil || n2 != 2 || bs[0].Counts.Total != scaleRows || bs[1].Counts.Total != scaleRows {
			t.Fatalf("list: %d %v", n2, err)
		}
		t.Logf("largest statement: %d parameters; whole test %v (a loaded machine: upper bounds)", largest(), time.Since(began))
	})
}
