package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// "Retry failed rows" learns from the carrier: each row comes back with the carrier's reason,
// and a row whose new SIM the carrier refused comes back without it, so it cannot be
// submitted until it has another.
func TestRetryLearnsFromTheCarrier(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	const inUse, stateBad = "UnifiedWebService.REQUEST_FAILED.ICCID.AlreadyInUse", "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
	e.drive(rows[0].ID, change.StatusAPIFailed, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true,
		ErrorCode: inUse, ErrorText: "SIM already in use", ProcessedBy: "engine"})
	e.drive(rows[1].ID, change.StatusAPIFailed, store.LogEntry{Description: store.LogChangeFailed, HasErrors: true,
		ErrorCode: stateBad, ErrorText: "device suspended", ProcessedBy: "engine"})
	c := e.signIn(demo.AcmeManager)
	res, body := c.get(paths.RetryFailedRows(id))
	doc := mustDoc(t, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("retry: %d", res.StatusCode)
	}
	lines := strings.Split(strings.TrimSpace(doc.Find("#rows").Text()), "\n")
	if len(lines) != 2 {
		t.Fatalf("rows box: %q", lines)
	}
	// The refused SIM is gone from its row, named in the note with the carrier's code.
	if !strings.HasPrefix(lines[0], rows[0].ICCID+",,,") || !strings.Contains(lines[0], "refused new ICCID "+rows[0].NewICCID) ||
		!strings.Contains(lines[0], inUse) {
		t.Errorf("refused row: %q", lines[0])
	}
	// A refusal about the device, not the SIM, keeps the SIM and says why.
	if !strings.HasPrefix(lines[1], rows[1].ICCID+","+rows[1].NewICCID+",,") || !strings.Contains(lines[1], stateBad) {
		t.Errorf("other row: %q", lines[1])
	}
	if got := text(doc, "[data-testid=notices]"); !strings.Contains(got, "The carrier refused the new identifier of 1 row") {
		t.Errorf("notices: %q", got)
	}
	if got := text(doc, "[data-testid=check-summary]"); strings.HasPrefix(got, "2 rows: 2 ready") {
		t.Errorf("a row without a new SIM is ready: %q", got)
	}
}

// An action that cannot run goes back to the request's page and says why, rather than
// showing an error page.
func TestActionsThatCannotRunReturnToTheRequest(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	e.drive(rows[0].ID, change.StatusProcessed)
	c := e.signIn(demo.AcmeManager)
	res, _ := c.get(paths.RetryFailedRows(id))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.BulkChange(id) {
		t.Fatalf("retry with nothing failed: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := c.get(paths.BulkChange(id))
	if got := text(mustDoc(t, body), "[data-testid=flash]"); !strings.Contains(got, "no failed rows") {
		t.Fatalf("flash: %q", got)
	}
	// An admin's "run again" of a request that did not fail as a whole: not offered, and
	// posted anyway, back to the page with the reason.
	admin := e.signIn(demo.AdminEmail)
	_, body = admin.get(paths.BulkChange(id))
	if mustDoc(t, body).Find("[data-testid=admin-retry]").Length() != 0 {
		t.Fatal("run again is offered with nothing to run")
	}
	res, _ = admin.postForm(paths.BulkChangeRetry(id), url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != paths.BulkChange(id) {
		t.Fatalf("run again: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = admin.get(paths.BulkChange(id))
	if got := text(mustDoc(t, body), "[data-testid=flash]"); !strings.Contains(got, "only a bulk change that failed as a whole") {
		t.Fatalf("flash: %q", got)
	}
}
