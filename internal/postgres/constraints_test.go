package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// Each CHECK constraint of the seed design rejects a violating row.
func TestCheckConstraints(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org := newOrg(t, db, "checks")
	user := newUser(t, db, "checker@example.org")
	tenant := postgres.Tenant{OrgID: org, Auth: "system"}

	var instrument, recipe, sample uuid.UUID
	err := db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO instruments (organization_id, name, kind) VALUES ($1, 'SMU-1', 'SMU') RETURNING id`, org).Scan(&instrument); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO recipes (organization_id, lineage_id, name) VALUES ($1, gen_random_uuid(), 'IV') RETURNING id`, org).Scan(&recipe); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'B1', 'n') RETURNING id`, org).Scan(&sample)
	})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name       string
		sql        string
		args       []any
		constraint string
	}{
		{"approver role must be admin or pi",
			`INSERT INTO recipe_approvals (organization_id, recipe_id, approver_id, approver_role) VALUES ($1, $2, $3, 'engineer')`,
			[]any{org, recipe, user}, "check_approver_role"},
		{"certificate must expire after issue",
			`INSERT INTO calibrations (organization_id, instrument_id, certificate_number, issued_at, expires_at)
			 VALUES ($1, $2, 'C-1', now(), now() - interval '1 day')`,
			[]any{org, instrument}, "check_cert_dates"},
		{"run cannot finish before it started",
			`INSERT INTO runs (organization_id, recipe_id, sample_id, status, started_at, finished_at)
			 VALUES ($1, $2, $3, 'completed', now(), now() - interval '1 minute')`,
			[]any{org, recipe, sample}, "check_run_times"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, c.sql, c.args...)
				return err
			})
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "23514" || pgErr.ConstraintName != c.constraint {
				t.Fatalf("got %v, want check violation of %s", err, c.constraint)
			}
		})
	}

	// The same rows within the rules are accepted.
	err = db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO recipe_approvals (organization_id, recipe_id, approver_id, approver_role) VALUES ($1, $2, $3, 'pi')`, org, recipe, user); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO calibrations (organization_id, instrument_id, certificate_number, issued_at, expires_at)
			VALUES ($1, $2, 'C-1', now(), now() + interval '1 year')`, org, instrument); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO runs (organization_id, recipe_id, sample_id, status, started_at, finished_at)
			VALUES ($1, $2, $3, 'completed', now() - interval '1 minute', now())`, org, recipe, sample)
		return err
	})
	if err != nil {
		t.Fatalf("valid rows rejected: %v", err)
	}
}

func newUser(t *testing.T, db *postgres.DB, email string) uuid.UUID {
	t.Helper()
	// An account of no organization: audited under the nil organization,
	// which app.org_id names for an owner under row-level security.
	var id uuid.UUID
	pgtest.InOrg(t, db, uuid.Nil, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(),
			`INSERT INTO users (email, display_name) VALUES ($1, $1) RETURNING id`, email).Scan(&id)
	})
	return id
}

type auditEntry struct {
	Action    string
	Old, New  map[string]any
	Actor     *uuid.UUID
	Auth      *string
	RequestID *string
	DBUser    string
}

func auditFor(t *testing.T, db *postgres.DB, table string, row uuid.UUID) []auditEntry {
	t.Helper()
	var out []auditEntry
	read := func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `
		SELECT action, old_values, new_values, actor_id, actor_auth, request_id, db_user
		  FROM audit_log WHERE table_name = $1 AND row_id = $2 AND organization_id = spectra_current_org() ORDER BY id`, table, row)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e auditEntry
			var oldJ, newJ []byte
			if err := rows.Scan(&e.Action, &oldJ, &newJ, &e.Actor, &e.Auth, &e.RequestID, &e.DBUser); err != nil {
				return err
			}
			if oldJ != nil {
				_ = json.Unmarshal(oldJ, &e.Old)
			}
			if newJ != nil {
				_ = json.Unmarshal(newJ, &e.New)
			}
			out = append(out, e)
		}
		return rows.Err()
	}
	// Every organization's entries and the nil organization's, read as
	// the owner, whom row-level security may restrict to one at a time.
	pgtest.InOrg(t, db, uuid.Nil, read)
	pgtest.EachOrg(t, db, func(tx pgx.Tx, _ uuid.UUID) error { return read(tx) })
	return out
}

// The audit trigger records inserts, updates (changed fields, old and new)
// and deletes with the actor, how they authenticated and the request id.
func TestAuditTrigger(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org := newOrg(t, db, "audited")
	actor := newUser(t, db, "actor@example.org")
	tenant := postgres.Tenant{OrgID: org, UserID: actor, Auth: "password", RequestID: "req-123"}

	var sample uuid.UUID
	err := db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO samples (organization_id, barcode, name, location) VALUES ($1, 'A-1', 'before', 'shelf 1') RETURNING id`, org).Scan(&sample)
	})
	if err != nil {
		t.Fatal(err)
	}
	tenant.RequestID = "req-456"
	err = db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE samples SET name = 'after' WHERE id = $1`, sample)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	got := auditFor(t, db, "samples", sample)
	if len(got) != 2 {
		t.Fatalf("%d audit entries for the sample, want 2: %+v", len(got), got)
	}
	ins, upd := got[0], got[1]
	if ins.Action != "INSERT" || ins.New["name"] != "before" || ins.Old != nil {
		t.Errorf("insert entry = %+v", ins)
	}
	if ins.Actor == nil || *ins.Actor != actor || ins.RequestID == nil || *ins.RequestID != "req-123" ||
		ins.Auth == nil || *ins.Auth != "password" || ins.DBUser != postgres.AppRole {
		t.Errorf("insert entry attribution = %+v", ins)
	}
	if upd.Action != "UPDATE" || upd.Old["name"] != "before" || upd.New["name"] != "after" {
		t.Errorf("update entry = %+v", upd)
	}
	if _, ok := upd.New["location"]; ok {
		t.Errorf("update entry records an unchanged field: %+v", upd.New)
	}
	if upd.RequestID == nil || *upd.RequestID != "req-456" {
		t.Errorf("update request id = %v", upd.RequestID)
	}
	if upd.Old["version"] != float64(1) || upd.New["version"] != float64(2) {
		t.Errorf("update did not bump version: %v → %v", upd.Old["version"], upd.New["version"])
	}

	// Delete, on a table the application may delete from.
	jti := uuid.New()
	var rowID uuid.UUID
	err = db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO token_denylist (organization_id, jti, expires_at) VALUES ($1, $2, now() + interval '1 hour') RETURNING id`, org, jti).Scan(&rowID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM token_denylist WHERE jti = $1`, jti)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	del := auditFor(t, db, "token_denylist", rowID)
	if len(del) != 2 || del[1].Action != "DELETE" || del[1].Old["jti"] != jti.String() || del[1].New != nil {
		t.Fatalf("delete entries = %+v", del)
	}

	// Secrets never reach the audit log.
	pgtest.InOrg(t, db, uuid.Nil, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET password_hash = '$argon2id$secret' WHERE id = $1`, actor)
		return err
	})
	for _, e := range auditFor(t, db, "users", actor) {
		if e.New["password_hash"] != nil && e.New["password_hash"] != "[redacted]" {
			t.Errorf("password hash copied into the audit log: %+v", e.New)
		}
	}
	if n := len(auditFor(t, db, "users", actor)); n != 2 {
		t.Errorf("%d audit entries for the user, want insert and update", n)
	}
}

// The application role may append to the audit log but never change it.
func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org := newOrg(t, db, "immutable")
	tenant := postgres.Tenant{OrgID: org, Auth: "system"}
	if err := db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'I-1', 'x')`, org)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE audit_log SET action = 'FORGED'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		err := db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql)
			return err
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s as the application role: got %v, want permission denied", sql, err)
		}
	}
	var n int
	pgtest.InOrg(t, db, org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE organization_id = $1 AND table_name = 'samples'`, org).Scan(&n)
	})
	if n != 1 {
		t.Fatalf("audit entries = %d, want 1 untouched", n)
	}
}

// spectra_uuidv7 makes version-7 ids in the order they were made.
func TestUUIDv7Order(t *testing.T) {
	db := pgtest.NewDB(t)
	rows, err := db.Pool().Query(context.Background(), `SELECT spectra_uuidv7() FROM generate_series(1, 2000)`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
			t.Fatalf("id %s: version %d variant %v", id, id.Version(), id.Variant())
		}
		// Milliseconds and the sub-millisecond fraction never go back.
		if i > 0 && bytes.Compare(id[:8], ids[i-1][:8]) < 0 {
			t.Fatalf("id %d (%s) sorts before its predecessor (%s)", i, id, ids[i-1])
		}
	}
	sec, nsec := ids[0].Time().UnixTime()
	if d := time.Since(time.Unix(sec, nsec)); d < 0 || d > time.Minute {
		t.Fatalf("id time %v is not now", time.Unix(sec, nsec))
	}
	if bytes.Equal(ids[0][:8], ids[len(ids)-1][:8]) {
		t.Fatal("2000 ids share one timestamp: no sub-millisecond precision")
	}
}
