package store

// The shared SQL helpers: every statement the store runs goes through them.
//
// Transactions: begin (write) and beginRead (read-only) open a tx; its helpers get, sel, query,
// queryRow and exec render the statement for the dialect (rebind: alt texts picked, ?
// placeholders numbered), note it for the lock-order trace and, in tests, record its SQL Server
// text (testdata/sqlserver-statements.json). insert and insertMany build INSERTs and check
// every value against its column's width (widths.go); exec checks the values an UPDATE writes
// the same way. Nothing in the package calls sqlx's methods directly, so no statement can skip
// the rendering, the trace, the record or the width check; only migrate.go talks to the
// connection itself (goose runs its own transactions, a WAL checkpoint cannot run inside one).
// The helpers also hand the driver every argument through dialect.params (insert and insertMany
// through insertParams), so on SQL Server no call site can send a time as datetimeoffset, and
// INSERT values declare their strings one way (review findings 10 and 13).
//
// Values and lists: notFound, the IN-list builders (selectIn, idList, orNothing; dialect.idSet)
// and the NULL conversions.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/idswap/idswap/internal/apperr"
)

// begin starts a write transaction.
func (db *DB) begin(ctx context.Context) (*tx, error) {
	t, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return &tx{Tx: t, db: db, now: db.Now()}, nil
}

// beginRead starts a read-only transaction: on SQLite a deferred one, which takes no write lock.
func (db *DB) beginRead(ctx context.Context) (*tx, error) {
	t, err := db.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: db.dialect.name == "sqlite"})
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return &tx{Tx: t, db: db, now: db.Now()}, nil
}

// tx is a transaction with its dialect and the one "now" every row it writes shares.
type tx struct {
	*sqlx.Tx
	db       *DB
	now      time.Time
	enqueued bool // a job was enqueued: call db.OnEnqueue after commit
	trace    []string
}

// traced notes a statement for db.traceTx and returns it.
func (t *tx) traced(q string) string {
	if t.db.traceTx != nil {
		t.trace = append(t.trace, q)
	}
	return q
}

// Commit commits, then tells the queue about jobs that became visible.
func (t *tx) Commit() error {
	if err := t.Tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if t.db.traceTx != nil {
		t.db.traceTx(t.trace)
	}
	if t.enqueued && t.db.OnEnqueue != nil {
		t.db.OnEnqueue()
	}
	return nil
}

// get, sel, query, queryRow and exec render q for the dialect (rebind) before running it, and
// hand the driver the arguments as the dialect wants them (params: times as datetime2 on SQL
// Server). insert and insertMany use insertParams, which also fixes the strings' declarations.
func (t *tx) get(ctx context.Context, dest any, q string, args ...any) error {
	return t.GetContext(ctx, dest, t.traced(t.db.dialect.rebind(q)), t.db.dialect.params(args)...)
}

func (t *tx) sel(ctx context.Context, dest any, q string, args ...any) error {
	return t.SelectContext(ctx, dest, t.traced(t.db.dialect.rebind(q)), t.db.dialect.params(args)...)
}

// query is sel for results too large to hold at once: the caller reads and closes the rows.
func (t *tx) query(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	return t.QueryxContext(ctx, t.traced(t.db.dialect.rebind(q)), t.db.dialect.params(args)...)
}

// queryRow is get for a row scanned by hand.
func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sqlx.Row {
	return t.QueryRowxContext(ctx, t.traced(t.db.dialect.rebind(q)), t.db.dialect.params(args)...)
}

// exec runs a statement that returns no rows. The values an UPDATE writes are checked against
// their columns' widths first (checkUpdateWidths), as insert checks an INSERT's.
func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r := t.db.dialect.rebind(q)
	args, err := checkUpdateWidths(t.db.dialect, r, args)
	if err != nil {
		return nil, err
	}
	return t.ExecContext(ctx, t.traced(r), t.db.dialect.params(args)...)
}

// selRendered is sel for a statement a dialect method has already rendered (claimJobs, whose
// arguments differ in order between the dialects).
func (t *tx) selRendered(ctx context.Context, dest any, rendered string, args ...any) error {
	return t.SelectContext(ctx, dest, t.traced(rendered), t.db.dialect.params(args)...)
}

// insert runs an INSERT built by dialect.insert and returns the new row's Id.
func (t *tx) insert(ctx context.Context, table string, cols []string, args ...any) (int64, error) {
	args, err := checkWidths(table, cols, args)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := t.QueryRowxContext(ctx, t.traced(t.db.dialect.insert(table, cols)), t.db.dialect.insertParams(args)...).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: insert %s: %w", table, err)
	}
	return id, nil
}

// insertMany inserts rows with multi-row VALUES statements. SQL Server takes at most 2,100
// parameters and 1,000 rows per statement, so rows go in chunks that stay under both; a
// 10,000-row request is then a few dozen round trips instead of 10,000.
func insertMany(ctx context.Context, t *tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := 2000 / len(cols)
	if per > 500 {
		per = 500
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := fmt.Sprintf("INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		chunk := rows[start:end]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			if len(r) != len(cols) {
				return fmt.Errorf("store: insert into %s: a row has %d values for %d columns", table, len(r), len(cols))
			}
			r, err := checkWidths(table, cols, r)
			if err != nil {
				return err
			}
			args = append(args, r...)
		}
		q := head + strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", ")
		// insertParams: on SQL Server the strings as nvarchar(max), so that the full chunks,
		// whose text is the same, also declare the same parameters and share one plan.
		if _, err := t.exec(ctx, q, t.db.dialect.insertParams(args)...); err != nil {
			return fmt.Errorf("store: insert into %s: %w", table, err)
		}
	}
	return nil
}

// notFound turns sql.ErrNoRows into an apperr.NotFound with the given message.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.E(apperr.NotFound, format, args...)
	}
	return err
}

// inChunk is how many values one IN list holds: well under SQL Server's 2,100 parameters with
// room for the few other arguments a query has, and few enough round trips for 10,000 rows.
const inChunk = 1000

// selectIn runs q, whose one "(?)" stands for an IN list, once per chunk of values, appending
// the rows to dest. args come before the IN list's values.
func selectIn[T any](ctx context.Context, t *tx, dest *[]T, q string, args []any, values []any) error {
	for start := 0; start < len(values); start += inChunk {
		chunk := values[start:min(start+inChunk, len(values))]
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		var rows []T
		if err := t.sel(ctx, &rows, strings.Replace(q, "(?)", "("+marks+")", 1), append(slices.Clip(args), chunk...)...); err != nil {
			return err
		}
		*dest = append(*dest, rows...)
	}
	return nil
}

func anySlice[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// idList writes ids as an SQL list of integer literals. They are int64s read from the database,
// so writing them into the text is safe, and it keeps long lists clear of SQL Server's limit of
// 2,100 parameters. Each list is a new statement text to SQL Server; a statement that takes
// thousands of them (the audit search) sends the set as one argument instead (dialect.idSet).
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// orNothing ORs conditions together; no condition at all matches nothing.
func orNothing(parts []string) string {
	if len(parts) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func nullIfZero(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonZero(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
