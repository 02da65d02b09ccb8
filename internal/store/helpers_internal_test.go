package store

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryStatementGoesThroughTheHelpers reads the store's source: a statement run on the
// connection or on a transaction's sqlx methods directly would skip the dialect's rendering,
// the lock-order trace, the SQL Server record and the width check (see the package comment).
// Only sql.go (the helpers themselves), migrate.go (goose, the WAL checkpoint) and store.go
// (Open, Close, Ping) may.
func TestEveryStatementGoesThroughTheHelpers(t *testing.T) {
	direct := regexp.MustCompile(`\bdb\.db\.\w+|\b(?:t|tx)\.(?:Tx\.)?(?:Get|Select|Exec|Query|QueryRow|Prepare|Named)\w*\(`)
	allowed := map[string]bool{"sql.go": true, "migrate.go": true, "store.go": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || allowed[f] {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if m := direct.FindString(line); m != "" {
				t.Errorf("%s:%d: %s runs a statement past the helpers in sql.go (t.get, t.sel, t.query, t.queryRow, t.exec, t.insert)", f, i+1, m)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("read only %d files: the test is not looking at the store's source", checked)
	}
}
