// Package postgres holds every line of SQL: the connection pool, the tenant
// transaction every request runs in, the embedded migrations, the demo data,
// and one file per entity.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// AppRole is the NOLOGIN, NOBYPASSRLS role every tenant transaction runs as.
const AppRole = "spectra_app"

// AuthRole is the one role that reads across organizations: logins,
// memberships, sessions (authTx, and Profile's memberships).
const AuthRole = "spectra_auth"

// DB is the application's handle on PostgreSQL.
type DB struct {
	pool     *pgxpool.Pool
	timeouts Timeouts
	// outOfSpace is when a statement last failed for want of storage
	// space (SQLSTATE 53100), in Unix nanoseconds; 0: never.
	outOfSpace atomic.Int64
	// onEmail queues, in each transaction, the e-mails it asks for
	// (OnEmail); nil: none are sent.
	onEmail EmailQueue
}

// PoolOptions tune the connection pool.
type PoolOptions struct {
	MaxConns int32
	Timeouts Timeouts
}

// Default bounds of a request's statements and lock waits.
const (
	DefaultStatementTimeout = 30 * time.Second
	DefaultLockTimeout      = 5 * time.Second
)

// Timeouts bound every statement and every lock wait of a request's
// transaction (statement_timeout, lock_timeout). They are set per
// transaction, in its first round trip and transaction-local, so they hold
// behind a transaction-pooling PgBouncer too; zero means the default.
// Migrations and operator commands run unbounded.
type Timeouts struct {
	Statement time.Duration
	Lock      time.Duration
}

func (t Timeouts) orDefault() Timeouts {
	if t.Statement <= 0 {
		t.Statement = DefaultStatementTimeout
	}
	if t.Lock <= 0 {
		t.Lock = DefaultLockTimeout
	}
	return t
}

// setConfig is the select-list part that sets them for the transaction.
func (t Timeouts) setConfig() string {
	return fmt.Sprintf("set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)",
		quote(msString(t.Statement)), quote(msString(t.Lock)))
}

// setLocal is setConfig as a statement of its own.
func (t Timeouts) setLocal() string { return "SELECT " + t.setConfig() }

// Open connects a pool to url and checks that the server answers.
func Open(ctx context.Context, url string, opts PoolOptions) (*DB, error) {
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, err
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.ConnConfig.RuntimeParams["application_name"] = "spectra"
	cfg.AfterConnect = registerTypes
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return &DB{pool: pool, timeouts: opts.Timeouts.orDefault()}, nil
}

// registerTypes names the PostgreSQL types of Go types pgx cannot place by
// itself. The execution modes that suit PgBouncer's transaction pooling
// (default_query_exec_mode=exec or simple_protocol in the URL:
// docs/operations.md, "PgBouncer") ask the server nothing about a
// statement's parameters and go by the Go type alone.
func registerTypes(_ context.Context, c *pgx.Conn) error {
	m := c.TypeMap()
	// Times leave the database in UTC, whatever the process's zone: the
	// API's range (to the end of 9999 in UTC, spectra.LatestTime) must not
	// become the year 10000, which JSON cannot write, in a zone east of UTC.
	m.RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	m.RegisterType(&pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}})
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID,
		Codec: &pgtype.ArrayCodec{ElementType: &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}}})
	m.RegisterDefaultPgType(uuid.UUID{}, "uuid")
	m.RegisterDefaultPgType([]uuid.UUID{}, "_uuid")
	return nil
}

func parseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included: keep it out.
		return nil, fmt.Errorf("postgres: invalid database URL")
	}
	return cfg, nil
}

// Ping reports whether the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// OutOfSpaceHold is how long Ready reports a database that refused a
// write for want of storage space as not ready: a load balancer then
// sends writes elsewhere for a while, and the probe tries again after it.
const OutOfSpaceHold = 15 * time.Second

// Ready is the readiness check: the database answers, and no statement
// ran out of storage space (SQLSTATE 53100) within OutOfSpaceHold. A
// database may answer a ping with a full disk; only its writes tell.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return &spectra.Error{Code: spectra.CodeUnavailable, Message: "database unavailable", RetryAfter: retryOutage,
			Err: fmt.Errorf("ready: ping: %w", err)}
	}
	if at := db.outOfSpace.Load(); at != 0 {
		if since := time.Since(time.Unix(0, at)); since < OutOfSpaceHold {
			return &spectra.Error{Code: spectra.CodeUnavailable, RetryAfter: OutOfSpaceHold - since,
				Message: fmt.Sprintf("the database ran out of storage space %s ago", since.Round(time.Second))}
		}
	}
	return nil
}

// unavailable is unavailableError, remembering a refusal for want of
// space for Ready. Every transaction entry point returns through it.
func (db *DB) unavailable(ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "53100" {
		db.outOfSpace.Store(time.Now().UnixNano())
	}
	return unavailableError(ctx, err)
}

// Pool exposes the pool to this module's tests and tools.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }
