package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Tenant is the domain's spectra.Tenant: whose data a transaction may
// touch and on whose behalf.
type Tenant = spectra.Tenant

// ErrNoTenant is returned when a tenant transaction is asked for without an
// organization.
var ErrNoTenant = errors.New("postgres: tenant transaction without an organization")

var safeSetting = regexp.MustCompile(`^[A-Za-z0-9._:/@+-]{0,128}$`)

// InTenant runs fn in a transaction that is already switched to the
// application role (row-level security applies) with app.org_id,
// app.user_id, app.auth and app.request_id set for this transaction only.
// BEGIN and the settings travel in one simple-protocol message: one round
// trip. fn's error rolls everything back; nothing is half-written.
//
// With t.Authorize, a principal that may no longer act gets a
// CodeUnauthenticated error and fn never runs. statement_timeout and
// lock_timeout (the DB's Timeouts) are set in the same round trip. A
// database that cannot be reached, or a timeout, is CodeUnavailable
// (unavailableError).
func (db *DB) InTenant(ctx context.Context, t Tenant, fn func(pgx.Tx) error) error {
	return db.unavailable(ctx, db.inTenant(ctx, t, fn))
}

func (db *DB) inTenant(ctx context.Context, t Tenant, fn func(pgx.Tx) error) error {
	begin, err := tenantBegin(t, db.timeouts)
	if err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: acquire: %w", err)
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: begin})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// BEGIN went through and a later statement of the message
			// failed: end the transaction so the connection returns to
			// the pool clean instead of being closed.
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
			if pgErr.Code == "28000" {
				return &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "credentials are no longer valid", Err: err}
			}
		}
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // after Commit: a no-op
	if err := fn(tx); err != nil {
		return mapError(err, "")
	}
	return tx.Commit(ctx)
}

// tenantBegin builds "BEGIN; SELECT set_config(…)", the statement and
// lock timeouts included. The values are inlined
// (a simple-protocol message has no parameters), so each is a UUID or must
// match safeSetting, and is quoted besides.
func tenantBegin(t Tenant, timeouts Timeouts) (string, error) {
	if t.OrgID == uuid.Nil {
		return "", ErrNoTenant
	}
	if !safeSetting.MatchString(t.Auth) || !safeSetting.MatchString(t.RequestID) {
		return "", fmt.Errorf("postgres: tenant auth or request id has unexpected characters")
	}
	user := ""
	if t.UserID != uuid.Nil {
		user = t.UserID.String()
	}
	var b strings.Builder
	b.WriteString("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT ")
	fmt.Fprintf(&b, "set_config('role', %s, true), ", quote(AppRole))
	fmt.Fprintf(&b, "set_config('app.org_id', %s, true), ", quote(t.OrgID.String()))
	fmt.Fprintf(&b, "set_config('app.user_id', %s, true), ", quote(user))
	fmt.Fprintf(&b, "set_config('app.auth', %s, true), ", quote(t.Auth))
	fmt.Fprintf(&b, "set_config('app.request_id', %s, true), ", quote(t.RequestID))
	b.WriteString(timeouts.setConfig())
	if t.Authorize {
		if t.UserID == uuid.Nil || !t.Role.Valid() {
			return "", fmt.Errorf("postgres: an authorized tenant needs a user and a role")
		}
		issued := "NULL"
		if !t.IssuedAt.IsZero() {
			issued = quote(t.IssuedAt.UTC().Format(time.RFC3339Nano)) + "::timestamptz"
		}
		fmt.Fprintf(&b, "; SELECT spectra_authorize(%s, %s, %s, %s, %s, %s)",
			quote(t.UserID.String()), quote(string(t.Role)), uuidOrNull(t.Session), uuidOrNull(t.TokenID), uuidOrNull(t.APIKey), issued)
	}
	return b.String(), nil
}

func uuidOrNull(id uuid.UUID) string {
	if id == uuid.Nil {
		return "NULL"
	}
	return quote(id.String()) + "::uuid"
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
