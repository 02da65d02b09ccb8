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

func TestADeviceIsFoundByEveryIdentifierItHad(t *testing.T) {
	e := newEnv(t)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	e.drive(rows[0].ID, change.StatusProcessed, store.LogEntry{Description: "Carrier confirmed", ProcessedBy: "engine"})
	device := *rows[0].DeviceID
	c := e.signIn(demo.AcmeManager)
	for _, v := range []string{rows[0].ICCID, rows[0].NewICCID, rows[0].IMEI, rows[0].MSISDN} {
		res, _ := c.get(paths.DeviceLookup + "?id=" + url.QueryEscape(v))
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, paths.Device(device)+"?via=") {
			t.Errorf("lookup %s: %d %q", v, res.StatusCode, loc)
		}
	}
	_, body := c.get(paths.DeviceVia(device, rows[0].ICCID))
	d := mustDoc(t, body)
	if text(d, "[data-testid=device-iccid]") != rows[0].NewICCID || d.Find("[data-testid=found-by]").Length() != 1 {
		t.Fatalf("device page: ICCID %q", text(d, "[data-testid=device-iccid]"))
	}
	h := d.Find("[data-testid=history-row]")
	if h.Length() != 1 || !strings.Contains(h.Text(), rows[0].ICCID) || !strings.Contains(h.Text(), rows[0].NewICCID) ||
		h.Find("a").AttrOr("href", "") != paths.BulkChange(id) || !strings.Contains(h.Text(), "test engine") {
		t.Fatalf("history: %q", h.Text())
	}
	if d.Find("[data-testid=device-request-row]").Length() != 1 {
		t.Fatal("the device's request row is missing")
	}
	if res, body := c.get(paths.DeviceLookup + "?id=8914800000000000001"); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "ICCID") {
		t.Errorf("a malformed ICCID: %d", res.StatusCode)
	}
	if res, _ := c.get(paths.DeviceLookup + "?id=" + e.spareSIM(200)); res.StatusCode != http.StatusNotFound {
		t.Errorf("a SIM no device ever had: %d", res.StatusCode)
	}
}
