package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// The statement record. SQL Server cannot run here, so CI checks the syntax of every statement
// the SQL Server dialect would send with the shared T-SQL parser (make tsql-parse). To know
// them all, a run of this package's tests with IDSWAP_SQLSERVER_STATEMENTS=FILE renders every
// statement the store runs on SQLite a second time for SQL Server (dialect.rebind hands it to
// the recorder), sends the SQL Server migrations through goose to a driver that only records,
// and writes the distinct statements, sorted, to FILE. `make sqlserver-statements` writes
// testdata/sqlserver-statements.json that way; `make test` fails when the committed file is
// stale.

// statementRecorder collects distinct SQL Server statements and the store functions that ran them.
type statementRecorder struct {
	mu   sync.Mutex
	seen map[string]string // SQL → id
}

const storePkg = "github.com/idswap/idswap/internal/store."

// plumbing are the store functions that build or run statements for others: a statement is
// named after the first store function above them.
func plumbing(fn string) bool {
	return strings.HasPrefix(fn, "dialect.") || strings.HasPrefix(fn, "(*tx).") ||
		fn == "recordSQLServerOnly" || fn == "(*statementRecorder).record" ||
		strings.HasPrefix(fn, "WatchSQLServerStatements.") // a test's watch, passing the statement on
}

func (r *statementRecorder) record(q string) {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	name := ""
	for {
		f, more := frames.Next()
		if fn, ok := strings.CutPrefix(f.Function, storePkg); ok && !plumbing(fn) {
			if strings.HasSuffix(f.File, "_test.go") {
				return // a statement only tests run (export_test.go): not sent in production
			}
			name = fn
			break
		}
		if !more {
			break
		}
	}
	if name == "" {
		name = "unknown"
	}
	r.add(name, q)
}

func (r *statementRecorder) add(name, q string) {
	sum := sha256.Sum256([]byte(q))
	id := name + "#" + hex.EncodeToString(sum[:5])
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.seen[q]; !ok || id < old {
		r.seen[q] = id
	}
}

type recordedStatement struct {
	ID  string `json:"id"`
	SQL string `json:"sql"`
}

func (r *statementRecorder) write(path string) error {
	r.mu.Lock()
	out := make([]recordedStatement, 0, len(r.seen))
	for q, id := range r.seen {
		out = append(out, recordedStatement{ID: id, SQL: q})
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func TestMain(m *testing.M) {
	path := os.Getenv("IDSWAP_SQLSERVER_STATEMENTS")
	if path == "" {
		os.Exit(m.Run())
	}
	rec := &statementRecorder{seen: map[string]string{}}
	fn := rec.record
	sqlserverRecorder.Store(&fn)
	code := m.Run()
	sqlserverRecorder.Store(nil)
	if code == 0 {
		rec.add("sqlserverSessionInit", sqlserverSessionInit)
		if err := recordMigrationBatches(rec); err != nil {
			fmt.Fprintln(os.Stderr, "record the SQL Server migrations:", err)
			code = 1
		} else if err := rec.write(path); err != nil {
			fmt.Fprintln(os.Stderr, "write the SQL Server statements:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// recordMigrationBatches runs every SQL Server migration up and then down through goose itself,
// against a driver that records what it is sent, so the batches are split exactly as goose
// splits them for a real server.
func recordMigrationBatches(rec *statementRecorder) error {
	ctx := context.Background()
	fsys, err := dbMigrations("sqlserver")
	if err != nil {
		return err
	}
	drv := &recordingDriver{rec: rec}
	conn := sql.OpenDB(drv)
	defer conn.Close()
	store := &memoryVersionStore{Store: mustStore(), applied: map[int64]bool{}}
	p, err := goose.NewProvider("", conn, fsys, goose.WithStore(store))
	if err != nil {
		return err
	}
	for _, src := range p.ListSources() {
		drv.name = fmt.Sprintf("migration %05d up", src.Version)
		if _, err := p.ApplyVersion(ctx, src.Version, true); err != nil {
			return err
		}
	}
	srcs := p.ListSources()
	for i := len(srcs) - 1; i >= 0; i-- {
		drv.name = fmt.Sprintf("migration %05d down", srcs[i].Version)
		if _, err := p.ApplyVersion(ctx, srcs[i].Version, false); err != nil {
			return err
		}
	}
	return nil
}

func mustStore() database.Store {
	s, err := database.NewStore(database.DialectMSSQL, goose.DefaultTablename)
	if err != nil {
		panic(err)
	}
	return s
}

// memoryVersionStore keeps goose's applied versions in memory; its writes still go through
// goose's own SQL Server statements, so those are recorded too.
type memoryVersionStore struct {
	database.Store
	applied map[int64]bool
}

func (s *memoryVersionStore) Insert(ctx context.Context, db database.DBTxConn, req database.InsertRequest) error {
	s.applied[req.Version] = true
	return s.Store.Insert(ctx, db, req)
}

func (s *memoryVersionStore) Delete(ctx context.Context, db database.DBTxConn, version int64) error {
	delete(s.applied, version)
	return s.Store.Delete(ctx, db, version)
}

func (s *memoryVersionStore) GetMigration(_ context.Context, _ database.DBTxConn, version int64) (*database.GetMigrationResult, error) {
	if !s.applied[version] {
		return nil, database.ErrVersionNotFound
	}
	return &database.GetMigrationResult{IsApplied: true}, nil
}

func (s *memoryVersionStore) GetLatestVersion(context.Context, database.DBTxConn) (int64, error) {
	var v int64 = -1
	for k := range s.applied {
		v = max(v, k)
	}
	if v < 0 {
		return 0, database.ErrVersionNotFound
	}
	return v, nil
}

func (s *memoryVersionStore) ListMigrations(context.Context, database.DBTxConn) ([]*database.ListMigrationsResult, error) {
	var out []*database.ListMigrationsResult
	for k := range s.applied {
		out = append(out, &database.ListMigrationsResult{Version: k, IsApplied: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

// recordingDriver accepts every statement, records it under the current migration's name and
// returns no rows.
type recordingDriver struct {
	rec  *statementRecorder
	name string
	seq  map[string]int
}

func (d *recordingDriver) Open(string) (driver.Conn, error)               { return recordingConn{d}, nil }
func (d *recordingDriver) OpenConnector(string) (driver.Connector, error) { return d, nil }
func (d *recordingDriver) Connect(context.Context) (driver.Conn, error)   { return recordingConn{d}, nil }
func (d *recordingDriver) Driver() driver.Driver                          { return d }

func (d *recordingDriver) note(q string) {
	if d.seq == nil {
		d.seq = map[string]int{}
	}
	d.seq[d.name]++
	d.rec.add(fmt.Sprintf("%s batch %03d", d.name, d.seq[d.name]), q)
}

type recordingConn struct{ d *recordingDriver }

func (c recordingConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("recording driver: prepare is not supported")
}
func (c recordingConn) Close() error              { return nil }
func (c recordingConn) Begin() (driver.Tx, error) { return recordingTx{}, nil }
func (c recordingConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.d.note(q)
	return driver.RowsAffected(0), nil
}
func (c recordingConn) QueryContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	c.d.note(q)
	return emptyRows{}, nil
}

type recordingTx struct{}

func (recordingTx) Commit() error   { return nil }
func (recordingTx) Rollback() error { return nil }

type emptyRows struct{}

func (emptyRows) Columns() []string         { return nil }
func (emptyRows) Close() error              { return nil }
func (emptyRows) Next([]driver.Value) error { return io.EOF }
