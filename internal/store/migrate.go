package store

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/idswap/idswap/db"
)

func (db *DB) migrator() (*goose.Provider, error) {
	fsys, err := dbMigrations(db.dialect.name)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(db.dialect.goose, db.db.DB, fsys)
}

var dbMigrations = db.Migrations

// Migrate applies every migration not yet applied and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("store: migrate: %w", err)
	}
	return len(res), nil
}

// MigrationStatus says, per migration, whether it is applied.
type MigrationStatus struct {
	Version int64
	Source  string
	Applied bool
}

// Migrations lists the migrations and their state.
func (db *DB) Migrations(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{Version: s.Source.Version, Source: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// CheckCurrent returns an error unless every migration is applied: a daemon must not run on a
// schema older than its code.
func (db *DB) CheckCurrent(ctx context.Context) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("store: read migration state: %w", err)
	}
	if pending {
		return fmt.Errorf("store: the database schema is behind this binary; run `idswap migrate`")
	}
	return nil
}

// resetForTests rolls every migration back and applies them again. The store test suite uses
// it on SQL Server, where a test cannot simply take a fresh temporary file.
func (db *DB) resetForTests(ctx context.Context) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// TableColumns lists the columns of every table, as the database itself reports them.
func (db *DB) TableColumns(ctx context.Context) (map[string][]string, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q := db.dialect.tableColumns()
	var rows []struct {
		Table  string `db:"tbl"`
		Column string `db:"col"`
	}
	if err := t.sel(ctx, &rows, q); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Table] = append(out[r.Table], r.Column)
	}
	return out, nil
}

// Checkpoint folds SQLite's write-ahead log into the database file (a no-op on SQL Server), so
// that the file alone holds everything — for copying a database, as tests do.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.dialect.name != "sqlite" {
		return nil
	}
	_, err := db.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}
