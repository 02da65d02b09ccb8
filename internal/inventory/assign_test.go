package inventory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/store"
)

func TestRulesAreCheckedBeforeTheyAreStored(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 2, nil)
	a := store.Actor{Name: "admin@test"}
	for _, c := range []struct {
		rule store.AssignmentRule
		want string
	}{
		{store.AssignmentRule{Kind: store.RuleGroup, TenantID: r.acme}, "needs the name of a ThingSpace device group"},
		{store.AssignmentRule{Kind: store.RuleCustomField, FieldValue: "x", TenantID: r.acme}, "needs the field's name"},
		{store.AssignmentRule{Kind: "regex", FieldValue: "x", TenantID: r.acme}, "must be group, custom_field or default"},
		{store.AssignmentRule{Kind: store.RuleDefault}, "choose the tenant"},
		{store.AssignmentRule{Kind: store.RuleDefault, TenantID: r.acme, Priority: -1}, "priority"},
	} {
		c.rule.ProviderID = r.provider
		if _, err := r.inv.AddRule(ctx, a, c.rule); apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rule %+v: %v, want Invalid saying %q", c.rule, err, c.want)
		}
	}
	if rs, _ := r.inv.Rules(ctx, r.provider); len(rs) != 2 {
		t.Fatalf("rules after bad input: %d, want the rig's 2", len(rs))
	}
}

func TestAssignMatchingPlacesEveryUnassignedLineTheFilterSelects(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 20, nil) // lines 4, 9, 14, 19 are in no group and have no custom field
	if _, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"}); err != nil {
		t.Fatal(err)
	}
	a := store.Actor{Name: "admin@test"}
	before := len(r.devices(t, r.acme))
	n, err := r.inv.AssignMatching(ctx, a, store.LineFilter{ProviderID: r.provider, Query: r.lines[4].ICCID}, r.acme)
	if err != nil || n != 1 {
		t.Fatalf("assign one by filter: %d %v", n, err)
	}
	if _, err := r.inv.AssignMatching(ctx, a, store.LineFilter{ProviderID: r.provider, Query: r.lines[4].ICCID}, r.acme); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("assigning a filter that matches nothing unassigned: %v, want Invalid", err)
	}
	n, err = r.inv.AssignMatching(ctx, a, store.LineFilter{ProviderID: r.provider}, r.acme)
	if err != nil || n != 3 {
		t.Fatalf("assign the rest: %d %v", n, err)
	}
	if got := len(r.devices(t, r.acme)); got != before+4 {
		t.Fatalf("acme has %d devices, want %d", got, before+4)
	}
	if left, _ := r.inv.Unassigned(ctx, store.LineFilter{ProviderID: r.provider}); len(left) != 0 {
		t.Fatalf("unassigned after assigning all: %d", len(left))
	}
}

func TestTheScheduleQueuesOneSyncPerProviderAtATime(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 2, nil)
	if n, err := r.inv.QueueAll(ctx, "schedule"); err != nil || n != 1 {
		t.Fatalf("first tick: %d %v", n, err)
	}
	if n, err := r.inv.QueueAll(ctx, "schedule"); err != nil || n != 0 {
		t.Fatalf("a tick while the sync is queued: %d %v, want none queued", n, err)
	}
	if _, total, err := r.db.Jobs(ctx, store.JobQueued, 10, 0); err != nil || total != 1 {
		t.Fatalf("queued jobs: %d %v", total, err)
	}
}
