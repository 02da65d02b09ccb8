package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/idswap/idswap/internal/store"
)

// testKey seals secrets in tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// eachDB runs a test against every database it can reach: SQLite always, and SQL Server when
// IDSWAP_MSSQL_DSN names an empty database the suite may reset (every table is dropped and
// re-created before each test).
func eachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, mustOpenSQLite(t)) })
	t.Run("sqlserver", func(t *testing.T) {
		dsn := os.Getenv("IDSWAP_MSSQL_DSN")
		if dsn == "" {
			t.Skip("IDSWAP_MSSQL_DSN is not set: the SQL Server run of the store suite is skipped")
		}
		ctx := context.Background()
		db, err := store.Open(ctx, dsn, testKey)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.ResetForTests(ctx); err != nil {
			t.Fatalf("reset SQL Server schema: %v", err)
		}
		fn(t, db)
	})
}

func mustOpenSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "test.db"), testKey)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}
