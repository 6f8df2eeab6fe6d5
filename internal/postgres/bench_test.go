package postgres_test

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// The hot paths of PRODUCT.md §10, measured through the store methods, as
// the application role under row-level security, in the transaction a
// request opens (Authorize on, as TenantOf makes it). The data is grown
// once per benchmark with set-based SQL as the owner (audit triggers
// included) and ANALYZEd, as production tables of that size would be.
// Loading takes a while; they run only with -bench:
//
//	go test ./internal/postgres -run '^$' -bench . -benchmem
//
// Besides ns/op each reports the p50 and p99 of its iterations, in
// milliseconds, to hold against §10's figures.

// benchTenant is the tenant of an engineer's request, authorized as every
// request is (the session and token are unknown ids: neither revoked).
func benchTenant(org, user uuid.UUID) postgres.Tenant {
	return postgres.Tenant{OrgID: org, UserID: user, Auth: "password", RequestID: "bench",
		Authorize: true, Role: spectra.RoleEngineer, Session: uuid.New(), TokenID: uuid.New()}
}

// benchExec runs a statement as the owner and returns the rows it touched.
func benchExec(b *testing.B, db *postgres.DB, sql string, args ...any) int64 {
	b.Helper()
	tag, err := db.Pool().Exec(context.Background(), sql, args...)
	if err != nil {
		b.Fatalf("%s: %v", strings.TrimSpace(strings.SplitN(sql, "\n", 2)[0]), err)
	}
	return tag.RowsAffected()
}

// benchIDs runs a query as the owner and returns the ids it selects.
func benchIDs(b *testing.B, db *postgres.DB, sql string, args ...any) []uuid.UUID {
	b.Helper()
	rows, err := db.Pool().Query(context.Background(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// analyze refreshes the planner's statistics after a load.
func analyze(b *testing.B, db *postgres.DB, tables ...string) {
	b.Helper()
	for _, t := range tables {
		benchExec(b, db, "ANALYZE "+pgx.Identifier{t}.Sanitize())
	}
}

// latencies holds each iteration's duration, for percentiles beside ns/op.
type latencies []time.Duration

func (l *latencies) since(start time.Time) { *l = append(*l, time.Since(start)) }

// report adds the nearest-rank p50 and p99, in milliseconds, to b's result.
func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	at := func(p float64) float64 {
		i := max(0, int(math.Ceil(p*float64(len(l))))-1)
		return float64(l[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// growSamples adds n samples to org (one in a hundred soft-deleted), ids
// in creation order as the application makes them.
func growSamples(b *testing.B, db *postgres.DB, org, user uuid.UUID, prefix string, n int) {
	b.Helper()
	benchExec(b, db, `INSERT INTO samples (organization_id, barcode, name, material, status, location, metadata, created_by, created_at, deleted_at)
		SELECT $1, $3::text || '-' || lpad(g::text, 7, '0'), 'Sample ' || g,
		       (ARRAY['Si', 'SiC', 'GaN', 'GaAs', 'InP'])[1 + g % 5],
		       (ARRAY['registered', 'in_use', 'stored', 'checked_out'])[1 + g % 4],
		       'Freezer ' || (1 + g % 12) || ', shelf ' || (1 + g % 5),
		       jsonb_build_object('lot', 'L' || (g / 50), 'thickness_um', 300 + g % 400, 'supplier', 'Wafer Co'),
		       $2, now() - make_interval(mins => $4::int - g),
		       CASE WHEN g % 100 = 0 THEN now() END
		FROM generate_series(1, $4::int) g`, org, user, prefix, n)
}

// analysisLab is an organization with n instruments and their
// calibration history, an approved recipe, samples, and (optionally)
// finished runs with their instruments, results and history.
type analysisLab struct {
	db         *postgres.DB
	org, user  uuid.UUID
	ten        postgres.Tenant
	recipe     uuid.UUID
	calibrated []uuid.UUID // instruments with a valid certificate, by id
}

// newAnalysisLab grows the lab. Of every ten instruments, by number:
// 0 expired, 1 expiring within the warning window, 2 not requiring
// calibration, 3 never calibrated, the rest valid; each calibrated one
// has twelve yearly certificates.
func newAnalysisLab(b *testing.B, instruments, samples, runsPerSample, resultsPerRun int) analysisLab {
	b.Helper()
	db := pgtest.NewDB(b)
	l := analysisLab{db: db}
	l.org, l.user = elnOrg(b, db, "bench-analysis")
	l.ten = benchTenant(l.org, l.user)
	ctx := context.Background()

	benchExec(b, db, `INSERT INTO instruments (organization_id, name, kind, serial, location, calibration_required, metadata, created_by)
		SELECT $1, 'Instrument ' || lpad(g::text, 3, '0'), (ARRAY['SMU', 'Ellipsometer', 'Spectrometer', 'Probe station', 'AFM'])[1 + g % 5],
		       'SN-' || (100000 + g), 'Lab ' || (1 + g % 3), g % 10 <> 2, jsonb_build_object('n', g), $2
		FROM generate_series(1, $3::int) g`, l.org, l.user, instruments)
	benchExec(b, db, `INSERT INTO calibrations (organization_id, instrument_id, certificate_number, provider, issued_at, expires_at, recorded_by)
		SELECT i.organization_id, i.id, 'CERT-' || (i.metadata->>'n') || '-' || k, 'Metrology Services', d.issued, d.issued + interval '365 days', $2
		FROM instruments i CROSS JOIN generate_series(0, 11) k
		CROSS JOIN LATERAL (SELECT now() - make_interval(days => k * 365 + CASE (i.metadata->>'n')::int % 10
		                           WHEN 0 THEN 400 WHEN 1 THEN 350 ELSE 10 END) AS issued) d
		WHERE i.organization_id = $1 AND (i.metadata->>'n')::int % 10 NOT IN (2, 3)`, l.org, l.user)
	l.calibrated = benchIDs(b, db, `SELECT id FROM instruments WHERE organization_id = $1 AND (metadata->>'n')::int % 10 >= 4 ORDER BY id`, l.org)

	params := `[{"name": "v_start", "unit": "V", "min": -10, "max": 10, "default": -1},
		{"name": "v_stop", "unit": "V", "min": -10, "max": 10, "default": 2},
		{"name": "compliance", "unit": "A", "min": 0, "max": 1, "default": 0.001}]`
	if err := db.Pool().QueryRow(ctx, `INSERT INTO recipes (organization_id, lineage_id, name, parameters, instrument_kinds, status, approved_at, approved_by, created_by)
		VALUES ($1, gen_random_uuid(), 'IV sweep', $3, '{SMU}', 'approved', now(), $2, $2) RETURNING id`, l.org, l.user, params).Scan(&l.recipe); err != nil {
		b.Fatal(err)
	}
	growSamples(b, db, l.org, l.user, "AL", samples)
	if runsPerSample > 0 {
		l.growRuns(b, runsPerSample, resultsPerRun)
	}
	analyze(b, db, "instruments", "calibrations", "samples", "runs", "run_instruments", "run_results", "run_transitions")
	return l
}

// growRuns gives every live sample perSample completed runs, each with
// three calibrated instruments (and the certificate it ran under), its
// three transitions and results measurements.
func (l analysisLab) growRuns(b *testing.B, perSample, results int) {
	b.Helper()
	benchExec(b, l.db, `INSERT INTO runs (organization_id, recipe_id, sample_id, status, parameters, started_at, finished_at, operator_id, created_by, created_at)
		SELECT $1, $2, s.id, 'running', '{"v_start": -1, "v_stop": 2, "compliance": 0.001}', t.at - interval '1 hour', t.at, $3, $3, t.at - interval '2 hours'
		FROM samples s CROSS JOIN generate_series(1, $4::int) g
		CROSS JOIN LATERAL (SELECT s.created_at + make_interval(hours => 2 + g) AS at) t
		WHERE s.organization_id = $1 AND s.deleted_at IS NULL
		ORDER BY t.at, s.id`, l.org, l.recipe, l.user, perSample)
	benchExec(b, l.db, `WITH ci AS (
			SELECT i.id, row_number() OVER (ORDER BY i.id) - 1 AS k,
			       (SELECT c.id FROM calibrations c WHERE c.organization_id = i.organization_id AND c.instrument_id = i.id
			        ORDER BY c.issued_at DESC LIMIT 1) AS cal
			FROM instruments i WHERE i.organization_id = $1 AND i.id = ANY($2)),
		n AS (SELECT count(*) AS n FROM ci),
		r AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM runs WHERE organization_id = $1)
		INSERT INTO run_instruments (organization_id, run_id, instrument_id, calibration_id)
		SELECT $1, r.id, ci.id, ci.cal FROM r CROSS JOIN n JOIN ci ON ci.k IN (r.rn % n.n, (r.rn + 7) % n.n, (r.rn + 13) % n.n)`,
		l.org, l.calibrated)
	benchExec(b, l.db, `INSERT INTO run_transitions (organization_id, run_id, from_status, to_status, actor_id, at)
		SELECT r.organization_id, r.id, x.f, x.t, $2, r.created_at + x.d
		FROM runs r CROSS JOIN (VALUES (NULL::text, 'planned', interval '0'), ('planned', 'running', interval '1 hour'),
		                               ('running', 'completed', interval '2 hours')) x(f, t, d)
		WHERE r.organization_id = $1`, l.org, l.user)
	benchExec(b, l.db, `INSERT INTO run_results (organization_id, run_id, metric, value, unit, measured_at, created_by)
		SELECT r.organization_id, r.id, (ARRAY['threshold_voltage', 'on_current', 'off_current', 'transconductance', 'on_resistance'])[1 + g % 5],
		       0.45 + 0.02 * sin(g), 'V', r.finished_at - make_interval(secs => $3::int - g), $2
		FROM runs r CROSS JOIN generate_series(1, $3::int) g
		WHERE r.organization_id = $1`, l.org, l.user, results)
	// Completed once measured: a completed run takes results only through amendments.
	benchExec(b, l.db, `UPDATE runs SET status = 'completed' WHERE organization_id = $1 AND status = 'running'`, l.org)
}

// liveSample is the newest sample that is not deleted.
func (l analysisLab) liveSample(b *testing.B) uuid.UUID {
	b.Helper()
	return benchIDs(b, l.db, `SELECT id FROM samples WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1`, l.org)[0]
}

// BenchmarkListSamples lists a page of 100 samples, newest first, of an
// organization with 20,000 (beside one with 5,000): the first page, and
// the page after 10,000 rows, reached by following the cursors.
func BenchmarkListSamples(b *testing.B) {
	db := pgtest.NewDB(b)
	org, user := elnOrg(b, db, "bench-a")
	other, otherUser := elnOrg(b, db, "bench-b")
	loaded := time.Now()
	growSamples(b, db, org, user, "A", 20_000)
	growSamples(b, db, other, otherUser, "B", 5_000)
	analyze(b, db, "samples")
	b.Logf("loaded 25,000 samples in %s", time.Since(loaded).Round(time.Millisecond))

	ctx := context.Background()
	ten := benchTenant(org, user)
	first, err := spectra.NewPage(100, "")
	if err != nil {
		b.Fatal(err)
	}
	deep := first
	for range 100 {
		_, cursor, err := db.ListSamples(ctx, ten, spectra.SampleFilter{}, deep)
		if err != nil || cursor == "" {
			b.Fatalf("walking to page 101: cursor %q, %v", cursor, err)
		}
		if deep, err = spectra.NewPage(100, cursor); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		p    postgres.Page
	}{{"first page", first}, {"page 101 (after 10,000 rows)", deep}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			lat := make(latencies, 0, 1024)
			for b.Loop() {
				start := time.Now()
				items, cursor, err := db.ListSamples(ctx, ten, spectra.SampleFilter{}, c.p)
				lat.since(start)
				if err != nil {
					b.Fatal(err)
				}
				if len(items) != 100 || cursor == "" || bytes.Compare(items[0].ID[:], items[99].ID[:]) <= 0 {
					b.Fatalf("page: %d items, cursor %q", len(items), cursor)
				}
				if c.p.After != uuid.Nil && bytes.Compare(items[0].ID[:], c.p.After[:]) >= 0 {
					b.Fatalf("page starts at %s, not after the cursor %s", items[0].ID, c.p.After)
				}
			}
			lat.report(b)
		})
	}
}

// BenchmarkRunDetail reads a run with six instruments (with their
// certificates), 50 results and its history, in an organization with
// 2,000 other runs and 100,000 results.
func BenchmarkRunDetail(b *testing.B) {
	loaded := time.Now()
	l := newAnalysisLab(b, 50, 1_000, 2, 50)
	ctx := context.Background()
	sample := l.liveSample(b)
	devices := benchIDs(b, l.db, `WITH w AS (INSERT INTO wafers (organization_id, sample_id, label, created_by) VALUES ($1, $2, 'W1', $3) RETURNING id)
		INSERT INTO devices (organization_id, wafer_id, name, kind, position, created_by)
		SELECT $1, w.id, 'D' || g, 'MOSFET', 'r' || (g / 5) || 'c' || (g % 5), $3 FROM w CROSS JOIN generate_series(1, 10) g
		RETURNING id`, l.org, sample, l.user)

	// The run under measurement goes through the application's own path.
	now := time.Now()
	run, err := l.db.CreateRun(ctx, l.ten, spectra.NewRun{RecipeID: l.recipe, SampleID: sample, InstrumentIDs: l.calibrated[:6],
		Parameters: map[string]any{"v_start": -1.0, "v_stop": 1.5}}, now)
	if err != nil {
		b.Fatal(err)
	}
	id := run.Run.ID
	if _, err := l.db.TransitionRun(ctx, l.ten, id, postgres.RunChange{Action: spectra.ActStart, Now: now}); err != nil {
		b.Fatal(err)
	}
	metrics := []string{"threshold_voltage", "on_current", "off_current", "transconductance", "on_resistance"}
	var results []spectra.NewResult
	for i := range 50 {
		results = append(results, spectra.NewResult{Metric: metrics[i%5], Value: 0.45 + float64(i)/1000, Unit: "V", DeviceID: &devices[i/5]})
	}
	if _, _, err := l.db.AddResults(ctx, l.ten, id, results, now); err != nil {
		b.Fatal(err)
	}
	if _, err := l.db.TransitionRun(ctx, l.ten, id, postgres.RunChange{Action: spectra.ActComplete, Now: now.Add(time.Minute)}); err != nil {
		b.Fatal(err)
	}
	analyze(b, l.db, "run_results", "devices")
	b.Logf("loaded the lab in %s", time.Since(loaded).Round(time.Millisecond))

	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		d, err := l.db.RunDetail(ctx, l.ten, id)
		lat.since(start)
		if err != nil {
			b.Fatal(err)
		}
		if d.Run.ID != id || d.Run.Status != spectra.RunCompleted || len(d.Results) != 50 || len(d.Instruments) != 6 ||
			len(d.History) != 3 || d.Instruments[0].Certificate == nil {
			b.Fatalf("run detail: status %s, %d results, %d instruments, %d transitions",
				d.Run.Status, len(d.Results), len(d.Instruments), len(d.History))
		}
	}
	lat.report(b)
}

// BenchmarkSeriesPoints reads the last 1,000 points of a series of
// 100,000, beside another series of 50,000.
func BenchmarkSeriesPoints(b *testing.B) {
	db := pgtest.NewDB(b)
	org, user := elnOrg(b, db, "bench-spc")
	ctx := context.Background()
	series := func(name string, points int) uuid.UUID {
		var id uuid.UUID
		if err := db.Pool().QueryRow(ctx, `INSERT INTO spc_series (organization_id, name, metric, unit, center_line, sigma, ucl, lcl, created_by)
			VALUES ($1, $2, 'threshold_voltage', 'V', 0.45, 0.01, 0.48, 0.42, $3) RETURNING id`, org, name, user).Scan(&id); err != nil {
			b.Fatal(err)
		}
		benchExec(b, db, `INSERT INTO spc_points (organization_id, series_id, ts, value)
			SELECT $1, $2, now() - make_interval(mins => $3::int - g), 0.45 + 0.01 * sin(g)
			FROM generate_series(1, $3::int) g`, org, id, points)
		return id
	}
	loaded := time.Now()
	id := series("Vth, line 1", 100_000)
	series("Vth, line 2", 50_000)
	analyze(b, db, "spc_points")
	b.Logf("loaded 150,000 points in %s", time.Since(loaded).Round(time.Millisecond))

	var newest time.Time
	if err := db.Pool().QueryRow(ctx, `SELECT max(ts) FROM spc_points WHERE organization_id = $1 AND series_id = $2`, org, id).Scan(&newest); err != nil {
		b.Fatal(err)
	}
	ten := benchTenant(org, user)
	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		points, err := db.SeriesPoints(ctx, ten, id, 1000)
		lat.since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(points) != 1000 || !points[0].TS.Equal(newest) || points[0].SeriesID != id || !points[999].TS.Before(points[0].TS) {
			b.Fatalf("points: %d, newest %v (want %v)", len(points), points[0].TS, newest)
		}
	}
	lat.report(b)
}

// BenchmarkCreateRun plans a run on four calibrated instruments: the
// instruments locked FOR SHARE, the calibration lockout checked, the run,
// its instruments and first transition written, the detail read back. The
// organization has 50 instruments with twelve years of certificates and
// 2,000 earlier runs; every iteration adds a run.
func BenchmarkCreateRun(b *testing.B) {
	loaded := time.Now()
	l := newAnalysisLab(b, 50, 1_000, 2, 0)
	b.Logf("loaded the lab in %s", time.Since(loaded).Round(time.Millisecond))
	ctx := context.Background()
	nr := spectra.NewRun{RecipeID: l.recipe, SampleID: l.liveSample(b), InstrumentIDs: l.calibrated[10:14],
		Parameters: map[string]any{"v_start": -1.0, "v_stop": 1.5}, Notes: "benchmark"}

	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		d, err := l.db.CreateRun(ctx, l.ten, nr, start)
		lat.since(start)
		if err != nil {
			b.Fatal(err)
		}
		if d.Run.Status != spectra.RunPlanned || len(d.Instruments) != 4 || d.Instruments[3].Certificate == nil || len(d.History) != 1 {
			b.Fatalf("run: status %s, %d instruments, %d transitions", d.Run.Status, len(d.Instruments), len(d.History))
		}
	}
	lat.report(b)
}

// BenchmarkCalibrationStatus reads every instrument's calibration state
// in an organization of 50 instruments with twelve years of certificates.
func BenchmarkCalibrationStatus(b *testing.B) {
	l := newAnalysisLab(b, 50, 0, 0, 0)
	ctx := context.Background()
	want := map[spectra.CalState]int{spectra.CalValid: 30, spectra.CalExpiring: 5, spectra.CalExpired: 5, spectra.CalMissing: 5, spectra.CalNotRequired: 5}

	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		st, err := l.db.CalibrationStatus(ctx, l.ten, start)
		lat.since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(st.Items) != 50 {
			b.Fatalf("%d instruments", len(st.Items))
		}
		for s, n := range want {
			if st.Counts[s] != n {
				b.Fatalf("counts = %v, want %v", st.Counts, want)
			}
		}
	}
	lat.report(b)
}

// BenchmarkTenantTransaction opens and commits an empty tenant
// transaction: what every request pays before its own queries. With
// Authorize, the membership, denied token and ended session are checked
// in the same round trip.
func BenchmarkTenantTransaction(b *testing.B) {
	db := pgtest.NewDB(b)
	org, user := elnOrg(b, db, "bench-tenant")
	ctx := context.Background()
	ten := benchTenant(org, user)

	// The check is live: a role the member no longer has is refused.
	stale := ten
	stale.Role = spectra.RoleAdmin
	if err := db.InTenant(ctx, stale, func(pgx.Tx) error { return nil }); spectra.ErrorCode(err) != spectra.CodeUnauthenticated {
		b.Fatalf("a stale role: %v, want unauthenticated", err)
	}
	plain := ten
	plain.Authorize = false
	for _, c := range []struct {
		name string
		ten  postgres.Tenant
	}{{"Authorize=true", ten}, {"Authorize=false", plain}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			lat := make(latencies, 0, 1024)
			for b.Loop() {
				start := time.Now()
				ran := false
				err := db.InTenant(ctx, c.ten, func(pgx.Tx) error { ran = true; return nil })
				lat.since(start)
				if err != nil || !ran {
					b.Fatalf("InTenant: ran %v, %v", ran, err)
				}
			}
			lat.report(b)
		})
	}
}
