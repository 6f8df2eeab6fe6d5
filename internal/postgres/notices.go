package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
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
		rows, err := tx.Query(ctx, `
			WITH added AS (
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
			ON CONFLICT (organization_id, calibration_id, kind) DO NOTHING
			RETURNING calibration_id, kind)
			SELECT a.calibration_id, a.kind, c.instrument_id, i.name, c.certificate_number, c.expires_at
			  FROM added a
			  JOIN calibrations c ON c.organization_id = $1 AND c.id = a.calibration_id
			  JOIN instruments i ON i.organization_id = $1 AND i.id = c.instrument_id`, org, now)
		if err != nil {
			return err
		}
		type notice struct {
			cal, instrument  uuid.UUID
			kind, name, cert string
			expires          time.Time
		}
		notices, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notice, error) {
			var n notice
			return n, r.Scan(&n.cal, &n.kind, &n.instrument, &n.name, &n.cert, &n.expires)
		})
		if err != nil {
			return err
		}
		added = int64(len(notices))
		if added == 0 {
			return nil
		}
		// Those who run and look after the instruments hear of it, in the
		// transaction that records the notice: both happen, or neither.
		to, err := membersWithRoles(ctx, tx, org, spectra.RoleEngineer, spectra.RolePI)
		if err != nil {
			return err
		}
		for _, n := range notices {
			nn := spectra.NewNotification{Kind: spectra.NotifyCalibrationWarning,
				Subject: fmt.Sprintf("Calibration of %s expires %s", n.name, n.expires.UTC().Format(time.DateOnly)),
				Body:    fmt.Sprintf("Certificate %s of %s expires on %s: runs on it will be refused from then on until it is recalibrated.", n.cert, n.name, n.expires.UTC().Format(time.DateOnly)),
				Detail:  "its calibration certificate " + n.cert + " expires on " + n.expires.UTC().Format(time.DateOnly),
			}
			if n.kind == "expired" {
				nn.Kind = spectra.NotifyCalibrationExpired
				nn.Subject = fmt.Sprintf("Calibration of %s has expired", n.name)
				nn.Body = fmt.Sprintf("Certificate %s of %s expired on %s: runs on it are refused until it is recalibrated.", n.cert, n.name, n.expires.UTC().Format(time.DateOnly))
				nn.Detail = "its calibration certificate " + n.cert + " expired on " + n.expires.UTC().Format(time.DateOnly)
			}
			nn.Link = "/instruments/" + n.instrument.String()
			nn.Object = spectra.ObjectRef{Kind: "instruments", ID: n.instrument}
			nn.ObjectName = n.name
			nn.DedupeKey = "calibration_" + n.kind + ":" + n.cal.String()
			if _, err := notify(ctx, tx, org, to, nn); err != nil {
				return err
			}
		}
		return nil
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
