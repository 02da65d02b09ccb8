package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/views"
)

// The spreadsheet side of a change request: the template to fill in (CSV or .xlsx), and reading
// a file back. Identifiers have up to 32 digits and spreadsheets keep 15, so the template writes
// them as text (internal/sheet: a text cell in .xlsx, a leading apostrophe in CSV); the reader
// takes the marks off again (sheet.Unmark), so the Rows box shows plain identifiers.

// writeTemplate is the template (CSV or an Excel workbook): the header the parser knows, and one
// example row per change type. Rows whose note starts with "example" are skipped when the file
// comes back, so a template uploaded unchanged adds nothing.
func (s *Server) writeTemplate(c echo.Context, f sheet.Format) error {
	return s.streamSheet(c, f, "idswap-change-template."+string(f), templateHeader(), func(write func(...sheet.Cell) error) error {
		for _, r := range templateExamples {
			if err := write(sheet.ID(r[0]), sheet.ID(r[1]), sheet.ID(r[2]), sheet.Text(r[3])); err != nil {
				return err
			}
		}
		return nil
	})
}

// templateExamples are the template's example rows, one per change type.
var templateExamples = [][4]string{
	{"89148000004200000373", "89148000004200099995", "", "example, ChangeICCID (new SIM, same device): current device by ICCID, IMEI, MDN or EID, then the new ICCID. Rows whose note starts with example are skipped on upload. Keep the columns formatted as Text before you type or paste identifiers."},
	{"5125550100", "", "866957041000070", "example, ChangeIMEI (same SIM, new device): the new IMEI in the third column, the second left empty."},
	{"866957040012345", "89148000004200099987", "354405110000016", "example, ChangeIMEIandICCID (new SIM and new device): both new identifiers."},
}

// readUpload reads the rows of an uploaded .xlsx workbook (its first sheet) or CSV (or
// tab-separated text, in UTF-8 or UTF-16 as spreadsheets save it). It returns the rows and a notice, or a message for the file field.
func readUpload(fh *multipart.FileHeader) ([]change.Row, string, string) {
	if fh.Size > maxUpload {
		return nil, "", fmt.Sprintf("%s is %.1f MB; a file may have at most %d MB. Split it into smaller files.",
			fh.Filename, float64(fh.Size)/(1<<20), maxUpload>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", fmt.Sprintf("%s could not be read; try again.", fh.Filename)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
	if err != nil || len(b) > maxUpload {
		return nil, "", fmt.Sprintf("%s could not be read whole; a file may have at most %d MB.", fh.Filename, maxUpload>>20)
	}
	var p change.Parsed
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) { // a zip: an .xlsx workbook
		records, err := sheet.ReadXLSX(bytes.NewReader(b))
		if err != nil {
			return nil, "", fmt.Sprintf("%s could not be read as an Excel workbook (.xlsx); save it again, or as CSV.", fh.Filename)
		}
		p = change.ParseRecords(records)
	} else {
		text, ok := decodeText(b)
		if !ok {
			return nil, "", fmt.Sprintf("%s is neither a CSV nor an .xlsx file. Save the sheet as CSV or Excel workbook and upload that.", fh.Filename)
		}
		p = change.ParseRows(text)
	}
	for i := range p.Rows {
		r := &p.Rows[i]
		r.Current, r.NewICCID, r.NewIMEI = sheet.Unmark(r.Current), sheet.Unmark(r.NewICCID), sheet.Unmark(r.NewIMEI)
	}
	if len(p.Rows) == 0 {
		msg := fmt.Sprintf("%s has no rows.", fh.Filename)
		if p.Examples > 0 {
			msg = fmt.Sprintf("%s has only the template's example rows; add your devices below them.", fh.Filename)
		}
		return nil, "", msg
	}
	notice := fmt.Sprintf("Added %s from %s.", views.CountNoun(len(p.Rows), "row", "rows"), fh.Filename)
	if p.Examples > 0 {
		notice += fmt.Sprintf(" The template's %s skipped.", views.CountNoun(p.Examples, "example row was", "example rows were"))
	}
	return p.Rows, notice, ""
}

// decodeText turns a file's bytes into text: UTF-8 (with or without a byte-order mark) or
// UTF-16 with its byte-order mark (Excel's "Unicode text"). Anything else is not text.
func decodeText(b []byte) (string, bool) {
	var be bool
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		be = true
	default:
		return string(b), utf8.Valid(b) && !bytes.ContainsRune(b, 0)
	}
	b = b[2:]
	u := make([]uint16, len(b)/2)
	for i := range u {
		if be {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return string(utf16.Decode(u)), true
}
