package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/store"
)

func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: idswap user create --email E --role admin|manager [--tenant NAME] [--name NAME]")
	}
	cfg := &config.Config{}
	fs := newFlagSet("user create", stderr)
	cfg.RegisterDB(fs)
	email := fs.String("email", "", "the user's e-mail address (their sign-in name)")
	role := fs.String("role", store.RoleManager, "admin (every tenant) or manager (one tenant)")
	tenant := fs.String("tenant", "", "the tenant's name, for a manager")
	name := fs.String("name", "", "the name shown in the portal (default: the e-mail address)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	password := getenv("IDSWAP_NEW_PASSWORD")
	if password == "" {
		fmt.Fprint(stderr, "Password for "+*email+": ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("no password: set IDSWAP_NEW_PASSWORD or type it on standard input")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	nu := store.NewUser{Email: *email, DisplayName: *name, PasswordHash: hash, Role: *role}
	if nu.DisplayName == "" {
		nu.DisplayName = *email
	}
	if *tenant != "" {
		ts, err := db.Tenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if strings.EqualFold(t.Name, *tenant) {
				id := t.ID
				nu.TenantID = &id
			}
		}
		if nu.TenantID == nil {
			return fmt.Errorf("no tenant named %q", *tenant)
		}
	}
	id, err := db.CreateUser(ctx, nu, "idswap user create")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %d created: %s (%s)\n", id, store.NormalizeEmail(*email), *role)
	return nil
}

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: idswap token create --email E [--name NAME] [--ttl 2160h] [--scope read-only|read-write] | token list [--email E] | token revoke ID"
	if len(args) == 0 {
		return errors.New(usage)
	}
	cfg := &config.Config{}
	fs := newFlagSet("token "+args[0], stderr)
	cfg.RegisterDB(fs)
	var (
		email, name, scope *string
		ttl                *time.Duration
	)
	switch args[0] {
	case "create":
		email = fs.String("email", "", "the e-mail address of the user the token acts as")
		name = fs.String("name", "", "what the token is for, e.g. \"ERP integration\"")
		scope = fs.String("scope", store.ScopeReadWrite, "read-only (GET only) or read-write (may submit)")
		ttl = fs.Duration("ttl", 0, "how long the token lives (default IDSWAP_TOKEN_TTL, else 2160h = 90 days)")
	case "list":
		email = fs.String("email", "", "list this user's tokens (default: every user's)")
	case "revoke":
	default:
		return errors.New(usage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	// --email is create's alone to require: list without it lists every user's tokens, and
	// revoke has no such flag.
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "create":
		return tokenCreate(ctx, db, getenv, store.TokenOptions{Name: *name, TTL: *ttl, Scope: *scope}, *email, stdout, stderr)
	case "list":
		return tokenList(ctx, db, *email, stdout)
	default:
		return tokenRevoke(ctx, db, fs.Args(), stdout)
	}
}

// tokenCreate creates an API token for the user with the e-mail address and prints it, the
// only time it is shown.
func tokenCreate(ctx context.Context, db *store.DB, getenv func(string) string, o store.TokenOptions, email string, stdout, stderr io.Writer) error {
	if email == "" {
		return errors.New("--email is required")
	}
	svc := auth.New(db)
	if v := getenv("IDSWAP_TOKEN_TTL"); v != "" {
		var err error
		if svc.TokenTTL, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("IDSWAP_TOKEN_TTL must be a duration such as 2160h, not %q", v)
		}
	}
	token, tok, err := svc.CreateToken(ctx, email, o, "idswap token create")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Token %d (%s, %s) expires %s. This is the only time it is shown. Send it as: Authorization: Bearer <token>\n",
		tok.ID, tok.Name, tok.Scope, tok.ExpiresDate.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(stdout, token)
	return nil
}

// tokenList prints a table of the API tokens of the user with the e-mail address, or of every
// user's when it is empty.
func tokenList(ctx context.Context, db *store.DB, email string, stdout io.Writer) error {
	var uid int64
	if email != "" {
		u, err := db.UserByEmail(ctx, email)
		if err != nil {
			return err
		}
		uid = u.ID
	}
	ts, err := db.APITokens(ctx, uid)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tNAME\tPREFIX\tSCOPE\tSTATE\tEXPIRES\tLAST USED")
	now := time.Now()
	for _, t := range ts {
		exp, used := "never", "never"
		if t.ExpiresDate != nil {
			exp = t.ExpiresDate.UTC().Format("2006-01-02 15:04")
		}
		if t.LastUsedDate != nil {
			used = t.LastUsedDate.UTC().Format("2006-01-02 15:04")
			if t.LastUsedAddr != nil {
				used += " from " + *t.LastUsedAddr
			}
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserEmail, t.Name, t.TokenPrefix, t.Scope, t.State(now), exp, used)
	}
	return w.Flush()
}

// tokenRevoke revokes the token whose id is the one argument.
func tokenRevoke(ctx context.Context, db *store.DB, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: idswap token revoke ID (the ID column of idswap token list)")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("token revoke: %q is not a token id (the ID column of idswap token list)", args[0])
	}
	if err := db.RevokeAPIToken(ctx, id, 0, "idswap token revoke", ""); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %d revoked\n", id)
	return nil
}
