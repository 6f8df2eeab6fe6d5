package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// seededResult is the id and value of a seeded result of run.
func seededResult(t *testing.T, l seriesLab, run uuid.UUID, metric string) (uuid.UUID, float64) {
	t.Helper()
	var id uuid.UUID
	var v float64
	if err := l.inspector.Pool().QueryRow(context.Background(), `SELECT id, value FROM run_results WHERE run_id = $1 AND metric = $2`,
		run, metric).Scan(&id, &v); err != nil {
		t.Fatal(err)
	}
	return id, v
}

// TestAmendRun corrects a seeded completed run's threshold voltage,
// withdraws its leakage current and adds a result, in one amendment: the
// originals stay as they were, marked superseded; the run shows the
// amendment with its author's name, reason and changes; the control
// chart shows the corrected value where the old one was, and the old
// point no longer counts; the new rows are audited.
func TestAmendRun(t *testing.T) {
	l := newSeriesLab(t)
	ctx := context.Background()
	run := l.completed
	vth, oldVth := seededResult(t, l, run, "threshold_voltage")
	leak, oldLeak := seededResult(t, l, run, "leakage_current")
	var seriesID uuid.UUID
	var pointTS time.Time
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT series_id, ts FROM spc_points WHERE run_result_id = $1`, vth).Scan(&seriesID, &pointTS); err != nil {
		t.Fatal(err)
	}
	corrected := oldVth + 0.0123
	now := time.Now().UTC().Truncate(time.Microsecond)
	a, _, err := l.db.AmendRun(ctx, l.engineer, run, spectra.NewAmendment{
		Reason:    "  Wrong probe offset on the SMU; re-read from the raw file.  ",
		Supersede: []spectra.Supersession{{ResultID: vth, Value: &corrected}, {ResultID: leak, Withdraw: true}},
		Add:       []spectra.NewResult{{Metric: "contact_resistance", Value: 12.5, Unit: "ohm"}},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT display_name FROM users WHERE id = $1`, l.engineer.UserID).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if a.RunID != run || a.Reason != "Wrong probe offset on the SMU; re-read from the raw file." || a.AuthorID == nil ||
		*a.AuthorID != l.engineer.UserID || a.AuthorName != name || name == "" || !a.CreatedAt.Equal(now) {
		t.Errorf("amendment = %+v (author %q)", a, name)
	}
	kinds := map[spectra.ChangeKind]spectra.AmendmentChange{}
	for _, c := range a.Changes {
		kinds[c.Kind] = c
	}
	if len(a.Changes) != 3 || len(kinds) != 3 {
		t.Fatalf("changes = %+v", a.Changes)
	}
	if c := kinds[spectra.ChangeCorrected]; c.Metric != "threshold_voltage" || c.Unit != "V" || *c.ResultID != vth || *c.OldValue != oldVth ||
		*c.NewValue != corrected || c.NewResultID == nil {
		t.Errorf("correction = %+v", c)
	}
	if c := kinds[spectra.ChangeWithdrawn]; *c.ResultID != leak || *c.OldValue != oldLeak || c.NewValue != nil || c.NewResultID != nil {
		t.Errorf("withdrawal = %+v", c)
	}
	if c := kinds[spectra.ChangeAdded]; c.Metric != "contact_resistance" || c.ResultID != nil || *c.NewValue != 12.5 || c.NewResultID == nil {
		t.Errorf("addition = %+v", c)
	}

	d, err := l.db.RunDetail(ctx, l.engineer, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Amendments) != 1 || d.Amendments[0].ID != a.ID || len(d.Amendments[0].Changes) != 3 {
		t.Errorf("run amendments = %+v", d.Amendments)
	}
	byID := map[uuid.UUID]spectra.Result{}
	for _, r := range d.Results {
		byID[r.ID] = r
	}
	newVth := *kinds[spectra.ChangeCorrected].NewResultID
	if len(d.Results) != 5 {
		t.Errorf("%d results, want the 3 measured and 2 the amendment added", len(d.Results))
	}
	if r := byID[vth]; r.Value != oldVth || r.SupersededBy == nil || *r.SupersededBy != a.ID || r.ReplacedBy == nil ||
		*r.ReplacedBy != newVth || r.Standing() != "superseded" {
		t.Errorf("the corrected original = %+v", r)
	}
	if r := byID[leak]; r.Value != oldLeak || *r.SupersededBy != a.ID || r.ReplacedBy != nil || r.Standing() != "withdrawn" {
		t.Errorf("the withdrawn original = %+v", r)
	}
	if r := byID[newVth]; r.Value != corrected || !r.MeasuredAt.Equal(byID[vth].MeasuredAt) || r.AmendmentID == nil ||
		*r.AmendmentID != a.ID || r.Standing() != "current" || r.DeviceID == nil || *r.DeviceID != *byID[vth].DeviceID {
		t.Errorf("the correction = %+v", r)
	}

	// The chart: the correction's point at the old point's time, the old one gone from it.
	points, err := l.db.SeriesPoints(ctx, l.engineer, seriesID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range points {
		if p.RunResultID != nil && *p.RunResultID == vth {
			t.Errorf("the superseded point is still on the chart: %+v", p)
		}
		if p.RunResultID != nil && *p.RunResultID == newVth {
			found = p.Value == corrected && p.TS.Equal(pointTS)
		}
	}
	if !found {
		t.Errorf("no point of the correction (%v at %v) on the chart", corrected, pointTS)
	}
	var kept int
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT count(*) FROM spc_points WHERE run_result_id = $1`, vth).Scan(&kept); err != nil || kept != 1 {
		t.Errorf("the superseded point was not kept: %d %v", kept, err)
	}

	for table, n := range map[string]int{"run_amendments": 1, "run_result_supersessions": 2} {
		var got int
		if err := l.inspector.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE table_name = $1 AND action = 'INSERT'
			AND actor_id = $2`, table, l.engineer.UserID).Scan(&got); err != nil || got != n {
			t.Errorf("%s: %d audit entries, want %d (%v)", table, got, n, err)
		}
	}

	// A correction of the correction supersedes the replacement; the
	// superseded original cannot be superseded again.
	again := corrected + 0.001
	if _, _, err := l.db.AmendRun(ctx, l.engineer, run, spectra.NewAmendment{Reason: "again",
		Supersede: []spectra.Supersession{{ResultID: vth, Value: &again}}}, now); spectra.ErrorCode(err) != spectra.CodeConflict ||
		!strings.Contains(err.Error(), "supersede[0].result_id") {
		t.Errorf("superseding a superseded result: %v", err)
	}
	if _, _, err := l.db.AmendRun(ctx, l.engineer, run, spectra.NewAmendment{Reason: "again",
		Supersede: []spectra.Supersession{{ResultID: newVth, Value: &again}}}, now); err != nil {
		t.Errorf("correcting the correction: %v", err)
	}
}

// TestAmendRunRefusals: each refusal has its code, names what it must,
// and writes nothing.
func TestAmendRunRefusals(t *testing.T) {
	l := newSeriesLab(t)
	ctx := context.Background()
	vth, _ := seededResult(t, l, l.completed, "threshold_voltage")
	var otherRun, otherResult uuid.UUID
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT r.run_id, r.id FROM run_results r JOIN runs u ON u.id = r.run_id
		WHERE u.organization_id = $1 AND r.run_id <> $2 AND u.status = 'completed' LIMIT 1`, l.engineer.OrgID, l.completed).Scan(&otherRun, &otherResult); err != nil {
		t.Fatal(err)
	}
	v := 1.0
	fix := func(id uuid.UUID) []spectra.Supersession { return []spectra.Supersession{{ResultID: id, Value: &v}} }
	tech := postgres.Tenant{Auth: "password", Role: spectra.RoleTechnician, Authorize: true, OrgID: l.engineer.OrgID}
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT id FROM users WHERE email = 'tech@demo.lab'`).Scan(&tech.UserID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tenant postgres.Tenant
		run    uuid.UUID
		a      spectra.NewAmendment
		code   spectra.Code
		says   string
	}{
		{"a failed run", l.engineer, l.failed, spectra.NewAmendment{Reason: "r", Add: []spectra.NewResult{{Metric: "m", Value: 1}}}, spectra.CodeConflict, "this run is failed"},
		{"another organization's run", l.outsider, l.completed, spectra.NewAmendment{Reason: "r", Supersede: fix(vth)}, spectra.CodeNotFound, "run not found"},
		{"a technician", tech, l.completed, spectra.NewAmendment{Reason: "r", Supersede: fix(vth)}, spectra.CodeForbidden, "amend"},
		{"a blank reason", l.engineer, l.completed, spectra.NewAmendment{Reason: " \t\n", Supersede: fix(vth)}, spectra.CodeInvalid, "reason"},
		{"a reason too long", l.engineer, l.completed, spectra.NewAmendment{Reason: strings.Repeat("é", spectra.MaxAmendmentReason+1), Supersede: fix(vth)}, spectra.CodeInvalid, "reason"},
		{"no change", l.engineer, l.completed, spectra.NewAmendment{Reason: "r"}, spectra.CodeInvalid, "supersede"},
		{"an unknown result", l.engineer, l.completed, spectra.NewAmendment{Reason: "r", Supersede: fix(uuid.New())}, spectra.CodeInvalid, "supersede[0].result_id no such result"},
		{"another run's result", l.engineer, l.completed, spectra.NewAmendment{Reason: "r", Supersede: fix(otherResult)}, spectra.CodeInvalid, "supersede[0].result_id is a result of another run"},
		{"neither value nor withdraw", l.engineer, l.completed, spectra.NewAmendment{Reason: "r", Supersede: []spectra.Supersession{{ResultID: vth}}}, spectra.CodeInvalid, "supersede[0].value"},
		{"value and withdraw", l.engineer, l.completed, spectra.NewAmendment{Reason: "r", Supersede: []spectra.Supersession{{ResultID: vth, Value: &v, Withdraw: true}}}, spectra.CodeInvalid, "supersede[0].value"},
		{"a result named twice", l.engineer, l.completed, spectra.NewAmendment{Reason: "r", Supersede: append(fix(vth), fix(vth)...)}, spectra.CodeInvalid, "supersede[1].result_id"},
		{"an unknown device", l.engineer, l.completed, spectra.NewAmendment{Reason: "r", Supersede: fix(vth),
			Add: []spectra.NewResult{{Metric: "m", Value: 1, DeviceID: &otherRun}}}, spectra.CodeInvalid, "results[0].device_id"},
	}
	count := func() int {
		var n int
		if err := l.inspector.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM run_amendments) + (SELECT count(*) FROM run_result_supersessions)
			+ (SELECT count(*) FROM run_results) + (SELECT count(*) FROM spc_points)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for _, c := range cases {
		_, _, err := l.db.AmendRun(ctx, c.tenant, c.run, c.a, time.Now())
		said := ""
		var se *spectra.Error
		if errors.As(err, &se) {
			said = se.Message
			for _, f := range se.Fields {
				said += "; " + f.Field + " " + f.Message
			}
		}
		if spectra.ErrorCode(err) != c.code || !strings.Contains(said, c.says) {
			t.Errorf("%s: %v, want %s saying %q", c.name, err, c.code, c.says)
		}
	}
	if n := count(); n != before {
		t.Errorf("refused amendments wrote %d rows", n-before)
	}
}

// TestCompletedRunRecordIsImmutable: the database itself keeps a completed
// run's results and series as they are. The application role has no
// UPDATE or DELETE on them; the owner (who has) is refused by the guard
// trigger for a completed run, and may still do so for a failed one (the
// guard is about completion); a result enters a completed run only with an
// amendment of that run, a series or chunk not at all; a completed run
// stays completed; a supersession replaces a result only by one its own
// amendment added to the same run.
func TestCompletedRunRecordIsImmutable(t *testing.T) {
	l := newSeriesLab(t)
	owner := l.inspector
	ctx := context.Background()
	org := l.engineer.OrgID
	vth, _ := seededResult(t, l, l.completed, "threshold_voltage")
	onCurrent, _ := seededResult(t, l, l.completed, "on_current") // no SPC point refers to it
	var series, failedSeries uuid.UUID
	for run, id := range map[uuid.UUID]*uuid.UUID{l.completed: &series, l.failed: &failedSeries} {
		if err := owner.Pool().QueryRow(ctx, `SELECT id FROM run_series WHERE run_id = $1 LIMIT 1`, run).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	app := func(sql string, args ...any) error {
		return l.db.InTenant(ctx, l.engineer, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, sql, args...); return err })
	}
	asOwner := func(sql string, args ...any) error { return pgtest.OwnerExec(ctx, owner, org, sql, args...) }
	code := func(err error) string {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return pgErr.Code
		}
		return ""
	}
	const denied, guarded = "42501", "23000"
	cases := []struct {
		name string
		exec func(string, ...any) error
		sql  string
		args []any
		want string
	}{
		{"app UPDATE of a result", app, `UPDATE run_results SET value = 0 WHERE id = $1`, []any{vth}, denied},
		{"app DELETE of a result", app, `DELETE FROM run_results WHERE id = $1`, []any{vth}, denied},
		{"app UPDATE of a series", app, `UPDATE run_series SET name = 'x' WHERE id = $1`, []any{series}, denied},
		{"app DELETE of chunks", app, `DELETE FROM run_series_chunks WHERE series_id = $1`, []any{series}, denied},
		{"owner UPDATE of a result", asOwner, `UPDATE run_results SET value = 0 WHERE id = $1`, []any{vth}, guarded},
		{"owner DELETE of a result", asOwner, `DELETE FROM run_results WHERE id = $1`, []any{onCurrent}, guarded},
		{"owner UPDATE of a series", asOwner, `UPDATE run_series SET name = 'x' WHERE id = $1`, []any{series}, guarded},
		{"owner UPDATE of chunks", asOwner, `UPDATE run_series_chunks SET x_min = x_min WHERE series_id = $1`, []any{series}, guarded},
		{"app INSERT of a result without an amendment", app,
			`INSERT INTO run_results (organization_id, run_id, metric, value) VALUES ($1, $2, 'm', 1)`, []any{org, l.completed}, guarded},
		{"app INSERT of a series", app, `INSERT INTO run_series (organization_id, run_id, name, columns, row_count, sha256)
			VALUES ($1, $2, 'late', '[{"name":"x"},{"name":"y"}]', 1, repeat('0', 64))`, []any{org, l.completed}, guarded},
		{"app INSERT of a chunk", app, `INSERT INTO run_series_chunks (organization_id, series_id, level, chunk, row_count, x_min, x_max, data)
			VALUES ($1, $2, 0, 999, 1, 0, 0, '\x0000000000000000')`, []any{org, series}, guarded},
		{"app reopening a completed run", app, `UPDATE runs SET status = 'running' WHERE id = $1`, []any{l.completed}, guarded},
		{"app amending a failed run", app, `INSERT INTO run_amendments (organization_id, run_id, reason) VALUES ($1, $2, 'r')`, []any{org, l.failed}, guarded},
		{"app amendment with a blank reason", app, `INSERT INTO run_amendments (organization_id, run_id, reason) VALUES ($1, $2, '  ')`, []any{org, l.completed}, "23514"},
		{"owner UPDATE of a failed run's series", asOwner, `UPDATE run_series SET name = name WHERE id = $1`, []any{failedSeries}, ""},
	}
	for _, c := range cases {
		if got := code(c.exec(c.sql, c.args...)); got != c.want {
			t.Errorf("%s: SQLSTATE %q, want %q", c.name, got, c.want)
		}
	}

	// A supersession must stay within its amendment's run, and a
	// replacement must be a result that amendment added.
	err := l.db.InTenant(ctx, l.engineer, func(tx pgx.Tx) error {
		var a, other uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO run_amendments (organization_id, run_id, reason) VALUES ($1, $2, 'r') RETURNING id`,
			org, l.completed).Scan(&a); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM run_results WHERE run_id <> $1 AND run_id IN (SELECT id FROM runs WHERE status = 'completed') LIMIT 1`,
			l.completed).Scan(&other); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO run_result_supersessions (organization_id, amendment_id, result_id) VALUES ($1, $2, $3)`, org, a, other)
		return err
	})
	if code(err) != guarded {
		t.Errorf("a supersession of another run's result: %v", err)
	}
	err = l.db.InTenant(ctx, l.engineer, func(tx pgx.Tx) error {
		var a uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO run_amendments (organization_id, run_id, reason) VALUES ($1, $2, 'r') RETURNING id`,
			org, l.completed).Scan(&a); err != nil {
			return err
		}
		var sibling uuid.UUID // a measured result of the same run: not this amendment's
		if err := tx.QueryRow(ctx, `SELECT id FROM run_results WHERE run_id = $1 AND id <> $2 LIMIT 1`, l.completed, vth).Scan(&sibling); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO run_result_supersessions (organization_id, amendment_id, result_id, replacement_id) VALUES ($1, $2, $3, $4)`,
			org, a, vth, sibling)
		return err
	})
	if code(err) != guarded {
		t.Errorf("a replacement the amendment did not add: %v", err)
	}
}
