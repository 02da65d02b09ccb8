package change

import (
	"fmt"
	"slices"
)

// NetworkUnknown is the network type of an IMEI in no known TAC range.
const NetworkUnknown = ""

// Plan is a carrier rate plan as the plan rules need it.
type Plan struct {
	Code         string
	Name         string
	MonthlyCents int64
	NetworkTypes []string
}

// Serves reports whether the plan serves a network type. No plan serves an unknown one.
func (p Plan) Serves(network string) bool {
	return network != NetworkUnknown && slices.Contains(p.NetworkTypes, network)
}

// Compatible returns the plans that serve a network type, in the order given.
func Compatible(plans []Plan, network string) []Plan {
	var out []Plan
	for _, p := range plans {
		if p.Serves(network) {
			out = append(out, p)
		}
	}
	return out
}

// KeepPlan is the plan choice that keeps each device's current plan (sent as an empty
// servicePlan, which tells the carrier to leave the plan alone).
const KeepPlan = ""

// PlanGroup names the rows that choose their plan together: those whose device, after the
// change, is on the same network type, and whose current plan does or does not serve it. A
// request that mixes network types gets a group per type, so each is offered only the plans
// that serve it; splitting by "current plan fits" lets the devices whose plan fits keep it while
// the others get a new one.
type PlanGroup struct {
	Network     string // NetworkUnknown when the IMEI is in no known range
	CurrentFits bool
}

// GroupOf is the plan group of a row. With the network type unknown no plan can be checked,
// so keeping the current plan — which works on this line today — counts as fitting.
func GroupOf(network string, current *Plan) PlanGroup {
	fits := current != nil && (network == NetworkUnknown || current.Serves(network))
	return PlanGroup{Network: network, CurrentFits: fits}
}

// Key is the group's stable name, used as a form field and map key.
func (g PlanGroup) Key() string {
	n := g.Network
	if n == NetworkUnknown {
		n = "unknown"
	}
	if g.CurrentFits {
		return n + "/keep"
	}
	return n + "/change"
}

// Label says who is in the group.
func (g PlanGroup) Label() string {
	switch {
	case g.Network == NetworkUnknown:
		return "Devices whose IMEI is in no known device range (network type unknown)"
	case g.CurrentFits:
		return fmt.Sprintf("Devices on %s whose current plan serves it", g.Network)
	}
	return fmt.Sprintf("Devices on %s whose current plan does not serve it", g.Network)
}

// DefaultChoice is the plan a group gets until someone chooses: the current plan when it fits,
// and nothing otherwise.
func (g PlanGroup) DefaultChoice() (choice string, ok bool) {
	if g.CurrentFits {
		return KeepPlan, true
	}
	return "", false
}

// ResolvePlan decides the plan a device will have after the change. current is its plan now
// (nil if it has none or it is not in the catalogue), network the network type after the change,
// choice KeepPlan or a plan code, and catalogue the provider's plans by code. On failure the
// returned message says why, for the row's plan column.
func ResolvePlan(current *Plan, network, choice string, catalogue map[string]Plan) (Plan, string) {
	if choice == KeepPlan {
		switch {
		case current == nil:
			return Plan{}, "the device has no current plan to keep; choose a plan"
		case network == NetworkUnknown:
			return *current, ""
		case !current.Serves(network):
			return Plan{}, fmt.Sprintf("the current plan %s does not serve %s; choose a plan that does", current.Code, network)
		}
		return *current, ""
	}
	p, ok := catalogue[choice]
	switch {
	case !ok:
		return Plan{}, fmt.Sprintf("%q is not an active plan of this service provider", choice)
	case network == NetworkUnknown:
		return Plan{}, fmt.Sprintf("the device's network type is unknown, so plan %s cannot be checked; keep the current plan", choice)
	case !p.Serves(network):
		return Plan{}, fmt.Sprintf("plan %s does not serve %s (it serves %s)", p.Code, network, joinOr(p.NetworkTypes))
	}
	return p, ""
}

func joinOr(vs []string) string {
	switch len(vs) {
	case 0:
		return "no network type"
	case 1:
		return vs[0]
	}
	return fmt.Sprintf("%s or %s", joinComma(vs[:len(vs)-1]), vs[len(vs)-1])
}

func joinComma(vs []string) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += v
	}
	return s
}
