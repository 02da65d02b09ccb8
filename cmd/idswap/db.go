package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/store"
)

// resolve completes the configuration: in demo mode it first creates the keys the environment
// does not give (ensureDemoKeys), since config itself writes no files.
func resolve(cfg *config.Config, getenv func(string) string) error {
	if err := ensureDemoKeys(cfg, getenv); err != nil {
		return err
	}
	return cfg.Resolve(getenv)
}

// openDB resolves the configuration and opens the database. In demo mode the schema is brought
// up to date; otherwise a schema behind the binary is an error that says to run migrate.
func openDB(ctx context.Context, cfg *config.Config, getenv func(string) string) (*store.DB, error) {
	if err := resolve(cfg, getenv); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DSN, cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	if cfg.Demo {
		if _, err := db.Migrate(ctx); err != nil {
			return nil, errors.Join(err, db.Close())
		}
	}
	if err := db.CheckCurrent(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := &config.Config{}
	fs := newFlagSet("migrate", stderr)
	cfg.RegisterDB(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := resolve(cfg, getenv); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DSN, cfg.SecretKey)
	if err != nil {
		return err
	}
	defer db.Close()
	if fs.Arg(0) == "status" {
		ms, err := db.Migrations(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%05d  %-8s %s\n", m.Version, state, m.Source)
		}
		return nil
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d migration(s) applied; the schema is current\n", db.Dialect(), n)
	return nil
}
