package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// TestRuntimeRoleCannotLeaveRLS plays an SQL injection through the server's
// own pool (issue 10.8): whatever the statement, the run-time role cannot
// get out of row-level security, because there is nothing to get out to.
func TestRuntimeRoleCannotLeaveRLS(t *testing.T) {
	owner, rt := pgtest.NewSeededDBs(t)
	ctx := context.Background()
	if err := rt.CheckRuntimeRole(ctx); err != nil {
		t.Fatalf("the run-time role: %v", err)
	}
	want := "superuser"
	if pgtest.Owner() != "" {
		want = "owns the schema" // an owner that is no superuser
	}
	if err := owner.CheckRuntimeRole(ctx); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("the owner's pool passed as a run-time role: %v", err)
	}
	conn, err := rt.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	attempts := map[string]string{
		"RESET ROLE, then read":       `RESET ROLE; SELECT count(*) FROM samples`,
		"become the superuser":        `SET ROLE postgres`,
		"become the owner by session": `SET SESSION AUTHORIZATION postgres`,
		"read the users as itself":    `SELECT count(*) FROM users`,
		"turn row security off":       `SET row_security = off; SET ROLE spectra_app; SELECT count(*) FROM samples`,
		"read the audit log as auth":  `SET ROLE spectra_auth; SELECT count(*) FROM audit_log`,
		"make itself a superuser":     `ALTER ROLE spectra_server SUPERUSER`,
		"grant itself the owner role": `GRANT postgres TO spectra_server`,
	}
	for name, sql := range attempts {
		_, err := conn.Exec(ctx, sql)
		if err == nil {
			t.Errorf("%s: allowed", name)
		}
		_, _ = conn.Exec(ctx, "RESET ROLE")
	}
	// As spectra_app without a tenant: no rows at all.
	var n int
	err = pgx.BeginTxFunc(ctx, rt.Pool(), pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL ROLE spectra_app"}, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM samples`).Scan(&n)
	})
	if err != nil || n != 0 {
		t.Fatalf("spectra_app without a tenant sees %d samples (%v)", n, err)
	}
}
