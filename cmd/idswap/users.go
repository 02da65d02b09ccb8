package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: idswap token create --email E [--name NAME]")
	}
	cfg := &config.Config{}
	fs := newFlagSet("token create", stderr)
	cfg.RegisterDB(fs)
	email := fs.String("email", "", "the e-mail address of the user the token acts as")
	name := fs.String("name", "", "what the token is for, e.g. \"ERP integration\"")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	db, err := openDB(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := auth.New(db).CreateToken(ctx, *email, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "This is the only time the token is shown. Send it as: Authorization: Bearer <token>")
	fmt.Fprintln(stdout, token)
	return nil
}
