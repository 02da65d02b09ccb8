package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// An assignment CSV is previewed with an error per bad row and nothing assigned; a file without
// errors is applied only when the admin confirms it.
func TestAssignByCSVPreviewsThenAppliesOnConfirm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0) // an open change on an Acme line
	busy := rows[0].ICCID
	var free demo.Device
	for _, d := range e.world.Devices {
		if d.TenantName == demo.TenantAcme && d.ICCID != busy && d.StatusID == store.DeviceStatusActive {
			free = d
			break
		}
	}
	tenantOf := func(iccid string) int64 {
		t.Helper()
		ls, err := e.db.CarrierLines(ctx, store.LineFilter{ProviderID: e.provider, Query: iccid})
		if err != nil || len(ls) != 1 {
			t.Fatalf("line %s: %+v %v", iccid, ls, err)
		}
		return ls[0].TenantID
	}
	acme, globex := e.tenantID(demo.TenantAcme), e.tenantID(demo.TenantGlobex)
	c := e.signIn(demo.AdminEmail)
	_, page := c.get(paths.Inventory(e.provider))
	if find(t, page, `[data-testid="assign-csv-upload"] code`) != inventory.AssignCSVHeader {
		t.Fatal("the inventory page does not offer the assignment CSV with its header")
	}

	form := url.Values{"provider": {fmt.Sprint(e.provider)}}
	bad := inventory.AssignCSVHeader + "\n" + free.MSISDN + "," + demo.TenantGlobex + "\n" +
		busy + "," + demo.TenantGlobex + "\n" + "89148000000000000000," + demo.TenantGlobex + "\n" + free.IMEI + ",Umbrella\n"
	res, body := c.postMultipart(paths.AdminAssignCheck, form, "file", "assign.csv", []byte(bad))
	errs := find(t, body, `[data-testid="assign-csv-errors"]`)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: %d, want 422\n%s", res.StatusCode, errs)
	}
	for _, want := range []string{"line 3: " + busy + " has an open change in tenant \"" + demo.TenantAcme + "\"",
		"line 4: \"89148000000000000000\" is not a line of this provider", "line 5: there is no tenant named \"Umbrella\""} {
		if !strings.Contains(errs, want) {
			t.Errorf("the errors do not say %q:\n%s", want, errs)
		}
	}
	if strings.Contains(body, `data-testid="assign-csv-confirm"`) {
		t.Fatal("a preview with errors offers to apply it")
	}
	if tenantOf(free.ICCID) != acme || tenantOf(busy) != acme {
		t.Fatal("a preview assigned a line")
	}

	good := inventory.AssignCSVHeader + "\n" + free.MSISDN + "," + demo.TenantGlobex + "\n"
	res, body = c.postMultipart(paths.AdminAssignCheck, form, "file", "assign.csv", []byte(good))
	cells := mustDoc(t, body).Find(`[data-testid="assign-csv-preview"] tbody td`).Map(func(_ int, s *goquery.Selection) string {
		return strings.TrimSpace(s.Text())
	})
	if res.StatusCode != http.StatusOK || strings.Join(cells, "|") != "2|"+free.MSISDN+"|"+demo.TenantAcme+"|"+demo.TenantGlobex {
		t.Fatalf("good file: %d, preview %q", res.StatusCode, cells)
	}
	if tenantOf(free.ICCID) != acme {
		t.Fatal("a preview assigned the line before the admin confirmed")
	}
	csv, _ := mustDoc(t, body).Find(`[data-testid="assign-csv-confirm"] input[name="csv"]`).Attr("value")
	res, _ = c.postForm(paths.AdminAssignCSV, url.Values{"provider": {fmt.Sprint(e.provider)}, "csv": {csv}})
	if res.StatusCode != http.StatusSeeOther || tenantOf(free.ICCID) != globex {
		t.Fatalf("confirm: %d, the line is in tenant %d, want Globex (%d)", res.StatusCode, tenantOf(free.ICCID), globex)
	}

	// A confirm is checked again: the bad file posted as if confirmed changes nothing.
	res, _ = c.postForm(paths.AdminAssignCSV, url.Values{"provider": {fmt.Sprint(e.provider)}, "csv": {bad}})
	if res.StatusCode != http.StatusUnprocessableEntity || tenantOf(busy) != acme {
		t.Fatalf("confirming a bad file: %d, busy line in tenant %d", res.StatusCode, tenantOf(busy))
	}
}
