package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RuntimeRole is the login role the managed cluster's server connects as:
// no superuser, no owner, no BYPASSRLS, NOINHERIT, and a member only of
// spectra_app and spectra_auth, so that even SQL injected into one of its
// statements cannot leave row-level security: RESET ROLE leads back to a
// role whose only privileges of its own are on the job queue's tables
// (migration 00018, spectra_grant_jobs), none on tenant data.
const RuntimeRole = "spectra_server"

// EnsureRuntimeRole creates the login role name if it is missing (with
// password, when not empty: for connections that authenticate by password)
// and makes it a member of the application's roles. The connecting role
// needs CREATEROLE and the right to grant spectra_app and spectra_auth (a
// superuser has both).
func EnsureRuntimeRole(ctx context.Context, owner *DB, name, password string) error {
	role := pgx.Identifier{name}.Sanitize()
	return pgx.BeginFunc(ctx, owner.pool, func(tx pgx.Tx) error {
		// Serialized: several databases of one cluster (tests) may ask at once.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('spectra runtime role'))`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE ROLE `+role+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT NOREPLICATION`); err != nil {
				return fmt.Errorf("postgres: create role %s: %w", name, err)
			}
		}
		if password != "" {
			if _, err := tx.Exec(ctx, `ALTER ROLE `+role+` PASSWORD `+quote(password)); err != nil {
				return fmt.Errorf("postgres: set the password of %s: %w", name, err)
			}
		}
		if _, err := tx.Exec(ctx, `GRANT spectra_app, spectra_auth TO `+role); err != nil {
			return fmt.Errorf("postgres: grant the application roles to %s: %w", name, err)
		}
		return grantJobs(ctx, tx, name)
	})
}

// GrantJobs gives the login role name what River's client needs on the
// job queue's tables (spectra_grant_jobs, migration 00018), on a database
// migrated that far. The owner grants it; granting twice changes nothing.
func GrantJobs(ctx context.Context, owner *DB, name string) error {
	return pgx.BeginFunc(ctx, owner.pool, func(tx pgx.Tx) error { return grantJobs(ctx, tx, name) })
}

func grantJobs(ctx context.Context, tx pgx.Tx, name string) error {
	var migrated bool
	if err := tx.QueryRow(ctx, `SELECT to_regproc('spectra_grant_jobs') IS NOT NULL`).Scan(&migrated); err != nil {
		return err
	}
	if !migrated {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT spectra_grant_jobs($1::text::regrole)`, pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: grant the job queue to %s: %w", name, err)
	}
	return nil
}

// CheckRuntimeRole reports, as an error, whatever makes the pool's login
// role unfit to serve requests: a superuser, BYPASSRLS, the owner of the
// schema or able to become it, or not a member of spectra_app and
// spectra_auth.
func (db *DB) CheckRuntimeRole(ctx context.Context) error {
	var user string
	var super, bypass, owner, app, authRole bool
	err := db.pool.QueryRow(ctx, `SELECT current_user, r.rolsuper, r.rolbypassrls,
			coalesce((SELECT pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_class c
			           WHERE c.oid = to_regclass('organizations')), false),
			pg_has_role(current_user, 'spectra_app', 'MEMBER'), pg_has_role(current_user, 'spectra_auth', 'MEMBER')
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&user, &super, &bypass, &owner, &app, &authRole)
	if err != nil {
		return fmt.Errorf("postgres: check the run-time role: %w", err)
	}
	var why []string
	if super {
		why = append(why, "is a superuser")
	}
	if bypass {
		why = append(why, "bypasses row-level security")
	}
	if owner && !super {
		why = append(why, "owns the schema or can become its owner")
	}
	if !app || !authRole {
		why = append(why, "is not a member of spectra_app and spectra_auth")
	}
	if len(why) > 0 {
		return fmt.Errorf("postgres: the run-time role %s %s", user, strings.Join(why, ", "))
	}
	return nil
}
