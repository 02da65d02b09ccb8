package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// attentionShown bounds the "needs attention" list: it should be short, and the oldest rows
// are the ones to settle first.
const attentionShown = 200

// adminAttention lists the rows the carrier contradicted after they had finished, oldest first.
func (s *Server) adminAttention(c echo.Context) error {
	rows, err := s.store.NeedsAttention(c.Request().Context(), attentionShown+1)
	if err != nil {
		return err
	}
	m := views.AdminAttentionPageModel{Layout: layout(c, "Needs attention", "admin")}
	if len(rows) > attentionShown {
		rows, m.More = rows[:attentionShown], true
	}
	for _, r := range rows {
		row := views.AttentionRow{BulkChangeID: r.BulkChangeID, RequestURL: paths.BulkChange(r.BulkChangeID),
			RowLog: paths.BulkChangeRowLog(r.BulkChangeID, r.ChangeID), OldICCID: r.ICCID, NewICCID: r.NewICCID,
			OldIMEI: r.IMEI, NewIMEI: r.NewIMEI, MSISDN: r.MSISDN, Status: r.Status.Words(), Reason: r.Reason,
			Since: stamp(&r.Since), SettleURL: paths.AttentionSettle(r.ChangeID)}
		if r.DeviceID != nil {
			row.DeviceID, row.DeviceURL = *r.DeviceID, paths.Device(*r.DeviceID)
		}
		m.Rows = append(m.Rows, row)
	}
	return render(c, http.StatusOK, views.AdminAttentionPage(m))
}

// settleAttention takes a row off the list once an admin has looked at it; the store writes
// the row's log and the audit event.
func (s *Server) settleAttention(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.store.ClearAttention(c.Request().Context(), id, actor(c)); err != nil {
		return err
	}
	return done(c, paths.AdminAttention, "Row marked settled.")
}
