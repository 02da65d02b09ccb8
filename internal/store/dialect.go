package store

import (
	"fmt"
	"strings"

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
