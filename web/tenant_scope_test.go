package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// TestManagersSeeNothingOfAnotherTenant asks for each of Globex's things as Acme's manager:
// every one is 404, exactly as for something that does not exist, and the admin pages are 403.
// Globex's own manager gets each of them, so the 404s are about the tenant and nothing else.
func TestManagersSeeNothingOfAnotherTenant(t *testing.T) {
	e := newEnv(t)
	g, rows := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 2, 0)
	e.drive(rows[0].ID, change.StatusProcessed, store.LogEntry{Description: "Carrier confirmed", ProcessedBy: "engine"})
	device := *rows[0].DeviceID
	globexPaths := []string{
		paths.BulkChange(g),
		paths.BulkChangeStatus(g),
		paths.BulkChangeRowsCSV(g),
		paths.BulkChangeRowLog(g, rows[0].ID),
		paths.Device(device),
		paths.DeviceLookup + "?id=" + rows[0].ICCID,    // the SIM swapped away
		paths.DeviceLookup + "?id=" + rows[0].NewICCID, // the SIM it has now
		paths.DeviceLookup + "?id=" + rows[1].MSISDN,
	}
	acme, globex := e.signIn(demo.AcmeManager), e.signIn(demo.GlobexManager)
	for _, p := range globexPaths {
		res, body := acme.get(p)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("Acme's manager GET %s: %d, want 404", p, res.StatusCode)
		}
		// The answer may repeat what was asked, and nothing else of Globex's.
		for _, secret := range []string{rows[0].ICCID, rows[0].NewICCID, rows[0].MSISDN, rows[1].ICCID, rows[1].MSISDN, "Globex"} {
			if strings.Contains(body, secret) && !strings.Contains(p, secret) {
				t.Errorf("Acme's manager GET %s: the answer names %s", p, secret)
			}
		}
		if res, _ := globex.get(p); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
			t.Errorf("Globex's manager GET %s: %d", p, res.StatusCode)
		}
	}
	// A row of Globex's batch asked for under one of Acme's batches is no better.
	a, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 10)
	if res, _ := acme.get(paths.BulkChangeRowLog(a, rows[0].ID)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another batch's row under an own batch: %d", res.StatusCode)
	}
	// Nor do the lists and searches a manager has: a tenant parameter is not theirs to choose.
	for _, p := range []string{paths.BulkChanges, fmt.Sprintf(paths.BulkChanges+"?tenant=%d", e.tenantID(demo.TenantGlobex)),
		paths.BulkChanges + "?requester=" + url.QueryEscape(demo.GlobexManager), "/"} {
		_, body := acme.get(p)
		if strings.Contains(body, fmt.Sprintf("#%d<", g)) {
			t.Errorf("Acme's manager GET %s: Globex's request is listed", p)
		}
	}
	if _, body := acme.get(paths.BulkChanges); !strings.Contains(body, fmt.Sprintf("#%d<", a)) {
		t.Error("Acme's list does not show its own request")
	}
	if _, body := acme.get(paths.Devices + "?q=" + rows[0].NewICCID); strings.Contains(body, `data-testid="device-row"`) {
		t.Error("the inventory search finds Globex's device")
	}
	for _, p := range []string{paths.AdminAudit, paths.AdminAudit + "?q=" + rows[0].ICCID, paths.AdminAudit + "?format=csv", paths.AdminAudit + "?q=" + rows[0].ICCID + "&format=csv"} {
		if res, body := acme.get(p); res.StatusCode != http.StatusForbidden || strings.Contains(body, rows[0].NewICCID) {
			t.Errorf("a manager GET %s: %d", p, res.StatusCode)
		}
	}
}
