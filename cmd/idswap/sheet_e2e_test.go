package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// TestBrowserXLSXFromAFinishedRequestGoesBackThroughTheWizard is the account manager's day in
// a browser: the Excel download of a finished request is edited in a spreadsheet (each row
// given a fresh spare SIM) and uploaded through the wizard's file input; the checks pass.
func TestBrowserXLSXFromAFinishedRequestGoesBackThroughTheWizard(t *testing.T) {
	app := startApp(t)
	db, _ := app.openDB(t)
	ctx := newBrowser(t)
	id, rows := demoBatch(t, db, 2)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, err := db.BulkChange(context.Background(), 0, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status.Final() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %d did not finish in 60 s: %s", id, b.Status)
		}
	}
	signIn(t, ctx, app, demo.AcmeManager)

	// The device's history offers the identifiers of the change to copy, old and new.
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.Device(*rows[0].DeviceID)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=history-row]`))); err != nil {
		t.Fatal(err)
	}
	named, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=device-history] [data-testid=copy]")].filter(b => !b.hidden).map(b => b.getAttribute("aria-label"))`))
	if !slices.Contains(named, "Copy ICCID "+rows[0].ICCID) || !slices.Contains(named, "Copy ICCID "+rows[0].NewICCID) {
		t.Fatalf("history copy buttons %q, want the old ICCID %s and the new %s", named, rows[0].ICCID, rows[0].NewICCID)
	}

	// The request's page offers the workbook; headless Chromium does not save downloads, so
	// the page fetches it with its own session, as the link would.
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+paths.BulkChange(id)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=rows-xlsx]`))); err != nil {
		t.Fatal(err)
	}
	href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=rows-xlsx]").getAttribute("href")`))
	if href != paths.BulkChangeRowsXLSX(id) {
		t.Fatalf("the Excel link is %q, want %q", href, paths.BulkChangeRowsXLSX(id))
	}
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+"`"+href+"`"+`).then(r => {
		if (!r.ok) { throw new Error("HTTP " + r.status); }
		return r.arrayBuffer();
	}).then(b => { let s = ""; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("rows.xlsx: %v", err)
	}
	sheet, err := f.GetRows("Sheet1")
	if err != nil || len(sheet) != 3 || strings.Join(sheet[0][:2], ",") != "current,new_iccid" {
		t.Fatalf("sheet: %q %v", sheet, err)
	}
	// Each row a fresh spare SIM of the demo carrier (the request used the first two).
	sims := demo.Build().Carrier.SIMs
	want := make([]string, 0, 2)
	for i, cell := range []string{"B2", "B3"} {
		if err := f.SetCellStr("Sheet1", cell, sims[10+i].ICCID); err != nil {
			t.Fatal(err)
		}
		want = append(want, sheet[1+i][0]+","+sims[10+i].ICCID)
	}
	file := filepath.Join(t.TempDir(), "rows.xlsx")
	var edited bytes.Buffer
	if _, err := f.WriteTo(&edited); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, edited.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if sheet[1][0] != rows[0].MSISDN && sheet[2][0] != rows[0].MSISDN {
		t.Fatalf("the sheet's rows %q do not name the request's device %s", sheet[1:], rows[0].MSISDN)
	}

	// Through the wizard's file input.
	err = chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.NewBulkChange),
		chromedp.WaitVisible(chromedp.CSS(`#csv`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#csv`), []string{file}),
		chromedp.Click(chromedp.CSS(`button[name=action][value=upload]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=check-summary]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the uploaded rows are checked", `document.querySelector("[data-testid=check-summary]").innerText.startsWith("2 rows: 2 ready")`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=error-row], [data-testid=csv-error]").length`)); n != 0 {
		t.Fatalf("%d row or file errors after the upload", n)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#rows`))); strings.TrimSpace(got) != strings.Join(want, "\n") {
		t.Fatalf("Rows box %q, want %q", got, strings.Join(want, "\n"))
	}
}
