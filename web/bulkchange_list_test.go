package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

func TestTheListFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	a1, r1 := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 1, 0)
	a2, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 1, 2, 1)
	e.drive(r1[0].ID, change.StatusProcessed)
	g, _ := e.batch(demo.TenantGlobex, demo.GlobexManager, 0, 1, 5)
	admin := e.signIn(demo.AdminEmail)
	ids := func(body string) []string {
		var out []string
		mustDoc(t, body).Find("[data-testid=bulk-change-row] td:first-child a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	for name, tc := range map[string]struct {
		query string
		want  []string
	}{
		"everything, newest first": {"", []string{fmt.Sprintf("#%d", g), fmt.Sprintf("#%d", a2), fmt.Sprintf("#%d", a1)}},
		"status":                   {"?status=PROCESSED", []string{fmt.Sprintf("#%d", a1)}},
		"tenant":                   {fmt.Sprintf("?tenant=%d", e.tenantID(demo.TenantGlobex)), []string{fmt.Sprintf("#%d", g)}},
		"requester":                {"?requester=" + url.QueryEscape(demo.GlobexManager), []string{fmt.Sprintf("#%d", g)}},
		"type":                     {"?type=ChangeIMEI", nil},
		"dates":                    {"?from=" + time.Now().UTC().Format("2006-01-02") + "&to=" + time.Now().UTC().Format("2006-01-02"), []string{fmt.Sprintf("#%d", g), fmt.Sprintf("#%d", a2), fmt.Sprintf("#%d", a1)}},
		"dates in the past":        {"?to=2020-01-01", nil},
	} {
		t.Run(name, func(t *testing.T) {
			res, body := admin.get(paths.BulkChanges + tc.query)
			if got := ids(body); res.StatusCode != 200 || strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("%d %v, want %v", res.StatusCode, got, tc.want)
			}
		})
	}
	res, body := admin.get(paths.BulkChanges + "?from=yesterday")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `is not a date (yyyy-mm-dd)`) {
		t.Fatalf("a bad date: %d", res.StatusCode)
	}
}
