package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Operator commands (`spectra org create`, `spectra user …`) work before
// anyone can log in, so they run as the database owner rather than the
// application role; like every write, they set app.org_id (and app.auth =
// "cli") so their audit entries land in the organization they touch.

// CreateOrganization creates an organization. A taken slug is CodeConflict;
// a malformed one CodeInvalid.
func (db *DB) CreateOrganization(ctx context.Context, slug, name string) (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	err = db.ownerTx(ctx, id, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO organizations (id, slug, name) VALUES ($1, $2, $3)`, id, slug, name)
		return err
	})
	return id, mapError(err, "organization")
}

// CreateUser creates a user with a password and makes them a member of the
// organization with the given role. An existing email is CodeConflict.
func (db *DB) CreateUser(ctx context.Context, orgSlug, email, name string, role spectra.Role, passwordHash string) (uuid.UUID, error) {
	org, err := db.orgBySlug(ctx, orgSlug)
	if err != nil {
		return uuid.Nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	err = db.ownerTx(ctx, org, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, password_hash, home_organization_id) VALUES ($1, $2, $3, $4, $5)`,
			id, strings.ToLower(email), name, passwordHash, org); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`, org, id, role)
		return err
	})
	return id, mapError(err, "user")
}

// SetPassword replaces a user's password hash and ends every session of
// theirs in every organization (the operator's reset of a forgotten or
// compromised password). An unknown email is CodeNotFound.
func (db *DB) SetPassword(ctx context.Context, email, passwordHash string) error {
	email = strings.ToLower(email)
	var user uuid.UUID
	var orgs []uuid.UUID
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeNotFound, "no user with email %s", email)
		}
		if err != nil {
			return err
		}
		orgs, err = userOrganizations(ctx, tx, user)
		return err
	})
	if err != nil {
		return err
	}
	// Audit under the user's first organization, where an admin will look,
	// and the reset under each of the others.
	first := uuid.Nil
	if len(orgs) > 0 {
		first = orgs[0]
	}
	return db.ownerTx(ctx, first, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, user, passwordHash); err != nil {
			return mapError(err, "user")
		}
		return endSessionsEverywhere(ctx, tx, user, orgs, uuid.Nil, first, "PASSWORD_RESET", "cli", "")
	})
}

func (db *DB) orgBySlug(ctx context.Context, slug string) (uuid.UUID, error) {
	var id uuid.UUID
	err := db.pool.QueryRow(ctx, `SELECT id FROM organizations WHERE slug = $1 AND deleted_at IS NULL`, slug).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, spectra.Errorf(spectra.CodeNotFound, "no organization %q", slug)
	}
	return id, db.unavailable(ctx, err)
}

// ownerTx runs fn as the connecting (owner) role with app.org_id and
// app.auth set for the audit trigger.
func (db *DB) ownerTx(ctx context.Context, org uuid.UUID, fn func(pgx.Tx) error) error {
	return db.ownerTxAs(ctx, org, "cli", fn)
}

// ownerTxAs is ownerTx with another app.auth label.
func (db *DB) ownerTxAs(ctx context.Context, org uuid.UUID, how string, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		orgSetting := ""
		if org != uuid.Nil {
			orgSetting = org.String()
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true), set_config('app.auth', $2, true)`, orgSetting, how); err != nil {
			return err
		}
		return fn(tx)
	})
	return db.unavailable(ctx, err)
}
