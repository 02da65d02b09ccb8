package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3/database"
)

// dialect is everything that differs between SQLite and SQL Server. Every other statement in
// this package is written once, with ? placeholders, in the SQL both understand.
type dialect struct {
	name  string // "sqlite" or "sqlserver": also the folder of its migrations in db/
	bind  int    // sqlx bind type
	goose database.Dialect
}

var (
	sqliteDialect    = dialect{name: "sqlite", bind: sqlx.QUESTION, goose: database.DialectSQLite3}
	sqlserverDialect = dialect{name: "sqlserver", bind: sqlx.AT, goose: database.DialectMSSQL}
)

// rebind rewrites ? placeholders into the dialect's (@p1, @p2… on SQL Server).
func (d dialect) rebind(q string) string { return sqlx.Rebind(d.bind, q) }

// insert builds an INSERT that returns the new Id: RETURNING on SQLite, OUTPUT on SQL Server.
func (d dialect) insert(table string, cols []string) string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	var q string
	if d.name == "sqlserver" {
		q = fmt.Sprintf("INSERT INTO %s (%s) OUTPUT INSERTED.Id VALUES (%s)", table, strings.Join(cols, ", "), marks)
	} else {
		q = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING Id", table, strings.Join(cols, ", "), marks)
	}
	return d.rebind(q)
}

// page returns the clause that follows ORDER BY to take limit rows after offset, and its
// arguments in the order the clause wants them.
func (d dialect) page(limit, offset int) (string, []any) {
	if d.name == "sqlserver" {
		return "OFFSET ? ROWS FETCH NEXT ? ROWS ONLY", []any{offset, limit}
	}
	return "LIMIT ? OFFSET ?", []any{limit, offset}
}

// authByProvider reads one provider's ThingSpace credentials: through the stored procedure on
// SQL Server, and through the same SELECT on SQLite, which has no procedures.
func (d dialect) authByProvider() string {
	if d.name == "sqlserver" {
		return "EXEC usp_ThingSpace_Get_AuthenticationByProviderId @providerId = @p1"
	}
	return `SELECT
	a.Id AS integrationAuthenticationId, a.ServiceProviderId AS serviceProviderId,
	a.BaseUrl AS baseUrl, a.ClientId AS clientId, a.ClientSecret AS clientSecret,
	a.AuthTokenUrl AS authTokenUrl, a.AuthUrl AS authUrl, a.Username AS username,
	a.Password AS password, a.AccountNumber AS accountNumber, a.WriteIsEnabled AS writeIsEnabled,
	a.ServiceType AS serviceType, a.CallbackSecret AS callbackSecret
FROM ThingSpaceAuthentication a
JOIN ServiceProvider sp ON sp.Id = a.ServiceProviderId
WHERE a.ServiceProviderId = ?
  AND a.IsActive = 1 AND a.IsDeleted = 0
  AND sp.IsActive = 1 AND sp.IsDeleted = 0
LIMIT 1`
}

// claimJobs builds the statement that takes up to limit runnable jobs for worker in one step:
// queued jobs whose time has come, and running jobs whose lease ran out (their worker died). It
// marks them running under the new lease, counts the attempt, and returns them.
//
// SQLite runs one writer at a time, so UPDATE … WHERE Id IN (SELECT … LIMIT) … RETURNING is
// already exclusive. SQL Server runs claims side by side: UPDLOCK takes the rows for update as
// they are read, READPAST skips rows another claim holds instead of waiting for them, ROWLOCK
// keeps the locks on those rows alone; so two workers never get the same job, and neither
// waits for the other.
func (d dialect) claimJobs(worker string, now, until time.Time, limit int) (string, []any) {
	const cols = "Id, Kind, Payload, Attempts, MaxAttempts, RunAt, CreatedDate"
	if d.name == "sqlserver" {
		return `WITH claimable AS (
	SELECT TOP (@p1) Id, Kind, Payload, Status, Attempts, MaxAttempts, RunAt, LockedBy, LockedUntil, CreatedDate, ModifiedDate
	FROM Job WITH (ROWLOCK, READPAST, UPDLOCK)
	WHERE (Status = '` + JobQueued + `' AND RunAt <= @p2) OR (Status = '` + JobRunning + `' AND LockedUntil < @p2)
	ORDER BY RunAt, Id)
UPDATE claimable SET Status = '` + JobRunning + `', LockedBy = @p3, LockedUntil = @p4, Attempts = Attempts + 1, ModifiedDate = @p2
OUTPUT INSERTED.Id, INSERTED.Kind, INSERTED.Payload, INSERTED.Attempts, INSERTED.MaxAttempts, INSERTED.RunAt, INSERTED.CreatedDate;`,
			[]any{limit, now, worker, until}
	}
	return `UPDATE Job SET Status = '` + JobRunning + `', LockedBy = ?, LockedUntil = ?, Attempts = Attempts + 1, ModifiedDate = ?
WHERE Id IN (SELECT Id FROM Job
	WHERE (Status = '` + JobQueued + `' AND RunAt <= ?) OR (Status = '` + JobRunning + `' AND LockedUntil < ?)
	ORDER BY RunAt, Id LIMIT ?)
RETURNING ` + cols, []any{worker, until, now, now, now, limit}
}

// dayOf is the SQL for the UTC day (yyyy-mm-dd text) of a DATETIME column.
func (d dialect) dayOf(col string) string {
	if d.name == "sqlserver" {
		return "CONVERT(CHAR(10), " + col + ", 23)"
	}
	return "substr(" + col + ", 1, 10)"
}

// tableColumns lists every table's columns, as the database itself reports them.
func (d dialect) tableColumns() string {
	if d.name == "sqlserver" {
		return `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col FROM INFORMATION_SCHEMA.COLUMNS ORDER BY TABLE_NAME, ORDINAL_POSITION`
	}
	return `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`
}

// lockForUpdate is the table hint that makes a read in a write transaction hold the rows it
// reads (and the range, for a row not there yet) until commit: SQL Server runs transactions
// side by side, SQLite's write transactions already run one at a time (BEGIN IMMEDIATE).
func (d dialect) lockForUpdate() string {
	if d.name == "sqlserver" {
		return " WITH (UPDLOCK, HOLDLOCK)"
	}
	return ""
}
