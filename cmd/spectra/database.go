package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/pgcluster"
	"github.com/spectra-lab/spectra/internal/postgres"
)

// managedDatabase is the database spectra creates in its managed cluster.
const managedDatabase = "spectra"

// database returns the URL of the database to use and a function that
// releases it: the configured server, or the managed cluster under the data
// directory (started now, stopped by the release function).
func (e *env) database(ctx context.Context) (string, func(), error) {
	if !e.cfg.Managed() {
		return e.cfg.DatabaseURL, func() {}, nil
	}
	restarts := e.cfg.PGMaxRestarts
	if restarts == 0 {
		restarts = -1 // pgcluster's "never"
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: e.cfg.DataDir, BinDir: e.cfg.PGBinDir, Logger: e.logger, MaxRestarts: restarts})
	if err != nil {
		if errors.Is(err, pgcluster.ErrInUse) {
			return "", nil, fmt.Errorf("%w\nAnother spectra process is using %s; stop it, or point SPECTRA_DATA_DIR elsewhere", err, e.cfg.DataDir)
		}
		return "", nil, err
	}
	e.cluster = c
	stop := func() {
		e.cluster = nil
		if err := c.Stop(); err != nil {
			e.logger.Error("stopping managed postgresql", "err", err)
		}
	}
	if err := ensureDatabase(ctx, c.URL("postgres"), managedDatabase); err != nil {
		stop()
		return "", nil, err
	}
	return c.URL(managedDatabase), stop, nil
}

func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to managed cluster: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// migrateUp applies pending migrations, logging what it applied.
func (e *env) migrateUp(ctx context.Context, url string) error {
	m, err := postgres.OpenMigrations(url, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := m.Up(ctx)
	for _, r := range res {
		e.logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return err
}

// withDB runs fn with an open pool on the (possibly managed) database,
// migrated first when migrate is set.
func (e *env) withDB(ctx context.Context, migrate bool, fn func(url string, db *postgres.DB) error) error {
	url, release, err := e.database(ctx)
	if err != nil {
		return err
	}
	defer release()
	if migrate {
		if err := e.migrateUp(ctx, url); err != nil {
			return err
		}
	}
	db, err := postgres.Open(ctx, url, e.poolOptions())
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(url, db)
}

// poolOptions are the configured pool size and request timeouts.
func (e *env) poolOptions() postgres.PoolOptions {
	return postgres.PoolOptions{MaxConns: e.cfg.DBMaxConns,
		Timeouts: postgres.Timeouts{Statement: e.cfg.DBStatementTimeout, Lock: e.cfg.DBLockTimeout}}
}
