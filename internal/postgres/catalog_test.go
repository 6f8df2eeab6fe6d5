package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

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
	pool := pgtest.NewDB(t).Pool()
	found, problems := tenantShape(t, pool)
	for _, p := range problems {
		t.Error(p)
	}
	for _, want := range tenantTables {
		if !slices.Contains(found, want) {
			t.Errorf("tenant table %s is missing (or lacks organization_id)", want)
		}
	}
}

// TestCatalogCatchesARogueTable proves the catalog checks can fail: a table
// that breaks each rule is reported for each.
func TestCatalogCatchesARogueTable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t).Pool()
	_, err := pool.Exec(ctx, `
		CREATE POLICY rogue_open ON samples FOR UPDATE TO spectra_app USING (true);
		CREATE TABLE rogue_parent (organization_id uuid NOT NULL, id uuid PRIMARY KEY);
		CREATE TABLE rogue (organization_id uuid NOT NULL, id uuid NOT NULL, parent_id uuid REFERENCES rogue_parent (id), PRIMARY KEY (id));
		CREATE INDEX rogue_sample_idx ON rogue (parent_id);`)
	if err != nil {
		t.Fatal(err)
	}
	_, problems := tenantShape(t, pool)
	joined := strings.Join(problems, "\n")
	for _, want := range []string{
		"rogue: row-level security", "rogue: no RLS policy", "rogue: index rogue_sample_idx",
		"rogue: primary key", "(rogue → rogue_parent) does not include organization_id",
		"samples: policy rogue_open",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("catalog checks missed %q; reported:\n%s", want, joined)
		}
	}
}

// tenantShape lists the tables with organization_id and every way they
// break the tenant-table rules.
func tenantShape(t *testing.T, pool *pgxpool.Pool) (found, problems []string) {
	t.Helper()
	ctx := context.Background()
	report := func(sql string, format func(cols []string) string) {
		rows, err := pool.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			cols := make([]string, len(vals))
			for i, v := range vals {
				cols[i] = fmt.Sprint(v)
			}
			if msg := format(cols); msg != "" {
				problems = append(problems, msg)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}

	report(`
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
		  FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		 WHERE c.relkind = 'r'
		   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
		                AND a.attname = 'organization_id' AND NOT a.attisdropped)
		 ORDER BY 1`, func(c []string) string {
		found = append(found, c[0])
		var msgs []string
		if c[1] != "true" || c[2] != "true" {
			msgs = append(msgs, fmt.Sprintf("%s: row-level security enabled=%s forced=%s, want both", c[0], c[1], c[2]))
		}
		if c[3] == "0" {
			msgs = append(msgs, fmt.Sprintf("%s: no RLS policy", c[0]))
		}
		return strings.Join(msgs, "\n")
	})

	// Every index (primary keys and unique keys are indexes too) of a
	// tenant table leads with organization_id.
	report(`
		SELECT t.relname, i.relname
		  FROM pg_index x
		  JOIN pg_class t ON t.oid = x.indrelid
		  JOIN pg_class i ON i.oid = x.indexrelid
		  JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
		 WHERE EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
		   AND (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = x.indkey[0]) IS DISTINCT FROM 'organization_id'`,
		func(c []string) string {
			return fmt.Sprintf("%s: index %s does not lead with organization_id", c[0], c[1])
		})

	// The primary key of every tenant table is (organization_id, …).
	report(`
		SELECT t.relname
		  FROM pg_class t
		  JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
		 WHERE t.relkind = 'r'
		   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
		   AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = t.oid AND k.contype = 'p'
		                    AND (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = k.conkey[1]) = 'organization_id')`,
		func(c []string) string {
			return fmt.Sprintf("%s: primary key does not lead with organization_id", c[0])
		})

	// Every foreign key between two tenant tables pairs organization_id
	// with organization_id.
	report(`
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
		          AND (SELECT attname FROM pg_attribute WHERE attrelid = r.oid AND attnum = p.dst) = 'organization_id')`,
		func(c []string) string {
			return fmt.Sprintf("foreign key %s (%s → %s) does not include organization_id", c[0], c[1], c[2])
		})
	// Every policy of a tenant table other than tenant_isolation only lets
	// spectra_auth read (the login lookups) or narrows (RESTRICTIVE): none
	// widens what spectra_app may see or write.
	report(`
		SELECT c.relname, p.polname, p.polcmd::text, coalesce((SELECT string_agg(r.rolname, ',') FROM pg_roles r WHERE r.oid = ANY (p.polroles)), 'public')
		  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
		 WHERE EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id')
		   AND p.polname <> 'tenant_isolation'
		   AND p.polpermissive
		   AND NOT (p.polcmd = 'r' AND p.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = 'spectra_auth')])`,
		func(c []string) string {
			return fmt.Sprintf("%s: policy %s (command %s, roles %s) goes beyond spectra_auth reading", c[0], c[1], c[2], c[3])
		})
	return found, problems
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
