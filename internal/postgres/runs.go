package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Runs, their instruments, status history and results, and the
// calibration lockout that guards creating and starting them.

const runColumns = `r.id, r.recipe_id, r.sample_id, r.project_id, r.status, rc.status, r.parameters, r.blocked_reason, r.notes,
	r.started_at, r.finished_at, r.operator_id, r.created_by, r.created_at, r.version`

// runFrom is the FROM of runColumns: a run with its recipe.
const runTables = `runs r JOIN recipes rc ON rc.organization_id = r.organization_id AND rc.id = r.recipe_id`

const runFrom = ` FROM ` + runTables

func scanRun(row pgx.Row, extra ...any) (spectra.Run, error) {
	var r spectra.Run
	var params []byte
	err := row.Scan(append([]any{&r.ID, &r.RecipeID, &r.SampleID, &r.ProjectID, &r.Status, &r.RecipeStatus, &params, &r.BlockedReason, &r.Notes,
		&r.StartedAt, &r.FinishedAt, &r.OperatorID, &r.CreatedBy, &r.CreatedAt, &r.Version}, extra...)...)
	if err == nil {
		r.Parameters = map[string]float64{}
		err = json.Unmarshal(params, &r.Parameters)
	}
	return r, err
}

// ListRuns lists runs, newest first, filtered.
func (db *DB) ListRuns(ctx context.Context, t Tenant, f spectra.RunFilter, p Page) ([]spectra.Run, string, error) {
	w := keyset("r", t, p, true)
	if f.Status != "" {
		w.and(`r.status = ?`, string(f.Status))
	}
	if f.SampleID != uuid.Nil {
		w.and(`r.sample_id = ?`, f.SampleID)
	}
	if f.RecipeID != uuid.Nil {
		w.and(`r.recipe_id = ?`, f.RecipeID)
	}
	return listPage(ctx, db, t, p, w, runColumns, runTables, "r.id DESC",
		func(r pgx.Row) (spectra.Run, error) { return scanRun(r) }, func(r spectra.Run) uuid.UUID { return r.ID })
}

// RunDetail returns a run with its recipe and sample names, instruments
// and their certificates, results and status history.
func (db *DB) RunDetail(ctx context.Context, t Tenant, id uuid.UUID) (spectra.RunDetail, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.RunDetail, error) { return runDetail(ctx, tx, t.OrgID, id) })
}

func runDetail(ctx context.Context, tx pgx.Tx, org, id uuid.UUID) (spectra.RunDetail, error) {
	var d spectra.RunDetail
	var err error
	d.Run, err = scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+`, rc.name, rc.revision, s.barcode, s.name`+runFrom+`
		JOIN samples s ON s.organization_id = r.organization_id AND s.id = r.sample_id
		WHERE r.organization_id = $1 AND r.id = $2 AND r.deleted_at IS NULL`, org, id),
		&d.RecipeName, &d.RecipeRevision, &d.SampleBarcode, &d.SampleName)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, spectra.Errorf(spectra.CodeNotFound, "run not found")
	}
	if err != nil {
		return d, err
	}
	if d.Instruments, err = runInstruments(ctx, tx, org, id); err != nil {
		return d, err
	}
	rows, err := tx.Query(ctx, `SELECT rr.id, rr.run_id, rr.device_id, rr.metric, rr.value, rr.unit, rr.measured_at, rr.created_by,
			CASE WHEN rr.metadata ? 'method' THEN rr.metadata END, rr.amendment_id, x.amendment_id, x.replacement_id
		FROM run_results rr LEFT JOIN run_result_supersessions x ON x.organization_id = rr.organization_id AND x.result_id = rr.id
		WHERE rr.organization_id = $1 AND rr.run_id = $2 ORDER BY rr.id`, org, id)
	if err != nil {
		return d, err
	}
	d.Results, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.Result, error) {
		var x spectra.Result
		err := r.Scan(&x.ID, &x.RunID, &x.DeviceID, &x.Metric, &x.Value, &x.Unit, &x.MeasuredAt, &x.CreatedBy, &x.Derivation,
			&x.AmendmentID, &x.SupersededBy, &x.ReplacedBy)
		return x, err
	})
	if err != nil {
		return d, err
	}
	if d.Amendments, err = runAmendments(ctx, tx, org, id); err != nil {
		return d, err
	}
	if d.Series, err = runDataSeries(ctx, tx, org, id); err != nil {
		return d, err
	}
	rows, err = tx.Query(ctx, `SELECT from_status, to_status, reason, actor_id, at FROM run_transitions
		WHERE organization_id = $1 AND run_id = $2 ORDER BY at, id`, org, id)
	if err != nil {
		return d, err
	}
	d.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.RunTransition, error) {
		var x spectra.RunTransition
		err := r.Scan(&x.From, &x.To, &x.Reason, &x.ActorID, &x.At)
		return x, err
	})
	return d, err
}

// runInstruments are a run's instruments with the certificates recorded
// when it was created.
func runInstruments(ctx context.Context, tx pgx.Tx, org, run uuid.UUID) ([]spectra.RunInstrument, error) {
	rows, err := tx.Query(ctx, `SELECT i.id, i.name, i.kind, i.serial, i.calibration_required, c.id
		FROM run_instruments ri JOIN instruments i ON i.organization_id = ri.organization_id AND i.id = ri.instrument_id
		LEFT JOIN calibrations c ON c.organization_id = ri.organization_id AND c.id = ri.calibration_id
		WHERE ri.organization_id = $1 AND ri.run_id = $2 ORDER BY i.name, i.id`, org, run)
	if err != nil {
		return nil, err
	}
	type row struct {
		spectra.RunInstrument
		cal *uuid.UUID
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.InstrumentID, &x.Name, &x.Kind, &x.Serial, &x.CalibrationRequired, &x.cal)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]spectra.RunInstrument, len(list))
	for i, x := range list {
		out[i] = x.RunInstrument
		if x.cal != nil {
			c, err := calibration(ctx, tx, org, *x.cal)
			if err != nil {
				return nil, err
			}
			out[i].Certificate = &c
		}
	}
	return out, nil
}

// lockInstruments takes the instruments' lockout locks in share mode
// (lockInstrumentsShared) and then their rows FOR SHARE, in id order (so
// that concurrent runs and calibrations queue instead of deadlocking): a
// calibration recorded or revoked meanwhile must wait for this
// transaction, and one in flight, or queued, is waited for. It returns the
// ids it did not find.
func lockInstruments(ctx context.Context, tx pgx.Tx, org uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	if err := lockInstrumentsShared(ctx, tx, ids); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT id FROM instruments WHERE organization_id = $1 AND id = ANY($2) AND deleted_at IS NULL
		ORDER BY id FOR SHARE`, org, ids)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, err
	}
	seen := map[uuid.UUID]bool{}
	for _, id := range found {
		seen[id] = true
	}
	var missing []uuid.UUID
	for _, id := range ids {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// checkCalibrations reads the (locked) instruments' effective
// certificates at now and returns them, or a *spectra.LockoutError naming
// every instrument that requires calibration and whose certificate has
// expired or is missing.
func checkCalibrations(ctx context.Context, tx pgx.Tx, org uuid.UUID, ids []uuid.UUID, now time.Time) ([]spectra.InstrumentCalibration, error) {
	warn, err := calibrationWarningDays(ctx, tx, org)
	if err != nil {
		return nil, err
	}
	cals, err := effectiveCalibrations(ctx, tx, org, ids)
	if err != nil {
		return nil, err
	}
	classifyCalibrations(cals, now, warn)
	var lapsed []spectra.LapsedInstrument
	for _, ic := range cals {
		if !ic.State.Locks() {
			continue
		}
		l := spectra.LapsedInstrument{ID: ic.Instrument.ID, Name: ic.Instrument.Name, State: ic.State}
		if ic.Certificate != nil {
			l.CertificateNumber, l.ExpiresAt = &ic.Certificate.CertificateNumber, &ic.Certificate.ExpiresAt
		}
		lapsed = append(lapsed, l)
	}
	if lapsed != nil {
		return cals, &spectra.LockoutError{Instruments: lapsed}
	}
	return cals, nil
}

// recordCertificates notes, for each instrument of a starting run, the
// certificate effective at the start: the one the report names.
func recordCertificates(ctx context.Context, tx pgx.Tx, org, run uuid.UUID, cals []spectra.InstrumentCalibration) error {
	for _, ic := range cals {
		var cert *uuid.UUID
		if ic.Certificate != nil {
			cert = &ic.Certificate.ID
		}
		if _, err := tx.Exec(ctx, `UPDATE run_instruments SET calibration_id = $4
			WHERE organization_id = $1 AND run_id = $2 AND instrument_id = $3 AND calibration_id IS DISTINCT FROM $4`,
			org, run, ic.Instrument.ID, cert); err != nil {
			return err
		}
	}
	return nil
}

// CreateRun plans a run, in one transaction that first locks the named
// instruments in share mode (lockInstruments), so that no calibration change can slip between
// the check and the insert. Unknown instruments, recipe or sample are
// CodeInvalid naming the field; invalid parameters CodeInvalid naming
// parameters.<name>; a recipe that is not approved, an instrument out of
// service or a sample no longer usable CodeConflict; an instrument that
// requires calibration and whose certificate has expired or is missing a
// *spectra.LockoutError. Nothing is written unless the run is.
func (db *DB) CreateRun(ctx context.Context, t Tenant, nr spectra.NewRun, now time.Time) (spectra.RunDetail, error) {
	var d spectra.RunDetail
	if len(nr.InstrumentIDs) == 0 {
		// effectiveCalibrations reads nil as "every instrument".
		return d, spectra.FieldErr(spectra.CodeInvalid, "instrument_ids", "name at least one instrument")
	}
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		missing, err := lockInstruments(ctx, tx, t.OrgID, nr.InstrumentIDs)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			e := &spectra.Error{Code: spectra.CodeInvalid, Message: "instrument_ids names instruments that do not exist"}
			for i, id := range nr.InstrumentIDs {
				for _, m := range missing {
					if id == m {
						e.Fields = append(e.Fields, spectra.FieldError{Field: fmt.Sprintf("instrument_ids[%d]", i), Message: "no such instrument"})
					}
				}
			}
			return e
		}
		var recipeStatus spectra.MethodStatus
		var decls []spectra.RecipeParam
		err = tx.QueryRow(ctx, `SELECT status, parameters FROM recipes WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`,
			t.OrgID, nr.RecipeID).Scan(&recipeStatus, &decls)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.FieldErr(spectra.CodeInvalid, "recipe_id", "no such recipe")
		}
		if err != nil {
			return err
		}
		var sampleStatus spectra.SampleStatus
		var project *uuid.UUID
		err = tx.QueryRow(ctx, `SELECT status, project_id FROM samples WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`,
			t.OrgID, nr.SampleID).Scan(&sampleStatus, &project)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.FieldErr(spectra.CodeInvalid, "sample_id", "no such sample")
		}
		if err != nil {
			return err
		}
		params, errs := spectra.ValidateRunParameters(nr.Parameters, decls)
		if len(errs) > 0 {
			return &spectra.Error{Code: spectra.CodeInvalid, Message: "parameters do not fit the recipe", Fields: errs}
		}
		if err := spectra.CheckRunPlan(recipeStatus, sampleStatus); err != nil {
			return err
		}
		cals, err := checkCalibrations(ctx, tx, t.OrgID, nr.InstrumentIDs, now)
		if err != nil {
			return err
		}
		for _, ic := range cals {
			if ic.Instrument.Status != "active" {
				return spectra.FieldErr(spectra.CodeConflict, "instrument_ids", ic.Instrument.Name+" is "+ic.Instrument.Status)
			}
		}
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO runs (organization_id, recipe_id, sample_id, project_id, parameters, notes, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.OrgID, nr.RecipeID, nr.SampleID, project, jsonb(params), nr.Notes, nilUUID(t.UserID)).Scan(&id); err != nil {
			return mapError(err, "run")
		}
		for _, ic := range cals {
			var cal *uuid.UUID
			if ic.Certificate != nil {
				cal = &ic.Certificate.ID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO run_instruments (organization_id, run_id, instrument_id, calibration_id)
				VALUES ($1, $2, $3, $4)`, t.OrgID, id, ic.Instrument.ID, cal); err != nil {
				return mapError(err, "run instrument")
			}
		}
		if err := recordRunTransition(ctx, tx, t, id, nil, spectra.RunPlanned, "", now); err != nil {
			return err
		}
		d, err = runDetail(ctx, tx, t.OrgID, id)
		return err
	})
	return d, err
}

// lockRun reads a run that is not deleted with its recipe's status, locked
// by lock (FOR UPDATE OF r, FOR SHARE OF r); CodeNotFound if there is none
// (or it is another organization's).
func lockRun(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock string) (spectra.Run, error) {
	run, err := scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+runFrom+`
		WHERE r.organization_id = $1 AND r.id = $2 AND r.deleted_at IS NULL `+lock, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return run, spectra.Errorf(spectra.CodeNotFound, "run not found")
	}
	return run, err
}

func recordRunTransition(ctx context.Context, tx pgx.Tx, t Tenant, run uuid.UUID, from *spectra.RunStatus, to spectra.RunStatus, reason string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO run_transitions (organization_id, run_id, from_status, to_status, reason, actor_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.OrgID, run, from, to, reason, nilUUID(t.UserID), now)
	return mapError(err, "run transition")
}

// RunChange is the domain's spectra.RunChange.
type RunChange = spectra.RunChange

// TransitionRun moves a run along its life, if the tenant's principal may
// (spectra.Run.Check: an illegal move is CodeConflict, one the role may
// not make CodeForbidden). Starting re-checks the instruments'
// calibrations under the same locks as CreateRun: if one lapsed, the run
// becomes blocked with the reason, that is committed, and the call
// returns a *spectra.LockoutError. The starter becomes the operator.
func (db *DB) TransitionRun(ctx context.Context, t Tenant, id uuid.UUID, c RunChange) (spectra.RunDetail, error) {
	var d spectra.RunDetail
	var lockout error
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		run, err := lockRun(ctx, tx, t.OrgID, id, "FOR UPDATE OF r")
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "run", terse: true}, run.Version, c.IfVersion, 0); err != nil {
			return err
		}
		if err := run.Check(t.Principal(), c.Action); err != nil {
			return err
		}
		to, err := spectra.NextRunStatus(run.Status, c.Action)
		if err != nil {
			return err
		}
		reason := c.Reason
		switch c.Action {
		case spectra.ActStart:
			var ids []uuid.UUID
			rows, err := tx.Query(ctx, `SELECT instrument_id FROM run_instruments WHERE organization_id = $1 AND run_id = $2`, t.OrgID, id)
			if err != nil {
				return err
			}
			if ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
				return err
			}
			if _, err := lockInstruments(ctx, tx, t.OrgID, ids); err != nil {
				return err
			}
			cals, err := checkCalibrations(ctx, tx, t.OrgID, ids, c.Now)
			if err != nil {
				var lo *spectra.LockoutError
				if !errors.As(err, &lo) {
					return err
				}
				// The block is committed: the run shows why it cannot start.
				lockout, to, reason = lo, spectra.RunBlocked, lo.Error()
			} else if err := recordCertificates(ctx, tx, t.OrgID, id, cals); err != nil {
				return err
			}
		}
		var shownReason *string // only a blocked run shows its reason
		if to == spectra.RunBlocked {
			shownReason = &reason
		}
		if _, err := tx.Exec(ctx, `UPDATE runs SET status = $3, blocked_reason = $4,
				started_at = CASE WHEN $7::boolean THEN $5 ELSE started_at END,
				operator_id = CASE WHEN $7::boolean THEN $6 ELSE operator_id END,
				finished_at = CASE WHEN $8::boolean THEN greatest($5, started_at) ELSE finished_at END
			WHERE organization_id = $1 AND id = $2`, t.OrgID, id, string(to), shownReason, c.Now, nilUUID(t.UserID),
			to == spectra.RunRunning, to.Finished()); err != nil {
			return mapError(err, "run")
		}
		if err := recordRunTransition(ctx, tx, t, id, &run.Status, to, reason, c.Now); err != nil {
			return err
		}
		d, err = runDetail(ctx, tx, t.OrgID, id)
		if err == nil && to == spectra.RunBlocked {
			err = notifyRunBlocked(ctx, tx, t, d, reason, c.Now)
		}
		return err
	})
	if err == nil && lockout != nil {
		return d, lockout
	}
	return d, err
}

// AddResults appends measurements to a run and, for every SPC series of
// the metric (and of the run's recipe and instruments, where the series
// names them), appends a point and evaluates the Western Electric rules.
// The tenant's principal must be allowed to (spectra.Run.Check with
// spectra.ActUploadResults: a run whose status takes no results is
// CodeConflict, one the caller's role may not upload to CodeForbidden); an
// unknown device is CodeInvalid naming results[i].device_id.
func (db *DB) AddResults(ctx context.Context, t Tenant, runID uuid.UUID, results []spectra.NewResult, now time.Time) ([]spectra.Result, []spectra.SPCAlert, error) {
	var out []spectra.Result
	var alerts []spectra.SPCAlert
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		run, err := runForResults(ctx, tx, t, runID)
		if err != nil {
			return err
		}
		if err := checkResultDevices(ctx, tx, t.OrgID, results); err != nil {
			return err
		}
		for _, r := range results {
			at := now
			if r.MeasuredAt != nil {
				at = *r.MeasuredAt
			}
			var x spectra.Result
			err := tx.QueryRow(ctx, `INSERT INTO run_results (organization_id, run_id, device_id, metric, value, unit, measured_at, created_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, run_id, device_id, metric, value, unit, measured_at, created_by`,
				t.OrgID, runID, r.DeviceID, r.Metric, r.Value, r.Unit, at, nilUUID(t.UserID)).
				Scan(&x.ID, &x.RunID, &x.DeviceID, &x.Metric, &x.Value, &x.Unit, &x.MeasuredAt, &x.CreatedBy)
			if err != nil {
				return mapError(err, "result")
			}
			out = append(out, x)
		}
		alerts, err = feedSeries(ctx, tx, t.OrgID, runID, run.RecipeID, out)
		return err
	})
	return out, alerts, err
}

func checkResultDevices(ctx context.Context, tx pgx.Tx, org uuid.UUID, results []spectra.NewResult) error {
	var ids []uuid.UUID
	for _, r := range results {
		if r.DeviceID != nil {
			ids = append(ids, *r.DeviceID)
		}
	}
	if ids == nil {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM devices WHERE organization_id = $1 AND id = ANY($2) AND deleted_at IS NULL`, org, ids)
	if err != nil {
		return err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	known := map[uuid.UUID]bool{}
	for _, id := range found {
		known[id] = true
	}
	e := &spectra.Error{Code: spectra.CodeInvalid, Message: "results name devices that do not exist"}
	for i, r := range results {
		if r.DeviceID != nil && !known[*r.DeviceID] {
			e.Fields = append(e.Fields, spectra.FieldError{Field: fmt.Sprintf("results[%d].device_id", i), Message: "no such device"})
		}
	}
	if e.Fields != nil {
		return e
	}
	return nil
}

// feedSeries appends each result to the SPC series that follow its
// metric, locking each series (in id order) while its rules run.
func feedSeries(ctx context.Context, tx pgx.Tx, org, run, recipe uuid.UUID, results []spectra.Result) ([]spectra.SPCAlert, error) {
	metrics := make([]string, len(results))
	for i, r := range results {
		metrics[i] = r.Metric
	}
	rows, err := tx.Query(ctx, `SELECT `+seriesColumns+` FROM spc_series s
		WHERE organization_id = $1 AND deleted_at IS NULL AND metric = ANY($2)
		  AND (recipe_id IS NULL OR recipe_id = $3)
		  AND (instrument_id IS NULL OR EXISTS (SELECT 1 FROM run_instruments ri WHERE ri.organization_id = s.organization_id
		       AND ri.run_id = $4 AND ri.instrument_id = s.instrument_id))
		ORDER BY id FOR UPDATE`, org, metrics, recipe, run)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.SPCSeries, error) { return scanSeries(r) })
	if err != nil {
		return nil, err
	}
	var alerts []spectra.SPCAlert
	for _, s := range list {
		var points []NewSPCPoint
		for _, r := range results {
			if r.Metric == s.Metric {
				points = append(points, NewSPCPoint{TS: r.MeasuredAt, Value: r.Value, RunID: &run, RunResultID: &r.ID})
			}
		}
		_, raised, err := appendPoints(ctx, tx, org, s, points)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, raised...)
	}
	return alerts, nil
}
