// Package pgtest gives each test its own real PostgreSQL database, cloned
// from a migrated template, on a managed cluster that the test binary
// starts (the same pgcluster code as `spectra`'s embedded default) or on
// the server named by SPECTRA_TEST_DATABASE_URL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/pgcluster"
	"github.com/spectra-lab/spectra/internal/postgres"
)

// EnvURL names an existing server to test against instead of a managed
// cluster; its user must be able to create databases and roles.
const EnvURL = "SPECTRA_TEST_DATABASE_URL"

var (
	adminURL string // the server's maintenance database
	template string // the migrated template database
	prefix   string
	counter  atomic.Int64

	seededOnce sync.Once
	seeded     string // the migrated and seeded template database
	seededErr  error
)

// Argon2 is the cheap password hashing of test databases: the demo users'
// passwords are hashed with it, and services under test use it too, so a
// login costs milliseconds (the real parameters are tested in package auth).
var Argon2 = auth.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Main is TestMain for packages that use databases: it brings up the server
// and the template, runs the tests and tears everything down.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	prefix = "t" + randomHex(4)
	if u := os.Getenv(EnvURL); u != "" {
		adminURL = u
	} else {
		dir, err := os.MkdirTemp("", "spectra-pgtest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 2
		}
		defer os.RemoveAll(dir)
		// The cluster's user (postgres, under root) must pass through.
		if err := os.Chmod(dir, 0o711); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 2
		}
		c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir + "/cluster", Ephemeral: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 2
		}
		defer c.Stop()
		adminURL = c.URL("postgres")
	}
	template = prefix + "_template"
	if err := createTemplate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	defer adminExec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{template}.Sanitize()+" WITH (FORCE)")
	code := m.Run()
	if seeded != "" {
		_ = adminExec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{seeded}.Sanitize()+" WITH (FORCE)")
	}
	return code
}

func createTemplate(ctx context.Context) error {
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{template}.Sanitize()); err != nil {
		return err
	}
	m, err := postgres.OpenMigrations(URL(template), nil)
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err = m.Up(ctx); err != nil {
		return err
	}
	// The server's run-time login role, as spectra makes it on its managed
	// cluster (a password too, for a test server reached over TCP).
	db, err := postgres.Open(ctx, URL(template), postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	runtimePassword = randomHex(16)
	return postgres.EnsureRuntimeRole(ctx, db, postgres.RuntimeRole, runtimePassword)
}

var runtimePassword string

// RuntimeURL is the URL of database name as the server's run-time role.
func RuntimeURL(name string) string {
	u, err := url.Parse(adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	u.User = url.UserPassword(postgres.RuntimeRole, runtimePassword)
	return u.String()
}

// URL returns the connection URL of database name on the test server.
func URL(name string) string {
	u, err := url.Parse(adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewDatabase creates a database for t, migrated unless empty is set, and
// returns its URL. It is dropped when t ends.
func NewDatabase(t testing.TB, empty bool) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d", prefix, counter.Add(1))
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if !empty {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := adminExec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return URL(name)
}

// NewDB opens a pool on a fresh migrated database for t.
func NewDB(t testing.TB) *postgres.DB {
	t.Helper()
	return open(t, NewDatabase(t, false))
}

// NewSeededDB opens a pool on a fresh database holding the demo data
// (passwords hashed with Argon2), cloned from a template seeded once per
// test binary.
func NewSeededDB(t testing.TB) *postgres.DB {
	t.Helper()
	owner, _ := NewSeededDBs(t)
	return owner
}

// NewSeededDBs is NewSeededDB with a second pool on the same database as
// the server's run-time role (postgres.RuntimeRole), which is what a
// server under test should serve through: least privilege, as in
// production.
func NewSeededDBs(t testing.TB) (owner, runtime *postgres.DB) {
	t.Helper()
	seededOnce.Do(func() { seeded, seededErr = createSeeded() })
	if seededErr != nil {
		t.Fatalf("pgtest: seeded template: %v", seededErr)
	}
	name := fmt.Sprintf("%s_%d", prefix, counter.Add(1))
	if err := adminExec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{seeded}.Sanitize()); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return open(t, URL(name)), open(t, RuntimeURL(name))
}

func createSeeded() (string, error) {
	ctx := context.Background()
	name := prefix + "_seeded"
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize()); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, URL(name), postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		return "", err
	}
	defer db.Close()
	h := auth.NewHasher(Argon2, 2)
	return name, postgres.Seed(ctx, db, postgres.DemoOrgs, h.Hash, time.Now())
}

func open(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.PoolOptions{MaxConns: 8})
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
