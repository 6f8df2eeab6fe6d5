package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func cmdOrgCreate(fs *flag.FlagSet) func(context.Context, *env) error {
	slug := fs.String("slug", "", "short name, lower case letters, digits and dashes (required)")
	name := fs.String("name", "", "display name (required)")
	return func(ctx context.Context, e *env) error {
		if err := required(map[string]string{"--slug": *slug, "--name": *name}); err != nil {
			return err
		}
		return e.withDB(ctx, true, func(_ string, db *postgres.DB) error {
			id, err := db.CreateOrganization(ctx, *slug, *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "organization %s created (id %s)\n", *slug, id)
			return nil
		})
	}
}

func cmdUserCreate(fs *flag.FlagSet) func(context.Context, *env) error {
	org := fs.String("org", "", "organization slug (required)")
	email := fs.String("email", "", "login email (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "", "admin, pi, engineer, technician or viewer (required)")
	return func(ctx context.Context, e *env) error {
		if err := required(map[string]string{"--org": *org, "--email": *email, "--name": *name, "--role": *role}); err != nil {
			return err
		}
		r, err := spectra.ParseRole(*role)
		if err != nil {
			return err
		}
		phc, err := e.readPassword(ctx)
		if err != nil {
			return err
		}
		return e.withDB(ctx, true, func(_ string, db *postgres.DB) error {
			id, err := db.CreateUser(ctx, *org, *email, *name, r, phc)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %s created in %s as %s (id %s)\n", strings.ToLower(*email), *org, r, id)
			return nil
		})
	}
}

func cmdUserSetPassword(fs *flag.FlagSet) func(context.Context, *env) error {
	email := fs.String("email", "", "login email (required)")
	return func(ctx context.Context, e *env) error {
		if err := required(map[string]string{"--email": *email}); err != nil {
			return err
		}
		phc, err := e.readPassword(ctx)
		if err != nil {
			return err
		}
		return e.withDB(ctx, true, func(_ string, db *postgres.DB) error {
			if err := db.SetPassword(ctx, *email, phc); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "password of %s set\n", strings.ToLower(*email))
			return nil
		})
	}
}

// minPasswordLen is the shortest password an operator may set (the demo
// users' short passwords are seeded, not set through here).
const minPasswordLen = 8

// readPassword reads the first line of stdin (never a flag: flags show up
// in process listings and shell history) and returns its hash.
func (e *env) readPassword(ctx context.Context) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%w: give the password on standard input (e.g. `printf '%%s\\n' \"$PW\" | spectra user …`)", errUsage)
	}
	if len(pw) < minPasswordLen {
		return "", fmt.Errorf("password too short: at least %d characters", minPasswordLen)
	}
	_ = err // EOF without a newline is fine
	return auth.NewHasher(auth.DefaultArgon2, 1).Hash(ctx, pw)
}

func required(flags map[string]string) error {
	var missing []string
	for name, v := range flags {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", errUsage, strings.Join(missing, ", "))
	}
	return nil
}
