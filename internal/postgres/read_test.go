package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestReadPipeline: the one-round-trip read (BEGIN READ ONLY, settings,
// authorize check, the statements, COMMIT in one pipeline) sets the same
// tenant as InTenant, refuses a principal that may no longer act before
// any statement runs, writes nothing, and leaves its connection clean
// and in the pool whatever fails — in every execution mode a deployment
// may choose (behind PgBouncer too).
func TestReadPipeline(t *testing.T) {
	ctx := context.Background()
	owner, _ := pgtest.NewSeededDBs(t)
	name := owner.Pool().Config().ConnConfig.Database
	// The test's own counts cross row-level security: as the inspector,
	// since an owner that is no superuser obeys the forced policies.
	owner = pgtest.Inspector(t, owner)
	var org, user uuid.UUID
	if err := owner.Pool().QueryRow(ctx, `SELECT m.organization_id, m.user_id FROM memberships m
		JOIN users u ON u.id = m.user_id WHERE u.email = 'engineer@demo.lab'`).Scan(&org, &user); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := owner.Pool().QueryRow(ctx, `SELECT count(*) FROM samples WHERE organization_id = $1`, org).Scan(&want); err != nil || want == 0 {
		t.Fatalf("seeded samples: %d (%v)", want, err)
	}
	engineer := spectra.Tenant{OrgID: org, UserID: user, Auth: "password", RequestID: "req-read", Authorize: true, Role: spectra.RoleEngineer}
	for _, mode := range execModes {
		t.Run(mode, func(t *testing.T) {
			db, err := postgres.Open(ctx, withExecMode(t, pgtest.RuntimeURL(name), mode), postgres.PoolOptions{MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var pid int
			if err := db.Pool().QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			samePool := func(step string) {
				t.Helper()
				assertNoTenantLeft(t, db.Pool())
				var now int
				if err := db.Pool().QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&now); err != nil || now != pid {
					t.Fatalf("%s: the connection was replaced (pid %d, was %d; %v)", step, now, pid, err)
				}
			}

			var role, setOrg, requestID, readOnly string
			var n int
			err = db.Read(ctx, engineer, func(b *pgx.Batch) {
				b.Queue(`SELECT current_user, current_setting('app.org_id'), current_setting('app.request_id'),
					current_setting('transaction_read_only'), (SELECT count(*) FROM samples)`).QueryRow(func(r pgx.Row) error {
					return r.Scan(&role, &setOrg, &requestID, &readOnly, &n)
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if role != postgres.AppRole || setOrg != org.String() || requestID != "req-read" || readOnly != "on" || n != want {
				t.Fatalf("inside the read: role %q org %q request %q read only %q, %d samples; want %s, %s, req-read, on, %d",
					role, setOrg, requestID, readOnly, n, postgres.AppRole, org, want)
			}
			samePool("a read")

			// A role the membership does not have: refused, the statement never ran.
			stale := engineer
			stale.Role = spectra.RoleAdmin
			ran := false
			err = db.Read(ctx, stale, func(b *pgx.Batch) {
				b.Queue(`SELECT 1`).QueryRow(func(pgx.Row) error { ran = true; return nil })
			})
			var se *spectra.Error
			if !errors.As(err, &se) || se.Code != spectra.CodeUnauthenticated || ran {
				t.Fatalf("stale role: err %v, statement ran %v; want CodeUnauthenticated before any statement", err, ran)
			}
			samePool("a refused principal")

			// A write inside a read is refused and leaves nothing.
			err = db.Read(ctx, engineer, func(b *pgx.Batch) {
				b.Queue(`INSERT INTO samples (organization_id, barcode, name) VALUES ($1, 'READ-ONLY', 'x')`, org)
			})
			var left int
			if qerr := owner.Pool().QueryRow(ctx, `SELECT count(*) FROM samples WHERE barcode = 'READ-ONLY'`).Scan(&left); err == nil || qerr != nil || left != 0 {
				t.Fatalf("a write in a read: err %v, %d rows written (%v); want an error and none", err, left, qerr)
			}
			samePool("a refused write")

			// A callback's error is the read's.
			mine := errors.New("the caller's own error")
			err = db.Read(ctx, engineer, func(b *pgx.Batch) {
				b.Queue(`SELECT 1`).QueryRow(func(pgx.Row) error { return mine })
			})
			if !errors.Is(err, mine) {
				t.Fatalf("callback error: got %v, want %v", err, mine)
			}
			samePool("a failed callback")
		})
	}
}
