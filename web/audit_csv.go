package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/store"
)

// auditCSV streams every hit of a search as CSV, written as the rows are read from the database.
func (s *Server) auditCSV(c echo.Context, f store.AuditFilter) error {
	header := []string{"date_utc", "source", "id", "tenant", "bulk_change_id", "row_id", "device_id", "row_status", "by", "entry",
		"response_status", "has_errors", "error_code", "error_text", "iccid", "imei", "mdn", "eid", "new_iccid", "new_imei",
		"entity_type", "entity_id", "details", "remote_addr"}
	return s.streamCSV(c, "idswap-audit.csv", header, func(write func(...string) error) error {
		return s.store.AuditExport(c.Request().Context(), f, func(x store.AuditHit) error {
			return write(x.Date.UTC().Format(csvTimeLayout), string(x.Source), strconv.FormatInt(x.ID, 10),
				x.TenantName, idText(x.BulkChangeID), idText(x.ChangeID), idText(x.DeviceID), x.RowStatus, x.Actor, x.Summary,
				x.ResponseStatus, strconv.FormatBool(x.HasErrors), x.ErrorCode, x.ErrorText, x.ICCID, x.IMEI, x.MSISDN, x.EID,
				x.NewICCID, x.NewIMEI, x.EntityType, x.EntityID, x.Details, x.RemoteAddr)
		})
	})
}
