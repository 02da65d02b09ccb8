package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/idswap/idswap/db"
)

// TestDialectsDeclareTheSameSchema reads the SQL Server migrations as text and compares their
// tables and columns with the schema SQLite actually has after migrating: the two dialects must
// never drift apart. It also checks the text reader against SQLite's own migrations, so a
// reader that silently missed columns would fail here too.
func TestDialectsDeclareTheSameSchema(t *testing.T) {
	sqlserver := declaredSchema(t, "sqlserver")
	sqliteText := declaredSchema(t, "sqlite")
	live := liveSQLiteSchema(t)

	if diff := compareSchemas(sqliteText, live); diff != "" {
		t.Fatalf("the migration reader disagrees with SQLite's own schema:\n%s", diff)
	}
	if diff := compareSchemas(sqlserver, live); diff != "" {
		t.Fatalf("SQL Server and SQLite migrations differ (sqlserver vs sqlite):\n%s", diff)
	}
	if len(live) < 20 {
		t.Fatalf("expected the whole schema, found only %d tables", len(live))
	}
}

// TestSQLServerHasTheStoredProcedures checks that the procedures the store calls by name are
// created, with the parameters the store passes.
func TestSQLServerHasTheStoredProcedures(t *testing.T) {
	text := strings.ToLower(migrationText(t, "sqlserver"))
	for proc, params := range map[string][]string{
		"usp_thingspace_get_authenticationbyproviderid": {"@providerid"},
		"usp_updateidentifierforthingspace": {"@serviceproviderid", "@deviceid", "@oldiccid", "@oldimei", "@newiccid",
			"@newimei", "@processedby", "@changereason", "@bulkchangeid", "@m2mdevicechangeid", "@changedate"},
	} {
		i := strings.Index(text, "create procedure "+proc)
		if i < 0 {
			t.Errorf("no CREATE PROCEDURE %s", proc)
			continue
		}
		body := text[i:]
		if j := strings.Index(body, "\nas\n"); j > 0 {
			body = body[:j]
		}
		for _, p := range params {
			if !strings.Contains(body, p+" ") {
				t.Errorf("%s has no parameter %s", proc, p)
			}
		}
	}
}

func migrationText(t *testing.T, dialect string) string {
	t.Helper()
	fsys, err := db.Migrations(dialect)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no %s migrations: %v", dialect, err)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		src, err := fs.ReadFile(fsys, n)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(src), "-- +goose Down")
		b.WriteString(up)
		b.WriteString("\n")
	}
	return b.String()
}

var (
	createTable = regexp.MustCompile(`(?is)CREATE\s+TABLE\s+\[?(\w+)\]?\s*\((.*?)\n\);`)
	alterAdd    = regexp.MustCompile(`(?i)ALTER\s+TABLE\s+\[?(\w+)\]?\s+ADD\s+(?:COLUMN\s+)?\[?(\w+)\]?`)
	dropColumn  = regexp.MustCompile(`(?i)ALTER\s+TABLE\s+\[?(\w+)\]?\s+DROP\s+COLUMN\s+\[?(\w+)\]?`)
	dropTable   = regexp.MustCompile(`(?i)DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?\[?(\w+)\]?`)
	notColumn   = map[string]bool{"constraint": true, "primary": true, "foreign": true, "unique": true, "check": true, "index": true}
)

// declaredSchema reads table → columns (lower case) from a dialect's migration text.
func declaredSchema(t *testing.T, dialect string) map[string][]string {
	t.Helper()
	text := stripComments(migrationText(t, dialect))
	out := map[string][]string{}
	for _, m := range createTable.FindAllStringSubmatch(text, -1) {
		table := strings.ToLower(m[1])
		for _, line := range strings.Split(m[2], "\n") {
			f := strings.Fields(strings.TrimSpace(line))
			if len(f) == 0 {
				continue
			}
			name := strings.ToLower(strings.Trim(f[0], "[],"))
			if notColumn[name] {
				continue
			}
			out[table] = append(out[table], name)
		}
	}
	for _, m := range alterAdd.FindAllStringSubmatch(text, -1) {
		if n := strings.ToLower(m[2]); !notColumn[n] {
			out[strings.ToLower(m[1])] = append(out[strings.ToLower(m[1])], n)
		}
	}
	for _, m := range dropColumn.FindAllStringSubmatch(text, -1) {
		table, col := strings.ToLower(m[1]), strings.ToLower(m[2])
		cols := out[table][:0]
		for _, c := range out[table] {
			if c != col {
				cols = append(cols, c)
			}
		}
		out[table] = cols
	}
	// A table dropped in a later migration is gone (one that is created again after its drop
	// would need the statements read in order; none is).
	for _, m := range dropTable.FindAllStringSubmatch(text, -1) {
		delete(out, strings.ToLower(m[1]))
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// liveSQLiteSchema migrates a fresh SQLite database and reads its tables and columns.
func liveSQLiteSchema(t *testing.T) map[string][]string {
	t.Helper()
	d := mustOpenSQLite(t)
	tables, err := d.TableColumns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for table, cols := range tables {
		if strings.HasPrefix(table, "goose_") || strings.HasPrefix(table, "sqlite_") {
			continue
		}
		for _, c := range cols {
			out[strings.ToLower(table)] = append(out[strings.ToLower(table)], strings.ToLower(c))
		}
		sort.Strings(out[strings.ToLower(table)])
	}
	return out
}

func compareSchemas(a, b map[string][]string) string {
	var diffs []string
	for table, cols := range a {
		other, ok := b[table]
		if !ok {
			diffs = append(diffs, "table "+table+" only in the first")
			continue
		}
		if strings.Join(cols, ",") != strings.Join(other, ",") {
			diffs = append(diffs, table+": "+strings.Join(cols, ",")+"\n   vs "+strings.Join(other, ","))
		}
	}
	for table := range b {
		if _, ok := a[table]; !ok {
			diffs = append(diffs, "table "+table+" only in the second")
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "\n")
}

// TestDialectsDeclareTheSameTypes (review finding 19): each column has the same kind of type
// (whole number, text, time, decimal, bytes) and the same nullability in both dialects'
// migrations, so a value one accepts the other does too — a NULL SQLite takes where SQL Server
// refuses it, or a text where the other keeps a number, would only show on the server.
func TestDialectsDeclareTheSameTypes(t *testing.T) {
	sqlserver := declaredTypes(t, "sqlserver")
	sqlite := declaredTypes(t, "sqlite")
	if len(sqlite) < 200 || len(sqlserver) != len(sqlite) {
		t.Fatalf("read %d SQLite and %d SQL Server columns", len(sqlite), len(sqlserver))
	}
	var diffs []string
	for col, lite := range sqlite {
		if lite.kind == "" || sqlserver[col].kind == "" {
			diffs = append(diffs, fmt.Sprintf("%s: a type not read (%q, %q)", col, lite.raw, sqlserver[col].raw))
			continue
		}
		if lite.kind != sqlserver[col].kind || lite.notNull != sqlserver[col].notNull {
			diffs = append(diffs, fmt.Sprintf("%s: SQLite %s (%s), SQL Server %s (%s)", col, lite, lite.raw, sqlserver[col], sqlserver[col].raw))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("the dialects declare %d columns differently:\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
}

// columnType is a column's kind of type and nullability, as declared.
type columnType struct {
	kind    string // int, text, time, decimal, bytes; "" when not known
	notNull bool
	raw     string
}

func (c columnType) String() string {
	if c.notNull {
		return c.kind + " NOT NULL"
	}
	return c.kind + " NULL"
}

// typeKinds maps each declared type name, of either dialect, to its kind.
var typeKinds = map[string]string{
	"integer": "int", "int": "int", "bigint": "int", "smallint": "int", "tinyint": "int", "bit": "int", "boolean": "int",
	"text": "text", "nvarchar": "text", "varchar": "text", "nchar": "text", "char": "text",
	"datetime": "time", "datetime2": "time", "date": "time",
	"decimal": "decimal", "numeric": "decimal", "real": "decimal", "float": "decimal", "money": "decimal",
	"blob": "bytes", "varbinary": "bytes",
}

var alterAddTyped = regexp.MustCompile(`(?i)ALTER\s+TABLE\s+\[?(\w+)\]?\s+ADD\s+(?:COLUMN\s+)?\[?(\w+)\]?\s+([^;\n]*)`)

// declaredTypes reads "table.column" → its type from a dialect's migration text (CREATE TABLE
// and ALTER TABLE … ADD; dropped tables and columns are gone).
func declaredTypes(t *testing.T, dialect string) map[string]columnType {
	t.Helper()
	text := stripComments(migrationText(t, dialect))
	out := map[string]columnType{}
	parse := func(table, name, rest string) {
		rest = strings.TrimSpace(rest)
		word := strings.ToLower(strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '(' || r == ',' })[0])
		upper := strings.ToUpper(rest)
		out[strings.ToLower(table)+"."+strings.ToLower(name)] = columnType{kind: typeKinds[word], raw: rest,
			notNull: strings.Contains(upper, "NOT NULL") || strings.Contains(upper, "PRIMARY KEY")}
	}
	for _, m := range createTable.FindAllStringSubmatch(text, -1) {
		for _, line := range strings.Split(m[2], "\n") {
			f := strings.Fields(strings.TrimSpace(line))
			if len(f) < 2 {
				continue
			}
			name := strings.Trim(f[0], "[],")
			if notColumn[strings.ToLower(name)] {
				continue
			}
			parse(m[1], name, strings.TrimSpace(strings.TrimSpace(line)[len(f[0]):]))
		}
	}
	for _, m := range alterAddTyped.FindAllStringSubmatch(text, -1) {
		if !notColumn[strings.ToLower(m[2])] {
			parse(m[1], m[2], m[3])
		}
	}
	for _, m := range dropColumn.FindAllStringSubmatch(text, -1) {
		delete(out, strings.ToLower(m[1])+"."+strings.ToLower(m[2]))
	}
	for _, m := range dropTable.FindAllStringSubmatch(text, -1) {
		for col := range out {
			if strings.HasPrefix(col, strings.ToLower(m[1])+".") {
				delete(out, col)
			}
		}
	}
	return out
}
