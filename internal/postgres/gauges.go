package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// LabGauges are one organization's figures for monitoring.
type LabGauges struct {
	Org           string                   // the slug
	Calibrations  map[spectra.CalState]int // instruments per calibration state
	OpenSPCAlerts int
}

// Gauges reads every organization's LabGauges at now. Each organization is
// read in its own tenant transaction (row-level security applies, as to
// every read); the list of organizations is spectra_auth's.
func (db *DB) Gauges(ctx context.Context, now time.Time) ([]LabGauges, error) {
	type org struct {
		id   uuid.UUID
		slug string
	}
	var orgs []org
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, slug FROM organizations WHERE deleted_at IS NULL ORDER BY slug`)
		if err != nil {
			return err
		}
		orgs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (org, error) {
			var o org
			return o, r.Scan(&o.id, &o.slug)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]LabGauges, 0, len(orgs))
	for _, o := range orgs {
		t := Tenant{OrgID: o.id, Auth: "system"}
		st, err := db.CalibrationStatus(ctx, t, now)
		if err != nil {
			return nil, err
		}
		g := LabGauges{Org: o.slug, Calibrations: st.Counts}
		err = db.InTenant(ctx, t, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM spc_alerts WHERE organization_id = $1 AND acknowledged_at IS NULL`, o.id).
				Scan(&g.OpenSPCAlerts)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
