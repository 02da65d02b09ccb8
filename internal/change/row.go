package change

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// MaxRows is the most rows one request may have.
const MaxRows = 10000

// ConfirmAbove is the row count above which the person submitting a request types the count to
// confirm it: a request that large is hard to undo and easy to paste by mistake.
const ConfirmAbove = 500

// Row is one line of a request as it was given: the current device, named by any of its
// identifiers, and the new ICCID and/or IMEI. Values are kept as typed (only trimmed), so that
// messages quote what the person wrote; the checks normalise them.
type Row struct {
	Current  string
	NewICCID string
	NewIMEI  string
	// Note is a free comment (the template's fourth column). It is not stored.
	Note string
	// Extra holds non-empty values beyond the known columns; a row with any is refused, because
	// a shifted column would otherwise put an identifier where it does not belong.
	Extra []string
}

// Column names a column of a row; the names are those of the CSV template and of the API.
type Column string

// The columns of a row. ColumnRow is a problem with the row as a whole; ColumnPlan one with the
// rate plan the row would get.
const (
	ColumnCurrent  Column = "current"
	ColumnNewICCID Column = "new_iccid"
	ColumnNewIMEI  Column = "new_imei"
	ColumnRow      Column = "row"
	ColumnPlan     Column = "service_plan"
)

// Label is how a column is named in messages.
func (c Column) Label() string {
	switch c {
	case ColumnCurrent:
		return "current device"
	case ColumnNewICCID:
		return "new ICCID"
	case ColumnNewIMEI:
		return "new IMEI"
	case ColumnPlan:
		return "rate plan"
	}
	return ""
}

// Problem is one thing wrong with one row. Message names the row and the column and says what is
// wrong, so it reads on its own in a list of hundreds.
type Problem struct {
	Column  Column
	Message string
}

// Problemf builds a Problem of row n (1-based) in column c: "Row 3, new ICCID: …".
func Problemf(n int, c Column, format string, args ...any) Problem {
	where := fmt.Sprintf("Row %d", n)
	if l := c.Label(); l != "" {
		where += ", " + l
	}
	return Problem{Column: c, Message: where + ": " + fmt.Sprintf(format, args...)}
}

// Parsed is the result of reading pasted text or an uploaded file.
type Parsed struct {
	Rows []Row
	// Header is true when the first line named the columns (and was not read as a row).
	Header bool
	// Examples counts the template's example rows (note starting "example"), which are skipped.
	Examples int
}

// headerNames maps a header cell, lower-cased without spaces, dashes or underscores, to its column.
var headerNames = map[string]string{
	"current": "current", "currentdevice": "current", "currentidentifier": "current", "device": "current",
	"identifier": "current", "currentid": "current", "old": "current", "oldidentifier": "current",
	"iccid": "current", "imei": "current", "mdn": "current", "msisdn": "current", "eid": "current",
	"currenticcid": "current", "currentimei": "current", "oldiccid": "current", "oldimei": "current",
	"newiccid": "new_iccid", "newsim": "new_iccid",
	"newimei": "new_imei", "newdevice": "new_imei",
	"note": "note", "notes": "note", "comment": "note",
}

// ignored marks a column of InfoColumns: its values are neither checked nor refused.
const ignored = "-"

// TemplateColumns are the columns of the upload template; every spreadsheet idswap writes of
// rows starts with them, so that any download can be edited and uploaded as it is.
var TemplateColumns = []string{"current", "new_iccid", "new_imei", "note"}

// InfoColumns are the columns a download of rows adds after TemplateColumns. An upload with a
// header ignores them, and only them: any other unknown column is still refused, since its
// values may be identifiers in the wrong place.
var InfoColumns = append(append(append([]string{}, RowInfoColumns...), AuditInfoColumns...), InventoryInfoColumns...)

// RowInfoColumns are the columns a download of a request's rows adds (sheet.RowsHeader).
var RowInfoColumns = []string{"status", "outcome", "carrier_code", "details", "device_iccid", "device_imei", "device_mdn",
	"device_eid", "service_plan", "row_id", "bulk_change_id", "device_id", "carrier_request_id", "created_utc",
	"submitted_utc", "processed_utc"}

// InventoryInfoColumns are the columns the inventory export adds after TemplateColumns; the
// device_* and status/service_plan ones are shared with RowInfoColumns.
var InventoryInfoColumns = []string{"device_iccid", "device_imei", "device_mdn", "device_eid", "status", "service_plan",
	"make", "model", "network_type", "last_seen_utc", "description"}

// AuditInfoColumns are the further columns of the audit export.
var AuditInfoColumns = []string{"date_utc", "source", "id", "tenant", "row_status", "by", "entry", "response_status",
	"has_errors", "error_code", "error_text", "entity_type", "entity_id", "remote_addr"}

// positional is the column order of a line without a header.
var positional = []string{"current", "new_iccid", "new_imei", "note"}

// ParseRows reads rows from pasted text or a CSV file: one row per line, cells separated by a
// comma, a semicolon or a tab (decided per line, so pastes from spreadsheets and CSV exports
// both work), with or without a header line naming the columns. Without a header the columns
// are current, new_iccid, new_imei and an optional note. Quoted cells, a byte-order mark and
// CRLF line ends are understood; blank lines are skipped. It never fails: what it cannot place
// ends up in Row.Extra or in a cell, where the checks say what is wrong.
func ParseRows(text string) Parsed {
	text = strings.TrimPrefix(text, "\uFEFF")
	var records [][]string
	for line := range strings.SplitSeq(text, "\n") {
		records = append(records, splitLine(strings.TrimRight(line, "\r")))
	}
	return ParseRecords(records)
}

// ParseRecords reads rows from cells already split, as a spreadsheet's rows are: the same
// rules as ParseRows (an optional header, blank rows skipped, the template's examples skipped).
// With a header, the columns a download adds (InfoColumns) are ignored, so a download can be
// uploaded as it is.
func ParseRecords(records [][]string) Parsed {
	var p Parsed
	order := positional
	first := true
	for _, cells := range records {
		for i, c := range cells {
			cells[i] = strings.TrimSpace(c)
		}
		if allBlank(cells) {
			continue
		}
		if first {
			first = false
			if cols, ok := headerOf(cells); ok {
				p.Header, order = true, cols
				continue
			}
		}
		r := rowOf(cells, order)
		if strings.HasPrefix(strings.ToLower(r.Note), "example") {
			p.Examples++
			continue
		}
		p.Rows = append(p.Rows, r)
	}
	return p
}

// splitLine splits one line at its separator: a tab if it has one, else a semicolon if it has
// one, else a comma. Cells may be quoted the CSV way.
func splitLine(line string) []string {
	sep := ','
	switch {
	case strings.ContainsRune(line, '\t'):
		sep = '\t'
	case strings.ContainsRune(line, ';'):
		sep = ';'
	}
	r := csv.NewReader(strings.NewReader(line))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = sep, true, -1
	cells, err := r.Read()
	if err != nil {
		// Only a line csv cannot read at all gets here; split it plainly rather than lose it.
		cells = strings.Split(line, string(sep))
	}
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells
}

func allBlank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// headerOf reports whether cells are a header line — no digits anywhere and at least one known
// column name — and returns the column of each cell ("" for an unknown name).
func headerOf(cells []string) ([]string, bool) {
	known := false
	cols := make([]string, len(cells))
	for i, c := range cells {
		if strings.ContainsFunc(c, unicode.IsDigit) {
			return nil, false
		}
		key := strings.Map(func(r rune) rune {
			if r == ' ' || r == '_' || r == '-' || r == '.' {
				return -1
			}
			return unicode.ToLower(r)
		}, c)
		// A column named twice keeps its first place; the second's values become extras.
		col, ok := headerNames[key]
		switch {
		case ok && !slices.Contains(cols[:i], col):
			cols[i], known = col, true
		case !ok && slices.Contains(InfoColumns, strings.ToLower(strings.TrimSpace(c))):
			cols[i] = ignored
		}
	}
	return cols, known
}

func rowOf(cells, order []string) Row {
	var r Row
	for i, c := range cells {
		col := ""
		if i < len(order) {
			col = order[i]
		}
		switch col {
		case "current":
			r.Current = c
		case "new_iccid":
			r.NewICCID = c
		case "new_imei":
			r.NewIMEI = c
		case "note":
			r.Note = c
		case ignored:
		default:
			if c != "" {
				r.Extra = append(r.Extra, c)
			}
		}
	}
	return r
}

// FormatRows writes rows back as text that ParseRows reads again unchanged: one line per row,
// comma-separated and quoted where needed, without trailing empty cells.
func FormatRows(rows []Row) string {
	var b strings.Builder
	b.Grow(len(rows) * 60)
	w := csv.NewWriter(&b)
	for _, r := range rows {
		cells := []string{r.Current, r.NewICCID, r.NewIMEI, r.Note}
		if len(r.Extra) > 0 {
			cells = append(cells, r.Extra...)
		} else {
			for len(cells) > 1 && cells[len(cells)-1] == "" {
				cells = cells[:len(cells)-1]
			}
		}
		_ = w.Write(cells) // a strings.Builder does not fail
	}
	w.Flush()
	return b.String()
}
