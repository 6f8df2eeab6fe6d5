package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// SQLSTATE 42501 is row-level security refusing a row, and also a missing
// privilege or an unreadable file: only the first is "not found" (issue
// 11.4). Both are real refusals of the server.
func TestPermissionErrorsToldApart(t *testing.T) {
	l := newLockoutLab(t, 2, postgres.Timeouts{})
	ctx := context.Background()

	// Row-level security: a row for another organization.
	var other uuid.UUID
	if err := l.owner.Pool().QueryRow(ctx, `SELECT id FROM organizations WHERE id <> $1 LIMIT 1`, l.ten.OrgID).Scan(&other); err != nil {
		t.Fatal(err)
	}
	err := l.db.InTenant(ctx, l.ten, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO instruments (organization_id, name, kind, serial, location, status, calibration_required)
			VALUES ($1, 'Foreign', 'SMU', 'F-1', 'x', 'active', false)`, other)
		return postgres.MapError(err, "instrument")
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" || spectra.ErrorCode(err) != spectra.CodeNotFound {
		t.Fatalf("row-level security refusal: got %v (code %s), want 42501 as not found", err, spectra.ErrorCode(err))
	}

	// A privilege the run-time role lost: an operator's problem, not a 404.
	if _, err := l.owner.Pool().Exec(ctx, `REVOKE INSERT ON instruments FROM spectra_app`); err != nil {
		t.Fatal(err)
	}
	_, err = l.db.CreateInstrument(ctx, l.ten, spectra.Instrument{Name: "Denied", Kind: "SMU", Serial: "D-1", Location: "x", Status: "active"})
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "permission denied") {
		t.Fatalf("revoked privilege: got %v, want SQLSTATE 42501 permission denied", err)
	}
	if code := spectra.ErrorCode(err); code != spectra.CodeInternal {
		t.Fatalf("revoked privilege answered as %s, want internal", code)
	}
}

// Statements and lock waits of a request are bounded, inside the
// transaction's one round trip and for that transaction only; running
// over either bound is CodeUnavailable with a Retry-After, not a 500.
func TestTransactionTimeouts(t *testing.T) {
	l := newLockoutLab(t, 1, postgres.Timeouts{Statement: 300 * time.Millisecond, Lock: 100 * time.Millisecond})
	ctx := context.Background()

	var stmt, lock string
	if err := l.db.InTenant(ctx, l.ten, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('lock_timeout')`).Scan(&stmt, &lock)
	}); err != nil {
		t.Fatal(err)
	}
	if stmt != "300ms" || lock != "100ms" {
		t.Fatalf("in the transaction: statement_timeout %q, lock_timeout %q", stmt, lock)
	}
	// Transaction-local: the pooled connection (the only one) is back to
	// the server's defaults, as a PgBouncer'd connection must be.
	if err := l.db.Pool().QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('lock_timeout')`).Scan(&stmt, &lock); err != nil {
		t.Fatal(err)
	}
	if stmt != "0" || lock != "0" {
		t.Fatalf("after the transaction: statement_timeout %q, lock_timeout %q", stmt, lock)
	}

	err := l.db.InTenant(ctx, l.ten, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT pg_sleep(2)`)
		return err
	})
	wantUnavailable(t, "slow statement", err)

	// Someone holds the instrument's row: the update gives up after
	// lock_timeout.
	holder, err := l.owner.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	// (In the organization: an owner that is no superuser sees its rows only so.)
	if _, err := holder.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, l.ten.OrgID.String()); err != nil {
		t.Fatal(err)
	}
	if tag, err := holder.Exec(ctx, `SELECT 1 FROM instruments WHERE id = $1 FOR UPDATE`, l.instrument); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("lock the instrument: %v (%d rows)", err, tag.RowsAffected())
	}
	start := time.Now()
	in, err := l.db.Instrument(ctx, l.ten, l.instrument)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.db.UpdateInstrument(ctx, l.ten, l.instrument, in, 0)
	wantUnavailable(t, "row lock held elsewhere", err)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("lock wait took %s with lock_timeout 100ms", d)
	}
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	var se *spectra.Error
	if !errors.As(err, &se) || se.Code != spectra.CodeUnavailable || se.RetryAfter <= 0 {
		t.Fatalf("%s: got %v, want unavailable with a Retry-After", what, err)
	}
}

// A server that cannot be reached is unavailable; the caller's own
// cancellation stays what it is (a client that hung up).
func TestUnreachableIsUnavailable(t *testing.T) {
	ctx := context.Background()
	_, err := pgconn.Connect(ctx, "host="+filepath.Join(t.TempDir(), "nothing")+" user=x dbname=x connect_timeout=2")
	if err == nil {
		t.Fatal("connected to nothing")
	}
	wantUnavailable(t, "connection refused", postgres.UnavailableError(ctx, err))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = pgconn.Connect(cancelled, "host="+filepath.Join(t.TempDir(), "nothing")+" user=x dbname=x")
	if err := postgres.UnavailableError(cancelled, err); !errors.Is(err, context.Canceled) || spectra.ErrorCode(err) != spectra.CodeInternal {
		t.Fatalf("cancelled by the caller: got %v", err)
	}
}
