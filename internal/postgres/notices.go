package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// RecordCalibrationNotices records, in org's tenant transaction (labelled
// "system" in the audit log), a notice for each instrument's current
// calibration (the latest-expiring one not revoked, of an instrument
// neither deleted nor retired) that at now has
// entered the organization's warning window (calibration_warning_days
// before it expires: kind warning) or has expired (kind expired). A
// calibration gets each kind once, however often and however concurrently
// this runs (the notices' unique key; ON CONFLICT DO NOTHING waits for a
// concurrent insert of the same notice and then skips it). It returns how
// many notices it added.
func (db *DB) RecordCalibrationNotices(ctx context.Context, org uuid.UUID, now time.Time) (int64, error) {
	var added int64
	err := db.InTenant(ctx, Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO calibration_notices (organization_id, calibration_id, kind, noticed_at)
			SELECT c.organization_id, c.id, CASE WHEN c.expires_at <= $2 THEN 'expired' ELSE 'warning' END, $2
			  FROM calibrations c
			  JOIN organizations o ON o.id = c.organization_id
			 WHERE c.organization_id = $1
			   AND c.revoked_at IS NULL
			   AND EXISTS (SELECT FROM instruments i WHERE i.organization_id = c.organization_id AND i.id = c.instrument_id
			                AND i.deleted_at IS NULL AND i.status <> 'retired')
			   AND c.expires_at <= $2::timestamptz + make_interval(days => o.calibration_warning_days)
			   AND NOT EXISTS (SELECT FROM calibrations n WHERE n.organization_id = c.organization_id
			                    AND n.instrument_id = c.instrument_id AND n.revoked_at IS NULL AND n.expires_at > c.expires_at)
			ON CONFLICT (organization_id, calibration_id, kind) DO NOTHING`, org, now)
		added = tag.RowsAffected()
		return err
	})
	return added, err
}

// CalibrationNotice is one recorded notice.
type CalibrationNotice struct {
	CalibrationID uuid.UUID
	Kind          string
	NoticedAt     time.Time
}

// CalibrationNotices lists org's notices, oldest first.
func (db *DB) CalibrationNotices(ctx context.Context, org uuid.UUID) ([]CalibrationNotice, error) {
	var out []CalibrationNotice
	err := db.InTenant(ctx, Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT calibration_id, kind, noticed_at FROM calibration_notices ORDER BY noticed_at, calibration_id, kind`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[CalibrationNotice])
		return err
	})
	return out, err
}
