package inventory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/store"
)

func TestAssignCSVIsPreviewedWithAnErrorPerBadRowAndAppliedWhole(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 20, nil) // lines 4, 9, 14, 19 are unassigned after a sync
	if _, err := r.inv.Sync(ctx, r.provider, inventory.Options{By: "test"}); err != nil {
		t.Fatal(err)
	}
	a := store.Actor{Name: "admin@test"}
	if _, err := r.on.CreateTenant(ctx, a, "Initech"); err != nil {
		t.Fatal(err)
	}
	initech, _ := r.on.TenantByName(ctx, "Initech")
	if err := r.on.SetTenantActive(ctx, a, initech.ID, false); err != nil {
		t.Fatal(err)
	}
	acmeBefore := len(r.devices(t, r.acme))

	// Identifiers of every kind, an apostrophe-marked ICCID as our own downloads write it, and
	// tenant names in any letter case.
	good := inventory.AssignCSVHeader + "\n" +
		"'" + r.lines[4].ICCID + ",Acme\n" +
		r.lines[9].IMEI + ",acme\n" +
		r.lines[14].MDN + ",GLOBEX\n"
	bad := good +
		"89148000000000000000,Acme\n" + // no such line
		r.lines[19].ICCID + ",Umbrella\n" + // no such tenant
		r.lines[19].ICCID + ",Initech\n" + // deactivated tenant
		r.lines[4].IMEI + ",Globex\n" + // the same line again
		",Acme\n"
	p, err := r.inv.PreviewAssignCSV(ctx, r.provider, strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 3 || len(p.Errors) != 5 {
		t.Fatalf("preview: %d rows, errors %q; want 3 rows and 5 errors", len(p.Rows), p.Errors)
	}
	for i, want := range []string{"line 5: \"89148000000000000000\" is not a line of this provider", "line 6: there is no tenant named \"Umbrella\"",
		"line 7: tenant \"Initech\" is deactivated", "line 8: the line is named on line 2 already", "line 9: the identifier is empty"} {
		if !strings.HasPrefix(p.Errors[i], want) {
			t.Errorf("error %d: %q, want it to start %q", i, p.Errors[i], want)
		}
	}
	if _, _, err := r.inv.ApplyAssignCSV(ctx, a, p); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("applying a preview with errors: %v, want Invalid", err)
	}
	if got := len(r.devices(t, r.acme)); got != acmeBefore {
		t.Fatalf("a refused file assigned lines: acme has %d devices, had %d", got, acmeBefore)
	}

	p, err = r.inv.PreviewAssignCSV(ctx, r.provider, strings.NewReader(good))
	if err != nil || len(p.Errors) != 0 || len(p.Rows) != 3 || p.Rows[0].Identifier != r.lines[4].ICCID || p.Rows[0].From != "" {
		t.Fatalf("good preview: %+v %v", p, err)
	}
	placed, moved, err := r.inv.ApplyAssignCSV(ctx, a, p)
	if err != nil || placed != 3 || moved != 0 {
		t.Fatalf("apply: placed %d moved %d %v", placed, moved, err)
	}
	if got := len(r.devices(t, r.acme)); got != acmeBefore+2 {
		t.Fatalf("acme has %d devices, want %d", got, acmeBefore+2)
	}
	if left, _ := r.inv.Unassigned(ctx, store.LineFilter{ProviderID: r.provider}); len(left) != 1 || left[0].ICCID != r.lines[19].ICCID {
		t.Fatalf("unassigned after the file: %+v, want line 19 alone", left)
	}

	for _, c := range []struct{ file, want string }{
		{"iccid,customer\n1,2\n", "header identifier,tenant"},
		{inventory.AssignCSVHeader + "\n", "no rows"},
	} {
		if _, err := r.inv.PreviewAssignCSV(ctx, r.provider, strings.NewReader(c.file)); apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("file %q: %v, want Invalid saying %q", c.file, err, c.want)
		}
	}
}
