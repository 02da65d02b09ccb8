package web

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
)

// bulkChangeSheet writes a request's rows in the layout of the e-mail's attachment
// (sheet.RowsHeader): the template's columns first, so the file can be edited and uploaded. A
// CSV is streamed row by row as the database returns them; an .xlsx is a workbook.
func (s *Server) bulkChangeSheet(c echo.Context, f sheet.Format) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	codes, err := s.store.FailureCodes(ctx, b.ID)
	if err != nil {
		return err
	}
	return s.streamSheet(c, f, fmt.Sprintf("bulk-change-%d-rows.%s", b.ID, f), sheet.RowsHeader(), func(write func(...sheet.Cell) error) error {
		return s.store.EachDeviceChange(ctx, b.ID, func(d store.DeviceChange) error {
			return write(sheet.RowCells(d, codes[d.ID])...)
		})
	})
}
