package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// demoLabTenant is demo-lab's tenant for system work.
func demoLabTenant(t *testing.T, db *postgres.DB) postgres.Tenant {
	t.Helper()
	var org postgres.Tenant
	if err := db.Pool().QueryRow(context.Background(), `SELECT id FROM organizations WHERE slug = 'demo-lab'`).Scan(&org.OrgID); err != nil {
		t.Fatal(err)
	}
	org.Auth = "system"
	return org
}

// The last points of a series come straight off the
// (organization_id, series_id, ts DESC) index, without a sort.
func TestSeriesPointsQueryUsesTheIndex(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	ten := demoLabTenant(t, db)
	series := postgres.SeedID("demo-lab", "spc", "vth")
	var plan []string
	err := db.InTenant(ctx, ten, func(tx pgx.Tx) error {
		// The table is tiny; without this the planner may rightly prefer
		// a scan, which says nothing about the shape of the query.
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `EXPLAIN SELECT id, series_id, ts, value, run_id, run_result_id FROM spc_points
			WHERE organization_id = $1 AND series_id = $2 ORDER BY ts DESC, id DESC LIMIT $3`, ten.OrgID, series, 1000)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "spc_points_series_ts_idx") || strings.Contains(text, "Sort") {
		t.Fatalf("plan:\n%s", text)
	}
	points, err := db.SeriesPoints(ctx, ten, series, 3)
	if err != nil || len(points) != 3 || points[0].TS.Before(points[1].TS) {
		t.Fatalf("SeriesPoints = %v, %v", points, err)
	}
}

// The effective certificate is the latest issued, unrevoked one, whatever
// order they were recorded in.
func TestEffectiveCalibrationIsLatestIssued(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	ten := demoLabTenant(t, db)
	smu := postgres.SeedID("demo-lab", "instrument", "SMU-2450-001")
	now := time.Now()
	stateOf := func() spectra.InstrumentCalibration {
		t.Helper()
		st, err := db.CalibrationStatus(ctx, ten, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, ic := range st.Items {
			if ic.Instrument.ID == smu {
				return ic
			}
		}
		t.Fatal("the SMU is missing from the status")
		return spectra.InstrumentCalibration{}
	}
	seeded := stateOf().Certificate.ID

	// An older certificate recorded late does not replace the newer one.
	if _, err := db.CreateCalibration(ctx, ten, spectra.Calibration{InstrumentID: smu, CertificateNumber: "OLD-LATE", Provider: "x",
		IssuedAt: now.AddDate(-2, 0, 0), ExpiresAt: now.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(); got.Certificate.ID != seeded || got.State != spectra.CalValid {
		t.Fatalf("after recording an older certificate: %+v", got)
	}
	// A newer one does, until it is revoked.
	newer, err := db.CreateCalibration(ctx, ten, spectra.Calibration{InstrumentID: smu, CertificateNumber: "NEW", Provider: "x",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.AddDate(0, 0, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if got := stateOf(); got.Certificate.ID != newer.ID || got.State != spectra.CalExpiring || *got.DaysLeft != 9 {
		t.Fatalf("after recording a newer certificate: %+v", got)
	}
	if _, err := db.RevokeCalibration(ctx, ten, newer.ID, "wrong serial"); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(); got.Certificate.ID != seeded {
		t.Fatalf("after revoking it: %+v", got)
	}
	// The database refuses what the API would name as expires_at.
	_, err = db.CreateCalibration(ctx, ten, spectra.Calibration{InstrumentID: smu, CertificateNumber: "BAD", Provider: "x",
		IssuedAt: now, ExpiresAt: now.Add(-time.Second)})
	var e *spectra.Error
	if !errors.As(err, &e) || e.Code != spectra.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "expires_at" {
		t.Fatalf("expires_at before issued_at: %v", err)
	}
}
