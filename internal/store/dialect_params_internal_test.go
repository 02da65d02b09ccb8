package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	"github.com/jmoiron/sqlx"
	mssql "github.com/microsoft/go-mssqldb"
)

// The arguments the SQL Server dialect hands go-mssqldb (review finding 10, 13): times as
// civil.DateTime in UTC, which go-mssqldb declares datetime2(7) where a time.Time would be
// datetimeoffset(7); a NULL time as a typed NULL datetime2(7); in INSERT values, strings as
// nvarchar(max). SQLite gets every argument as it was.

// TestSQLServerSendsTimesAsUTCDatetime2 converts every kind of time argument the store can pass.
func TestSQLServerSendsTimesAsUTCDatetime2(t *testing.T) {
	// 10:30:00.123456789 at UTC+2 is 08:30:00.123456789 UTC: the conversion must take the UTC
	// wall clock (a datetime2 has no offset) and keep the milliseconds and below.
	plus2 := time.FixedZone("UTC+2", 2*3600)
	local := time.Date(2026, 3, 29, 10, 30, 0, 123456789, plus2)
	want := civil.DateTime{Date: civil.Date{Year: 2026, Month: time.March, Day: 29},
		Time: civil.Time{Hour: 8, Minute: 30, Second: 0, Nanosecond: 123456789}}
	ms := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	wantMS := civil.DateTime{Date: civil.Date{Year: 2026, Month: time.January, Day: 2},
		Time: civil.Time{Hour: 3, Minute: 4, Second: 5, Nanosecond: 678_000_000}}
	var nilTime *time.Time
	args := []any{
		local, &local, nilTime, ms,
		sql.NullTime{Time: local, Valid: true}, sql.NullTime{},
		dbTime{Time: local, Valid: true}, dbTime{},
		int64(7), "text", mssql.VarChar("key"), nil, true,
	}
	orig := append([]any{}, args...)
	got := sqlserverDialect.params(args)
	wantArgs := []any{
		want, want, mssql.NullDateTime{}, wantMS,
		want, mssql.NullDateTime{},
		want, mssql.NullDateTime{},
		int64(7), "text", mssql.VarChar("key"), nil, true,
	}
	if !reflect.DeepEqual(got, wantArgs) {
		t.Errorf("sqlserver params:\n got %#v\nwant %#v", got, wantArgs)
	}
	// The converted civil time is the same instant as the argument, read as UTC.
	if back := got[0].(civil.DateTime).In(time.UTC); !back.Equal(local) {
		t.Errorf("civil time %v is not the instant %v", back, local)
	}
	if !reflect.DeepEqual(args, orig) {
		t.Errorf("params changed the caller's slice: %#v", args)
	}
	if got := sqliteDialect.params(args); !reflect.DeepEqual(got, orig) {
		t.Errorf("sqlite params changed the arguments:\n got %#v\nwant %#v", got, orig)
	}
}

// TestSQLServerInsertValuesDeclareStringsOneWay: in INSERT values every string, whatever its
// length, is nvarchar(max); NULLs stay NULL; times are converted as in params.
func TestSQLServerInsertValuesDeclareStringsOneWay(t *testing.T) {
	s := "pointer"
	var nilString *string
	now := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	args := []any{"", "a", strings.Repeat("x", 5000), &s, nilString,
		sql.NullString{String: "n", Valid: true}, sql.NullString{}, mssql.VarChar("key"), int64(1), now, nil}
	got := sqlserverDialect.insertParams(args)
	want := []any{mssql.NVarCharMax(""), mssql.NVarCharMax("a"), mssql.NVarCharMax(strings.Repeat("x", 5000)),
		mssql.NVarCharMax("pointer"), nilString, mssql.NVarCharMax("n"), sql.NullString{}, mssql.VarChar("key"),
		int64(1), civil.DateTimeOf(now), nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sqlserver insertParams:\n got %#v\nwant %#v", got, want)
	}
	if got := sqliteDialect.insertParams(args); !reflect.DeepEqual(got, args) {
		t.Errorf("sqlite insertParams changed the arguments:\n got %#v\nwant %#v", got, args)
	}
}

// TestEveryHelperConvertsItsArguments runs each tx helper of a SQL Server-dialect DB over a
// driver that records the arguments it receives (SQL Server cannot run here), and over SQLite:
// the conversion happens in the helpers, so no call site can send a time.Time to SQL Server.
func TestEveryHelperConvertsItsArguments(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	rec := &argRecorder{}
	db := &DB{db: sqlx.NewDb(sql.OpenDB(rec), "sqlserver"), dialect: sqlserverDialect, Now: func() time.Time { return now }}
	defer db.Close()
	tx, err := db.begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int64
	var ns []int64
	calls := map[string]func() error{
		"get": func() error { return tx.get(ctx, &n, "SELECT COUNT(*) FROM Job WHERE RunAt <= ?", now) },
		"sel": func() error { return tx.sel(ctx, &ns, "SELECT Id FROM Job WHERE RunAt <= ?", now) },
		"query": func() error {
			r, err := tx.query(ctx, "SELECT Id FROM Job WHERE RunAt <= ?", now)
			if err != nil {
				return err
			}
			return r.Close()
		},
		"queryRow": func() error { return tx.queryRow(ctx, "SELECT Id FROM Job WHERE RunAt <= ?", now).Scan(&n) },
		"exec": func() error {
			_, err := tx.exec(ctx, "UPDATE Job SET RunAt = ? WHERE Id = ?", now, int64(1))
			return err
		},
		"selRendered": func() error { return tx.selRendered(ctx, &ns, "SELECT Id FROM Job WHERE RunAt <= @p1", now) },
		"insert": func() error {
			_, err := tx.insert(ctx, "Job", []string{"Kind", "RunAt"}, "mail", now)
			return err
		},
		"insertMany": func() error {
			return insertMany(ctx, tx, "Job", []string{"Kind", "RunAt"}, [][]any{{"mail", now}, {"webhook", now}})
		},
	}
	wantTime := civil.DateTimeOf(now)
	for name, call := range calls {
		rec.reset()
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := rec.args()
		if len(got) == 0 {
			t.Fatalf("%s: the driver received no arguments", name)
		}
		for i, a := range got {
			if _, ok := a.(time.Time); ok {
				t.Errorf("%s: argument %d reached the driver as a time.Time (datetimeoffset)", name, i+1)
			}
			if s, ok := a.(string); ok && strings.HasPrefix(name, "insert") {
				t.Errorf("%s: argument %d, %q, reached the driver as a sized string", name, i+1, s)
			}
		}
		if !slicesContain(got, wantTime) {
			t.Errorf("%s: the driver received %#v, want the time as %#v", name, got, wantTime)
		}
	}

	// On SQLite the same helpers hand the time over as it is, and it reads back equal.
	lite, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	ltx, err := lite.begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ltx.Rollback()
	var back dbTime
	if err := ltx.get(ctx, &back, "SELECT ?", now); err != nil {
		t.Fatal(err)
	}
	if !back.Valid || !back.Time.Equal(now) {
		t.Errorf("SQLite read back %v, want %v", back.Time, now)
	}
}

func slicesContain(args []any, v any) bool {
	for _, a := range args {
		if reflect.DeepEqual(a, v) {
			return true
		}
	}
	return false
}

// argRecorder is a database/sql driver that accepts any statement, keeps the arguments exactly
// as database/sql hands them over (its CheckNamedValue accepts every type, as go-mssqldb's
// does for its own), and answers queries with one row holding 1.
type argRecorder struct {
	mu  sync.Mutex
	got []any
}

func (r *argRecorder) reset() { r.mu.Lock(); r.got = nil; r.mu.Unlock() }
func (r *argRecorder) args() []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]any{}, r.got...)
}
func (r *argRecorder) note(args []driver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range args {
		r.got = append(r.got, a.Value)
	}
}

func (r *argRecorder) Connect(context.Context) (driver.Conn, error) { return argConn{r}, nil }
func (r *argRecorder) Driver() driver.Driver                        { return argDriver{r} }

type argDriver struct{ r *argRecorder }

func (d argDriver) Open(string) (driver.Conn, error) { return argConn(d), nil }

type argConn struct{ r *argRecorder }

func (c argConn) Prepare(string) (driver.Stmt, error) {
	return nil, fmt.Errorf("argument recorder: prepare is not supported")
}
func (c argConn) Close() error                             { return nil }
func (c argConn) Begin() (driver.Tx, error)                { return recordingTx{}, nil }
func (c argConn) CheckNamedValue(*driver.NamedValue) error { return nil }
func (c argConn) ExecContext(_ context.Context, _ string, args []driver.NamedValue) (driver.Result, error) {
	c.r.note(args)
	return driver.RowsAffected(1), nil
}
func (c argConn) QueryContext(_ context.Context, _ string, args []driver.NamedValue) (driver.Rows, error) {
	c.r.note(args)
	return &oneRow{}, nil
}

type oneRow struct{ done bool }

func (*oneRow) Columns() []string { return []string{"Id"} }
func (*oneRow) Close() error      { return nil }
func (r *oneRow) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = int64(1)
	return nil
}

// TestAuditSearchTextDoesNotDependOnTheIDs (review finding 9): two identifier scopes of very
// different sizes build the same statement text, in both dialects; the ids travel as JSON
// arguments, nvarchar(max) on SQL Server.
func TestAuditSearchTextDoesNotDependOnTheIDs(t *testing.T) {
	many := make([]int64, 5000)
	for i := range many {
		many[i] = int64(1_000_000 + i)
	}
	small := auditScope{ident: true, devices: []int64{7}, changes: []int64{11, 12}, batches: []int64{3},
		statusRows: []int64{11}}
	large := auditScope{ident: true, devices: many[:100], changes: many, batches: many[:500], statusRows: many}
	f := AuditFilter{RowStatus: "FAILED"}
	for _, d := range []dialect{sqliteDialect, sqlserverDialect} {
		qs, as := auditQuery(d, f, small, nil, 51)
		ql, al := auditQuery(d, f, large, nil, 51)
		if d.render(qs) != d.render(ql) {
			t.Errorf("%s: the statement text differs with the ids", d.name)
		}
		if strings.Contains(d.render(ql), "1000001") {
			t.Errorf("%s: an id is written into the statement text", d.name)
		}
		if len(as) != len(al) {
			t.Fatalf("%s: %d arguments for the small scope, %d for the large", d.name, len(as), len(al))
		}
		found := false
		for _, a := range al {
			var js string
			switch v := a.(type) {
			case mssql.NVarCharMax:
				js = string(v)
			case string:
				if d.name == "sqlserver" && strings.HasPrefix(v, "[") {
					t.Errorf("sqlserver: the id set %.20q… is a sized nvarchar", v)
				}
				js = v
			default:
				continue
			}
			if strings.HasPrefix(js, "[1000000,1000001,") && strings.HasSuffix(js, ",1004999]") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no argument holds the 5,000 row ids as a JSON array", d.name)
		}
	}
}
