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
// builds (tx.insert, insertMany) checks its values against the widths the SQL Server schema
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

// clipColumn cuts a value written by an UPDATE (which checkWidths does not see) to its column's
// width: for carrier values that must be stored whatever they are.
func clipColumn(table, col, s string) string {
	widths, err := columnWidths()
	if err != nil {
		return s
	}
	if w, ok := widths[table+"."+col]; ok {
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
