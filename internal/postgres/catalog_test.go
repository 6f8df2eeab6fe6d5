package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// tenantTables is every table of PRODUCT.md (and the seed) that belongs to
// an organization. The catalog test also finds them by their column, so a
// table added later is held to the same rules without editing this list;
// the list makes sure none of these goes missing.
var tenantTables = []string{
	"memberships", "api_keys", "refresh_tokens", "token_denylist",
	"projects", "samples", "wafers", "devices", "instruments", "calibrations",
	"recipes", "recipe_approvals", "sops", "eln_entries", "eln_links", "signatures",
	"custody_events", "runs", "run_instruments", "run_transitions", "run_results",
	"spc_series", "spc_points", "spc_alerts", "feature_sets", "models", "audit_log",
}

// TestCatalogTenantShape checks, from PostgreSQL's catalog, that every table
// carrying organization_id is a proper tenant table: RLS enabled and forced,
// a policy, organization_id leading its primary key, every unique key and
// every index, and every foreign key to another tenant table including it.
// That is also the shape a sharded PostgreSQL (Citus) needs to distribute
// the tables by organization_id.
func TestCatalogTenantShape(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t).Pool()

	rows, err := pool.Query(ctx, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
		  FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		 WHERE c.relkind = 'r'
		   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
		                AND a.attname = 'organization_id' AND NOT a.attisdropped)
		 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for rows.Next() {
		var name string
		var rls, force bool
		var policies int
		if err := rows.Scan(&name, &rls, &force, &policies); err != nil {
			t.Fatal(err)
		}
		found = append(found, name)
		if !rls || !force {
			t.Errorf("%s: row-level security enabled=%v forced=%v, want both", name, rls, force)
		}
		if policies == 0 {
			t.Errorf("%s: no RLS policy", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range tenantTables {
		if !slices.Contains(found, want) {
			t.Errorf("tenant table %s is missing (or lacks organization_id)", want)
		}
	}

	// Every index (primary keys and unique keys are indexes too) of a
	// tenant table leads with organization_id.
	rows, err = pool.Query(ctx, `
		SELECT t.relname, i.relname
		  FROM pg_index x
		  JOIN pg_class t ON t.oid = x.indrelid
		  JOIN pg_class i ON i.oid = x.indexrelid
		  JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
		 WHERE EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
		   AND (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = x.indkey[0]) IS DISTINCT FROM 'organization_id'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, index string
		if err := rows.Scan(&table, &index); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s: index %s does not lead with organization_id", table, index)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// The primary key of every tenant table is (organization_id, …).
	rows, err = pool.Query(ctx, `
		SELECT t.relname
		  FROM pg_class t
		  JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
		 WHERE t.relkind = 'r'
		   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
		   AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = t.oid AND k.contype = 'p'
		                    AND (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = k.conkey[1]) = 'organization_id')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s: primary key does not lead with organization_id", table)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Every foreign key between two tenant tables pairs organization_id
	// with organization_id.
	rows, err = pool.Query(ctx, `
		SELECT k.conname, t.relname, r.relname
		  FROM pg_constraint k
		  JOIN pg_class t ON t.oid = k.conrelid
		  JOIN pg_class r ON r.oid = k.confrelid
		 WHERE k.contype = 'f'
		   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
		   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attname = 'organization_id')
		   AND NOT EXISTS (
		       SELECT FROM unnest(k.conkey, k.confkey) AS p(src, dst)
		        WHERE (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = p.src) = 'organization_id'
		          AND (SELECT attname FROM pg_attribute WHERE attrelid = r.oid AND attnum = p.dst) = 'organization_id')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, from, to string
		if err := rows.Scan(&name, &from, &to); err != nil {
			t.Fatal(err)
		}
		t.Errorf("foreign key %s (%s → %s) does not include organization_id", name, from, to)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogAppRole checks the application role: it cannot log in, is no
// superuser, cannot bypass RLS, and may not alter the audit log.
func TestCatalogAppRole(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t).Pool()
	var super, bypass, login, update, del, insert bool
	err := pool.QueryRow(ctx, `
		SELECT rolsuper, rolbypassrls, rolcanlogin,
		       has_table_privilege('spectra_app', 'audit_log', 'UPDATE'),
		       has_table_privilege('spectra_app', 'audit_log', 'DELETE'),
		       has_table_privilege('spectra_app', 'audit_log', 'INSERT')
		  FROM pg_roles WHERE rolname = 'spectra_app'`).Scan(&super, &bypass, &login, &update, &del, &insert)
	if err != nil {
		t.Fatal(err)
	}
	if super || bypass || login {
		t.Errorf("spectra_app: superuser=%v bypassrls=%v login=%v, want all false", super, bypass, login)
	}
	if update || del {
		t.Errorf("spectra_app may UPDATE (%v) or DELETE (%v) audit_log", update, del)
	}
	if !insert {
		t.Errorf("spectra_app may not INSERT into audit_log")
	}
	// Append-only tables: no UPDATE or DELETE for the application.
	for _, table := range []string{"custody_events", "signatures", "recipe_approvals", "run_results", "spc_points"} {
		var u, d bool
		if err := pool.QueryRow(ctx, `SELECT has_table_privilege('spectra_app', $1, 'UPDATE'),
		                                     has_table_privilege('spectra_app', $1, 'DELETE')`, table).Scan(&u, &d); err != nil {
			t.Fatal(err)
		}
		if u || d {
			t.Errorf("%s is append-only, but spectra_app has UPDATE=%v DELETE=%v", table, u, d)
		}
	}
}
