package postgres

import (
	"context"
	"errors"
	"fmt"
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
		}
		return refused(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // after Commit: a no-op
	var mail []spectra.EmailDelivery
	pendingMail.Store(tx, &mail)
	defer pendingMail.Delete(tx)
	if err := fn(tx); err != nil {
		return mapError(err, "")
	}
	if len(mail) > 0 && db.onEmail != nil {
		var msgs []spectra.EmailMessage
		for _, d := range mail {
			msgs = append(msgs, d.Messages()...)
		}
		if err := db.queueEmail(ctx, tx, msgs); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// tenantSettings is what every tenant transaction sets, in this order,
// for itself only: the role (row-level security applies from here on),
// app.org_id, app.user_id, app.auth, app.request_id, and the statement
// and lock timeouts. The one list that inTenant writes inline and read
// sends as parameters. Auth and the request id must match safeSetting.
func tenantSettings(t Tenant, timeouts Timeouts) ([7]string, error) {
	if t.OrgID == uuid.Nil {
		return [7]string{}, ErrNoTenant
	}
	if !safeSetting(t.Auth) || !safeSetting(t.RequestID) {
		return [7]string{}, fmt.Errorf("postgres: tenant auth or request id has unexpected characters")
	}
	if t.Authorize && (t.UserID == uuid.Nil || !t.Role.Valid()) {
		return [7]string{}, fmt.Errorf("postgres: an authorized tenant needs a user and a role")
	}
	user := ""
	if t.UserID != uuid.Nil {
		user = t.UserID.String()
	}
	return [7]string{AppRole, t.OrgID.String(), user, t.Auth, t.RequestID,
		msString(timeouts.Statement), msString(timeouts.Lock)}, nil
}

// settingNames are the names of tenantSettings' values.
var settingNames = [7]string{"role", "app.org_id", "app.user_id", "app.auth", "app.request_id", "statement_timeout", "lock_timeout"}

// setSettings renders the settings' SELECT, each value as value(i, v):
// a quoted literal or a parameter.
func setSettings(value func(i int, v string) string, values [7]string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, name := range settingNames {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "set_config('%s', %s, true)", name, value(i, values[i]))
	}
	return b.String()
}

// settingsSQL is the settings' statement with its values as parameters
// $1…$7 (one prepared statement for every tenant).
var settingsSQL = setSettings(func(i int, _ string) string { return fmt.Sprintf("$%d", i+1) }, [7]string{})

// authorizeSQL checks that the principal may still act (membership and
// role, denied token, ended session, revoked key); SQLSTATE 28000 if not.
const authorizeSQL = `SELECT spectra_authorize($1, $2, $3, $4, $5, $6)`

// authorizeArgs are authorizeSQL's parameters for t.
func authorizeArgs(t Tenant) []any {
	var issued *time.Time
	if !t.IssuedAt.IsZero() {
		issued = &t.IssuedAt
	}
	return []any{t.UserID, string(t.Role), nilUUID(t.Session), nilUUID(t.TokenID), nilUUID(t.APIKey), issued}
}

// tenantBegin is inTenant's first round trip as one simple-protocol
// message: BEGIN, tenantSettings and, with t.Authorize, the authorize
// check. A simple-protocol message has no parameters, so the values are
// inlined: each is a UUID, a duration or a safeSetting, and quoted
// besides.
func tenantBegin(t Tenant, timeouts Timeouts) (string, error) {
	values, err := tenantSettings(t, timeouts)
	if err != nil {
		return "", err
	}
	begin := "BEGIN ISOLATION LEVEL READ COMMITTED; " + setSettings(func(_ int, v string) string { return quote(v) }, values)
	if t.Authorize {
		issued := "NULL"
		if !t.IssuedAt.IsZero() {
			issued = quote(t.IssuedAt.UTC().Format(time.RFC3339Nano)) + "::timestamptz"
		}
		begin += fmt.Sprintf("; SELECT spectra_authorize(%s, %s, %s, %s, %s, %s)",
			quote(t.UserID.String()), quote(string(t.Role)), uuidOrNull(t.Session), uuidOrNull(t.TokenID), uuidOrNull(t.APIKey), issued)
	}
	return begin, nil
}

// read runs the statements queue adds to b in t's tenant transaction,
// READ ONLY, sent together with its BEGIN, settings, authorize check and
// COMMIT as one pipeline: the whole transaction is one round trip. For
// reads whose statements do not depend on one another's answers; each
// answer goes to its statement's callback (b.Queue(…).Query/QueryRow).
// The first error is returned (a principal that may no longer act is
// CodeUnauthenticated, and no statement after the check ran).
func (db *DB) read(ctx context.Context, t Tenant, queue func(b *pgx.Batch)) error {
	return db.unavailable(ctx, db.readPipeline(ctx, t, queue))
}

func (db *DB) readPipeline(ctx context.Context, t Tenant, queue func(b *pgx.Batch)) error {
	values, err := tenantSettings(t, db.timeouts)
	if err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: acquire: %w", err)
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY")
	b.Queue(settingsSQL, values[0], values[1], values[2], values[3], values[4], values[5], values[6])
	if t.Authorize {
		b.Queue(authorizeSQL, authorizeArgs(t)...)
	}
	queue(b)
	b.Queue("COMMIT")
	err = conn.SendBatch(ctx, b).Close()
	if conn.Conn().PgConn().TxStatus() != 'I' {
		// A statement failed (the rest were skipped) or a callback did:
		// end the transaction so the connection returns to the pool clean.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	if err != nil {
		return mapError(refused(err), "")
	}
	return nil
}

// refused is err, or CodeUnauthenticated if it is the authorize check's
// refusal (SQLSTATE 28000).
func refused(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "28000" {
		return &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "credentials are no longer valid", Err: err}
	}
	return err
}

// safeSetting reports whether s may be a setting's value: at most 128 of
// A–Z, a–z, 0–9 and ._:/@+-.
func safeSetting(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._:/@+-", c) >= 0) {
			return false
		}
	}
	return true
}

func uuidOrNull(id uuid.UUID) string {
	if id == uuid.Nil {
		return "NULL"
	}
	return quote(id.String()) + "::uuid"
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
