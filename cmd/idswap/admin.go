package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/inventory"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/store"
)

// The onboarding commands: the same services the admin console uses, for scripts and for the
// first steps on an empty database. Secrets come from the environment or standard input, never
// from flags (which ps and shell history show).

func runTenant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: idswap tenant create --name NAME")
	}
	cfg := &config.Config{}
	fs := newFlagSet("tenant create", stderr)
	cfg.RegisterDB(fs)
	name := fs.String("name", "", "the tenant's name (unique)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	id, err := onboard.New(db).CreateTenant(ctx, store.Actor{Name: "idswap tenant create"}, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, id)
	return nil
}

func runProvider(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "usage: idswap provider create --name NAME --base-url URL --account ACCOUNT --client-id ID --username UWS_USER [--writes] [--callbacks]\n" +
		"       idswap provider check ID\n" +
		"       idswap provider rotate-callback ID\n" +
		"       idswap provider confirm-successes ID on|off"
	if len(args) == 0 {
		return errors.New(usage)
	}
	cfg := &config.Config{}
	switch args[0] {
	case "rotate-callback", "confirm-successes":
		return runProviderCarrier(ctx, args, getenv, stdout, stderr)
	case "create":
		fs := newFlagSet("provider create", stderr)
		cfg.RegisterDB(fs)
		var in onboard.ProviderInput
		fs.StringVar(&in.Name, "name", "", "the provider's name")
		fs.StringVar(&in.BaseURL, "base-url", "https://thingspace.verizon.com", "the ThingSpace base URL")
		fs.StringVar(&in.AccountName, "account", "", "the ThingSpace account name, e.g. 0000123456-00001")
		fs.StringVar(&in.ClientID, "client-id", "", "the OAuth client id (key); the secret comes from IDSWAP_CLIENT_SECRET")
		fs.StringVar(&in.UWSUser, "username", "", "the UWS user; the password comes from IDSWAP_UWS_PASSWORD")
		fs.StringVar(&in.NotificationEmail, "notify", "", "an address that receives every result e-mail")
		fs.BoolVar(&in.WritesEnabled, "writes", false, "open the provider's write gate (changes are sent to the carrier)")
		fs.BoolVar(&in.RegisterCallbacks, "callbacks", false, "register idswap's CarrierService callback listener at start")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if err := providerSecrets(&in, getenv, stdin, stderr); err != nil {
			return err
		}
		db, err := openDB(ctx, cfg, getenv)
		if err != nil {
			return err
		}
		defer db.Close()
		id, err := onboard.New(db).CreateProvider(ctx, store.Actor{Name: "idswap provider create"}, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, id)
		return nil
	case "check":
		fs := newFlagSet("provider check", stderr)
		cfg.RegisterDB(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		id, err := providerArg(fs.Args())
		if err != nil {
			return errors.New(usage)
		}
		db, err := openDB(ctx, cfg, getenv)
		if err != nil {
			return err
		}
		defer db.Close()
		res, err := onboard.New(db).CheckProvider(ctx, id)
		if err != nil {
			return err
		}
		for _, s := range res.Steps {
			fmt.Fprintln(stdout, s)
		}
		if !res.OK {
			return fmt.Errorf("provider %d: %s", id, res.Answer)
		}
		fmt.Fprintf(stdout, "provider %d: the carrier accepted the credentials\n", id)
		return nil
	}
	return errors.New(usage)
}

// providerSecrets fills a new provider's client secret and UWS password from the environment;
// one the environment lacks is read from standard input (one a line, each asked for on stderr),
// so that it need not appear in a command line or a shell history.
func providerSecrets(in *onboard.ProviderInput, getenv func(string) string, stdin io.Reader, stderr io.Writer) error {
	in.ClientSecret, in.UWSPassword = getenv("IDSWAP_CLIENT_SECRET"), getenv("IDSWAP_UWS_PASSWORD")
	if in.ClientSecret != "" && in.UWSPassword != "" {
		return nil
	}
	r := bufio.NewReader(stdin)
	for _, s := range []struct {
		what string
		v    *string
	}{{"client secret", &in.ClientSecret}, {"UWS password", &in.UWSPassword}} {
		if *s.v != "" {
			continue
		}
		fmt.Fprintf(stderr, "%s: ", s.what)
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("no %s: set IDSWAP_CLIENT_SECRET and IDSWAP_UWS_PASSWORD, or type them on standard input", s.what)
		}
		*s.v = strings.TrimRight(line, "\r\n")
	}
	return nil
}

func providerArg(args []string) (int64, error) {
	if len(args) != 1 {
		return 0, errors.New("one provider id")
	}
	return strconv.ParseInt(args[0], 10, 64)
}

func runSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := &config.Config{}
	fs := newFlagSet("sync", stderr)
	cfg.RegisterDB(fs)
	provider := fs.Int64("provider", 0, "the service provider to sync")
	defTenant := fs.String("default-tenant", "", "put lines that no rule places in this tenant (this run only)")
	pageSize := fs.Int("page-size", 0, "devices per page asked of the carrier (default the client's, 100)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *provider == 0 {
		return errors.New("usage: idswap sync --provider ID [--default-tenant NAME]")
	}
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	o := inventory.Options{By: "idswap sync"}
	if *defTenant != "" {
		t, err := db.TenantByName(ctx, *defTenant)
		if err != nil {
			return err
		}
		o.DefaultTenantID = t.ID
	}
	inv := inventory.New(db)
	rate, err := carrierRateFrom(getenv)
	if err != nil {
		return err
	}
	limits := newCarrierLimits(db, rate)
	inv.PageSize, inv.Limit = *pageSize, limits.Limit
	run, err := inv.Sync(ctx, *provider, o)
	// The permits go back before the command ends, whatever the sync did.
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := errors.Join(err, limits.Close(closeCtx)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sync %d of provider %d: %d listed, %d added, %d updated, %d changed outside idswap, %d gone, %d unassigned\n",
		run.ID, run.ProviderID, run.Listed, run.Added, run.Updated, run.ChangedOutside, run.Gone, run.Unassigned)
	return nil
}
