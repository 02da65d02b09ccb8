package web

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// streamCSV answers with a CSV download named filename: the header, then every record that
// each writes, sent as the database returns them and flushed every few hundred records, so an
// export of a million entries never sits in memory. Cells are defused (csvSafe).
func (s *Server) streamCSV(c echo.Context, filename string, header []string, each func(write func(cells ...string) error) error) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, filename))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(header)
	n := 0
	err := each(func(cells ...string) error {
		if err := w.Write(csvSafe(cells...)); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			w.Flush()
			c.Response().Flush()
		}
		return w.Error()
	})
	w.Flush()
	if err == nil {
		err = w.Error()
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

// idText is an optional id as a CSV cell.
func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// csvSafe defuses cells a spreadsheet would run as a formula (carrier messages are not ours).
func csvSafe(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}
