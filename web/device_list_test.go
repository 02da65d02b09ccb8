package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// TestInventoryFiltersSortsAndExports checks every filter against the store's own count, the
// sort, and that the export holds exactly the lines the filter matches.
func TestInventoryFiltersSortsAndExports(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	ctx := context.Background()
	acme := e.tenantID(demo.TenantAcme)
	all, total, err := e.db.Devices(ctx, store.DeviceFilter{TenantID: acme, Limit: 5000})
	if err != nil || total == 0 {
		t.Fatal(total, err)
	}
	d := all[0]
	if d.NetworkType == "" || d.Model == "" {
		t.Fatalf("a demo device without its model: %+v", d)
	}
	count := func(f func(store.Device) bool) int {
		n := 0
		for _, x := range all {
			if f(x) {
				n++
			}
		}
		return n
	}
	month := time.Now().AddDate(0, 0, -30)
	for name, tc := range map[string]struct {
		query string
		want  int
	}{
		"status":      {fmt.Sprintf("status=%d", store.DeviceStatusSuspended), count(func(x store.Device) bool { return x.DeviceStatusID == store.DeviceStatusSuspended })},
		"plan":        {"plan=" + url.QueryEscape(d.RatePlan), count(func(x store.Device) bool { return x.RatePlan == d.RatePlan })},
		"network":     {"net=" + url.QueryEscape(d.NetworkType), count(func(x store.Device) bool { return x.NetworkType == d.NetworkType })},
		"model":       {"model=" + url.QueryEscape(d.Manufacturer+"|"+d.Model), count(func(x store.Device) bool { return x.Model == d.Model && x.Manufacturer == d.Manufacturer })},
		"seen lately": {"seen=30", count(func(x store.Device) bool { return x.LastSeen != nil && !x.LastSeen.Before(month) })},
		"not seen":    {"seen=not30", count(func(x store.Device) bool { return x.LastSeen == nil || x.LastSeen.Before(month) })},
		"two filters": {fmt.Sprintf("status=%d&net=%s", store.DeviceStatusActive, url.QueryEscape(d.NetworkType)), count(func(x store.Device) bool {
			return x.DeviceStatusID == store.DeviceStatusActive && x.NetworkType == d.NetworkType
		})},
		"no filter":      {"", total},
		"nothing at all": {"plan=NO-SUCH-PLAN", 0},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.want == 0 && tc.query != "plan=NO-SUCH-PLAN" {
				t.Fatalf("the demo has no line for %s: the test would prove nothing", tc.query)
			}
			res, body := c.get(paths.Devices + "?" + tc.query)
			doc := mustDoc(t, body)
			if got := text(doc, "[data-testid=device-count] strong"); res.StatusCode != 200 || got != thousands(tc.want) {
				t.Fatalf("%d: count %q, want %d", res.StatusCode, got, tc.want)
			}
			res, body = c.get(paths.Devices + "?format=csv&" + tc.query)
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || res.StatusCode != 200 || len(recs) != tc.want+1 || strings.TrimPrefix(recs[0][0], "\ufeff") != "current" || recs[0][4] != "device_iccid" {
				t.Fatalf("export: %d, %d records for %d lines, %v, header %q", res.StatusCode, len(recs), tc.want, err, recs[0])
			}
		})
	}
	// Sorted by last seen, newest first; never-seen lines last.
	_, body := c.get(paths.Devices + "?sort=seen&dir=desc&status=8")
	var seen []string
	mustDoc(t, body).Find("[data-testid=device-row]").Each(func(_ int, s *goquery.Selection) {
		seen = append(seen, strings.TrimSpace(s.Find("td").Eq(7).Text()))
	})
	if len(seen) < 2 {
		t.Fatalf("rows: %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i-1] < seen[i] {
			t.Fatalf("not newest first: %v", seen)
		}
	}
	if got := mustDoc(t, body).Find(`th[aria-sort=descending]`).Text(); !strings.Contains(got, "Last seen") {
		t.Fatalf("the sorted column says %q", got)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestInventorySelectionOpensTheWizard: chosen lines, or every line of a filter, come into the
// wizard with their current ICCIDs and the change type; another tenant's lines never do.
func TestInventorySelectionOpensTheWizard(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	ctx := context.Background()
	acme, _, err := e.db.Devices(ctx, store.DeviceFilter{TenantID: e.tenantID(demo.TenantAcme), StatusID: store.DeviceStatusSuspended, Limit: 2})
	if err != nil || len(acme) != 2 {
		t.Fatal(err)
	}
	globex, _, err := e.db.Devices(ctx, store.DeviceFilter{TenantID: e.tenantID(demo.TenantGlobex), Limit: 1})
	if err != nil || len(globex) != 1 {
		t.Fatal(err)
	}
	_, body := c.get(paths.ChangeDevices(string(change.ChangeIMEI), acme[0].ID, acme[1].ID, globex[0].ID))
	doc := mustDoc(t, body)
	rows := strings.Fields(doc.Find("#rows").Text())
	if strings.Join(rows, " ") != acme[0].ICCID+" "+acme[1].ICCID {
		t.Fatalf("rows %q, want Acme's two lines only", rows)
	}
	if v, _ := doc.Find("input[name=type][checked]").Attr("value"); v != string(change.ChangeIMEI) {
		t.Fatalf("type %q", v)
	}
	if strings.Contains(body, globex[0].ICCID) {
		t.Fatal("another tenant's line reached the wizard")
	}
	// Every suspended line of the tenant.
	_, n, err := e.db.Devices(ctx, store.DeviceFilter{TenantID: e.tenantID(demo.TenantAcme), StatusID: store.DeviceStatusSuspended, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, body = c.get(paths.NewBulkChange + fmt.Sprintf("?type=ChangeICCID&all=1&status=%d", store.DeviceStatusSuspended))
	if got := len(strings.Fields(mustDoc(t, body).Find("#rows").Text())); got != n {
		t.Fatalf("every matching line: %d rows, want %d", got, n)
	}
}

// TestErrorPagesSpeakPlainly: an error page's title and heading are words a person uses.
func TestErrorPagesSpeakPlainly(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	for path, want := range map[string]string{"/no-such-page": "Nothing here", paths.Devices + "/99999999": "Nothing here"} {
		res, body := c.get(path)
		doc := mustDoc(t, body)
		if res.StatusCode != 404 || text(doc, "[data-testid=error-page] h1") != want || strings.Contains(doc.Find("title").Text(), "Not Found") {
			t.Fatalf("%s: %d %q %q", path, res.StatusCode, text(doc, "h1"), doc.Find("title").Text())
		}
	}
}

// TestProgressShowsNothingDoneAsNothingDone: rows waiting for the carrier are a thin line,
// never a full bar; finished rows are full height.
func TestProgressShowsNothingDoneAsNothingDone(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AcmeManager)
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	for _, r := range rows {
		e.drive(r.ID, change.StatusProcessing)
	}
	_, body := c.get(paths.BulkChange(id))
	bar := mustDoc(t, body).Find("[data-testid=bulk-progress]")
	if bar.Find("rect.run").Length() != 1 || bar.Find("rect.run").AttrOr("height", "") != "4" || bar.Find("rect.ok").Length() != 0 {
		h, _ := bar.Html()
		t.Fatalf("nothing finished, everything waiting: %s", h)
	}
	e.drive(rows[0].ID, change.StatusProcessed)
	_, body = c.get(paths.BulkChange(id))
	bar = mustDoc(t, body).Find("[data-testid=bulk-progress]")
	if bar.Find("rect.ok").AttrOr("width", "") != "500" || bar.Find("rect.ok").AttrOr("height", "") != "14" {
		h, _ := bar.Html()
		t.Fatalf("one of two finished: %s", h)
	}
	// Rows are numbered 1…N on the request's page, not by database id.
	var nums []string
	mustDoc(t, body).Find("[data-testid=change-row] td:first-child").Each(func(_ int, s *goquery.Selection) { nums = append(nums, strings.TrimSpace(s.Text())) })
	if strings.Join(nums, ",") != "1,2" {
		t.Fatalf("row numbers %v", nums)
	}
}
