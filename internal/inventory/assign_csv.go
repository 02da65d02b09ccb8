package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
)

// AssignCSVHeader is the header of an assignment CSV: a line's identifier (ICCID, IMEI or MDN)
// and the name of the tenant it goes to.
const AssignCSVHeader = "identifier,tenant"

// AssignRow is one good row of an assignment CSV.
type AssignRow struct {
	Line       int // line number in the file, header = 1
	Identifier string
	CarrierID  int64
	TenantID   int64
	TenantName string
	From       string // the tenant the line is in now; "" when unassigned
}

// AssignPreview is what an assignment CSV would do: the rows that can be applied and an error
// for each row that cannot. Nothing is changed by the preview.
type AssignPreview struct {
	ProviderID int64
	Rows       []AssignRow
	Errors     []string // "line 4: …"
}

// PreviewAssignCSV reads an assignment CSV for a provider's lines and checks every row: the
// identifier is a line of the provider, the tenant exists and is active, the line is not
// named twice, and no other tenant has an open change on it. It changes nothing.
func (s *Service) PreviewAssignCSV(ctx context.Context, providerID int64, r io.Reader) (*AssignPreview, error) {
	tab, err := sheet.ReadCSV(r, maxAssign)
	if errors.Is(err, sheet.ErrTooManyRows) {
		return nil, apperr.E(apperr.Invalid, "the file has more than %d rows; split it", maxAssign)
	}
	if err != nil || !tab.Has("identifier") || !tab.Has("tenant") {
		return nil, apperr.E(apperr.Invalid, "the file is not a CSV with the header %s", AssignCSVHeader)
	}
	if len(tab.Records) == 0 {
		return nil, apperr.E(apperr.Invalid, "the file has a header and no rows")
	}
	if _, err := s.db.ProviderByID(ctx, providerID); err != nil {
		return nil, err
	}
	tenants, err := s.db.AllTenants(ctx)
	if err != nil {
		return nil, err
	}
	tenantByName := map[string]store.TenantRow{}
	for _, t := range tenants {
		tenantByName[strings.ToLower(t.Name)] = t
	}
	lines, err := s.db.CarrierLines(ctx, store.LineFilter{ProviderID: providerID})
	if err != nil {
		return nil, err
	}
	byID := lineIndex(lines)

	p := &AssignPreview{ProviderID: providerID}
	var rows []pendingAssign
	firstLine := map[int64]int{} // carrier id → the file line that named it first
	for _, rec := range tab.Records {
		if rec.Err != nil {
			p.Errors = append(p.Errors, fmt.Sprintf("line %d: %v", rec.Line, rec.Err))
			continue
		}
		raw, name := tab.Get(rec, "identifier"), tab.Get(rec, "tenant")
		var problems []string
		i, found := byID[ident.Digits(raw)]
		switch {
		case raw == "":
			problems = append(problems, "the identifier is empty")
		case !found || ident.Digits(raw) == "":
			problems = append(problems, fmt.Sprintf("%q is not a line of this provider (no ICCID, IMEI or MDN matches)", raw))
		}
		t, known := tenantByName[strings.ToLower(name)]
		switch {
		case name == "":
			problems = append(problems, "the tenant is empty")
		case !known:
			problems = append(problems, fmt.Sprintf("there is no tenant named %q", name))
		case !t.IsActive:
			problems = append(problems, fmt.Sprintf("tenant %q is deactivated", t.Name))
		}
		if found {
			if first, dup := firstLine[lines[i].CarrierID]; dup {
				problems = append(problems, fmt.Sprintf("the line is named on line %d already", first))
			} else {
				firstLine[lines[i].CarrierID] = rec.Line
			}
		}
		if len(problems) > 0 {
			p.Errors = append(p.Errors, fmt.Sprintf("line %d: %s", rec.Line, strings.Join(problems, "; ")))
			continue
		}
		l := lines[i]
		rows = append(rows, pendingAssign{AssignRow{Line: rec.Line, Identifier: raw, CarrierID: l.CarrierID, TenantID: t.ID, TenantName: t.Name,
			From: l.TenantName}, l})
	}

	if err := s.keepUnlessOpenChange(ctx, p, rows); err != nil {
		return nil, err
	}
	return p, nil
}

// pendingAssign is a row of the file that passed its own checks, with the line it names.
type pendingAssign struct {
	row  AssignRow
	line store.CarrierLineRow
}

// lineIndex maps each ICCID, IMEI and MDN of lines to the line's index.
func lineIndex(lines []store.CarrierLineRow) map[string]int {
	byID := make(map[string]int, 3*len(lines))
	for i, l := range lines {
		for _, v := range []string{l.ICCID, l.IMEI, l.MSISDN} {
			if v != "" {
				byID[v] = i
			}
		}
	}
	return byID
}

// keepUnlessOpenChange adds rows to the preview's rows, except that a line that leaves a tenant
// with an open change on it is an error: it would take the change's row away from the tenant
// that asked for it, and is refused as when assigning by hand.
func (s *Service) keepUnlessOpenChange(ctx context.Context, p *AssignPreview, rows []pendingAssign) error {
	var leaving []int64
	for _, r := range rows {
		if r.line.DeviceID != 0 && r.line.TenantID != r.row.TenantID {
			leaving = append(leaving, r.line.DeviceID)
		}
	}
	open, err := s.db.OpenChangeTargets(ctx, leaving)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, busy := open[r.line.DeviceID]; busy && r.line.TenantID != r.row.TenantID {
			p.Errors = append(p.Errors, fmt.Sprintf("line %d: %s has an open change in tenant %q; assign it when that change has ended",
				r.row.Line, r.row.Identifier, r.line.TenantName))
			continue
		}
		p.Rows = append(p.Rows, r.row)
	}
	return nil
}

// ApplyAssignCSV assigns the rows of a preview the admin confirmed, all in one transaction. The
// caller previews the file again first, so what is applied is checked now; a preview with any
// error is refused whole, so what is applied is exactly what was shown as good.
func (s *Service) ApplyAssignCSV(ctx context.Context, a store.Actor, p *AssignPreview) (placed, moved int, err error) {
	if p == nil || len(p.Rows) == 0 {
		return 0, 0, apperr.E(apperr.Invalid, "there are no rows to assign")
	}
	if len(p.Errors) > 0 {
		return 0, 0, apperr.E(apperr.Invalid, "%d row(s) have errors; fix the file and preview it again (first: %s)", len(p.Errors), p.Errors[0])
	}
	byTenant := map[int64][]int64{}
	for _, r := range p.Rows {
		byTenant[r.TenantID] = append(byTenant[r.TenantID], r.CarrierID)
	}
	return s.db.AssignLinesByTenant(ctx, p.ProviderID, byTenant, a)
}
