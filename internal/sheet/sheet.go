// Package sheet writes and reads the spreadsheets idswap exchanges with people: CSV and .xlsx.
// Every file idswap writes goes through one Writer, so two rules hold everywhere:
//
//   - a text cell a spreadsheet would run as a formula (it starts with = + - @, a tab or a
//     carriage return) is written with a leading apostrophe, because carrier messages and
//     audit details are not ours (CWE-1236);
//   - an identifier (ICCID, IMEI, EID, MDN) stays text. Spreadsheets keep 15 significant digits
//     and show numbers of more than 11 digits as 8.91E+19, which is then what they save. In
//     .xlsx the cell is a string with the Text format. CSV has no type, so an all-digit
//     identifier is written with a leading apostrophe: Excel, LibreOffice and Google Sheets
//     then read it as text and show and save every digit (the apostrophe stays visible, and is
//     saved back). The reader (Unmark, and ident.Clean behind the checks) removes it again, so
//     a download can be edited and uploaded as it is.
//
// The ="8914…" text formula used before is not written any more: only Excel understands it,
// other programs show the formula, and a tool reading the file sees it instead of the number.
// Unmark still reads it, for files written by older versions.
package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Kind says how a cell is written.
type Kind int

// Cell kinds.
const (
	KindText Kind = iota // free text: neutralised
	KindID               // an identifier: kept as text
	KindInt              // a number of ours (row id): a number cell in .xlsx
)

// Cell is one value and how to write it.
type Cell struct {
	Value string
	Kind  Kind
}

// Text is a free-text cell.
func Text(v string) Cell { return Cell{Value: v} }

// ID is an identifier cell.
func ID(v string) Cell { return Cell{Value: v, Kind: KindID} }

// Int is a number of ours; 0 with ok false is an empty cell.
func Int(n int64) Cell { return Cell{Value: strconv.FormatInt(n, 10), Kind: KindInt} }

// OptInt is an optional number: empty when nil.
func OptInt(n *int64) Cell {
	if n == nil {
		return Cell{Kind: KindInt}
	}
	return Int(*n)
}

// Texts turns strings into text cells.
func Texts(vs ...string) []Cell {
	out := make([]Cell, len(vs))
	for i, v := range vs {
		out[i] = Text(v)
	}
	return out
}

// Neutralise returns v with a leading apostrophe when a spreadsheet would read it as a formula.
func Neutralise(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// csvValue is a cell as CSV text.
func (c Cell) csvValue() string {
	if c.Kind == KindID && allDigits(c.Value) {
		return "'" + c.Value
	}
	if c.Kind == KindInt {
		return c.Value
	}
	return Neutralise(c.Value)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Unmark undoes what a writer (ours, or an older one's ="…") wrapped around a value, so an
// uploaded download shows the plain identifier: one leading apostrophe, or a ="…" text formula.
func Unmark(v string) string {
	v = strings.TrimSpace(v)
	if inner, ok := strings.CutPrefix(v, "="); ok && len(inner) >= 2 && inner[0] == '"' && inner[len(inner)-1] == '"' {
		return strings.ReplaceAll(inner[1:len(inner)-1], `""`, `"`)
	}
	if rest, ok := strings.CutPrefix(v, "'"); ok {
		return rest
	}
	return v
}

// Writer writes rows of cells to one CSV or .xlsx file.
type Writer interface {
	Write(cells ...Cell) error
	// Flush sends what is buffered on (CSV only; .xlsx is written whole by Close).
	Flush() error
	// Close finishes the file.
	Close() error
}

// Format is a file format: "csv" or "xlsx".
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentType is the format's media type.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// New returns a writer of format f to w.
func New(f Format, w io.Writer) Writer {
	if f == XLSX {
		return newXLSX(w)
	}
	return NewCSV(w)
}

// CSVWriter writes CSV with a UTF-8 byte-order mark, so Excel reads accents right.
type CSVWriter struct {
	w       *csv.Writer
	started bool
	out     io.Writer
}

// NewCSV returns a CSV writer to w.
func NewCSV(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w), out: w} }

// Write writes one record.
func (c *CSVWriter) Write(cells ...Cell) error {
	if !c.started {
		c.started = true
		if _, err := io.WriteString(c.out, "\uFEFF"); err != nil {
			return err
		}
	}
	rec := make([]string, len(cells))
	for i, cell := range cells {
		rec[i] = cell.csvValue()
	}
	return c.w.Write(rec)
}

// Flush writes buffered records.
func (c *CSVWriter) Flush() error { c.w.Flush(); return c.w.Error() }

// Close flushes.
func (c *CSVWriter) Close() error { return c.Flush() }

// xlsxWriter writes one sheet through excelize's stream writer; the file is written at Close.
type xlsxWriter struct {
	out    io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	text   int // style of identifier cells: number format "@" (Text)
	row    int
	widths []int
	err    error
}

const sheetName = "Sheet1"

func newXLSX(w io.Writer) *xlsxWriter {
	x := &xlsxWriter{out: w, f: excelize.NewFile()}
	x.text, x.err = x.f.NewStyle(&excelize.Style{NumFmt: 49}) // 49 is the built-in "@" (Text)
	if x.err == nil {
		x.sw, x.err = x.f.NewStreamWriter(sheetName)
	}
	return x
}

func (x *xlsxWriter) Write(cells ...Cell) error {
	if x.err != nil {
		return x.err
	}
	x.row++
	vals := make([]any, len(cells))
	for i, c := range cells {
		if i >= len(x.widths) {
			x.widths = append(x.widths, 0)
		}
		x.widths[i] = max(x.widths[i], min(60, utf8.RuneCountInString(c.Value)))
		switch {
		case c.Kind == KindID:
			vals[i] = excelize.Cell{StyleID: x.text, Value: c.Value}
		case c.Kind == KindInt && c.Value != "":
			n, err := strconv.ParseInt(c.Value, 10, 64)
			if err != nil {
				return fmt.Errorf("sheet: %q is not a number", c.Value)
			}
			vals[i] = n
		default:
			// A string cell is never a formula in .xlsx, but the same rule as in CSV keeps a
			// value safe when the sheet is later saved as CSV.
			vals[i] = Neutralise(c.Value)
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	x.err = x.sw.SetRow(cell, vals)
	return x.err
}

func (x *xlsxWriter) Flush() error { return x.err }

func (x *xlsxWriter) Close() error {
	if x.err != nil {
		return x.err
	}
	if err := x.sw.Flush(); err != nil {
		return err
	}
	// Widths are set after the rows, which the stream writer allows only before them; set them
	// on the finished sheet instead.
	for i, w := range x.widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := x.f.SetColWidth(sheetName, col, col, float64(max(10, w+2))); err != nil {
			return err
		}
	}
	_, err := x.f.WriteTo(x.out)
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// maxUnzipped bounds what an uploaded .xlsx may inflate to, against zip bombs.
const maxUnzipped = 64 << 20

// ReadXLSX returns the cells of the first sheet of an .xlsx file, as text: identifiers stored
// as text come back with every digit; a number a spreadsheet stored comes back as it shows it
// (8.91E+19), which the checks then refuse with a message saying why.
func ReadXLSX(r io.Reader) ([][]string, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("sheet: the workbook has no sheet")
	}
	return f.GetRows(sheets[0])
}

// RecordsCSV writes records as plain CSV text (no marks, no byte-order mark): the form in
// which the parser reads pasted text.
func RecordsCSV(rows [][]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, r := range rows {
		_ = w.Write(r) // a strings.Builder does not fail
	}
	w.Flush()
	return b.String()
}
