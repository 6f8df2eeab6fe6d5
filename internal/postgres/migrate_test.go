package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// TestMigrationsWalk applies every migration, rolls all of them back to an
// empty schema, and applies them again: each down part is exercised and
// undoes exactly its up part.
func TestMigrationsWalk(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, true)
	m, err := postgres.OpenMigrations(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	up, err := m.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(up) < 3 {
		t.Fatalf("applied %d migrations, want at least 3", len(up))
	}
	full := schemaObjects(t, url)
	if full < 40 {
		t.Fatalf("only %d schema objects after up", full)
	}

	if _, err := m.DownTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Version(ctx); err != nil || v != 0 {
		t.Fatalf("version after down = %d, %v; want 0", v, err)
	}
	if n := schemaObjects(t, url); n != 0 {
		t.Fatalf("%d schema objects left after down to zero", n)
	}

	again, err := m.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(up) {
		t.Fatalf("second up applied %d migrations, first %d", len(again), len(up))
	}
	if n := schemaObjects(t, url); n != full {
		t.Fatalf("schema objects after second up = %d, after first = %d", n, full)
	}

	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.State != "applied" {
			t.Errorf("migration %d state %q", s.Source.Version, s.State)
		}
	}
}

// schemaObjects counts the tables, functions and policies of the public
// schema, apart from goose's own bookkeeping.
func schemaObjects(t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		         WHERE n.nspname = 'public' AND c.relname NOT LIKE 'goose_db_version%')
		     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		         WHERE n.nspname = 'public' AND p.proname LIKE 'spectra_%')
		     + (SELECT count(*) FROM pg_policy)`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Several instances starting at once migrate one after the other under the
// advisory lock: every migration is applied exactly once, nobody fails.
func TestMigrationsConcurrentInstances(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, true)
	const instances = 4
	applied := make(chan int, instances)
	errs := make(chan error, instances)
	for i := 0; i < instances; i++ {
		go func() {
			m, err := postgres.OpenMigrations(url, nil)
			if err != nil {
				errs <- err
				return
			}
			defer m.Close()
			res, err := m.Up(ctx)
			applied <- len(res)
			errs <- err
		}()
	}
	total := 0
	for i := 0; i < instances; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("instance failed: %v", err)
		}
		total += <-applied
	}
	m, err := postgres.OpenMigrations(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(st) {
		t.Fatalf("instances applied %d migrations in all, want each of the %d once", total, len(st))
	}
}

// TestMigrationsRefusePooledConnection gives the migrations a URL through
// PgBouncer in transaction pooling mode: every command refuses with
// ErrPooled, naming the direct connection it needs, and the database is
// left untouched.
func TestMigrationsRefusePooledConnection(t *testing.T) {
	ctx := context.Background()
	direct := pgtest.NewDatabase(t, true)
	cfg, err := pgx.ParseConfig(direct)
	if err != nil {
		t.Fatal(err)
	}
	m, err := postgres.OpenMigrations(pgtest.PooledURL(t, cfg.Database, cfg.User), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, upErr := m.Up(ctx)
	_, statusErr := m.Status(ctx)
	_, downErr := m.DownTo(ctx, 0)
	for name, err := range map[string]error{"up": upErr, "status": statusErr, "down": downErr} {
		if !errors.Is(err, postgres.ErrPooled) || !strings.Contains(err.Error(), "direct connection") {
			t.Errorf("%s through PgBouncer: %v, want ErrPooled", name, err)
		}
	}
	conn, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("tables after refused migrations = %d (%v), want 0", tables, err)
	}

	// The same database, directly: migrations run.
	d, err := postgres.OpenMigrations(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Up(ctx); err != nil {
		t.Fatalf("direct: %v", err)
	}
}

// TestMigrationsWalkWithData rolls a seeded database back to zero and up
// again: the down parts' data fix-ups (00007's model states) must reach
// every organization's rows, also for an owner under row-level security
// (SPECTRA_TEST_OWNER=nonsuper), for whom a plain UPDATE changes nothing.
func TestMigrationsWalkWithData(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewSeededDB(t)
	var name string
	if err := db.Pool().QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	m, err := postgres.OpenMigrations(pgtest.URL(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Down to before 00007: the seeded validated models are 'ready' again.
	if _, err := m.DownTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	var ready int
	pgtest.EachOrg(t, db, func(tx pgx.Tx, _ uuid.UUID) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM models WHERE organization_id = spectra_current_org() AND status = 'ready'`).Scan(&n)
		ready += n
		return err
	})
	if ready != len(postgres.DemoOrgs) {
		t.Fatalf("%d models 'ready' after down to 6, want one per organization", ready)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DownTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
