package store

import (
	"bufio"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/idswap/idswap/internal/apperr"
)

// Length limits, the same in both dialects. SQL Server bounds 128 string columns (NVARCHAR(n),
// n counted in UTF-16 code units, so an emoji takes two; CHAR(n) in bytes) and refuses an
// over-long value with error 2628, while SQLite's TEXT takes anything. Every INSERT the store
// builds (tx.insert, insertMany) and every UPDATE (tx.exec, checkUpdateWidths) checks its values against the widths the SQL Server schema
// declares, read from the embedded migrations, so an over-long value fails on SQLite exactly
// as on SQL Server, and with a message that names the field instead of a 500.
//
// Values that come from outside and must be stored whatever they are — a carrier callback's
// fields (its raw body is kept whole in NVARCHAR(MAX)), a client's address — are cut to the
// width instead (clippedColumns): refusing them would make the carrier redeliver the same
// callback forever, or fail a sign-in over a long X-Forwarded-For header.

// clippedColumns are cut to their width instead of refused.
var clippedColumns = map[string]bool{
	"ThingSpaceCallBackResponseLog.RequestId": true,
	"ThingSpaceCallBackResponseLog.APIStatus": true,
	"ThingSpaceCallBackResponseLog.ICCID":     true,
	"M2MDeviceBulkChangeLog.ErrorCode":        true,
	"AuditEvent.RemoteAddr":                   true,
	"ApiToken.LastUsedAddr":                   true, // a client's address, as AuditEvent.RemoteAddr
	"InventorySyncRun.Error":                  true, // the carrier's or the network's words on a failed sync
}

type columnWidth struct {
	max     int
	unicode bool // NVARCHAR/NCHAR: UTF-16 units; CHAR/VARCHAR: bytes
}

var (
	createTable = regexp.MustCompile(`^CREATE TABLE (\w+) \(`)
	columnLine  = regexp.MustCompile(`^\s+(\w+)\s+(N?)(?:VAR)?CHAR\((\d+)\)`)
	alterAdd    = regexp.MustCompile(`^ALTER TABLE (\w+) ADD (\w+) (N?)(?:VAR)?CHAR\((\d+)\)`)
)

// ColumnWidth is the width the SQL Server schema gives a string column ("Table", "Column"):
// NVARCHAR/NCHAR in UTF-16 units (unicode), CHAR/VARCHAR in bytes; ok is false for a column
// without one. The forms' own limits (change.Max…) are tested against it.
func ColumnWidth(table, column string) (width int, unicode, ok bool) {
	widths, err := columnWidths()
	if err != nil {
		return 0, false, false
	}
	w, ok := widths[table+"."+column]
	return w.max, w.unicode, ok
}

// columnWidths maps "Table.Column" to its width, from the SQL Server migrations' up sections.
var columnWidths = sync.OnceValues(func() (map[string]columnWidth, error) {
	fsys, err := dbMigrations("sqlserver")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string]columnWidth{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		table := ""
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "-- +goose Down") {
				break
			}
			if m := createTable.FindStringSubmatch(line); m != nil {
				table = m[1]
				continue
			}
			if strings.HasPrefix(line, ")") {
				table = ""
				continue
			}
			if m := alterAdd.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[4])
				out[m[1]+"."+m[2]] = columnWidth{max: n, unicode: m[3] == "N"}
				continue
			}
			if m := columnLine.FindStringSubmatch(line); m != nil && table != "" {
				n, _ := strconv.Atoi(m[3])
				out[table+"."+m[1]] = columnWidth{max: n, unicode: m[2] == "N"}
			}
		}
	}
	return out, nil
})

// sqlLength is the length of s as the column counts it.
func (w columnWidth) sqlLength(s string) int {
	if !w.unicode {
		return len(s)
	}
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// clip cuts s to the width, never inside a character.
func (w columnWidth) clip(s string) string {
	n := 0
	for i, r := range s {
		size := len(string(r))
		if w.unicode {
			size = utf16.RuneLen(r)
		}
		if r == utf8.RuneError {
			size = 1
		}
		if n+size > w.max {
			return s[:i]
		}
		n += size
	}
	return s
}

// checkWidths checks the values of one row about to be inserted into table against the
// widths of cols; it returns the values to write (clipped columns cut) or an apperr.Invalid.
func checkWidths(table string, cols []string, args []any) ([]any, error) {
	widths, err := columnWidths()
	if err != nil {
		return nil, fmt.Errorf("store: read the column widths: %w", err)
	}
	out := args
	for i, c := range cols {
		if i >= len(args) {
			break
		}
		key := table + "." + c
		w, ok := widths[key]
		if !ok {
			continue
		}
		var s string
		switch v := args[i].(type) {
		case string:
			s = v
		case *string:
			if v == nil {
				continue
			}
			s = *v
		case sql.NullString:
			if !v.Valid {
				continue
			}
			s = v.String
		default:
			continue
		}
		n := w.sqlLength(s)
		if n <= w.max {
			continue
		}
		if clippedColumns[key] {
			if &out[0] == &args[0] {
				out = append([]any(nil), args...)
			}
			out[i] = w.clip(s)
			continue
		}
		unit := "characters"
		if w.unicode && n != utf8.RuneCountInString(s) {
			unit = "characters (an emoji or other character outside the Basic Multilingual Plane counts as two)"
		}
		return nil, apperr.E(apperr.Invalid, "%s is too long: %d %s, at most %d fit", fieldName(table, c), n, unit, w.max)
	}
	return out, nil
}

// updateTarget is what an UPDATE writes: its table and, for each argument, the column the
// argument becomes the new value of ("" for an argument that is not one: a WHERE value, a
// sub-select's, part of an expression).
type updateTarget struct {
	table string
	cols  []string
}

var (
	updateHead    = regexp.MustCompile(`(?is)^\s*UPDATE\s+(?:TOP\s*\([^)]*\)\s*)?(\w+)(?:\s+WITH\s*\([^)]*\))?\s+SET\s`)
	setEnd        = regexp.MustCompile(`(?i)^(WHERE|OUTPUT|FROM|RETURNING)\b`)
	placeholder   = regexp.MustCompile(`^(\?|@p(\d+))`)
	valueFunction = regexp.MustCompile(`(?i)^(COALESCE|NULLIF|ISNULL)\s*\([^()]*\)$`)
	updateTargets sync.Map // rendered statement -> *updateTarget (nil: not an UPDATE)
)

// checkUpdateWidths checks the values an UPDATE writes against their columns' widths, as
// checkWidths does for an INSERT's: an over-long value fails the same way on SQLite as on SQL
// Server, and a clipped column is cut. Any other statement passes unchanged.
func checkUpdateWidths(d dialect, rendered string, args []any) ([]any, error) {
	u := parseUpdate(d, rendered)
	if u == nil {
		return args, nil
	}
	return checkWidths(u.table, u.cols, args)
}

// parseUpdate reads which argument of a rendered UPDATE goes to which column. A column's new
// value is an argument when the assignment is "Col = ?" or a COALESCE/NULLIF/ISNULL of
// columns, literals and arguments ("RequestId = COALESCE(RequestId, ?)"); arguments inside
// other expressions are not a column's value and are not checked.
func parseUpdate(d dialect, rendered string) *updateTarget {
	if u, ok := updateTargets.Load(rendered); ok {
		return u.(*updateTarget)
	}
	var u *updateTarget
	if m := updateHead.FindStringSubmatchIndex(rendered); m != nil {
		u = &updateTarget{table: rendered[m[2]:m[3]]}
		u.cols = assignedArgs(d, rendered, m[1])
	}
	updateTargets.Store(rendered, u)
	return u
}

// assignedArgs walks the SET list of a rendered UPDATE, which starts at set, and names the
// column of each argument (see updateTarget).
func assignedArgs(d dialect, q string, set int) []string {
	sc := &setScanner{d: d, q: q, start: set}
	// The placeholders before SET (TOP (?)) are counted on SQLite too.
	if d.name != "sqlserver" {
		sc.next = strings.Count(q[:set], "?")
	}
	depth := 0
	for i := set; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'':
			if j := strings.IndexByte(q[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && c == ',':
			sc.assign(i)
			sc.start = i + 1
		case depth == 0 && (i == 0 || !isWordByte(q[i-1])) && setEnd.MatchString(q[i:]):
			sc.assign(i)
			return sc.cols
		default:
			i += sc.placeholder(i)
		}
	}
	sc.assign(len(q))
	return sc.cols
}

// setScanner is assignedArgs' state: the arguments of the assignment it is in, and the columns
// named so far.
type setScanner struct {
	d     dialect
	q     string
	next  int   // the next ? on SQLite
	start int   // where the current assignment begins
	args  []int // the arguments of the current assignment
	cols  []string
}

// placeholder notes the argument at q[i], if one is there, and returns how many more bytes it
// takes.
func (sc *setScanner) placeholder(i int) int {
	m := placeholder.FindStringSubmatch(sc.q[i:])
	if m == nil || (m[1] == "?") == (sc.d.name == "sqlserver") {
		return 0
	}
	a := sc.next
	if m[2] != "" {
		n, _ := strconv.Atoi(m[2])
		a = n - 1
	} else {
		sc.next++
	}
	sc.args = append(sc.args, a)
	sc.name(a, "")
	return len(m[0]) - 1
}

// assign ends the assignment at q[end]: its arguments are its column's value when the value is
// one argument or a COALESCE/NULLIF/ISNULL of plain terms.
func (sc *setScanner) assign(end int) {
	col := ""
	if lhs, rhs, ok := strings.Cut(sc.q[sc.start:end], "="); ok {
		rhs = strings.TrimSpace(rhs)
		if placeholder.FindString(rhs) == rhs || valueFunction.MatchString(rhs) {
			fields := strings.FieldsFunc(strings.TrimSpace(lhs), func(r rune) bool { return r == '.' || r == ' ' })
			if len(fields) > 0 {
				col = fields[len(fields)-1]
			}
		}
	}
	for _, a := range sc.args {
		sc.name(a, col)
	}
	sc.args = nil
}

// name records col as argument i's column (growing the list; "" leaves it unnamed).
func (sc *setScanner) name(i int, col string) {
	for len(sc.cols) <= i {
		sc.cols = append(sc.cols, "")
	}
	if col != "" {
		sc.cols[i] = col
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// clipChangeColumn cuts a value to the width of its M2M_DeviceChange column: for carrier values
// (request ids, attention reasons) that must be stored whatever they are, in a column that is not
// one of clippedColumns. Only device change rows hold such values.
func clipChangeColumn(col, s string) string {
	widths, err := columnWidths()
	if err != nil {
		return s
	}
	if w, ok := widths["M2M_DeviceChange."+col]; ok {
		return w.clip(s)
	}
	return s
}

// fieldName names a column for a person: "the reason" rather than DeviceBulkChange.Reason where
// that is what the person typed, else "Table.Column".
func fieldName(table, col string) string {
	if table == "DeviceBulkChange" && col == "Reason" {
		return "the reason"
	}
	return table + "." + col
}
