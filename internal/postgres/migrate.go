package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations runs the embedded schema migrations. A PostgreSQL session
// advisory lock serialises them, so any number of instances may start (and
// migrate) at once. That lock belongs to a server session, which a
// transaction pooler such as PgBouncer does not keep: migrations need a
// direct connection, and every method refuses a pooled one with
// ErrPooled.
type Migrations struct {
	db       *sql.DB
	provider *goose.Provider
}

// ErrPooled is returned by the methods of Migrations when the connection
// goes through a connection pooler.
var ErrPooled = errors.New("migrations need a direct connection to PostgreSQL, and this one goes through a connection pooler " +
	"such as PgBouncer (the server process that answers is not the one the connection was opened with), " +
	"which cannot hold the session lock that keeps two migrations apart: point SPECTRA_DATABASE_URL at PostgreSQL itself " +
	"and only SPECTRA_APP_DATABASE_URL at the pooler (docs/operations.md, \"PgBouncer\")")

// OpenMigrations connects to the database at url for migrating it.
func OpenMigrations(url string, logger *slog.Logger) (*Migrations, error) {
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg.ConnConfig)
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	// Waiters retry every second for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(jobsMigration())}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger), goose.WithVerbose(true))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, opts...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrations{db: db, provider: p}, nil
}

// Up applies every pending migration.
func (m *Migrations) Up(ctx context.Context) ([]*goose.MigrationResult, error) {
	if err := m.checkDirect(ctx); err != nil {
		return nil, err
	}
	res, err := m.provider.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate up: %w", err)
	}
	return res, nil
}

// UpTo applies every pending migration up to and including version, as a
// database that an older release migrated would be.
func (m *Migrations) UpTo(ctx context.Context, version int64) ([]*goose.MigrationResult, error) {
	if err := m.checkDirect(ctx); err != nil {
		return nil, err
	}
	res, err := m.provider.UpTo(ctx, version)
	if err != nil {
		return res, fmt.Errorf("migrate up: %w", err)
	}
	return res, nil
}

// Down rolls back the most recent migration.
func (m *Migrations) Down(ctx context.Context) (*goose.MigrationResult, error) {
	if err := m.checkDirect(ctx); err != nil {
		return nil, err
	}
	res, err := m.provider.Down(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate down: %w", err)
	}
	return res, nil
}

// DownTo rolls back every migration above version (0: all of them).
func (m *Migrations) DownTo(ctx context.Context, version int64) ([]*goose.MigrationResult, error) {
	if err := m.checkDirect(ctx); err != nil {
		return nil, err
	}
	res, err := m.provider.DownTo(ctx, version)
	if err != nil {
		return res, fmt.Errorf("migrate down: %w", err)
	}
	return res, nil
}

// Status lists every migration and whether it is applied.
func (m *Migrations) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	if err := m.checkDirect(ctx); err != nil {
		return nil, err
	}
	st, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate status: %w", err)
	}
	return st, nil
}

// Version is the highest applied migration.
func (m *Migrations) Version(ctx context.Context) (int64, error) {
	if err := m.checkDirect(ctx); err != nil {
		return 0, err
	}
	return m.provider.GetDBVersion(ctx)
}

// checkDirect returns ErrPooled when a pooler stands between us and the
// server. PostgreSQL names its server process in the handshake
// (BackendKeyData); a pooler answers the handshake itself, with a key of
// its own, and hands statements to server processes of its choosing.
// Proxies that forward the connection whole (TCP forwarders, SSH tunnels)
// pass the handshake through, and pass.
func (m *Migrations) checkDirect(ctx context.Context) error {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: connect: %w", err)
	}
	defer conn.Close()
	var announced uint32
	if err := conn.Raw(func(dc any) error {
		announced = dc.(*stdlib.Conn).Conn().PgConn().PID()
		return nil
	}); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var pid int64
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if pid != int64(announced) {
		return ErrPooled
	}
	return nil
}

// Close releases the connection.
func (m *Migrations) Close() error { return m.db.Close() }
