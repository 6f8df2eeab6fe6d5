package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// End-to-end benchmarks of PRODUCT.md §10's requests: a client on the
// same machine, through the real handler (middleware, token check,
// authorized tenant transaction, store, JSON) on the seeded database grown
// to production size. ns/op and allocs count the client's side too (one
// process). They run only with -bench:
//
//	go test ./internal/httpapi -run '^$' -bench . -benchmem
//
// Besides ns/op each reports the p50 and p99 of its requests, in
// milliseconds. Every answer is checked cheaply in the loop (status and a
// count of its items); the first one is decoded and checked in full.

// latencies holds each request's duration, for percentiles beside ns/op.
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

// send is the benchmarks' client: one request on a kept-alive connection,
// its body read whole, without the tests' OpenAPI conformance check.
func (e *apiEnv) send(b *testing.B, method, path, bearer string, body []byte) (int, []byte) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return resp.StatusCode, raw
}

// benchUser is the id of the user with email (admin_test.go's userID
// reports to e.t, which a benchmark does not have).
func (e *apiEnv) benchUser(email string) uuid.UUID {
	e.tb.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		e.tb.Fatal(err)
	}
	return id
}

// growSamples adds n samples to demo-lab (one in a hundred soft-deleted).
func (e *apiEnv) growSamples(n int) {
	e.tb.Helper()
	e.sql(`INSERT INTO samples (organization_id, barcode, name, material, status, location, metadata, created_by, created_at, deleted_at)
		SELECT $1, 'DL-B-' || lpad(g::text, 7, '0'), 'Sample ' || g,
		       (ARRAY['Si', 'SiC', 'GaN', 'GaAs', 'InP'])[1 + g % 5],
		       (ARRAY['registered', 'in_use', 'stored', 'checked_out'])[1 + g % 4],
		       'Freezer ' || (1 + g % 12) || ', shelf ' || (1 + g % 5),
		       jsonb_build_object('lot', 'L' || (g / 50), 'thickness_um', 300 + g % 400, 'supplier', 'Wafer Co'),
		       $2, now() - make_interval(mins => $3::int - g),
		       CASE WHEN g % 100 = 0 THEN now() END
		FROM generate_series(1, $3::int) g`, e.orgID("demo-lab"), e.benchUser("engineer@demo.lab"), n)
	e.sql(`ANALYZE samples`)
}

// BenchmarkHTTPListSamples is GET /api/lims/samples?limit=100 in demo-lab
// grown by 12,000 samples: the first page, and the page after 10,000
// rows, reached by following next_cursor.
func BenchmarkHTTPListSamples(b *testing.B) {
	e := newAPIEnv(b)
	e.growSamples(12_000)
	eng := e.token("engineer@demo.lab", "eng123")

	first := "/api/lims/samples?limit=100"
	deep := first
	for range 100 {
		r := e.call(http.MethodGet, deep, eng, nil)
		next := r.str("next_cursor")
		if items, _ := r.Body["items"].([]any); r.Status != http.StatusOK || len(items) != 100 || next == "" {
			b.Fatalf("walking to page 101: %d %.300s", r.Status, r.Raw)
		}
		deep = first + "&cursor=" + next
	}
	for _, c := range []struct{ name, path string }{{"first page", first}, {"page 101 (after 10,000 rows)", deep}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			lat := make(latencies, 0, 1024)
			for b.Loop() {
				start := time.Now()
				status, body := e.send(b, http.MethodGet, c.path, eng, nil)
				lat.since(start)
				if status != http.StatusOK || bytes.Count(body, []byte(`"barcode":`)) != 100 || !bytes.Contains(body, []byte(`"next_cursor":"`)) {
					b.Fatalf("%d %.300s", status, body)
				}
			}
			lat.report(b)
		})
	}
}

// BenchmarkHTTPRunDetail is GET /api/analysis/runs/{id} for a run with six
// instruments (with their certificates), 50 results and its history, in
// demo-lab grown by 1,000 samples with a completed run of 50 results each.
func BenchmarkHTTPRunDetail(b *testing.B) {
	e := newAPIEnv(b)
	ctx := context.Background()
	org, engID := e.orgID("demo-lab"), e.benchUser("engineer@demo.lab")
	e.growSamples(1_000)
	e.sql(`INSERT INTO runs (organization_id, recipe_id, sample_id, status, parameters, started_at, finished_at, operator_id, created_by, created_at)
		SELECT $1, $2, s.id, 'running', '{"v_start": -1, "v_stop": 2, "compliance": 0.001}', s.created_at + interval '2 hours',
		       s.created_at + interval '3 hours', $3, $3, s.created_at + interval '1 hour'
		FROM samples s WHERE s.organization_id = $1 AND s.barcode LIKE 'DL-B-%' AND s.deleted_at IS NULL ORDER BY s.id`, org, anIVRecipe, engID)
	e.sql(`INSERT INTO run_results (organization_id, run_id, metric, value, unit, measured_at, created_by)
		SELECT r.organization_id, r.id, (ARRAY['threshold_voltage', 'on_current', 'off_current', 'transconductance', 'on_resistance'])[1 + g % 5],
		       0.45 + 0.02 * sin(g), 'V', r.finished_at - make_interval(secs => 50 - g), $2
		FROM runs r JOIN samples s ON s.organization_id = r.organization_id AND s.id = r.sample_id
		CROSS JOIN generate_series(1, 50) g
		WHERE r.organization_id = $1 AND s.barcode LIKE 'DL-B-%'`, org, engID)
	// Completed once measured: a completed run takes results only through amendments.
	e.sql(`UPDATE runs r SET status = 'completed' FROM samples s WHERE s.organization_id = r.organization_id AND s.id = r.sample_id
		AND r.organization_id = $1 AND s.barcode LIKE 'DL-B-%' AND r.status = 'running'`, org)

	// Four more calibrated SMUs beside the seeded SMU and ellipsometer;
	// ten devices on the run's sample.
	e.sql(`WITH i AS (INSERT INTO instruments (organization_id, name, kind, serial, created_by)
			SELECT $1, 'Bench SMU ' || g, 'SMU', 'SN-B-' || g, $2 FROM generate_series(1, 4) g RETURNING id, serial)
		INSERT INTO calibrations (organization_id, instrument_id, certificate_number, issued_at, expires_at, recorded_by)
		SELECT $1, i.id, 'CERT-' || i.serial, now() - interval '10 days', now() + interval '355 days', $2 FROM i`, org, engID)
	rows, err := e.db.Pool().Query(ctx, `WITH w AS (INSERT INTO wafers (organization_id, sample_id, label, created_by) VALUES ($1, $2, 'BENCH-W', $3) RETURNING id)
		INSERT INTO devices (organization_id, wafer_id, name, kind, created_by)
		SELECT $1, w.id, 'D' || g, 'MOSFET', $3 FROM w CROSS JOIN generate_series(1, 10) g RETURNING id`, org, anSample, engID)
	if err != nil {
		b.Fatal(err)
	}
	var devices []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		devices = append(devices, id)
	}
	if rows.Err() != nil || len(devices) != 10 {
		b.Fatalf("devices: %d, %v", len(devices), rows.Err())
	}
	e.sql(`ANALYZE`)

	// The run itself goes through the application's own path.
	ten := spectra.Tenant{OrgID: org, UserID: engID, Auth: "system", Role: spectra.RoleEngineer}
	instruments := []uuid.UUID{uuid.MustParse(anSMU), uuid.MustParse(anEllipsometer)}
	rows, err = e.db.Pool().Query(ctx, `SELECT id FROM instruments WHERE organization_id = $1 AND name LIKE 'Bench SMU %'`, org)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		instruments = append(instruments, id)
	}
	now := time.Now()
	run, err := e.db.CreateRun(ctx, ten, spectra.NewRun{RecipeID: uuid.MustParse(anIVRecipe), SampleID: uuid.MustParse(anSample),
		InstrumentIDs: instruments, Parameters: map[string]any{"v_start": -1.0, "step": 0.01}}, now)
	if err != nil {
		b.Fatal(err)
	}
	id := run.Run.ID
	if _, err := e.db.TransitionRun(ctx, ten, id, postgres.RunChange{Action: spectra.ActStart, Now: now}); err != nil {
		b.Fatal(err)
	}
	metrics := []string{"threshold_voltage", "on_current", "off_current", "transconductance", "on_resistance"}
	var results []spectra.NewResult
	for i := range 50 {
		results = append(results, spectra.NewResult{Metric: metrics[i%5], Value: 0.45 + float64(i)/1000, Unit: "V", DeviceID: &devices[i/5]})
	}
	if _, _, err := e.db.AddResults(ctx, ten, id, results, now); err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.TransitionRun(ctx, ten, id, postgres.RunChange{Action: spectra.ActComplete, Now: now.Add(time.Minute)}); err != nil {
		b.Fatal(err)
	}

	eng := e.token("engineer@demo.lab", "eng123")
	path := "/api/analysis/runs/" + id.String()
	r := e.call(http.MethodGet, path, eng, nil)
	res, _ := r.Body["results"].([]any)
	insts, _ := r.Body["instruments"].([]any)
	hist, _ := r.Body["history"].([]any)
	if r.Status != http.StatusOK || r.str("status") != "completed" || len(res) != 50 || len(insts) != 6 || len(hist) != 3 {
		b.Fatalf("run detail: %d %.500s", r.Status, r.Raw)
	}
	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		status, body := e.send(b, http.MethodGet, path, eng, nil)
		lat.since(start)
		if status != http.StatusOK || bytes.Count(body, []byte(`"metric":`)) != 50 {
			b.Fatalf("%d %.300s", status, body)
		}
	}
	lat.report(b)
}

// BenchmarkHTTPLogin is POST /auth/login with argon2id at the production
// parameters (auth.DefaultArgon2, as cmd/spectra's hasher): the
// engineer's stored hash is remade with them, so no login rehashes.
func BenchmarkHTTPLogin(b *testing.B) {
	h := auth.NewHasher(auth.DefaultArgon2, max(2, runtime.NumCPU()))
	e := newAPIEnv(b, func(_ *apiEnv, o *auth.Options) { o.Hasher = h })
	phc, err := h.Hash(context.Background(), "eng123")
	if err != nil {
		b.Fatal(err)
	}
	e.sql(`UPDATE users SET password_hash = $1 WHERE email = 'engineer@demo.lab'`, phc)
	body, err := json.Marshal(map[string]string{"username": "engineer@demo.lab", "password": "eng123"})
	if err != nil {
		b.Fatal(err)
	}
	if r := e.login("engineer@demo.lab", "eng123"); r.str("access_token") == "" || r.str("refresh_token") == "" {
		b.Fatalf("login: %.300s", r.Raw)
	}

	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		status, raw := e.send(b, http.MethodPost, "/auth/login", "", body)
		lat.since(start)
		if status != http.StatusOK || !bytes.Contains(raw, []byte(`"access_token":"ey`)) {
			b.Fatalf("%d %.300s", status, raw)
		}
	}
	lat.report(b)

	// Every login verified the production hash: none was replaced.
	var stored string
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT password_hash FROM users WHERE email = 'engineer@demo.lab'`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != phc || !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
		b.Fatalf("stored hash %q, want the production one", stored)
	}
}

// BenchmarkHTTPMe is GET /auth/me: token check, authorized tenant
// transaction, the profile and the role's permissions.
func BenchmarkHTTPMe(b *testing.B) {
	e := newAPIEnv(b)
	eng := e.token("engineer@demo.lab", "eng123")
	r := e.call(http.MethodGet, "/auth/me", eng, nil)
	if perms, _ := r.Body["permissions"].([]any); r.Status != http.StatusOK || r.str("role") != "engineer" || len(perms) == 0 {
		b.Fatalf("me: %d %.300s", r.Status, r.Raw)
	}

	b.ReportAllocs()
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		status, body := e.send(b, http.MethodGet, "/auth/me", eng, nil)
		lat.since(start)
		if status != http.StatusOK || !bytes.Contains(body, []byte(`"role":"engineer"`)) {
			b.Fatalf("%d %.300s", status, body)
		}
	}
	lat.report(b)
}
