package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/idswap/idswap/internal/metrics"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
)

type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string            `yaml:"alert"`
			Expr   string            `yaml:"expr"`
			For    string            `yaml:"for"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertRulesReadExportedMetrics loads docs/alerts.yml and checks every metric its
// expressions read against what /metrics really exports, after feeding the hooks one carrier
// error of each kind the rules look at (a Vec has no series until then) and with the queue
// gauges read from a real database.
func TestAlertRulesReadExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules alertRules
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("docs/alerts.yml: %v", err)
	}

	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Config{Queue: db})
	m.CarrierCall(thingspace.Exchange{Op: thingspace.OpChangeIdentifier, StatusCode: 503, Duration: time.Second,
		Err: &thingspace.APIError{Op: thingspace.OpChangeIdentifier, HTTPStatus: 503, Class: thingspace.ClassUnavailable}})
	m.CarrierCall(thingspace.Exchange{Op: thingspace.OpFindDevice, Duration: 30 * time.Second, Err: errors.New("i/o timeout")})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	fams := scrape(t, srv.URL)
	exported := map[string]bool{}
	for name, f := range fams {
		exported[name] = true
		if f.GetType().String() == "HISTOGRAM" || f.GetType().String() == "SUMMARY" {
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				exported[name+suffix] = true
			}
		}
	}

	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: a rule without alert or expr: %+v", g.Name, r)
				continue
			}
			if _, err := time.ParseDuration(orZero(r.For)); err != nil {
				t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
			}
			used := metricNames(r.Expr)
			if len(used) == 0 {
				t.Errorf("%s: no metric found in %q", r.Alert, r.Expr)
			}
			for _, name := range used {
				if !exported[name] {
					t.Errorf("%s reads %s, which internal/metrics does not export", r.Alert, name)
				}
			}
			if !contains(used, r.Labels["metric"]) {
				t.Errorf("%s: its metric label %q is not a metric its expression reads (%v)", r.Alert, r.Labels["metric"], used)
			}
		}
	}
	if n < 6 {
		t.Fatalf("docs/alerts.yml has %d rules", n)
	}
}

func orZero(d string) string {
	if d == "" {
		return "0s"
	}
	return d
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promNumbers   = regexp.MustCompile(`\b\d[\d.]*(?:e[+-]?\d+)?(?:ms|[smhdwy])*\b`)
	promIdent     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	promoKeywords = map[string]bool{"and": true, "or": true, "unless": true, "offset": true, "bool": true, "by": true,
		"without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// metricNames is every metric a PromQL expression reads: the identifiers left once strings,
// label matchers, ranges, groupings and numbers are taken out, less functions (a name followed by "(")
// and keywords.
func metricNames(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promMatchers.ReplaceAllString(e, " ")
	e = promRanges.ReplaceAllString(e, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	e = promNumbers.ReplaceAllString(e, " ") // 0.05, 1e3, and offset durations such as 1h30m
	seen := map[string]bool{}
	var out []string
	for _, m := range promIdent.FindAllStringSubmatch(e, -1) {
		name := m[0]
		if m[1] != "" || promoKeywords[strings.ToLower(name)] || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func TestMetricNames(t *testing.T) {
	got := strings.Join(metricNames(`sum by (op) (rate(a_total{code=~"5.."}[5m])) / on(op) sum(b_count offset 1h) > 0.05 and c`), ",")
	if got != "a_total,b_count,c" {
		t.Fatalf("%s", got)
	}
}

// TestAuthFailuresCounted: a refused token counts as a credentials failure; a carrier that is
// down does not.
func TestAuthFailuresCounted(t *testing.T) {
	m := metrics.New(metrics.Config{})
	m.CarrierCall(thingspace.Exchange{Op: thingspace.OpToken, StatusCode: 401,
		Err: &thingspace.APIError{Op: thingspace.OpToken, HTTPStatus: 401, Class: thingspace.ClassUnauthorized, Code: "invalid_client"}})
	m.CarrierCall(thingspace.Exchange{Op: thingspace.OpChangeIdentifier, StatusCode: 503,
		Err: &thingspace.APIError{Op: thingspace.OpChangeIdentifier, HTTPStatus: 503, Class: thingspace.ClassUnavailable}})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	fams := scrape(t, srv.URL)
	if got := find(fams, "idswap_thingspace_auth_failures_total", "op", "token").GetCounter().GetValue(); got != 1 {
		t.Fatalf("token: %v", got)
	}
	if got := find(fams, "idswap_thingspace_auth_failures_total", "op", "login").GetCounter().GetValue(); got != 0 {
		t.Fatalf("login: %v", got)
	}
	if find(fams, "idswap_thingspace_auth_failures_total", "op", "change_identifier") != nil {
		t.Fatal("a 503 counted as a credentials failure")
	}
}
