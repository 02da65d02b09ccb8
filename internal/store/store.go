// Package store owns every SQL statement idswap runs, for both dialects: SQLite (the embedded
// default and what the tests run on) and SQL Server (production).
//
// Every exported method has the same shape: begin a transaction (begin to write, beginRead to
// read), defer its rollback, call small unexported (ctx, tx, …) helpers, commit (a read ends
// with the deferred rollback). That holds for a method of one statement too: a lone read runs
// in a read transaction, which costs nothing on SQLite and a round trip each way on SQL Server,
// and buys one path for every statement. Helpers compose, so one business step — create a
// batch with its rows, jobs and audit event — is one transaction.
//
// Statements are written with ? placeholders and run only through the tx helpers in sql.go
// (get, sel, query, queryRow, exec, insert, insertMany), which render them for the dialect,
// trace them for the lock-order test, record their SQL Server text, and check the width of
// every value an INSERT or UPDATE writes; what differs between the dialects lives in
// dialect.go. Only migrate.go talks to the connection itself (goose runs its own transactions;
// a WAL checkpoint cannot run inside one). TestEveryStatementGoesThroughTheHelpers keeps it so.
//
// The begin/rollback/commit lines are written out in each method rather than hidden in a
// closure helper (db.inTx(ctx, func(t *tx) error {…})): the explicit form shows at a glance
// which methods write and where they commit, lets a method return early with a value, and
// keeps each method's body as it is, which the parallel branches that edit those bodies need.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	// The two database drivers: database/sql names "sqlserver" and "sqlite".
	mssql "github.com/microsoft/go-mssqldb"
	_ "modernc.org/sqlite"
)

// DB is the database handle every store method hangs off.
type DB struct {
	db      *sqlx.DB
	dialect dialect
	sealer  *sealer
	// OnEnqueue, when set, is called after a transaction that enqueued jobs commits, so that
	// the queue can wake a worker at once instead of waiting for its next poll.
	OnEnqueue func()
	// traceTx, when set (by tests), receives the statements of each committed transaction in
	// the order they ran: the lock-order test reads them.
	traceTx func(stmts []string)
	// Now returns the current time; tests replace it. Times are UTC, cut to the millisecond
	// that DATETIME2(3) keeps, so a value reads back equal to what was written.
	Now func() time.Time
}

// Open connects to a database named by DSN: "sqlite:PATH" (created if missing) or
// "sqlserver://user:password@host:port?database=NAME". key is the 32-byte AES key that seals
// carrier secrets at rest. Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, key []byte) (*DB, error) {
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	var (
		driver, source string
		d              dialect
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("store: the sqlite DSN names no file (want sqlite:PATH)")
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return nil, fmt.Errorf("store: create the database folder: %w", err)
			}
		}
		driver, source, d = "sqlite", sqliteSource(path), sqliteDialect
	case strings.HasPrefix(dsn, "sqlserver://"):
		driver, source, d = "sqlserver", dsn, sqlserverDialect
	default:
		return nil, fmt.Errorf("store: DSN %q: want sqlite:PATH or sqlserver://…", redactDSN(dsn))
	}
	var conn *sqlx.DB
	if d.name == "sqlserver" {
		c, err := mssql.NewConnector(source)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", d.name, err)
		}
		// Every compare-and-set in the store reads RowsAffected, which go-mssqldb takes from the
		// row counts the server reports; a server-wide or login-trigger NOCOUNT would make them
		// all zero. Each session (and each reset of a pooled one) turns the counts back on.
		c.SessionInitSQL = sqlserverSessionInit
		conn = sqlx.NewDb(sql.OpenDB(c), driver)
		// Workers and HTTP requests share the pool; keep enough idle connections that a burst
		// does not pay a TLS and TDS login per statement.
		conn.SetMaxIdleConns(32)
		conn.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		var err error
		if conn, err = sqlx.Open(driver, source); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", d.name, err)
		}
	}
	if d.name == "sqlite" {
		// One writer at a time is SQLite's rule; more connections only let readers run beside it
		// under WAL. Keep the pool small so writers queue in Go rather than spin on SQLITE_BUSY.
		conn.SetMaxOpenConns(4)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := conn.PingContext(pingCtx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("store: connect to %s at %s: %w", d.name, redactDSN(dsn), err)
	}
	return &DB{
		db:      conn,
		dialect: d,
		sealer:  s,
		Now:     func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
	}, nil
}

// sqlserverSessionInit runs at the start of every SQL Server session.
const sqlserverSessionInit = "SET NOCOUNT OFF;"

// sqliteSource turns a file path into a modernc DSN: WAL so readers never wait for the writer,
// foreign keys on, a busy timeout, BEGIN IMMEDIATE for write transactions (so two writers queue
// instead of deadlocking on a lock upgrade) and a sortable time format.
func sqliteSource(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// redactDSN hides a password in a DSN so that it can be logged.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.db.Close() }

// Dialect is "sqlite" or "sqlserver".
func (db *DB) Dialect() string { return db.dialect.name }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }
