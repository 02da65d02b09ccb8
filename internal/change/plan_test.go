package change_test

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
)

var (
	ltem   = change.Plan{Code: "LTEM-10MB", MonthlyCents: 450, NetworkTypes: []string{change.NetworkLTEM}}
	shared = change.Plan{Code: "4G-SHR-2GB", MonthlyCents: 1800, NetworkTypes: []string{change.NetworkLTECat1, change.NetworkLTEM}}
	nr     = change.Plan{Code: "5G-NR-10GB", MonthlyCents: 4500, NetworkTypes: []string{change.Network5G}}
	plans  = []change.Plan{ltem, shared, nr}
	byCode = map[string]change.Plan{ltem.Code: ltem, shared.Code: shared, nr.Code: nr}
)

func TestCompatible(t *testing.T) {
	var codes []string
	for _, p := range change.Compatible(plans, change.NetworkLTEM) {
		codes = append(codes, p.Code)
	}
	if strings.Join(codes, ",") != "LTEM-10MB,4G-SHR-2GB" {
		t.Fatalf("LTE-M plans: %v", codes)
	}
	if got := change.Compatible(plans, change.NetworkUnknown); len(got) != 0 {
		t.Fatalf("plans for an unknown network: %v", got)
	}
}

func TestGroups(t *testing.T) {
	for name, tc := range map[string]struct {
		network string
		current *change.Plan
		key     string
		keep    bool
	}{
		"plan fits":           {change.NetworkLTEM, &ltem, "LTE-M/keep", true},
		"plan does not fit":   {change.Network5G, &ltem, "5G/change", false},
		"no plan":             {change.NetworkLTEM, nil, "LTE-M/change", false},
		"unknown network":     {change.NetworkUnknown, &ltem, "unknown/keep", true},
		"unknown and no plan": {change.NetworkUnknown, nil, "unknown/change", false},
	} {
		t.Run(name, func(t *testing.T) {
			g := change.GroupOf(tc.network, tc.current)
			choice, ok := g.DefaultChoice()
			if g.Key() != tc.key || ok != tc.keep || (ok && choice != change.KeepPlan) {
				t.Fatalf("key %q default (%q, %v)", g.Key(), choice, ok)
			}
		})
	}
}

func TestResolvePlan(t *testing.T) {
	for name, tc := range map[string]struct {
		current *change.Plan
		network string
		choice  string
		want    string // plan code, or a fragment of the problem
		ok      bool
	}{
		"keep a fitting plan":          {&ltem, change.NetworkLTEM, change.KeepPlan, "LTEM-10MB", true},
		"keep a plan that cannot":      {&ltem, change.Network5G, change.KeepPlan, "current plan LTEM-10MB does not serve 5G", false},
		"keep nothing":                 {nil, change.NetworkLTEM, change.KeepPlan, "no current plan", false},
		"keep with unknown network":    {&ltem, change.NetworkUnknown, change.KeepPlan, "LTEM-10MB", true},
		"choose a compatible plan":     {&ltem, change.NetworkLTEM, "4G-SHR-2GB", "4G-SHR-2GB", true},
		"choose an incompatible plan":  {&ltem, change.NetworkLTEM, "5G-NR-10GB", "plan 5G-NR-10GB does not serve LTE-M (it serves 5G)", false},
		"choose an unknown plan":       {&ltem, change.NetworkLTEM, "NOPE", `"NOPE" is not an active plan`, false},
		"choose with unknown network":  {&ltem, change.NetworkUnknown, "LTEM-10MB", "network type is unknown", false},
		"multi-network plan described": {&ltem, change.Network5G, "4G-SHR-2GB", "it serves LTE Cat-1 or LTE-M", false},
	} {
		t.Run(name, func(t *testing.T) {
			p, problem := change.ResolvePlan(tc.current, tc.network, tc.choice, byCode)
			if tc.ok {
				if problem != "" || p.Code != tc.want {
					t.Fatalf("got %q %q", p.Code, problem)
				}
				return
			}
			if !strings.Contains(problem, tc.want) {
				t.Fatalf("problem %q, want %q", problem, tc.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	if c := change.Cents(4.5); c != 450 {
		t.Fatal(c)
	}
	if c := change.Cents(0.1 + 0.2); c != 30 {
		t.Fatal(c)
	}
	if c := change.CostChange(&ltem, shared); c != 1350 {
		t.Fatal(c)
	}
	if c := change.CostChange(nil, ltem); c != 450 {
		t.Fatal(c)
	}
	for c, want := range map[int64]string{0: "$0.00", 450: "$4.50", -125: "-$1.25", 123456789: "$1,234,567.89"} {
		if got := change.FormatCents(c); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", c, got, want)
		}
	}
	for c, want := range map[int64]string{0: "no change", 150: "+$1.50", -200: "-$2.00"} {
		if got := change.FormatCentsChange(c); got != want {
			t.Errorf("FormatCentsChange(%d) = %q, want %q", c, got, want)
		}
	}
}
