package store

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-sql/civil"
	"github.com/jmoiron/sqlx"
	mssql "github.com/microsoft/go-mssqldb"
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

// alt is SQL that differs between the dialects: both texts travel inside the statement until
// rebind picks the one for the dialect that runs it. Keeping both lets a test run on SQLite
// also render, and so record, every statement exactly as SQL Server would receive it
// (testdata/sqlserver-statements.json, parsed by the shared T-SQL parser in CI). Each text must
// be complete in itself; the ? inside them are numbered after the choice.
func alt(sqlite, sqlserver string) string {
	return altOpen + sqlite + altSep + sqlserver + altClose
}

const altOpen, altSep, altClose = "\x00", "\x01", "\x02"

var altPattern = regexp.MustCompile("\x00([^\x00\x01\x02]*)\x01([^\x00\x01\x02]*)\x02")

// render picks this dialect's side of every alt and numbers the placeholders: ? on SQLite,
// @p1, @p2… on SQL Server.
func (d dialect) render(q string) string {
	if strings.Contains(q, altOpen) {
		side := "$1"
		if d.name == "sqlserver" {
			side = "$2"
		}
		q = altPattern.ReplaceAllString(q, side)
	}
	return sqlx.Rebind(d.bind, q)
}

// rebind renders a statement for the dialect about to run it. When a test records statements
// (recordSQLServer), it also hands over the SQL Server text of the same statement.
func (d dialect) rebind(q string) string {
	if r := sqlserverRecorder.Load(); r != nil {
		(*r)(sqlserverDialect.render(q))
	}
	return d.render(q)
}

// sqlserverRecorder, when set (by tests only), receives the SQL Server text of every statement
// the store runs, whichever dialect runs it.
var sqlserverRecorder atomic.Pointer[func(sqlserverText string)]

// recordSQLServerOnly hands a statement that only SQL Server runs (SQLite runs other statements
// in its place) to the recorder, so that it is parsed like every other.
func recordSQLServerOnly(q string) {
	if r := sqlserverRecorder.Load(); r != nil {
		(*r)(sqlserverDialect.render(q))
	}
}

// insert builds an INSERT that returns the new Id: RETURNING on SQLite, OUTPUT on SQL Server.
func (d dialect) insert(table string, cols []string) string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return d.rebind(fmt.Sprintf("INSERT INTO %s (%s) %sVALUES (%s)%s", table, strings.Join(cols, ", "),
		alt("", "OUTPUT INSERTED.Id "), marks, alt(" RETURNING Id", "")))
}

// page returns the clause that follows ORDER BY to take limit rows after offset, and its
// arguments in the order the clause wants them.
func (d dialect) page(limit, offset int) (string, []any) {
	clause := alt("LIMIT ? OFFSET ?", "OFFSET ? ROWS FETCH NEXT ? ROWS ONLY")
	if d.name == "sqlserver" {
		return clause, []any{offset, limit}
	}
	return clause, []any{limit, offset}
}

// authByProvider reads one provider's ThingSpace credentials: through the stored procedure on
// SQL Server, and through the same SELECT on SQLite, which has no procedures.
func (d dialect) authByProvider() string {
	return alt(`SELECT
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
LIMIT 1`, "EXEC usp_ThingSpace_Get_AuthenticationByProviderId @providerId = ?")
}

// claimJobs builds the three statements that take up to limit runnable jobs for worker, under
// the claim's token, each run only while fewer came back than limit:
//   - the plain lane: due jobs with no turn (checks, e-mails, webhooks, retries…) in RunAt
//     order (IX_Job_Plain);
//   - the fair lane: a request's carrier work, in (Priority, Turn, Id) order (IX_Job_Fair):
//     urgent first, then requests take turns, row by row (see enqueue). Every job of this lane
//     is due (a job gets a turn only when it is due as it is queued; a retry leaves the lane),
//     so the seek reads only the rows it takes;
//   - jobs whose lease ran out (their worker died), in LockedUntil order (IX_Job_Lease).
//
// Each marks its jobs running under the new lease, counts the attempt, and returns them (in no
// particular order: neither RETURNING nor OUTPUT keeps the ORDER BY; ClaimJobs sorts them).
//
// SQLite runs one writer at a time, so UPDATE … WHERE Id IN (SELECT … LIMIT) … RETURNING is
// already exclusive, and the host's clock is the database's. SQL Server runs claims side by
// side, from several hosts:
//   - each statement is one ordered seek of a filtered index that stops after @n rows, so it
//     reads and locks only the rows it takes; an OR of the lanes would read, sort and lock
//     every due job, and escalate;
//   - UPDLOCK takes the rows for update as they are read, READPAST skips rows another claim
//     holds, ROWLOCK keeps the locks on those rows, and READCOMMITTEDLOCK keeps that locking
//     behaviour on a READ_COMMITTED_SNAPSHOT database (the Azure SQL default), where READPAST
//     would otherwise not apply;
//   - "now" and the lease end are the server's clock (SYSUTCDATETIME), so hosts whose clocks
//     disagree never take over each other's live jobs.
func (d dialect) claimJobs(worker, token string, now time.Time, lease time.Duration, limit int) (stmts []string, args []any) {
	const cols = "Id, Kind, Payload, Attempts, MaxAttempts, RunAt, CreatedDate, ClaimToken, Priority, Turn"
	claim := func(cte, where, order string) string {
		return d.rebind(alt(`UPDATE Job SET Status = '`+JobRunning+`', LockedBy = ?, ClaimToken = ?, LockedUntil = ?,
	Attempts = Attempts + 1, ModifiedDate = ?
WHERE Id IN (SELECT Id FROM Job WHERE `+where+` ?
	ORDER BY `+order+` LIMIT ?)
RETURNING `+cols, `WITH `+cte+` AS (
	SELECT TOP (?) Id, Kind, Payload, Status, Attempts, MaxAttempts, RunAt, LockedBy, LockedUntil, ClaimToken, CreatedDate, ModifiedDate,
		Priority, Turn
	FROM Job WITH (ROWLOCK, READPAST, UPDLOCK, READCOMMITTEDLOCK)
	WHERE `+where+` SYSUTCDATETIME()
	ORDER BY `+order+`)
UPDATE `+cte+` SET Status = '`+JobRunning+`', LockedBy = ?, ClaimToken = ?,
	LockedUntil = DATEADD(millisecond, ?, SYSUTCDATETIME()), Attempts = Attempts + 1, ModifiedDate = SYSUTCDATETIME()
OUTPUT INSERTED.Id, INSERTED.Kind, INSERTED.Payload, INSERTED.Attempts, INSERTED.MaxAttempts, INSERTED.RunAt,
	INSERTED.CreatedDate, INSERTED.ClaimToken, INSERTED.Priority, INSERTED.Turn;`))
	}
	stmts = []string{
		claim("plain", `Status = '`+JobQueued+`' AND Turn IS NULL AND RunAt <=`, "RunAt, Id"),
		claim("fair", `Status = '`+JobQueued+`' AND Turn IS NOT NULL AND RunAt <=`, "Priority, Turn, Id"),
		claim("expired", `Status = '`+JobRunning+`' AND LockedUntil <`, "LockedUntil, Id"),
	}
	if d.name == "sqlserver" {
		return stmts, []any{limit, worker, token, lease.Milliseconds()}
	}
	return stmts, []any{worker, token, now.Add(lease), now, now, limit}
}

// freePermits builds the statement that picks up to n of a provider's permits 0…permits-1 free
// now or within ahead (FreeDate at or before now + ahead), those free soonest first, with their
// FreeDate; TakeCarrierPermits then takes them in one UPDATE in the same transaction. Two
// statements, not one UPDATE, because the taker needs each permit's FreeDate from before the
// take, which SQLite's RETURNING cannot give. On SQL Server it is one ordered TOP seek of
// IX_CarrierRatePermit_Free under UPDLOCK/READPAST/READCOMMITTEDLOCK (see claimJobs): the rows
// stay locked to the end of the transaction, so two processes taking at once pick different
// permits and neither waits for the other; now is the server's clock. On SQLite the write
// transaction already runs alone (BEGIN IMMEDIATE).
func (d dialect) freePermits(providerID int64, permits, n int, now time.Time, ahead time.Duration) (string, []any) {
	q := d.rebind(alt(`SELECT Slot, FreeDate FROM CarrierRatePermit
WHERE ServiceProviderId = ? AND Slot < ? AND FreeDate <= ? ORDER BY FreeDate, Slot LIMIT ?`,
		`SELECT TOP (?) Slot, FreeDate FROM CarrierRatePermit WITH (ROWLOCK, READPAST, UPDLOCK, READCOMMITTEDLOCK)
WHERE ServiceProviderId = ? AND Slot < ? AND FreeDate <= DATEADD(millisecond, ?, SYSUTCDATETIME()) ORDER BY FreeDate, Slot`))
	if d.name == "sqlserver" {
		return q, []any{n, providerID, permits, ahead.Milliseconds()}
	}
	return q, []any{providerID, permits, now.Add(ahead), n}
}

// leaseEnd is the SQL for "lease from now" in ExtendLeases, and its argument: the server's
// clock on SQL Server (see claimJobs), the host's (the database's) on SQLite.
func (d dialect) leaseEnd(now time.Time, lease time.Duration) (string, any) {
	if d.name == "sqlserver" {
		return alt("?", "DATEADD(millisecond, ?, SYSUTCDATETIME())"), lease.Milliseconds()
	}
	return alt("?", "DATEADD(millisecond, ?, SYSUTCDATETIME())"), now.Add(lease)
}

// dayOf is the SQL for the UTC day (yyyy-mm-dd text) of a DATETIME column.
func (d dialect) dayOf(col string) string {
	return alt("substr("+col+", 1, 10)", "CONVERT(CHAR(10), "+col+", 23)")
}

// tableColumns lists every table's columns, as the database itself reports them.
func (d dialect) tableColumns() string {
	return alt(`SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`,
		`SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col FROM INFORMATION_SCHEMA.COLUMNS ORDER BY TABLE_NAME, ORDINAL_POSITION`)
}

// purgeArgs orders PurgeJobs' arguments for the dialect's statement (TOP comes first).
func (d dialect) purgeArgs(before time.Time, limit int) []any {
	if d.name == "sqlserver" {
		return []any{limit, before}
	}
	return []any{before, limit}
}

// asciiKey sends a hex key compared with a CHAR(64) column (ApiToken.TokenHash,
// ThingSpaceAuthentication.CallbackSecretHash) as varchar on SQL Server: an nvarchar parameter
// would convert the column, and turn the unique index's seek into a scan. SQLite's driver
// takes it as the string it is.
func asciiKey(s string) any { return mssql.VarChar(s) }

// lockForUpdate is the table hint that makes a read in a write transaction hold the rows it
// reads (and the range, for a row not there yet) until commit: SQL Server runs transactions
// side by side, SQLite's write transactions already run one at a time (BEGIN IMMEDIATE).
func (d dialect) lockForUpdate() string {
	return alt("", " WITH (UPDLOCK, HOLDLOCK)")
}

// params are a statement's arguments as the dialect's driver should receive them; the tx
// helpers pass every argument through here. SQLite takes them as they are. On SQL Server
// go-mssqldb sends a time.Time as datetimeoffset(7), which outranks the DATETIME2(3) columns it
// is compared with, so the server converts the column side (no plain index seek, worse
// estimates), and assigning one to a DATETIME2 keeps its local wall time and drops the offset.
// A civil.DateTime goes as datetime2(7): every time (time.Time, *time.Time, sql.NullTime,
// dbTime) is sent as one, in UTC, with its fraction of a second whole; a NULL one as a typed
// NULL datetime2(7), so the parameter declarations do not change with it.
func (d dialect) params(args []any) []any {
	if d.name != "sqlserver" {
		return args
	}
	return convertArgs(args, sqlserverTime)
}

// insertParams are params for the values of an INSERT … VALUES. On SQL Server a string also
// goes as nvarchar(max) (mssql.NVarCharMax) instead of nvarchar(its length): the declarations
// then stay the same whatever the values' lengths, so insertMany's full chunks of a table share
// one plan instead of compiling each 2,000-parameter statement afresh. Only for values written
// to columns: compared with an indexed NVARCHAR(n) column, a MAX parameter would convert the
// column and lose the seek. A NULL string is still declared nvarchar(1) (go-mssqldb has no
// typed NULL nvarchar(max)).
func (d dialect) insertParams(args []any) []any {
	if d.name != "sqlserver" {
		return args
	}
	return convertArgs(args, func(v any) (any, bool) {
		switch s := v.(type) {
		case string:
			return mssql.NVarCharMax(s), true
		case *string:
			if s != nil {
				return mssql.NVarCharMax(*s), true
			}
		case sql.NullString:
			if s.Valid {
				return mssql.NVarCharMax(s.String), true
			}
		}
		return sqlserverTime(v)
	})
}

// convertArgs applies conv to every argument, copying the slice on the first change (the
// caller's slice may be reused, as selectIn does).
func convertArgs(args []any, conv func(any) (any, bool)) []any {
	out, copied := args, false
	for i, a := range args {
		if c, ok := conv(a); ok {
			if !copied {
				out, copied = slices.Clone(args), true
			}
			out[i] = c
		}
	}
	return out
}

// sqlserverTime converts a time argument to what go-mssqldb sends as datetime2 (see params).
func sqlserverTime(v any) (any, bool) {
	civilUTC := func(t time.Time) civil.DateTime { return civil.DateTimeOf(t.UTC()) }
	switch t := v.(type) {
	case time.Time:
		return civilUTC(t), true
	case *time.Time:
		if t == nil {
			return mssql.NullDateTime{}, true
		}
		return civilUTC(*t), true
	case sql.NullTime:
		if !t.Valid {
			return mssql.NullDateTime{}, true
		}
		return civilUTC(t.Time), true
	case dbTime:
		if !t.Valid {
			return mssql.NullDateTime{}, true
		}
		return civilUTC(t.Time), true
	}
	return nil, false
}

// idSet is the SQL for a set of ids sent as one argument, a JSON array, and that argument:
// "col IN (" + sql + ")". On SQLite json_each reads it; on SQL Server OPENJSON (compatibility
// level 130 or later), each value cast to the column's type, sqlType (INT, BIGINT, or
// NVARCHAR(n) for a text column holding ids such as AuditEvent.EntityId), so that the column is
// compared as it is and its index seeked. The statement's text is the same whatever the ids, so
// SQL Server compiles it once, where thousands of literals made every search a new plan; the
// array goes as nvarchar(max), OPENJSON's own type, so its declaration does not vary either.
func (d dialect) idSet(ids []int64, sqlType string) (string, any) {
	lite := "SELECT value FROM json_each(?)"
	if strings.HasPrefix(sqlType, "NVARCHAR") {
		lite = "SELECT CAST(value AS TEXT) FROM json_each(?)"
	}
	return alt(lite, "SELECT CAST([value] AS "+sqlType+") FROM OPENJSON(?)"), d.idsJSON(ids)
}

func (d dialect) idsJSON(ids []int64) any {
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, ']')
	if d.name == "sqlserver" {
		return mssql.NVarCharMax(b)
	}
	return string(b)
}
