package sheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Table is an uploaded CSV read by its header: the admin's uploads (device models, line
// assignments) name their columns, so the columns may come in any order and letter case.
type Table struct {
	columns map[string]int
	Records []Record
}

// Record is one row of a Table with its line number in the file (the header is line 1). Err
// is set when the row itself could not be read (a stray quote); its fields are then empty.
type Record struct {
	Line   int
	Fields []string
	Err    error
}

// ErrTooManyRows is returned by ReadCSV for a file of more rows than it may read.
var ErrTooManyRows = errors.New("sheet: too many rows")

// ReadCSV reads a CSV upload with a header row. Header names are matched in lower case with
// spaces trimmed and a byte-order mark dropped; rows may have fewer or more fields than the
// header. It fails when the file has no header, or more than maxRows rows (ErrTooManyRows).
func ReadCSV(r io.Reader, maxRows int) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("sheet: no header row: %w", err)
	}
	t := &Table{columns: map[string]int{}}
	for i, h := range head {
		t.columns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if line-1 > maxRows {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyRows, maxRows)
		}
		t.Records = append(t.Records, Record{Line: line, Fields: rec, Err: err})
	}
}

// Has reports whether the header names a column.
func (t *Table) Has(name string) bool {
	_, ok := t.columns[name]
	return ok
}

// Get is a record's value in the named column, spaces trimmed and a writer's text mark
// removed (Unmark), so a download edited and uploaded reads as written; "" when the record
// has no such field.
func (t *Table) Get(r Record, name string) string {
	if i, ok := t.columns[name]; ok && i < len(r.Fields) {
		return Unmark(r.Fields[i])
	}
	return ""
}
