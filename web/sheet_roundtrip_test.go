package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// finishedBatch is a finished request of three rows: the first changed, the other two refused
// by the carrier.
func (e *env) finishedBatch() (int64, []string) {
	e.t.Helper()
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	e.drive(rows[0].ID, change.StatusProcessed)
	e.drive(rows[1].ID, change.StatusAPIFailed)
	e.drive(rows[2].ID, change.StatusAPIFailed)
	return id, []string{rows[0].MSISDN, rows[1].MSISDN, rows[2].MSISDN}
}

// An .xlsx downloaded from a finished request, edited in a spreadsheet (the changed row
// deleted, the refused rows given other SIMs) and uploaded as it is, passes the checks; the
// Rows box shows plain identifiers.
func TestRowsXLSXEditedAndUploadedPassesTheChecks(t *testing.T) {
	e := newEnv(t)
	id, mdns := e.finishedBatch()
	c := e.signIn(demo.AcmeManager)
	res, body := c.get(paths.BulkChangeRowsXLSX(id))
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("rows.xlsx: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil || len(rows) != 4 || strings.Join(rows[0][:4], ",") != "current,new_iccid,new_imei,note" {
		t.Fatalf("sheet: %v %v", rows, err)
	}
	// Identifiers are text cells holding every digit, not numbers.
	if typ, _ := f.GetCellType("Sheet1", "B2"); typ == excelize.CellTypeNumber {
		t.Fatal("the new ICCID is a number cell")
	}
	if rows[1][0] != mdns[0] || rows[2][0] != mdns[1] || rows[2][4] != "API_FAILED" || rows[2][5] != "failed at the carrier" {
		t.Fatalf("rows: %q", rows)
	}
	// Edit: drop the changed row, give the refused ones new SIMs.
	if err := f.RemoveRow("Sheet1", 2); err != nil {
		t.Fatal(err)
	}
	for i, cell := range []string{"B2", "B3"} {
		if err := f.SetCellStr("Sheet1", cell, e.spareSIM(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	var edited bytes.Buffer
	if _, err := f.WriteTo(&edited); err != nil {
		t.Fatal(err)
	}
	form := e.changeForm(change.ChangeICCID)
	form.Set("action", "upload")
	_, body = c.postMultipart(paths.NewBulkChange, form, "csv", fmt.Sprintf("bulk-change-%d-rows.xlsx", id), edited.Bytes())
	doc := mustDoc(t, body)
	if got := text(doc, "[data-testid=check-summary]"); !strings.HasPrefix(got, "2 rows: 2 ready") {
		t.Fatalf("summary: %q; errors %q; file %q", got, text(doc, "[data-testid=error-rows]"), text(doc, "[data-testid=csv-error]"))
	}
	want := mdns[1] + "," + e.spareSIM(10) + "\n" + mdns[2] + "," + e.spareSIM(11)
	if got := strings.TrimSpace(doc.Find("#rows").Text()); got != want {
		t.Fatalf("Rows box %q, want %q", got, want)
	}
}

// The CSV download goes back in the same way, apostrophes and all.
func TestRowsCSVEditedAndUploadedPassesTheChecks(t *testing.T) {
	e := newEnv(t)
	id, mdns := e.finishedBatch()
	c := e.signIn(demo.AcmeManager)
	_, body := c.get(paths.BulkChangeRowsCSV(id))
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV: %v %v", recs, err)
	}
	if recs[2][0] != "'"+mdns[1] {
		t.Fatalf("current %q", recs[2][0])
	}
	// As a spreadsheet saves it: the apostrophes it showed are kept in the cells.
	recs = append(recs[:1], recs[2:]...)
	recs[1][1], recs[2][1] = "'"+e.spareSIM(10), "'"+e.spareSIM(11)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(recs)
	form := e.changeForm(change.ChangeICCID)
	form.Set("action", "upload")
	_, body = c.postMultipart(paths.NewBulkChange, form, "csv", "rows.csv", b.Bytes())
	doc := mustDoc(t, body)
	if got := text(doc, "[data-testid=check-summary]"); !strings.HasPrefix(got, "2 rows: 2 ready") {
		t.Fatalf("summary: %q; errors %q; file %q", got, text(doc, "[data-testid=error-rows]"), text(doc, "[data-testid=csv-error]"))
	}
	want := mdns[1] + "," + e.spareSIM(10) + "\n" + mdns[2] + "," + e.spareSIM(11)
	if got := strings.TrimSpace(doc.Find("#rows").Text()); got != want {
		t.Fatalf("Rows box %q, want %q", got, want)
	}
}

// The Excel template: identifiers as text, and uploaded unchanged it adds nothing and puts no
// spreadsheet syntax into the Rows box.
func TestXLSXTemplate(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	res, body := c.get(paths.ChangeTemplateXLSX)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("template.xlsx: %d", res.StatusCode)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("Sheet1", "A2"); v != "89148000004200000373" {
		t.Fatalf("A2 = %q", v)
	}
	form := e.changeForm(change.ChangeICCID)
	form.Set("action", "upload")
	_, page := c.postMultipart(paths.NewBulkChange, form, "csv", "template.xlsx", []byte(body))
	if got := text(mustDoc(t, page), "[data-testid=csv-error]"); !strings.Contains(got, "only the template's example rows") {
		t.Fatalf("unchanged template: %q", got)
	}
	// Filled in below the examples.
	acme := e.activeDevices(demo.TenantAcme, 1)
	if err := f.SetSheetRow("Sheet1", "A5", &[]any{acme[0].ICCID, e.spareSIM(0)}); err != nil {
		t.Fatal(err)
	}
	var filled bytes.Buffer
	_, _ = f.WriteTo(&filled)
	_, page = c.postMultipart(paths.NewBulkChange, form, "csv", "fleet.xlsx", filled.Bytes())
	doc := mustDoc(t, page)
	if got := strings.TrimSpace(doc.Find("#rows").Text()); got != acme[0].ICCID+","+e.spareSIM(0) {
		t.Fatalf("Rows box %q", got)
	}
	// A damaged workbook says so.
	_, page = c.postMultipart(paths.NewBulkChange, form, "csv", "broken.xlsx", []byte("PK\x03\x04broken"))
	if got := text(mustDoc(t, page), "[data-testid=csv-error]"); !strings.Contains(got, "could not be read as an Excel workbook") {
		t.Fatalf("broken workbook: %q", got)
	}
}
