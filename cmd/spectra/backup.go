package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/spectra-lab/spectra/internal/pgcluster"
)

// Backups are PostgreSQL's own custom-format dumps: everything spectra
// keeps is in its database. The roles (spectra_app, spectra_auth) belong to
// the cluster, so a restore runs against a database that `migrate up` has
// prepared once, or a cluster where they exist.

func cmdBackup(fs *flag.FlagSet) func(context.Context, *env) error {
	file := fs.String("file", "", "where to write the backup (required)")
	return func(ctx context.Context, e *env) error {
		if err := required(map[string]string{"--file": *file}); err != nil {
			return err
		}
		return e.pgTool(ctx, "pg_dump", "--format=custom", "--no-owner", "--file="+*file)
	}
}

func cmdRestore(fs *flag.FlagSet) func(context.Context, *env) error {
	file := fs.String("file", "", "the backup to restore (required); replaces the database's contents")
	return func(ctx context.Context, e *env) error {
		if err := required(map[string]string{"--file": *file}); err != nil {
			return err
		}
		if _, err := os.Stat(*file); err != nil {
			return err
		}
		return e.pgTool(ctx, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", *file)
	}
}

// pgTool runs a PostgreSQL client program against the database (the
// managed cluster is started for it), the connection URL last.
func (e *env) pgTool(ctx context.Context, name string, args ...string) error {
	tool, err := pgcluster.Tool(e.cfg.PGBinDir, name)
	if err != nil {
		return err
	}
	url, release, err := e.database(ctx)
	if err != nil {
		return err
	}
	defer release()
	flagName := "--dbname="
	cmd := exec.CommandContext(ctx, tool, append(args, flagName+url)...)
	cmd.Stdout, cmd.Stderr = e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(e.stdout, "%s done\n", name)
	return nil
}
