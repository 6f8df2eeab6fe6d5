package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// SPC: control-chart series, their points and the alerts the Western
// Electric rules raise as points arrive.

const seriesColumns = `id, name, metric, unit, instrument_id, recipe_id, center_line, sigma, ucl, lcl, baseline_size, created_at, version`

func scanSeries(r pgx.Row) (spectra.SPCSeries, error) {
	var s spectra.SPCSeries
	err := r.Scan(&s.ID, &s.Name, &s.Metric, &s.Unit, &s.InstrumentID, &s.RecipeID, &s.CenterLine, &s.Sigma, &s.UCL, &s.LCL,
		&s.BaselineSize, &s.CreatedAt, &s.Version)
	return s, err
}

// ListSeries lists the organization's SPC series, newest first.
func (db *DB) ListSeries(ctx context.Context, t Tenant, metric string, p Page) ([]spectra.SPCSeries, string, error) {
	w := keyset("s", t, p, true)
	if metric != "" {
		w.and(`s.metric = ?`, metric)
	}
	return listPage(ctx, db, t, p, w, seriesColumns, "spc_series s", "s.id DESC", scanSeries,
		func(s spectra.SPCSeries) uuid.UUID { return s.ID })
}

// Series returns one SPC series.
func (db *DB) Series(ctx context.Context, t Tenant, id uuid.UUID) (spectra.SPCSeries, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.SPCSeries, error) { return series(ctx, tx, t.OrgID, id, "") })
}

func series(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock string) (spectra.SPCSeries, error) {
	s, err := scanSeries(tx.QueryRow(ctx, `SELECT `+seriesColumns+` FROM spc_series
		WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL `+lock, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, spectra.Errorf(spectra.CodeNotFound, "SPC series not found")
	}
	return s, err
}

// CreateSeries creates a series. With baselineSize > 0, the centre line
// and sigma are computed from the latest baselineSize run results of the
// metric (of the series' recipe and instrument, if it names them);
// otherwise s.CenterLine and s.Sigma are taken as given. The limits are
// centre ± 3 sigma (spectra.ControlLimits: CodeInvalid naming sigma when
// they overflow). A taken name is CodeConflict; an unknown recipe or
// instrument CodeInvalid naming it.
func (db *DB) CreateSeries(ctx context.Context, t Tenant, s spectra.SPCSeries, baselineSize int) (spectra.SPCSeries, error) {
	var out spectra.SPCSeries
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if s.RecipeID != nil {
			if err := analysisRowExists(ctx, tx, "recipe_id", "no such recipe",
				`SELECT count(*) FROM recipes WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`, t.OrgID, *s.RecipeID); err != nil {
				return err
			}
		}
		if s.InstrumentID != nil {
			if err := analysisRowExists(ctx, tx, "instrument_id", "no such instrument",
				`SELECT count(*) FROM instruments WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`, t.OrgID, *s.InstrumentID); err != nil {
				return err
			}
		}
		var size *int
		if baselineSize > 0 {
			w := filter{sql: `rr.organization_id = $1 AND rr.metric = $2 AND r.deleted_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM run_result_supersessions x WHERE x.organization_id = rr.organization_id AND x.result_id = rr.id)`,
				args: []any{t.OrgID, s.Metric}}
			if s.RecipeID != nil {
				w.and(`r.recipe_id = ?`, *s.RecipeID)
			}
			if s.InstrumentID != nil {
				w.and(`EXISTS (SELECT 1 FROM run_instruments ri WHERE ri.organization_id = r.organization_id
				       AND ri.run_id = r.id AND ri.instrument_id = ?)`, *s.InstrumentID)
			}
			q, args := w.query("rr.value", "run_results rr JOIN runs r ON r.organization_id = rr.organization_id AND r.id = rr.run_id",
				"rr.measured_at DESC, rr.id DESC", baselineSize)
			r, err := tx.Query(ctx, q, args...)
			if err != nil {
				return err
			}
			values, err := pgx.CollectRows(r, pgx.RowTo[float64])
			if err != nil {
				return err
			}
			if s.CenterLine, s.Sigma, err = spectra.Baseline(values); err != nil {
				return err
			}
			n := len(values)
			size = &n
		}
		ucl, lcl, err := spectra.ControlLimits(s.CenterLine, s.Sigma)
		if err != nil {
			return err
		}
		out, err = scanSeries(tx.QueryRow(ctx, `INSERT INTO spc_series (organization_id, name, metric, unit, instrument_id, recipe_id,
				center_line, sigma, ucl, lcl, baseline_size, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+seriesColumns,
			t.OrgID, s.Name, s.Metric, s.Unit, s.InstrumentID, s.RecipeID, s.CenterLine, s.Sigma,
			ucl, lcl, size, nilUUID(t.UserID)))
		return mapError(err, "SPC series")
	})
	return out, err
}

// analysisRowExists fails with CodeInvalid naming field unless the count
// query finds a row: a body that refers to a missing row is invalid.
func analysisRowExists(ctx context.Context, tx pgx.Tx, field, msg, q string, args ...any) error {
	var n int
	if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return spectra.FieldErr(spectra.CodeInvalid, field, msg)
	}
	return nil
}

const pointColumns = `id, series_id, ts, value, run_id, run_result_id`

// currentPoint keeps the points of spc_points p whose run result no
// amendment superseded: a withdrawn or corrected result leaves the chart
// and the rules' windows (its correction has a point of its own), while
// its point stays recorded.
const currentPoint = `NOT EXISTS (SELECT 1 FROM run_result_supersessions x
	WHERE x.organization_id = p.organization_id AND x.result_id = p.run_result_id)`

func scanPoint(r pgx.Row) (spectra.SPCPoint, error) {
	var p spectra.SPCPoint
	err := r.Scan(&p.ID, &p.SeriesID, &p.TS, &p.Value, &p.RunID, &p.RunResultID)
	return p, err
}

// SeriesPoints returns a series' latest limit points, newest first,
// straight off the (organization_id, series_id, ts DESC) index.
func (db *DB) SeriesPoints(ctx context.Context, t Tenant, id uuid.UUID, limit int) ([]spectra.SPCPoint, error) {
	var items []spectra.SPCPoint
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := series(ctx, tx, t.OrgID, id, ""); err != nil {
			return err
		}
		r, err := tx.Query(ctx, `SELECT `+pointColumns+` FROM spc_points p WHERE organization_id = $1 AND series_id = $2 AND `+currentPoint+`
			ORDER BY ts DESC, id DESC LIMIT $3`, t.OrgID, id, limit)
		if err != nil {
			return err
		}
		items, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.SPCPoint, error) { return scanPoint(r) })
		return err
	})
	return items, err
}

// AddPoints appends points to a series and evaluates the Western
// Electric rules at each; it returns the points and the alerts raised.
func (db *DB) AddPoints(ctx context.Context, t Tenant, id uuid.UUID, points []NewSPCPoint) ([]spectra.SPCPoint, []spectra.SPCAlert, error) {
	var out []spectra.SPCPoint
	var alerts []spectra.SPCAlert
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		s, err := series(ctx, tx, t.OrgID, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		out, alerts, err = appendPoints(ctx, tx, t.OrgID, s, points)
		return err
	})
	return out, alerts, err
}

// appendPoints inserts points into series s, whose row the caller has
// locked (so that concurrent appends evaluate the rules one after the
// other and never raise the same alert twice), and evaluates the rules
// at each new point.
func appendPoints(ctx context.Context, tx pgx.Tx, org uuid.UUID, s spectra.SPCSeries, points []NewSPCPoint) ([]spectra.SPCPoint, []spectra.SPCAlert, error) {
	var out []spectra.SPCPoint
	var alerts []spectra.SPCAlert
	for _, np := range points {
		p, err := scanPoint(tx.QueryRow(ctx, `INSERT INTO spc_points (organization_id, series_id, ts, value, run_id, run_result_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+pointColumns, org, s.ID, np.TS, np.Value, np.RunID, np.RunResultID))
		if err != nil {
			return nil, nil, mapError(err, "SPC point")
		}
		out = append(out, p)
		raised, err := evaluateRules(ctx, tx, org, s, p)
		if err != nil {
			return nil, nil, err
		}
		alerts = append(alerts, raised...)
	}
	return out, alerts, nil
}

// evaluateRules applies the rules to the window of points ending at p
// and records each violation as an alert, unless that rule was already
// raised for p, notifying the organization's engineers and PIs of each.
func evaluateRules(ctx context.Context, tx pgx.Tx, org uuid.UUID, s spectra.SPCSeries, p spectra.SPCPoint) ([]spectra.SPCAlert, error) {
	r, err := tx.Query(ctx, `SELECT id, value FROM spc_points p WHERE organization_id = $1 AND series_id = $2 AND (ts, id) <= ($3, $4)
		AND `+currentPoint+` ORDER BY ts DESC, id DESC LIMIT $5`, org, s.ID, p.TS, p.ID, spectra.WEWindow)
	if err != nil {
		return nil, err
	}
	type pv struct {
		id    uuid.UUID
		value float64
	}
	window, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (pv, error) {
		var x pv
		err := r.Scan(&x.id, &x.value)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(window)
	values := make([]float64, len(window))
	for i, w := range window {
		values[i] = w.value
	}
	var alerts []spectra.SPCAlert
	for _, v := range spectra.WesternElectric(values, s.CenterLine, s.Sigma) {
		ids := make([]uuid.UUID, len(v.Points))
		for i, k := range v.Points {
			ids[i] = window[k].id
		}
		a, err := scanAlert(tx.QueryRow(ctx, `INSERT INTO spc_alerts (organization_id, series_id, rule, point_ids, message)
			SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM spc_alerts WHERE organization_id = $1 AND series_id = $2
				AND rule = $3 AND point_ids[cardinality(point_ids)] = $6)
			RETURNING `+alertColumns, org, s.ID, v.Rule, ids, v.Message, p.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := notifySPCAlert(ctx, tx, org, s, a); err != nil {
			return nil, err
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
}

const alertColumns = `id, series_id, rule, point_ids, message, raised_at, acknowledged_at, acknowledged_by, ack_comment, version`

func scanAlert(r pgx.Row) (spectra.SPCAlert, error) {
	var a spectra.SPCAlert
	err := r.Scan(&a.ID, &a.SeriesID, &a.Rule, &a.PointIDs, &a.Message, &a.RaisedAt, &a.AcknowledgedAt, &a.AcknowledgedBy, &a.Comment, &a.Version)
	return a, err
}

// ListAlerts lists alerts, newest first: open ones unless f says
// otherwise.
func (db *DB) ListAlerts(ctx context.Context, t Tenant, f spectra.SPCAlertFilter, p Page) ([]spectra.SPCAlert, string, error) {
	w := keyset("a", t, p, false)
	if f.SeriesID != uuid.Nil {
		w.and(`a.series_id = ?`, f.SeriesID)
	}
	if f.Acknowledged != nil && *f.Acknowledged {
		w.also(`a.acknowledged_at IS NOT NULL`)
	} else {
		w.also(`a.acknowledged_at IS NULL`)
	}
	return listPage(ctx, db, t, p, w, alertColumns, "spc_alerts a", "a.id DESC", scanAlert,
		func(a spectra.SPCAlert) uuid.UUID { return a.ID })
}

// AcknowledgeAlert records who acknowledged an alert and why. An alert
// acknowledged already is CodeConflict.
func (db *DB) AcknowledgeAlert(ctx context.Context, t Tenant, id uuid.UUID, comment string) (spectra.SPCAlert, error) {
	var a spectra.SPCAlert
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+` FROM spc_alerts WHERE organization_id = $1 AND id = $2 FOR UPDATE`, t.OrgID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeNotFound, "SPC alert not found")
		}
		if err != nil {
			return err
		}
		if a.AcknowledgedAt != nil {
			return spectra.Errorf(spectra.CodeConflict, "the alert was already acknowledged")
		}
		a, err = scanAlert(tx.QueryRow(ctx, `UPDATE spc_alerts SET acknowledged_at = now(), acknowledged_by = $3, ack_comment = $4
			WHERE organization_id = $1 AND id = $2 RETURNING `+alertColumns, t.OrgID, id, nilUUID(t.UserID), comment))
		return mapError(err, "SPC alert")
	})
	return a, err
}

// NewSPCPoint is the domain's spectra.NewSPCPoint.
type NewSPCPoint = spectra.NewSPCPoint
