package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// jobsMigrationVersion is the goose version of the job queue's migration:
// River's own schema (its tables are global, not tenant tables: a job
// names its organization in its arguments, and runs its tenant work in
// that organization's tenant transaction), the grants the run-time role
// needs on them, and the first table a job writes (calibration_notices).
const jobsMigrationVersion = 18

// jobsMigration is migration 00018, a goose Go migration, so that `spectra
// migrate up/down` stays one command: River's migrator applies River's
// schema of the pinned release (go.mod), under goose's session lock, and
// records its own versions in river_migration, where a later release's
// migrator finds them; our part follows in one transaction. Down removes
// our part and then River's schema whole. River's steps run each in
// a transaction of their own (one adds an enum value a later one uses,
// which PostgreSQL allows only once the first has committed), so this
// migration is not one transaction: an interrupted one is resumed by the
// next `migrate up`, River's migrator skipping the steps it recorded.
func jobsMigration() *goose.Migration {
	return goose.NewGoMigration(jobsMigrationVersion,
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			m, err := rivermigrate.New(riverdatabasesql.New(db), nil)
			if err != nil {
				return err
			}
			if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
				return fmt.Errorf("river's schema: %w", err)
			}
			return inTx(ctx, db, jobsUpSQL)
		}},
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			if err := inTx(ctx, db, jobsDownSQL); err != nil {
				return err
			}
			m, err := rivermigrate.New(riverdatabasesql.New(db), nil)
			if err != nil {
				return err
			}
			_, err = m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1})
			return err
		}})
}

// inTx runs statements in one transaction.
func inTx(ctx context.Context, db *sql.DB, statements string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, statements); err != nil {
		return err
	}
	return tx.Commit()
}

// jobsUpSQL follows River's schema in migration 00018.
//
// spectra_grant_jobs is the one list of what a run-time login role may do
// on River's tables: River's client works them directly (no tenant
// transaction, no SET ROLE), so the grants go to the login role itself
// (postgres.RuntimeRole, or the operator's SPECTRA_APP_DATABASE_URL role),
// not to spectra_app, which it only becomes inside a tenant transaction.
// EnsureRuntimeRole and `serve` call it; nothing else of the schema is
// granted, and river_migration only to read.
//
// calibration_notices records, once per calibration and kind, that the
// calibration sweep found a calibration entering its organization's
// warning window (warning) or past its expiry (expired); delivery (inbox,
// e-mail, webhooks) reads it later. The unique key makes the sweep
// idempotent across runs and instances.
const jobsUpSQL = `
CREATE FUNCTION spectra_grant_jobs(login regrole) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue TO %s', login);
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON river_notification TO %s', login);
    EXECUTE format('GRANT USAGE ON SEQUENCE river_job_id_seq, river_notification_id_seq TO %s', login);
    EXECUTE format('GRANT SELECT ON river_migration TO %s', login);
END
$$;

DO $$
DECLARE
    r regrole;
BEGIN
    -- Run-time roles that exist already (an upgrade): the managed cluster's.
    FOR r IN SELECT oid::regrole FROM pg_roles WHERE rolname = 'spectra_server' LOOP
        PERFORM spectra_grant_jobs(r);
    END LOOP;
END
$$;

CREATE TABLE calibration_notices (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    calibration_id  uuid        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('warning', 'expired')),
    noticed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, calibration_id, kind),
    FOREIGN KEY (organization_id, calibration_id) REFERENCES calibrations (organization_id, id)
);
SELECT spectra_tenant_table('calibration_notices', 'SELECT, INSERT');
`

const jobsDownSQL = `
DROP TABLE calibration_notices;
DROP FUNCTION spectra_grant_jobs(regrole);
`
