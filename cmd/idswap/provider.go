package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/idswap/idswap/internal/config"
)

const providerUsage = `usage: idswap provider rotate-callback ID
       idswap provider confirm-successes ID on|off`

// runProviderCarrier is `idswap provider rotate-callback|confirm-successes …` (dispatched from
// runProvider): the carrier-side settings of a service provider.
//
//   - rotate-callback ID gives the provider's callback listener a new URL secret, username and
//     password, and registers it with the carrier (IDSWAP_PUBLIC_URL and open write gates needed).
//   - confirm-successes ID on|off: apply a Success callback only after a carrier lookup shows the
//     line with the new identifiers (one more carrier call a row; off by default).
func runProviderCarrier(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return errors.New(providerUsage)
	}
	sub := args[0]
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("provider ID must be a positive number, not %q", args[1])
	}
	cfg := &config.Config{}
	fs := newFlagSet("provider "+sub, stderr)
	cfg.RegisterServe(fs)
	rest := args[2:]
	var value string
	if sub == "confirm-successes" {
		if len(rest) == 0 {
			return errors.New(providerUsage)
		}
		value, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "rotate-callback":
		eng, _, _, err := newEngine(cfg, db, newLogger(cfg, stderr), nil)
		if err != nil {
			return err
		}
		if err := eng.RotateCallback(ctx, id, "cli"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "provider %d: callback listener rotated and registered\n", id)
		return nil
	case "confirm-successes":
		on := value == "on"
		if !on && value != "off" {
			return fmt.Errorf("confirm-successes takes on or off, not %q", value)
		}
		if err := db.SetConfirmSuccesses(ctx, id, on, "cli"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "provider %d: confirm successes with the carrier: %s\n", id, value)
		return nil
	}
	return errors.New(providerUsage)
}
