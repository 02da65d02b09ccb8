// Package db holds the schema: numbered goose migrations, one folder per SQL dialect, embedded
// in the binary so that `idswap migrate` and `idswap serve` need nothing beside it.
package db

import (
	"embed"
	"io/fs"
)

//go:embed migrations/sqlite/*.sql migrations/sqlserver/*.sql
var migrations embed.FS

// Migrations returns the migration files of one dialect folder ("sqlite" or "sqlserver").
func Migrations(dialect string) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+dialect)
}
