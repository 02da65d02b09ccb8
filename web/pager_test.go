package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

// A page past the last, up to one whose OFFSET would overflow, shows the last page on the
// portal's lists, and is a 422 naming the last page in the API; never a 500.
func TestAPagePastTheLastIsAnsweredClearly(t *testing.T) {
	e := newEnv(t)
	id, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	e.batch(demo.TenantAcme, demo.AcmeManager, 2, 1, 2)
	admin := e.signIn(demo.AdminEmail)
	summary := regexp.MustCompile(`(\d+) results · page (\d+) of (\d+)`)
	for _, list := range []string{paths.Devices, paths.BulkChanges, paths.BulkChange(id)} {
		for _, page := range []string{"2", "1000", "9223372036854775807", "-5"} {
			t.Run(list+"?page="+page, func(t *testing.T) {
				res, body := admin.get(list + "?page=" + page)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%d: %.300s", res.StatusCode, body)
				}
				m := summary.FindStringSubmatch(mustDoc(t, body).Find("[data-testid=pager-summary]").Text())
				if m == nil {
					t.Fatalf("no page summary")
				}
				last, _ := strconv.Atoi(m[3])
				n, _ := strconv.Atoi(page)
				want := min(max(n, 1), last) // a page out of range is the last page (or the first)
				if m[2] != strconv.Itoa(want) {
					t.Fatalf("page %s of %s shown, want %d", m[2], m[3], want)
				}
			})
		}
	}

	api := e.apiClient(demo.AcmeManager)
	if status, out := api.call(http.MethodGet, paths.APIBulkChanges+"?page=1", ""); status != http.StatusOK || out["pages"] != float64(1) {
		t.Fatalf("page 1: %d %v", status, out)
	}
	for page, want := range map[string]string{
		"2":                   "page 2 is past the last page: 2 request(s) match, 25 a page, so pages run from 1 to 1.",
		"9223372036854775807": fmt.Sprintf("page must be a whole number from 1 to %d", 1<<24),
	} {
		status, out := api.call(http.MethodGet, paths.APIBulkChanges+"?page="+page, "")
		if msg, _ := out["error"].(string); status != http.StatusUnprocessableEntity || !strings.Contains(msg, want) {
			t.Fatalf("page %s: %d %v, want 422 saying %q", page, status, out, want)
		}
	}
}
