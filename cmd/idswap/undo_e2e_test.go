package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// TestBrowserUndo is a manager undoing a finished request from its page in the real
// `idswap serve --demo`: two SIM swaps made and one refused by the carrier; Undo lists the
// refused row as one that cannot be undone; the manager confirms; the undo request runs to
// PROCESSED and the two lines have their old SIMs again, and each page links the other.
func TestBrowserUndo(t *testing.T) {
	app := startApp(t)
	db, _ := app.openDB(t)
	bg := context.Background()
	u, err := db.UserByEmail(bg, demo.AcmeManager)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Devices(bg, store.DeviceFilter{TenantID: *u.TenantID, StatusID: store.DeviceStatusActive, Limit: 3})
	if err != nil || len(ds) != 3 {
		t.Fatalf("devices: %d %v", len(ds), err)
	}
	sims := demo.Build().Carrier.SIMs
	unknown := luhnFix(sims[2].ICCID[:12] + "99999999") // a SIM the carrier never had: the row fails
	id := auditBatch(t, db, u, ds, []string{sims[0].ICCID, sims[1].ICCID, unknown})
	waitFinished(t, db, id)

	ctx := newBrowser(t)
	signIn(t, ctx, app, demo.AcmeManager)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.BulkChange(id)),
		chromedp.Click(chromedp.CSS(`[data-testid=undo]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=undo-refused]`)),
	); err != nil {
		t.Fatal(err)
	}
	count, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=undo-count]`)))
	reasons, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=undo-refused-reason]")].map(e => e.textContent)`))
	if err != nil || count != "2 rows" || len(reasons) != 1 || !strings.Contains(reasons[0], "failed at the carrier") {
		t.Fatalf("confirmation: %q can be undone, refused %q %v", count, reasons, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=undo-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=undo-of]`)),
	); err != nil {
		t.Fatal(err)
	}
	shown, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=bulk-change-id]`)))
	of, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=undo-of]`)))
	undo, err := strconv.ParseInt(shown, 10, 64)
	if err != nil || of != fmt.Sprintf("#%d", id) {
		t.Fatalf("the undo's page: #%q, undo of %q", shown, of)
	}
	// The page follows the undo live until it ends PROCESSED.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-status-badge].PROCESSED`))); err != nil {
		b, _ := db.BulkChange(bg, 0, undo)
		t.Fatalf("the undo did not end PROCESSED on its page: %v (%+v)", err, b)
	}
	b, err := db.BulkChange(bg, 0, undo)
	if err != nil || b.Status != change.BatchProcessed || b.Counts.Processed != 2 {
		t.Fatalf("undo request: %+v %v", b, err)
	}
	for i, d := range ds[:2] {
		now, err := db.DeviceByID(bg, 0, d.ID)
		if err != nil || now.ICCID != d.ICCID {
			t.Errorf("line %d has %v after the undo, want its old SIM %s (%v)", i+1, now, d.ICCID, err)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+paths.BulkChange(id)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=undone-by]`)),
	); err != nil {
		t.Fatal(err)
	}
	by, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=undone-by]`)))
	if by != fmt.Sprintf("#%d", undo) {
		t.Fatalf("the original says undone by %q, want #%d", by, undo)
	}
}
