package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/views"
)

// The CSV side of a change request: the template to fill in a spreadsheet, and reading a file
// back. Identifiers have up to 32 digits and spreadsheets keep 15, so the template writes every
// identifier as a text formula (="8914…"): a spreadsheet opens it as text, shows every digit,
// and saves the digits back as they were. The parser (ident.Clean) reads both forms.

// changeTemplate is the CSV template: the header the parser knows, and one example row per
// change type. Rows whose note starts with "example" are skipped when the file comes back, so
// a template uploaded unchanged adds nothing.
func (s *Server) changeTemplate(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="idswap-change-template.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	_, err := io.WriteString(c.Response(), changeTemplateCSV)
	return err
}

// changeTemplateCSV starts with a UTF-8 byte-order mark so that Excel reads it as UTF-8.
const changeTemplateCSV = "\uFEFF" + `current,new_iccid,new_imei,note
="89148000004200000373",="89148000004200099995",,"example, ChangeICCID (new SIM, same device): current device by ICCID, IMEI, MDN or EID, then the new ICCID. Rows whose note starts with example are skipped on upload. Keep the columns formatted as Text before you type or paste identifiers."
="5125550100",,="866957041000070","example, ChangeIMEI (same SIM, new device): the new IMEI in the third column, the second left empty."
="866957040012345",="89148000004200099987",="354405110000016","example, ChangeIMEIandICCID (new SIM and new device): both new identifiers."
`

// readUpload reads the rows of an uploaded CSV (or tab-separated text, in UTF-8 or UTF-16 as
// spreadsheets save it). It returns the rows and a notice, or a message for the file field.
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
	text, ok := decodeText(b)
	if !ok {
		return nil, "", fmt.Sprintf("%s is not a text file. Save the sheet as CSV (comma-separated) and upload that.", fh.Filename)
	}
	p := change.ParseRows(text)
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
