package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
)

// finishRow takes a row through the engine's store calls: claimed, sent with a carrier request
// id, and ended with the given status.
func (e *env) finishRow(row store.DeviceChange, requestID string, to change.Status) {
	e.t.Helper()
	ctx := context.Background()
	at, ok, err := e.db.ClaimChange(ctx, row.ID, "engine", time.Minute, 0)
	if err != nil || !ok {
		e.t.Fatalf("claim: %v %v", ok, err)
	}
	if err := e.db.RecordSent(ctx, row.ID, requestID, "engine"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.FinishChange(ctx, store.FinishedChange{ChangeID: row.ID, From: change.StatusProcessing, SubmittedAt: &at, To: to,
		Details: "test", By: "engine"}); err != nil {
		e.t.Fatal(err)
	}
}

// TestComplianceReport: the report lists the confirmed changes of the period and tenant, with
// who asked, why, when sent and confirmed, the identifiers and the carrier's request id; the
// page's SHA-256 is the downloaded file's, and the download is in the audit trail with it.
func TestComplianceReport(t *testing.T) {
	e := newEnv(t)
	_, acme := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	_, globex := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 1, 2)
	e.finishRow(acme[0], "req-acme-0", change.StatusProcessed)
	e.finishRow(acme[1], "req-acme-1", change.StatusAPIFailed) // refused: changed nothing
	e.finishRow(globex[0], "req-globex-0", change.StatusProcessed)
	today := time.Now().UTC().Format("2006-01-02")
	period := "?from=" + today + "&to=" + today

	m := e.signIn(demo.AcmeManager)
	res, body := m.get(paths.ComplianceReport + period)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "1 identifier changes") || !strings.Contains(body, "req-acme-0") ||
		strings.Contains(body, "req-globex-0") || strings.Contains(body, "req-acme-1") {
		t.Fatalf("manager's report page: %d", res.StatusCode)
	}
	shown := shownSHA256(body)
	res, file := m.get(paths.ComplianceReportCSV + period)
	sum := sha256.Sum256([]byte(file))
	if res.StatusCode != http.StatusOK || hex.EncodeToString(sum[:]) != shown || res.Header.Get("Idswap-Content-SHA256") != shown {
		t.Fatalf("download: %d, sha %s, page %s, header %s", res.StatusCode, hex.EncodeToString(sum[:]), shown, res.Header.Get("Idswap-Content-SHA256"))
	}
	// The one spreadsheet writer (internal/sheet) starts with a byte-order mark and keeps an
	// all-digit identifier text with a leading apostrophe; sheet.Unmark reads it back.
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(file, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv: %v %v", recs, err)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = sheet.Unmark(recs[1][i])
	}
	if !strings.HasPrefix(recs[1][slices.Index(recs[0], "old_iccid")], "'") {
		t.Fatalf("old_iccid %q is not kept as text", recs[1][slices.Index(recs[0], "old_iccid")])
	}
	if row["requested_by"] != demo.AcmeManager || row["reason"] != "SIMs failed in the field" || row["old_iccid"] != acme[0].ICCID ||
		row["new_iccid"] != acme[0].NewICCID || row["carrier_request_id"] != "req-acme-0" || row["sent_utc"] == "" || row["confirmed_utc"] == "" ||
		row["change_type"] != string(change.ChangeICCID) || row["tenant"] != demo.TenantAcme {
		t.Fatalf("csv row: %v", row)
	}

	// The same report as an Excel workbook: its own hash in the header, the identifiers whole.
	res, book := m.get(paths.ComplianceReportXLSX + period)
	bookSum := sha256.Sum256([]byte(book))
	if res.StatusCode != http.StatusOK || res.Header.Get("Idswap-Content-SHA256") != hex.EncodeToString(bookSum[:]) {
		t.Fatalf("xlsx download: %d, header %s", res.StatusCode, res.Header.Get("Idswap-Content-SHA256"))
	}
	cells, err := sheet.ReadXLSX(strings.NewReader(book))
	if err != nil || len(cells) != 2 || cells[1][slices.Index(cells[0], "old_iccid")] != acme[0].ICCID {
		t.Fatalf("xlsx: %v %v", cells, err)
	}
	// Download the CSV again, so the audit event read below is the CSV's.
	if _, again := m.get(paths.ComplianceReportCSV + period); again != file {
		t.Fatal("the same period gave another CSV")
	}

	// The audit trail has the download with the same hash.
	conn, err := sql.Open("sqlite", e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var actor, details string
	if err := conn.QueryRow(`SELECT Actor, Details FROM AuditEvent WHERE Action = ? ORDER BY Id DESC LIMIT 1`, string(store.ActionComplianceReport)).
		Scan(&actor, &details); err != nil {
		t.Fatal(err)
	}
	if actor != demo.AcmeManager || !strings.Contains(details, shown) || !strings.Contains(details, `"rows":1`) {
		t.Fatalf("audit: %s %s", actor, details)
	}

	// An admin takes every tenant; a manager's tenant parameter is ignored.
	a := e.signIn(demo.AdminEmail)
	if _, body := a.get(paths.ComplianceReport + period + "&tenant=0"); !strings.Contains(body, "2 identifier changes") {
		t.Fatal("admin, every tenant: not 2 changes")
	}
	if _, body := m.get(paths.ComplianceReport + period + fmt.Sprintf("&tenant=%d", e.tenantID(demo.TenantGlobex))); strings.Contains(body, "req-globex-0") {
		t.Fatal("a manager read another tenant's report")
	}
	// A period that ends before it starts is refused next to its field.
	if res, body := m.get(paths.ComplianceReport + "?from=2026-02-02&to=2026-02-01"); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "the end date is before the start date") {
		t.Fatalf("bad period: %d", res.StatusCode)
	}
	if res, _ := m.get(paths.ComplianceReportCSV + "?from=2026-02-31&to=2026-03-01"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad date download: %d", res.StatusCode)
	}
}

// shownSHA256 is the SHA-256 the page shows.
func shownSHA256(body string) string {
	const mark = `data-testid="report-sha256">`
	i := strings.Index(body, mark)
	if i < 0 {
		return ""
	}
	rest := body[i+len(mark):]
	return rest[:strings.Index(rest, "<")]
}
