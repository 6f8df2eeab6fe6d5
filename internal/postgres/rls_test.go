package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// twoOrgs creates organizations A and B, each with one project and one
// sample, written through tenant transactions.
func twoOrgs(t *testing.T, db *postgres.DB) (a, b uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	a, b = newOrg(t, db, "org-a"), newOrg(t, db, "org-b")
	for _, org := range []uuid.UUID{a, b} {
		err := db.InTenant(ctx, postgres.Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'S-1', 'first')`, org)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

func newOrg(t *testing.T, db *postgres.DB, slug string) uuid.UUID {
	t.Helper()
	id, err := db.CreateOrganization(context.Background(), slug, slug)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRLSIsolatesOrganizations(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	a, b := twoOrgs(t, db)

	err := db.InTenant(ctx, postgres.Tenant{OrgID: a, Auth: "system"}, func(tx pgx.Tx) error {
		var role string
		if err := tx.QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil {
			return err
		}
		if role != postgres.AppRole {
			t.Errorf("tenant transaction runs as %q, want %q", role, postgres.AppRole)
		}
		// Even asked for explicitly, B's rows are not there.
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM samples WHERE organization_id = $1`, b).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("org A sees %d of org B's samples", n)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM samples`).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("org A sees %d samples, want its own 1", n)
		}
		tag, err := tx.Exec(ctx, `UPDATE samples SET name = 'stolen' WHERE organization_id = $1`, b)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("UPDATE of org B's samples touched %d rows", tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// DELETE (on a table the application may delete from) touches nothing of B's.
	seedDenylist(t, db, b)
	err = db.InTenant(ctx, postgres.Tenant{OrgID: a, Auth: "system"}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM token_denylist`)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("DELETE as org A removed %d of org B's rows", tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// INSERT with the other organization's id is refused by the policy.
	err = db.InTenant(ctx, postgres.Tenant{OrgID: a, Auth: "system"}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'S-X', 'planted')`, b)
		return err
	})
	if !isRLSViolation(err) {
		t.Fatalf("INSERT into org B as org A: got %v, want an RLS violation (42501)", err)
	}

	var name string
	pgtest.InOrg(t, db, b, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT name FROM samples WHERE organization_id = $1`, b).Scan(&name)
	})
	if name != "first" {
		t.Fatalf("org B's sample was changed to %q", name)
	}
}

func seedDenylist(t *testing.T, db *postgres.DB, org uuid.UUID) {
	t.Helper()
	err := db.InTenant(context.Background(), postgres.Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(),
			`INSERT INTO token_denylist (organization_id, jti, expires_at) VALUES ($1, $2, now() + interval '1 hour')`, org, uuid.New())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Without app.org_id the application role sees nothing and writes nothing.
func TestRLSWithoutOrganization(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	a, _ := twoOrgs(t, db)

	if err := db.InTenant(ctx, postgres.Tenant{}, func(pgx.Tx) error { return nil }); !errors.Is(err, postgres.ErrNoTenant) {
		t.Fatalf("InTenant without org: got %v, want ErrNoTenant", err)
	}

	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE spectra_app`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM samples`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("no org set: %d samples visible, want 0", n)
	}
	_, err = tx.Exec(ctx, `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'S-Y', 'x')`, a)
	if !isRLSViolation(err) {
		t.Fatalf("no org set: INSERT got %v, want an RLS violation", err)
	}
}

// A pool of one connection serving two organizations in turn: the tenant
// settings are transaction-scoped and never carry over.
func TestRLSPooledConnectionNeverLeaks(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, false)
	db, err := postgres.Open(ctx, url, postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := twoOrgs(t, db)
	for i := 0; i < 20; i++ {
		org, other := a, b
		if i%2 == 1 {
			org, other = b, a
		}
		err := db.InTenant(ctx, postgres.Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
			var own, foreign int
			err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE organization_id = $1),
			                                count(*) FILTER (WHERE organization_id = $2) FROM samples`, org, other).Scan(&own, &foreign)
			if err != nil {
				return err
			}
			if own != 1 || foreign != 0 {
				t.Errorf("round %d: own=%d foreign=%d, want 1 and 0", i, own, foreign)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Between transactions the connection is back to its login role with no tenant.
		assertNoTenantLeft(t, db.Pool())
	}
}

func assertNoTenantLeft(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var role, org string
	err := pool.QueryRow(context.Background(),
		`SELECT current_user, coalesce(current_setting('app.org_id', true), '')`).Scan(&role, &org)
	if err != nil {
		t.Fatal(err)
	}
	if role == postgres.AppRole || org != "" {
		t.Fatalf("after a tenant transaction: role=%q app.org_id=%q leaked", role, org)
	}
}

func isRLSViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

// TestTenantInputErrors: a value the database cannot store, met by any
// statement of a tenant transaction, is the client's error (CodeInvalid),
// and nothing of the transaction is written.
func TestTenantInputErrors(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	org := newOrg(t, db, "org-input")
	for name, stmt := range map[string]string{
		"NUL in text":  `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'S-2', 'a' || chr(0))`,
		"NUL in jsonb": `INSERT INTO samples (organization_id, barcode, name, metadata) VALUES ($1, 'S-2', 'n', '{"k":"\u0000"}')`,
	} {
		err := db.InTenant(ctx, postgres.Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'S-1', 'ok')`, org); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, stmt, org)
			return err
		})
		var se *spectra.Error
		if !errors.As(err, &se) || se.Code != spectra.CodeInvalid {
			t.Errorf("%s: err = %v; want CodeInvalid", name, err)
		}
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM samples WHERE organization_id = $1`, org).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d samples written (%v); want none", name, n, err)
		}
	}
}
