package sheet

import (
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// RowsHeader is the header of every download of a request's rows (the page's CSV and .xlsx,
// the e-mail's attachment): the template's columns, then change.InfoColumns, which an upload
// ignores. Edited and uploaded, the file is a new request for the rows left in it.
func RowsHeader() []Cell {
	return Texts(append(append([]string{}, change.TemplateColumns...), change.RowInfoColumns...)...)
}

// RowCells is one row of a request in the layout of RowsHeader. current is the identifier as the
// person gave it; code the carrier's error code, if any.
func RowCells(d store.DeviceChange, code string) []Cell {
	current := d.MSISDN
	if e, err := change.ParseEnvelope(d.ChangeRequest); err == nil && e.Identifier.Current != "" {
		current = e.Identifier.Current
	}
	if current == "" {
		current = d.ICCID
	}
	return []Cell{ID(current), ID(d.NewICCID), ID(d.NewIMEI), Text(""),
		Text(string(d.Status)), Text(d.Status.Words()), Text(code), Text(d.StatusDetails),
		ID(d.ICCID), ID(d.IMEI), ID(d.MSISDN), ID(d.EID), Text(d.ServicePlan),
		Int(d.ID), Int(d.BulkChangeID), OptInt(d.DeviceID), Text(d.RequestID),
		Text(utc(&d.CreatedDate)), Text(utc(d.SubmittedDate)), Text(utc(d.ProcessedDate))}
}

// TimeLayout is a time in a spreadsheet: ISO 8601 in UTC, which spreadsheets read as a date.
const TimeLayout = "2006-01-02T15:04:05.000Z"

func utc(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}
