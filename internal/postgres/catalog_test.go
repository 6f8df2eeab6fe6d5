package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
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
	"custody_events", "runs", "run_instruments", "run_transitions", "run_results", "run_series", "run_series_chunks",
	"run_amendments", "run_result_supersessions", "spc_series", "spc_points", "spc_alerts", "feature_sets", "models", "audit_log",
	"calibration_notices",
}

// globalTables is every table that is not a tenant table, each with the
// reason it is global. TestCatalogGlobalTables fails on a table that is
// neither carrying organization_id nor listed here, so a new global table
// is a decision someone wrote down.
var globalTables = map[string]string{
	"goose_db_version": "the migrations' own bookkeeping",
	"organizations":    "the tenants themselves (their own policy: an organization sees itself)",
	"users":            "a person may belong to several organizations (memberships are per organization)",
	"login_attempts":   "counted per e-mail and client address before any organization is known",
	"password_resets":  "forgotten-password requests and their hashed one-time tokens, before any organization is known (migration 00022)",
	// River's job queue (migration 00018): one queue for every
	// organization; a job carries its organization in its arguments and
	// does its tenant work in that organization's tenant transaction. The
	// run-time login role works these tables directly (spectra_grant_jobs);
	// spectra_app, the request transactions' role, has nothing on them.
	"river_job":          "River: the jobs",
	"river_leader":       "River: the elected leader that schedules periodic jobs",
	"river_queue":        "River: the queues",
	"river_migration":    "River: its migrator's bookkeeping",
	"river_notification": "River: its notification outbox",
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
	// tenant table leads with organization_id, or with a column whose
	// every key carries the organization (the search column of migration
	// 00013, generated by spectra_search_qualify(organization_id, …)).
	report(`
		SELECT t.relname, i.relname
		  FROM pg_index x
		  JOIN pg_class t ON t.oid = x.indrelid
		  JOIN pg_class i ON i.oid = x.indexrelid
		  JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
		 WHERE EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
		   AND (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = x.indkey[0]) IS DISTINCT FROM 'organization_id'
		   AND NOT EXISTS (SELECT FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		                    WHERE d.adrelid = t.oid AND d.adnum = x.indkey[0] AND a.attgenerated = 's'
		                      AND pg_get_expr(d.adbin, d.adrelid) LIKE 'spectra_search_qualify(organization_id, %')`,
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

// TestCatalogGlobalTables checks that every table of the schema is either a
// tenant table (it has organization_id, and TestCatalogTenantShape holds it
// to the rules) or a global table named in globalTables, and that
// spectra_app, the role of every request's transaction, has no privilege
// on River's tables: the job queue is not readable or writable from a
// tenant transaction.
func TestCatalogGlobalTables(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t).Pool()
	rows, err := pool.Query(ctx, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		 WHERE c.relkind IN ('r', 'p')
		   AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
		 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	global, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range global {
		if _, ok := globalTables[name]; !ok {
			t.Errorf("table %s has no organization_id and is not a named global table", name)
		}
	}
	for name := range globalTables {
		if !slices.Contains(global, name) {
			t.Errorf("global table %s is missing (or has organization_id)", name)
		}
		if !strings.HasPrefix(name, "river_") {
			continue
		}
		var any bool
		if err := pool.QueryRow(ctx, `SELECT has_table_privilege('spectra_app', $1, 'SELECT') OR has_table_privilege('spectra_app', $1, 'INSERT')
			OR has_table_privilege('spectra_app', $1, 'UPDATE') OR has_table_privilege('spectra_app', $1, 'DELETE')`, name).Scan(&any); err != nil {
			t.Fatal(err)
		}
		if any {
			t.Errorf("spectra_app has privileges on River's %s", name)
		}
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
	for _, table := range []string{"custody_events", "signatures", "recipe_approvals", "run_results", "spc_points",
		"run_series", "run_series_chunks", "run_amendments", "run_result_supersessions"} {
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

// TestCatalogRunRecordGuard checks that the guard of a completed run's
// record (00017) is on every table it keeps: results, series and their
// chunks and a run's files for every change, amendments and supersessions for inserts, runs
// for a status change; and enabled (a disabled trigger guards nothing).
func TestCatalogRunRecordGuard(t *testing.T) {
	pool := pgtest.NewDB(t).Pool()
	rows, err := pool.Query(context.Background(), `SELECT c.relname,
			(t.tgtype & 4 <> 0) AS ins, (t.tgtype & 8 <> 0) AS del, (t.tgtype & 16 <> 0) AS upd, t.tgenabled = 'O'
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
		WHERE p.proname = 'spectra_run_record_guard' AND NOT t.tgisinternal ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	type ops struct{ ins, del, upd, enabled bool }
	got := map[string]ops{}
	for rows.Next() {
		var name string
		var o ops
		if err := rows.Scan(&name, &o.ins, &o.del, &o.upd, &o.enabled); err != nil {
			t.Fatal(err)
		}
		got[name] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	all := ops{true, true, true, true}
	want := map[string]ops{"run_results": all, "run_series": all, "run_series_chunks": all, "files": all,
		"run_amendments": {ins: true, enabled: true}, "run_result_supersessions": {ins: true, enabled: true}, "runs": {upd: true, enabled: true}}
	for table, w := range want {
		if got[table] != w {
			t.Errorf("%s: guard %+v, want %+v", table, got[table], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the guard is on %v, want exactly %v", got, want)
	}
}
