// Command idswap is the whole product in one binary: the portal, the JSON API, the ThingSpace
// callback receiver and the background workers (`serve`), the schema (`migrate`), the carrier
// simulator (`tssim`) and user and token administration.
//
// main only parses flags and the environment, builds every concrete type and wires them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `idswap changes the ICCID and IMEI of Verizon ThingSpace lines in bulk.

Usage:
  idswap serve [--demo] [--data DIR] [--addr HOST:PORT] [--tssim-url URL]
                                   portal, API, callback receiver and workers in one process
  idswap worker [--demo] [--data DIR] [--addr HOST:PORT]
                                   the job workers alone (scale-out: several share one SQL Server)
  idswap migrate [status] [--demo] [--data DIR]
                                   apply the database migrations, or list them
  idswap tssim [--addr HOST:PORT] [simulator flags]
                                   the ThingSpace simulator on its own, seeded with the demo carrier
  idswap user create --email E --role admin|manager [--tenant NAME] [--name NAME]
                                   add a user (password from IDSWAP_NEW_PASSWORD or standard input)
  idswap token create --email E [--name NAME] [--ttl 2160h] [--scope read-only|read-write]
                                   print a new API token for a user, once
  idswap token list [--email E]    list API tokens: scope, expiry, last use and address
  idswap token revoke ID           revoke an API token at once
  idswap tenant create --name NAME  add a tenant; prints its id
  idswap provider create --name NAME --base-url URL --account ACCOUNT --client-id ID --username UWS_USER [--writes] [--callbacks]
                                   add a ThingSpace account (secrets from IDSWAP_CLIENT_SECRET and
                                   IDSWAP_UWS_PASSWORD, or standard input); prints its id
  idswap provider check ID         token, session and one page of devices; the carrier's answer in words
  idswap sync --provider ID [--default-tenant NAME]
                                   bring the inventory in line with the carrier now; prints counts
  idswap provider rotate-callback ID
                                   new callback URL secret and listener credentials, registered
  idswap provider confirm-successes ID on|off
                                   apply Success callbacks only after a carrier lookup agrees

The database is IDSWAP_DB (sqlite:PATH or sqlserver://…), or --demo for ./data/idswap.db.
Run "idswap COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setMemoryLimit = func(n int64) { debug.SetMemoryLimit(n) }
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "idswap:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand. It is main without the process: tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "tssim":
		return runTSSim(ctx, rest, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, rest, getenv, stdin, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "tenant":
		return runTenant(ctx, rest, getenv, stdout, stderr)
	case "provider":
		return runProvider(ctx, rest, getenv, stdin, stdout, stderr)
	case "sync":
		return runSync(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// newFlagSet returns a flag set that reports errors instead of exiting, so tests can run it.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("idswap "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
