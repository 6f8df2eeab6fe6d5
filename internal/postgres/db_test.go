package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// When the server drops every connection (a restart, a failover), the next
// transactions succeed on fresh connections: the pool recovers by itself.
func TestPoolRecoversFromLostConnections(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org := newOrg(t, db, "restart")
	tenant := postgres.Tenant{OrgID: org, Auth: "system"}
	work := func() error {
		return db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO projects (organization_id, code, name) VALUES ($1, gen_random_uuid()::text, 'p')`, org)
			return err
		})
	}
	for i := 0; i < 4; i++ { // fill the pool with live connections
		if err := work(); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := pgx.Connect(ctx, pgtest.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1`, dbName(t, db)).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no pooled connection was terminated")
	}
	deadline := time.Now().Add(10 * time.Second)
	ok := 0
	for ok < 5 && time.Now().Before(deadline) {
		if err := work(); err == nil {
			ok++
		}
	}
	if ok < 5 {
		t.Fatalf("the pool did not recover: %d good transactions", ok)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping after recovery: %v", err)
	}
}

func dbName(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var name string
	if err := db.Pool().QueryRow(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// Times are scanned in UTC whatever the process's zone, so that the last
// instant the API accepts (the end of 9999 in UTC) is written back as
// 9999, not as the year 10000 of a zone east of UTC.
func TestTimesScanInUTC(t *testing.T) {
	db := pgtest.NewDB(t)
	var ts time.Time
	if err := db.Pool().QueryRow(context.Background(), `SELECT '9999-12-31T23:59:59.999999Z'::timestamptz`).Scan(&ts); err != nil {
		t.Fatal(err)
	}
	if ts.Location() != time.UTC || ts.Year() != 9999 {
		t.Fatalf("scanned %v in %v, want UTC", ts, ts.Location())
	}
	if _, err := ts.MarshalJSON(); err != nil {
		t.Fatalf("the latest time cannot be written back: %v", err)
	}
}
