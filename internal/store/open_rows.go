package store

import (
	"errors"
	"strings"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/idswap/idswap/internal/apperr"
)

// openRowConflict turns a violation of the open-row unique indexes (migration 00003: one NEW
// or PROCESSING row per new ICCID, new IMEI and device) into the conflict the request checks
// give, so that a request that lost a race to another one reads the same as one the checks
// caught. Other errors pass through.
func openRowConflict(err error) error {
	if err == nil || !isOpenRowViolation(err) {
		return err
	}
	return apperr.Wrap(err, apperr.Conflict,
		"an identifier in this request is already in an open change (another request took it while you worked); check the rows again")
}

// SQLite names the columns, not the index; M2M_DeviceChange has no other unique index.
func isOpenRowViolation(err error) bool {
	return isUniqueViolation(err, "UX_M2M_DeviceChange_Open", "M2M_DeviceChange.")
}

// isUniqueViolation reports a violation of the unique index or constraint name: on SQL Server
// 2601 (an index) or 2627 (a constraint) naming it, on SQLite its UNIQUE error naming the
// columns, which start with sqliteCols ("Table.Column" or "Table.").
func isUniqueViolation(err error, name, sqliteCols string) bool {
	var me mssql.Error
	if errors.As(err, &me) {
		return (me.Number == 2601 || me.Number == 2627) && strings.Contains(me.Message, name)
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed: "+sqliteCols)
}
