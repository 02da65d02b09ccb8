package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/sheet"
)

// sheetRoutes routes a download's two formats: each download is one handler that takes the
// format, and its two paths (CSV, .xlsx) name the format it answers in.
func sheetRoutes(g *echo.Group, csvPath, xlsxPath string, h func(echo.Context, sheet.Format) error) {
	g.GET(csvPath, inFormat(sheet.CSV, h))
	g.GET(xlsxPath, inFormat(sheet.XLSX, h))
}

// inFormat is the route of one file format of a download.
func inFormat(f sheet.Format, h func(echo.Context, sheet.Format) error) echo.HandlerFunc {
	return func(c echo.Context) error { return h(c, f) }
}

// streamSheet answers with a spreadsheet download (CSV or .xlsx) named filename: the header,
// then every record that each writes. Every cell goes through the one writer (internal/sheet),
// which neutralises formulas and keeps identifiers as text. A CSV is sent as the database
// returns the rows and flushed every few hundred records, so an export of a million entries
// never sits in memory; an .xlsx is a zip that is written when complete.
func (s *Server) streamSheet(c echo.Context, format sheet.Format, filename string, header []sheet.Cell,
	each func(write func(cells ...sheet.Cell) error) error) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, format.ContentType())
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, filename))
	c.Response().WriteHeader(http.StatusOK)
	w := sheet.New(format, c.Response())
	err := w.Write(header...)
	n := 0
	if err == nil {
		err = each(func(cells ...sheet.Cell) error {
			if err := w.Write(cells...); err != nil {
				return err
			}
			if n++; n%500 == 0 && format == sheet.CSV {
				if err := w.Flush(); err != nil {
					return err
				}
				c.Response().Flush()
			}
			return nil
		})
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return s.endStream(c, err)
}

// endStream finishes a streamed download. Once the header is out, an error can no longer become
// an error page: the connection is cut instead, so the client sees a failed download rather than
// a file that looks complete.
func (s *Server) endStream(c echo.Context, err error) error {
	if err == nil {
		c.Response().Flush()
		return nil
	}
	s.log.ErrorContext(c.Request().Context(), "streamed download failed", slog.String("path", c.Request().URL.Path), slog.Any("err", err))
	panic(http.ErrAbortHandler)
}

// templateHeader is the header of every download: the upload template's columns, then the
// download's own, which an upload ignores (change.InfoColumns).
func templateHeader(info ...string) []sheet.Cell {
	return sheet.Texts(append(append([]string{}, change.TemplateColumns...), info...)...)
}

// currentOf is the identifier that names a device in the "current" column: its MDN, else its
// ICCID, else its IMEI.
func currentOf(mdn, iccid, imei string) string {
	for _, v := range []string{mdn, iccid, imei} {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
