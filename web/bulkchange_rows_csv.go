package web

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/store"
)

// bulkChangeCSV streams every row of a request as CSV, row by row as the database returns them.
func (s *Server) bulkChangeCSV(c echo.Context) error {
	b, err := s.bulkChangeFor(c)
	if err != nil {
		return err
	}
	header := []string{"row_id", "bulk_change_id", "device_id", "iccid", "imei", "mdn", "eid", "new_iccid", "new_imei",
		"service_plan", "status", "details", "carrier_request_id", "created_utc", "submitted_utc", "processed_utc"}
	return s.streamCSV(c, fmt.Sprintf("bulk-change-%d-rows.csv", b.ID), header, func(write func(...string) error) error {
		return s.store.EachDeviceChange(c.Request().Context(), b.ID, func(d store.DeviceChange) error {
			return write(strconv.FormatInt(d.ID, 10), strconv.FormatInt(b.ID, 10), idText(d.DeviceID), d.ICCID, d.IMEI, d.MSISDN, d.EID,
				d.NewICCID, d.NewIMEI, d.ServicePlan, string(d.Status), d.StatusDetails, d.RequestID, fmtTime(d.CreatedDate),
				fmtTimePtr(d.SubmittedDate), fmtTimePtr(d.ProcessedDate))
		})
	})
}
