package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Amendments to completed runs (migration 00017, spectra/amendment.go):
// the amendment row, the results it adds, and a supersession per result it
// corrects or withdraws. Nothing already written changes.

// AmendRun writes an amendment of a completed run in one transaction: the
// amendment (reason, author), each correction as a new result (the
// original's metric, unit, device and measurement time, the corrected
// value) with a supersession naming the original, each withdrawal as a
// supersession without replacement, and each added result. SPC: a
// corrected result's points leave their series and the correction is
// appended to the same series at the same time (the rules run on it); a
// withdrawn result's points leave their series; an added result feeds the
// series of its metric as an upload does. Derived results are not
// recomputed.
//
// Errors: the run missing or another organization's, CodeNotFound; not
// completed, CodeConflict naming the status (spectra.Run.Check with
// spectra.ActAmend; a role without result.amend, CodeForbidden); invalid
// input (NewAmendment.Validate), a result that is not this run's or an
// unknown device, CodeInvalid naming the field; a result superseded
// already, CodeConflict naming it. Nothing is written unless all is.
func (db *DB) AmendRun(ctx context.Context, t Tenant, runID uuid.UUID, na spectra.NewAmendment, now time.Time) (spectra.RunAmendment, []spectra.SPCAlert, error) {
	var out spectra.RunAmendment
	var alerts []spectra.SPCAlert
	if err := na.Validate(); err != nil {
		return out, nil, err
	}
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// FOR SHARE: the status holds until the transaction ends.
		run, err := lockRun(ctx, tx, t.OrgID, runID, "FOR SHARE OF r")
		if err != nil {
			return err
		}
		if err := run.Check(t.Principal(), spectra.ActAmend); err != nil {
			return err
		}
		originals, err := supersededResults(ctx, tx, t.OrgID, runID, na.Supersede)
		if err != nil {
			return err
		}
		if err := checkResultDevices(ctx, tx, t.OrgID, na.Add); err != nil {
			return err
		}
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO run_amendments (organization_id, run_id, reason, author_id, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, t.OrgID, runID, na.Reason, nilUUID(t.UserID), now).Scan(&id); err != nil {
			return mapError(err, "amendment")
		}
		var corrections, added []spectra.Result
		replaced := map[uuid.UUID]uuid.UUID{} // original → correction
		for i, s := range na.Supersede {
			o := originals[i]
			var replacement *uuid.UUID
			if s.Value != nil {
				c, err := insertAmendedResult(ctx, tx, t, runID, id, spectra.NewResult{Metric: o.Metric, Value: *s.Value, Unit: o.Unit,
					DeviceID: o.DeviceID, MeasuredAt: &o.MeasuredAt}, now)
				if err != nil {
					return err
				}
				corrections, replacement, replaced[o.ID] = append(corrections, c), &c.ID, c.ID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO run_result_supersessions (organization_id, amendment_id, result_id, replacement_id)
				VALUES ($1, $2, $3, $4)`, t.OrgID, id, o.ID, replacement); err != nil {
				if isUniqueViolation(err) { // another amendment superseded it meanwhile
					return spectra.FieldErr(spectra.CodeConflict, fmt.Sprintf("supersede[%d].result_id", i), "was superseded by another amendment meanwhile")
				}
				return mapError(err, "amendment")
			}
		}
		for _, r := range na.Add {
			x, err := insertAmendedResult(ctx, tx, t, runID, id, r, now)
			if err != nil {
				return err
			}
			added = append(added, x)
		}
		if alerts, err = replaceSPCPoints(ctx, tx, t.OrgID, runID, corrections, replaced); err != nil {
			return err
		}
		if len(added) > 0 {
			raised, err := feedSeries(ctx, tx, t.OrgID, runID, run.RecipeID, added)
			if err != nil {
				return err
			}
			alerts = append(alerts, raised...)
		}
		list, err := runAmendments(ctx, tx, t.OrgID, runID)
		if err != nil {
			return err
		}
		for _, a := range list {
			if a.ID == id {
				out = a
			}
		}
		return nil
	})
	return out, alerts, err
}

// supersededResults reads the results na.Supersede names, in its order:
// each must be a current result of run (CodeInvalid naming
// supersede[i].result_id otherwise, CodeConflict if an amendment
// superseded it already). A concurrent amendment of the same result
// loses on the supersession's unique key (AmendRun answers CodeConflict).
func supersededResults(ctx context.Context, tx pgx.Tx, org, run uuid.UUID, list []spectra.Supersession) ([]spectra.Result, error) {
	if len(list) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(list))
	for i, s := range list {
		ids[i] = s.ResultID
	}
	rows, err := tx.Query(ctx, `SELECT rr.id, rr.run_id, rr.device_id, rr.metric, rr.value, rr.unit, rr.measured_at,
			EXISTS (SELECT 1 FROM run_result_supersessions x WHERE x.organization_id = rr.organization_id AND x.result_id = rr.id)
		FROM run_results rr WHERE rr.organization_id = $1 AND rr.id = ANY($2)`, org, ids)
	if err != nil {
		return nil, err
	}
	type row struct {
		spectra.Result
		superseded bool
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.ID, &x.RunID, &x.DeviceID, &x.Metric, &x.Value, &x.Unit, &x.MeasuredAt, &x.superseded)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]row{}
	for _, x := range found {
		byID[x.ID] = x
	}
	out := make([]spectra.Result, len(list))
	invalid := &spectra.Error{Code: spectra.CodeInvalid}
	conflict := &spectra.Error{Code: spectra.CodeConflict}
	for i, s := range list {
		field := fmt.Sprintf("supersede[%d].result_id", i)
		x, ok := byID[s.ResultID]
		switch {
		case !ok:
			invalid.Fields = append(invalid.Fields, spectra.FieldError{Field: field, Message: "no such result of this run"})
		case x.RunID != run:
			invalid.Fields = append(invalid.Fields, spectra.FieldError{Field: field, Message: "is a result of another run"})
		case x.superseded:
			conflict.Fields = append(conflict.Fields, spectra.FieldError{Field: field,
				Message: "was superseded by an earlier amendment already; correct its replacement instead"})
		}
		out[i] = x.Result
	}
	for _, e := range []*spectra.Error{invalid, conflict} {
		if e.Fields != nil {
			e.Message = e.Fields[0].Field + " " + e.Fields[0].Message
			return nil, e
		}
	}
	return out, nil
}

// insertAmendedResult appends a result an amendment adds.
func insertAmendedResult(ctx context.Context, tx pgx.Tx, t Tenant, run, amendment uuid.UUID, r spectra.NewResult, now time.Time) (spectra.Result, error) {
	at := now
	if r.MeasuredAt != nil {
		at = *r.MeasuredAt
	}
	var x spectra.Result
	err := tx.QueryRow(ctx, `INSERT INTO run_results (organization_id, run_id, device_id, metric, value, unit, measured_at, created_by, amendment_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, run_id, device_id, metric, value, unit, measured_at, created_by, amendment_id`,
		t.OrgID, run, r.DeviceID, r.Metric, r.Value, r.Unit, at, nilUUID(t.UserID), amendment).
		Scan(&x.ID, &x.RunID, &x.DeviceID, &x.Metric, &x.Value, &x.Unit, &x.MeasuredAt, &x.CreatedBy, &x.AmendmentID)
	return x, mapError(err, "result")
}

// replaceSPCPoints appends each correction to the SPC series that hold a
// point of the result it replaces, at that point's time, and evaluates the
// rules there (the superseded point no longer counts: currentPoint). The
// series are locked in id order, as feedSeries locks them.
func replaceSPCPoints(ctx context.Context, tx pgx.Tx, org, run uuid.UUID, corrections []spectra.Result, replaced map[uuid.UUID]uuid.UUID) ([]spectra.SPCAlert, error) {
	if len(corrections) == 0 {
		return nil, nil
	}
	olds := make([]uuid.UUID, 0, len(replaced))
	for o := range replaced {
		olds = append(olds, o)
	}
	rows, err := tx.Query(ctx, `SELECT `+seriesColumns+` FROM spc_series s WHERE organization_id = $1 AND deleted_at IS NULL
		AND id IN (SELECT series_id FROM spc_points WHERE organization_id = $1 AND run_result_id = ANY($2))
		ORDER BY id FOR UPDATE`, org, olds)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.SPCSeries, error) { return scanSeries(r) })
	if err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]spectra.Result{}
	for _, c := range corrections {
		byID[c.ID] = c
	}
	var alerts []spectra.SPCAlert
	for _, s := range list {
		rows, err := tx.Query(ctx, `SELECT ts, run_result_id FROM spc_points WHERE organization_id = $1 AND series_id = $2
			AND run_result_id = ANY($3) ORDER BY ts, id`, org, s.ID, olds)
		if err != nil {
			return nil, err
		}
		type old struct {
			ts     time.Time
			result uuid.UUID
		}
		points, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (old, error) {
			var x old
			err := r.Scan(&x.ts, &x.result)
			return x, err
		})
		if err != nil {
			return nil, err
		}
		var add []NewSPCPoint
		for _, p := range points {
			c := byID[replaced[p.result]]
			add = append(add, NewSPCPoint{TS: p.ts, Value: c.Value, RunID: &run, RunResultID: &c.ID})
		}
		_, raised, err := appendPoints(ctx, tx, org, s, add)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, raised...)
	}
	return alerts, nil
}

// runAmendments are a run's amendments, oldest first, each with its
// author's name and its changes.
func runAmendments(ctx context.Context, tx pgx.Tx, org, run uuid.UUID) ([]spectra.RunAmendment, error) {
	rows, err := tx.Query(ctx, `SELECT a.id, a.run_id, a.reason, a.author_id, coalesce(u.display_name, ''), a.created_at
		FROM run_amendments a LEFT JOIN users u ON u.id = a.author_id
		WHERE a.organization_id = $1 AND a.run_id = $2 ORDER BY a.created_at, a.id`, org, run)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.RunAmendment, error) {
		a := spectra.RunAmendment{Changes: []spectra.AmendmentChange{}}
		err := r.Scan(&a.ID, &a.RunID, &a.Reason, &a.AuthorID, &a.AuthorName, &a.CreatedAt)
		return a, err
	})
	if err != nil || len(list) == 0 {
		return []spectra.RunAmendment{}, err
	}
	// Corrections and withdrawals (by the superseded result), then
	// additions: results an amendment added that replace nothing.
	rows, err = tx.Query(ctx, `
		SELECT x.amendment_id, CASE WHEN x.replacement_id IS NULL THEN 'withdrawn' ELSE 'corrected' END,
		       o.metric, o.unit, o.id, n.id, o.value, n.value, o.id AS k
		FROM run_result_supersessions x
		JOIN run_results o ON o.organization_id = x.organization_id AND o.id = x.result_id
		LEFT JOIN run_results n ON n.organization_id = x.organization_id AND n.id = x.replacement_id
		WHERE x.organization_id = $1 AND o.run_id = $2
		UNION ALL
		SELECT r.amendment_id, 'added', r.metric, r.unit, NULL, r.id, NULL, r.value, r.id
		FROM run_results r
		WHERE r.organization_id = $1 AND r.run_id = $2 AND r.amendment_id IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM run_result_supersessions x WHERE x.organization_id = r.organization_id AND x.replacement_id = r.id)
		ORDER BY 1, 9`, org, run)
	if err != nil {
		return nil, err
	}
	index := map[uuid.UUID]int{}
	for i, a := range list {
		index[a.ID] = i
	}
	type change struct {
		amendment uuid.UUID
		spectra.AmendmentChange
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var c change
		var key uuid.UUID
		err := r.Scan(&c.amendment, &c.Kind, &c.Metric, &c.Unit, &c.ResultID, &c.NewResultID, &c.OldValue, &c.NewValue, &key)
		return c, err
	})
	for _, c := range changes {
		if i, ok := index[c.amendment]; ok {
			list[i].Changes = append(list[i].Changes, c.AmendmentChange)
		}
	}
	return list, err
}
