package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tenant says whose data a transaction may touch and on whose behalf.
type Tenant struct {
	OrgID     uuid.UUID
	UserID    uuid.UUID // uuid.Nil for system work (seed, operator commands)
	Auth      string    // how the actor authenticated: password, api_key, oidc, system…
	RequestID string
}

// ErrNoTenant is returned when a tenant transaction is asked for without an
// organization.
var ErrNoTenant = errors.New("postgres: tenant transaction without an organization")

var safeSetting = regexp.MustCompile(`^[A-Za-z0-9._:/@+-]{0,128}$`)

// InTenant runs fn in a transaction that is already switched to the
// application role (row-level security applies) with app.org_id,
// app.user_id, app.auth and app.request_id set for this transaction only.
// BEGIN and the settings travel in one simple-protocol message: one round
// trip. fn's error rolls everything back; nothing is half-written.
func (db *DB) InTenant(ctx context.Context, t Tenant, fn func(pgx.Tx) error) error {
	begin, err := tenantBegin(t)
	if err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{BeginQuery: begin}, fn)
}

// tenantBegin builds "BEGIN; SELECT set_config(…)". The values are inlined
// (a simple-protocol message has no parameters), so each is a UUID or must
// match safeSetting, and is quoted besides.
func tenantBegin(t Tenant) (string, error) {
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
	fmt.Fprintf(&b, "set_config('app.request_id', %s, true)", quote(t.RequestID))
	return b.String(), nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
