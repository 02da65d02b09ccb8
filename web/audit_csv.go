package web

import (
	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/sheet"
	"github.com/idswap/idswap/internal/store"
)

// auditCSV streams every hit of a search as CSV, written as the rows are read from the database.
// It starts with the template's columns, like every download of idswap's.
func (s *Server) auditCSV(c echo.Context, f store.AuditFilter) error {
	header := templateHeader("date_utc", "source", "id", "tenant", "bulk_change_id", "row_id", "device_id", "row_status", "by", "entry",
		"response_status", "has_errors", "error_code", "error_text", "device_iccid", "device_imei", "device_mdn", "device_eid",
		"entity_type", "entity_id", "details", "remote_addr")
	return s.streamSheet(c, sheet.CSV, "idswap-audit.csv", header, func(write func(...sheet.Cell) error) error {
		return s.store.AuditExport(c.Request().Context(), f, func(x store.AuditHit) error {
			has := "false"
			if x.HasErrors {
				has = "true"
			}
			return write(sheet.ID(currentOf(x.MSISDN, x.ICCID, x.IMEI)), sheet.ID(x.NewICCID), sheet.ID(x.NewIMEI), sheet.Text(""),
				sheet.Text(x.Date.UTC().Format(sheet.TimeLayout)), sheet.Text(string(x.Source)), sheet.Int(x.ID),
				sheet.Text(x.TenantName), sheet.OptInt(x.BulkChangeID), sheet.OptInt(x.ChangeID), sheet.OptInt(x.DeviceID),
				sheet.Text(x.RowStatus), sheet.Text(x.Actor), sheet.Text(x.Summary), sheet.Text(x.ResponseStatus), sheet.Text(has),
				sheet.Text(x.ErrorCode), sheet.Text(x.ErrorText), sheet.ID(x.ICCID), sheet.ID(x.IMEI), sheet.ID(x.MSISDN), sheet.ID(x.EID),
				sheet.Text(x.EntityType), sheet.Text(x.EntityID), sheet.Text(x.Details), sheet.Text(x.RemoteAddr))
		})
	})
}
