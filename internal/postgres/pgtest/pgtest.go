// Package pgtest gives each test its own real PostgreSQL database, cloned
// from a migrated template, on a managed cluster that the test binary
// starts (the same pgcluster code as `spectra`'s embedded default) or on
// the server named by SPECTRA_TEST_DATABASE_URL. With SPECTRA_TEST_PGBOUNCER
// set, the run-time role's pools go through a private PgBouncer in
// transaction pooling mode, as in a deployment behind one.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/pgbouncertest"
	"github.com/spectra-lab/spectra/internal/pgcluster"
	"github.com/spectra-lab/spectra/internal/postgres"
)

// EnvURL names an existing server to test against instead of a managed
// cluster; its user must be able to create databases and roles.
const EnvURL = "SPECTRA_TEST_DATABASE_URL"

// EnvPgBouncer, when set, makes the run-time role's pools (NewSeededDBs)
// connect through PgBouncer in transaction pooling mode: "1" with the
// execution mode documented for it (PooledExecMode), any other value names
// the pgx default_query_exec_mode to use. Without a pgbouncer binary the
// tests fail.
const EnvPgBouncer = "SPECTRA_TEST_PGBOUNCER"

// PooledExecMode is the pgx default_query_exec_mode that docs/operations.md
// prescribes behind PgBouncer in transaction pooling mode.
const PooledExecMode = "exec"

// EnvOwner chooses who owns the test databases. Unset: the server's
// superuser, as on the managed cluster. "nonsuper": a login role with
// CREATEROLE and nothing else (RDS, Cloud SQL), which runs the migrations
// (creating spectra_app and spectra_auth itself on a fresh cluster), the
// seed and every test's owner connections. Any other value fails the run.
const EnvOwner = "SPECTRA_TEST_OWNER"

// NonsuperOwner is the owner role of the "nonsuper" mode.
const NonsuperOwner = "spectra_test_owner"

var (
	adminURL string // the server's maintenance database, as its superuser
	ownerURL string // the same as the test databases' owner
	owner    string // that owner's name ("" : the superuser)
	template string // the migrated template database
	prefix   string
	counter  atomic.Int64

	seededOnce sync.Once
	seeded     string // the migrated and seeded template database
	seededErr  error

	bouncerOnce sync.Once
	bouncer     *pgbouncertest.Bouncer // started on first use
	bouncerErr  error

	filesOnce sync.Once
	files     *blobstore.Dir // the seeded databases' files (the demo runs' raw files)
	filesDir  string
	filesErr  error
)

// Files is the store of the seeded databases' files: the demo runs' raw
// instrument files are there, as `spectra seed` keeps them. A test that
// adds files may use it (keys are random) or a store of its own.
func Files(t testing.TB) *blobstore.Dir {
	t.Helper()
	if err := openFiles(); err != nil {
		t.Fatal(err)
	}
	return files
}

func openFiles() error {
	filesOnce.Do(func() {
		if filesDir, filesErr = os.MkdirTemp("", "spectra-pgtest-files-"); filesErr == nil {
			files, filesErr = blobstore.NewDir(filesDir)
		}
	})
	return filesErr
}

// Argon2 is the cheap password hashing of test databases: the demo users'
// passwords are hashed with it, and services under test use it too, so a
// login costs milliseconds (the real parameters are tested in package auth).
var Argon2 = auth.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Main is TestMain for packages that use databases: it brings up the server
// and the template, runs the tests and tears everything down.
func Main(m *testing.M, cleanups ...func()) {
	os.Exit(run(m, cleanups))
}

func run(m *testing.M, cleanups []func()) int {
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
	ownerURL = adminURL
	if err := setUpOwner(ctx, os.Getenv(EnvOwner)); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	template = prefix + "_template"
	if err := createTemplate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	defer adminExec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{template}.Sanitize()+" WITH (FORCE)")
	if os.Getenv(EnvPgBouncer) != "" {
		if _, err := startBouncer(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %s is set: %v\n", EnvPgBouncer, err)
			return 2
		}
	}
	code := m.Run()
	for _, c := range cleanups {
		c() // the package's own servers
	}
	if bouncer != nil {
		_ = bouncer.Stop()
	}
	if seeded != "" {
		_ = adminExec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{seeded}.Sanitize()+" WITH (FORCE)")
	}
	if filesDir != "" {
		os.RemoveAll(filesDir)
	}
	return code
}

// setUpOwner makes the owner role of mode (EnvOwner) and checks that it is
// what the mode promises: a test run that asked for a non-superuser owner
// and got anything else fails.
func setUpOwner(ctx context.Context, mode string) error {
	switch mode {
	case "":
		return nil
	case "nonsuper":
	default:
		return fmt.Errorf("%s=%q: want nonsuper or nothing", EnvOwner, mode)
	}
	password := randomHex(16)
	role := pgx.Identifier{NonsuperOwner}.Sanitize()
	if err := adminExec(ctx, fmt.Sprintf(`DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %[1]s) THEN
			CREATE ROLE %[2]s LOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOBYPASSRLS NOREPLICATION;
		END IF;
		ALTER ROLE %[2]s LOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOBYPASSRLS NOREPLICATION PASSWORD %[3]s;
		END $$`, quoteLiteral(NonsuperOwner), role, quoteLiteral(password))); err != nil {
		return fmt.Errorf("create the owner role %s: %w", NonsuperOwner, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return err
	}
	u.User = url.UserPassword(NonsuperOwner, password)
	ownerURL, owner = u.String(), NonsuperOwner
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return fmt.Errorf("connect as %s: %w", NonsuperOwner, err)
	}
	defer conn.Close(context.Background())
	var super, createRole, bypass bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user`).
		Scan(&super, &createRole, &bypass); err != nil {
		return err
	}
	if super || bypass || !createRole {
		return fmt.Errorf("%s=nonsuper: the owner %s is superuser=%t, bypassrls=%t, createrole=%t", EnvOwner, NonsuperOwner, super, bypass, createRole)
	}
	return nil
}

// Owner is the role that owns the test databases, runs their migrations
// and the seed, and that URL connects as: NonsuperOwner in the "nonsuper"
// mode, "" (the server's superuser) otherwise.
func Owner() string { return owner }

// AdminURL is the URL of the server's maintenance database as its
// superuser, for tests that set up roles or databases of their own.
func AdminURL() string { return adminURL }

// createDatabase creates database name (as a copy of template, if not
// empty) owned by the test databases' owner.
func createDatabase(ctx context.Context, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if owner != "" {
		sql += " OWNER " + pgx.Identifier{owner}.Sanitize()
	}
	return adminExec(ctx, sql)
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func createTemplate(ctx context.Context) error {
	if err := createDatabase(ctx, template, ""); err != nil {
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

// URL returns the connection URL of database name on the test server, as
// its owner (see Owner).
func URL(name string) string {
	u, err := url.Parse(ownerURL)
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
	from := template
	if empty {
		from = ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := createDatabase(ctx, name, from); err != nil {
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
	if err := createDatabase(context.Background(), name, seeded); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	rt := RuntimeURL(name)
	if os.Getenv(EnvPgBouncer) != "" {
		rt = PooledURL(t, name, postgres.RuntimeRole)
	}
	return open(t, URL(name)), open(t, rt)
}

// Inspector opens db's database as the test server's superuser, for a
// test's own set-up and checks (counting rows across organizations,
// putting a row in a state), which are not the product's and need not obey
// row-level security. With the superuser as owner it is the owner's pool;
// with SPECTRA_TEST_OWNER=nonsuper the product still migrates, seeds and
// serves as the non-superuser roles.
func Inspector(t testing.TB, db *postgres.DB) *postgres.DB {
	t.Helper()
	if owner == "" {
		return db
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + db.Pool().Config().ConnConfig.Database
	return open(t, u.String())
}

// InspectorURL is dbURL (a test database's) as the test server's
// superuser: what Inspector connects to.
func InspectorURL(dbURL string) string {
	if owner == "" {
		return dbURL
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(err)
	}
	a, err := url.Parse(adminURL)
	if err != nil {
		panic(err)
	}
	u.User = a.User
	return u.String()
}

func createSeeded() (string, error) {
	ctx := context.Background()
	name := prefix + "_seeded"
	if err := createDatabase(ctx, name, template); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, URL(name), postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		return "", err
	}
	defer db.Close()
	h := auth.NewHasher(Argon2, 2)
	if err := openFiles(); err != nil {
		return "", err
	}
	return name, postgres.SeedWithFiles(ctx, db, postgres.DemoOrgs, h.Hash, time.Now(), files)
}

// PooledURL is the URL of database name as role (the run-time role or the
// test server's superuser) through the test binary's PgBouncer, which it
// starts on first use; the test fails when PgBouncer cannot run.
func PooledURL(t testing.TB, name, role string) string {
	t.Helper()
	b, err := startBouncer()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	admin, err := pgconn.ParseConfig(adminURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	password := runtimePassword
	if role != postgres.RuntimeRole {
		role, password = admin.User, admin.Password
	}
	mode := os.Getenv(EnvPgBouncer)
	if mode == "" || mode == "1" {
		mode = PooledExecMode
	}
	q := url.Values{}
	q.Set("host", b.Host())
	q.Set("port", fmt.Sprint(b.Port()))
	q.Set("default_query_exec_mode", mode)
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, password), Path: "/" + name, RawQuery: q.Encode()}
	return u.String()
}

// Reopen opens another pool on db's database as db's role, through
// PgBouncer (pooled) or straight to the server; it closes when t ends.
func Reopen(t testing.TB, db *postgres.DB, pooled bool) *postgres.DB {
	t.Helper()
	cfg := db.Pool().Config().ConnConfig
	if pooled {
		return open(t, PooledURL(t, cfg.Database, cfg.User))
	}
	if cfg.User == postgres.RuntimeRole {
		return open(t, RuntimeURL(cfg.Database))
	}
	return open(t, URL(cfg.Database))
}

// Bouncer is the test binary's PgBouncer (started on first use), for tests
// that look at it; the test fails when it cannot run.
func Bouncer(t testing.TB) *pgbouncertest.Bouncer {
	t.Helper()
	b, err := startBouncer()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return b
}

func startBouncer() (*pgbouncertest.Bouncer, error) {
	bouncerOnce.Do(func() {
		var admin *pgconn.Config
		admin, bouncerErr = pgconn.ParseConfig(adminURL)
		if bouncerErr != nil {
			return
		}
		bouncer, bouncerErr = pgbouncertest.Start(pgbouncertest.Options{
			Host: admin.Host, Port: admin.Port,
			Users: map[string]string{postgres.RuntimeRole: runtimePassword, admin.User: admin.Password},
		})
	})
	return bouncer, bouncerErr
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

// InOrg runs fn in a transaction of db's own role (the owner's, for the
// pools this package opens) with app.org_id set to org, as the seed and the
// operator commands write: an owner that is no superuser is subject to the
// tenant tables' forced row-level security like everyone else.
func InOrg(tb testing.TB, db *postgres.DB, org uuid.UUID, fn func(pgx.Tx) error) {
	tb.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, org.String()); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil {
		tb.Fatalf("pgtest: in organization %s: %v", org, err)
	}
}

// EachOrg runs fn in InOrg for every organization of db, in id order.
func EachOrg(tb testing.TB, db *postgres.DB, fn func(tx pgx.Tx, org uuid.UUID) error) {
	tb.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT id FROM organizations ORDER BY id`)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	orgs, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	for _, org := range orgs {
		InOrg(tb, db, org, func(tx pgx.Tx) error { return fn(tx, org) })
	}
}

// OwnerExec is InOrg for one statement whose error the test examines.
func OwnerExec(ctx context.Context, db *postgres.DB, org uuid.UUID, sql string, args ...any) error {
	return pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, org.String()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql, args...)
		return err
	})
}
