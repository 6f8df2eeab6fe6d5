package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/spectra-lab/spectra/internal/postgres"
)

func cmdMigrateUp(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		url, release, err := e.database(ctx)
		if err != nil {
			return err
		}
		defer release()
		if err := e.migrateUp(ctx, url); err != nil {
			return err
		}
		return printStatus(ctx, e, url)
	}
}

func cmdMigrateDown(fs *flag.FlagSet) func(context.Context, *env) error {
	to := fs.Int64("to", -1, "roll back every migration above this version (0: all of them)")
	return func(ctx context.Context, e *env) error {
		url, release, err := e.database(ctx)
		if err != nil {
			return err
		}
		defer release()
		m, err := postgres.OpenMigrations(url, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		if *to >= 0 {
			res, err := m.DownTo(ctx, *to)
			for _, r := range res {
				fmt.Fprintf(e.stdout, "rolled back %d %s\n", r.Source.Version, r.Source.Path)
			}
			return err
		}
		r, err := m.Down(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "rolled back %d %s\n", r.Source.Version, r.Source.Path)
		return nil
	}
}

func cmdMigrateStatus(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		url, release, err := e.database(ctx)
		if err != nil {
			return err
		}
		defer release()
		return printStatus(ctx, e, url)
	}
}

func printStatus(ctx context.Context, e *env, url string) error {
	m, err := postgres.OpenMigrations(url, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tSTATE\tAPPLIED AT\tFILE")
	for _, s := range st {
		at := "-"
		if !s.AppliedAt.IsZero() {
			at = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, at, s.Source.Path)
	}
	return w.Flush()
}
