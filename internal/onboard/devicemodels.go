package onboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
)

// DeviceModelRow is one checked row of a device model CSV.
type DeviceModelRow struct {
	Line int // line number in the file, header = 1
	store.NewDeviceModel
}

// DeviceModelPreview is what a device model CSV holds: the rows that can be stored and an error
// for each row that cannot. Nothing is stored by the preview.
type DeviceModelPreview struct {
	Rows   []DeviceModelRow
	Errors []string // "line 4: …"
}

// DeviceModelCSVHeader is the header a device model CSV starts with. Either tac (8 digits, the
// whole TAC) or imei_from and imei_to (15 digits each) give the range.
const DeviceModelCSVHeader = "tac,imei_from,imei_to,manufacturer,model,network_type"

const maxModelRows = 10000

// PreviewDeviceModels reads a device model CSV and checks every row. It stores nothing.
func PreviewDeviceModels(r io.Reader) (*DeviceModelPreview, error) {
	tab, err := sheet.ReadCSV(r, maxModelRows)
	if errors.Is(err, sheet.ErrTooManyRows) {
		return nil, apperr.E(apperr.Invalid, "the file has more than %d rows; split it", maxModelRows)
	}
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "the file is not a CSV with the header %s", DeviceModelCSVHeader)
	}
	if err := checkModelHeader(tab); err != nil {
		return nil, err
	}
	p := &DeviceModelPreview{}
	for _, rec := range tab.Records {
		line := rec.Line
		if rec.Err != nil {
			p.Errors = append(p.Errors, fmt.Sprintf("line %d: %v", line, rec.Err))
			continue
		}
		get := func(name string) string { return tab.Get(rec, name) }
		row := DeviceModelRow{Line: line}
		from, to, problems := imeiRange(get("tac"), get("imei_from"), get("imei_to"))
		row.FromIMEI, row.ToIMEI = from, to
		row.Manufacturer, row.Model, row.NetworkType = get("manufacturer"), get("model"), get("network_type")
		if row.Manufacturer == "" {
			problems = append(problems, "the manufacturer is empty")
		}
		if row.Model == "" {
			problems = append(problems, "the model is empty")
		}
		for _, f := range []struct {
			what, v string
			max     int
		}{{"manufacturer", row.Manufacturer, change.MaxManufacturer}, {"model", row.Model, change.MaxModel}} {
			if n := change.TextLen(f.v); n > f.max {
				problems = append(problems, fmt.Sprintf("the %s has %d characters; at most %d fit", f.what, n, f.max))
			}
		}
		if !slices.Contains(change.NetworkTypes, row.NetworkType) {
			problems = append(problems, fmt.Sprintf("network type %q is not one of %s", row.NetworkType, strings.Join(change.NetworkTypes, ", ")))
		}
		if len(problems) == 0 {
			if other := p.overlapping(row); other != 0 {
				problems = append(problems, fmt.Sprintf("the range overlaps line %d", other))
			}
		}
		if len(problems) > 0 {
			p.Errors = append(p.Errors, fmt.Sprintf("line %d: %s", line, strings.Join(problems, "; ")))
			continue
		}
		p.Rows = append(p.Rows, row)
	}
	if len(p.Rows) == 0 && len(p.Errors) == 0 {
		return nil, apperr.E(apperr.Invalid, "the file has a header and no rows")
	}
	return p, nil
}

// checkModelHeader says which columns a device model CSV's header lacks.
func checkModelHeader(tab *sheet.Table) error {
	for _, need := range []string{"manufacturer", "model", "network_type"} {
		if !tab.Has(need) {
			return apperr.E(apperr.Invalid, "the header has no %s column (want %s)", need, DeviceModelCSVHeader)
		}
	}
	if !tab.Has("tac") && !(tab.Has("imei_from") && tab.Has("imei_to")) {
		return apperr.E(apperr.Invalid, "the header needs a tac column or imei_from and imei_to columns (want %s)", DeviceModelCSVHeader)
	}
	return nil
}

// imeiRange is the IMEI range a row gives, either as a whole TAC or as its first and last IMEI,
// and what is wrong with it.
func imeiRange(tac, from, to string) (first, last string, problems []string) {
	switch {
	case tac != "" && (from != "" || to != ""):
		problems = append(problems, "give a TAC or an IMEI range, not both")
	case tac != "":
		if len(tac) != 8 || !allDigits(tac) {
			problems = append(problems, fmt.Sprintf("TAC %q is not 8 digits", tac))
		}
		from, to = tac+"0000000", tac+"9999999"
	default:
		for _, v := range []string{from, to} {
			if len(v) != 15 || !allDigits(v) {
				problems = append(problems, fmt.Sprintf("IMEI %q is not 15 digits", v))
			}
		}
		if len(problems) == 0 && from > to {
			problems = append(problems, fmt.Sprintf("the range starts (%s) after it ends (%s)", from, to))
		}
	}
	return from, to, problems
}

// overlapping is the file line of the first good row whose range overlaps row's, or 0.
func (p *DeviceModelPreview) overlapping(row DeviceModelRow) int {
	for _, other := range p.Rows {
		if other.FromIMEI <= row.ToIMEI && row.FromIMEI <= other.ToIMEI {
			return other.Line
		}
	}
	return 0
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// StoreDeviceModels stores the rows of a preview the admin confirmed. A preview with errors is
// refused whole, so what is stored is exactly what was shown as good.
func (s *Service) StoreDeviceModels(ctx context.Context, a Actor, p *DeviceModelPreview) (int, error) {
	if p == nil || len(p.Rows) == 0 {
		return 0, apperr.E(apperr.Invalid, "there are no rows to store")
	}
	if len(p.Errors) > 0 {
		return 0, apperr.E(apperr.Invalid, "%d row(s) have errors; fix the file and preview it again (first: %s)", len(p.Errors), p.Errors[0])
	}
	ms := make([]store.NewDeviceModel, len(p.Rows))
	for i, r := range p.Rows {
		ms[i] = r.NewDeviceModel
	}
	if err := s.db.AddDeviceModels(ctx, ms, a); err != nil {
		return 0, err
	}
	return len(ms), nil
}
