package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/postgres"
)

func TestRunCreationAndLockout(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	runs := func() int { return e.count(`SELECT count(*) FROM runs`) }
	before, links := runs(), e.count(`SELECT count(*) FROM run_instruments`)

	// The expired spectrometer locks the run out; the problem names it.
	r := e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(anSMU, anSpectrometer))
	if r.Status != http.StatusConflict || r.Header.Get("Content-Type") != "application/problem+json" || r.str("code") != "conflict" ||
		r.str("type") != "about:blank" || !strings.Contains(r.str("detail"), "Ocean Optics Spectrometer") || r.str("request_id") == "" {
		t.Fatalf("expired instrument: %d %s", r.Status, r.Raw)
	}
	insts, _ := r.Body["instruments"].([]any)
	if len(insts) != 1 {
		t.Fatalf("lockout instruments = %s", r.Raw)
	}
	lapsed := insts[0].(map[string]any)
	if lapsed["id"] != anSpectrometer || lapsed["state"] != "expired" || !strings.HasPrefix(lapsed["certificate_number"].(string), "CERT-OO-FLAME-017") ||
		lapsed["expires_at"] == nil {
		t.Fatalf("lapsed instrument = %v", lapsed)
	}

	// A required instrument never calibrated: missing.
	afm := e.call(http.MethodPost, "/api/analysis/instruments", eng, map[string]any{"name": "New AFM", "kind": "AFM"}).str("id")
	r = e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(afm))
	if insts, _ := r.Body["instruments"].([]any); r.Status != http.StatusConflict || len(insts) != 1 ||
		insts[0].(map[string]any)["state"] != "missing" || insts[0].(map[string]any)["certificate_number"] != nil {
		t.Fatalf("missing calibration: %d %s", r.Status, r.Raw)
	}
	if runs() != before || e.count(`SELECT count(*) FROM run_instruments`) != links {
		t.Fatalf("a locked-out run left rows behind")
	}

	// The valid SMU passes; the expiring ellipsometer only warns.
	ok := e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(anSMU, anEllipsometer))
	if ok.Status != http.StatusCreated || ok.str("status") != "planned" || ok.Header.Get("ETag") != `"1"` {
		t.Fatalf("valid instruments: %d %s", ok.Status, ok.Raw)
	}
	params := ok.Body["parameters"].(map[string]any)
	if params["v_start"] != -1.0 || params["v_stop"] != 2.0 || params["compliance"] != 0.001 {
		t.Errorf("parameters with defaults = %v", params)
	}
	certs := map[string]any{}
	for _, it := range ok.Body["instruments"].([]any) {
		m := it.(map[string]any)
		certs[m["instrument_id"].(string)] = m["certificate"].(map[string]any)["id"]
	}
	if certs[anSMU] != anSMUCal || certs[anEllipsometer] != anDemoID("calibration", "JAW-M2000-3") {
		t.Errorf("effective certificates = %v", certs)
	}
	if h := ok.Body["history"].([]any); len(h) != 1 || h[0].(map[string]any)["to"] != "planned" || h[0].(map[string]any)["from"] != nil {
		t.Errorf("history = %v", h)
	}

	otherSample := postgres.SeedID("test-org", "sample", "TO-S-0001").String()
	cases := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"unknown instrument", eng, runBody(anSMU, uuid.NewString()), http.StatusUnprocessableEntity, "instrument_ids[1]"},
		{"another organization's instrument", eng, runBody(anTestOrgSMU), http.StatusUnprocessableEntity, "instrument_ids[0]"},
		{"no instruments", eng, runBodyWith(runBody(), "instrument_ids", []string{}), http.StatusUnprocessableEntity, "instrument_ids"},
		{"instruments null", eng, runBody(), http.StatusUnprocessableEntity, "instrument_ids"},
		{"an instrument twice", eng, runBody(anSMU, anSMU), http.StatusUnprocessableEntity, "instrument_ids"},
		{"parameter out of range", eng, runBodyWith(runBody(anSMU), "parameters", map[string]any{"v_start": 50.0}), http.StatusUnprocessableEntity, "parameters.v_start"},
		{"unknown parameter", eng, runBodyWith(runBody(anSMU), "parameters", map[string]any{"bogus": 1.0}), http.StatusUnprocessableEntity, "parameters.bogus"},
		{"parameter not a number", eng, runBodyWith(runBody(anSMU), "parameters", map[string]any{"step": "fast"}), http.StatusUnprocessableEntity, "parameters.step"},
		{"unknown recipe", eng, runBodyWith(runBody(anSMU), "recipe_id", uuid.NewString()), http.StatusUnprocessableEntity, "recipe_id"},
		{"another organization's sample", eng, runBodyWith(runBody(anSMU), "sample_id", otherSample), http.StatusUnprocessableEntity, "sample_id"},
		{"draft recipe", eng, runBodyWith(runBodyWith(runBody(anSMU), "recipe_id", anDraftRecipe), "parameters", map[string]any{}), http.StatusConflict, "recipe_id"},
		{"status from the body", eng, runBodyWith(runBody(anSMU), "status", "completed"), http.StatusUnprocessableEntity, "status"},
		{"technician cannot create", e.token("tech@demo.lab", "tech123"), runBody(anSMU), http.StatusForbidden, ""},
	}
	for _, c := range cases {
		r := e.call(http.MethodPost, "/api/analysis/runs", c.token, c.body)
		if r.Status != c.status || (c.field != "" && !problemHasField(r, c.field)) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	if runs() != before+1 {
		t.Fatalf("refused runs were written: %d runs, want %d", runs(), before+1)
	}
}

// runBodyWith is a copy of m with k set to v.
func runBodyWith(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func TestRunLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	tech := e.token("tech@demo.lab", "tech123")
	viewer := e.token("viewer@demo.lab", "view123")
	act := func(token, id, action string, headers ...string) response {
		return e.call(http.MethodPost, "/api/analysis/runs/"+id+"/"+action, token, map[string]any{}, headers...)
	}

	id := plannedDemoRun(e, eng)
	for _, bad := range []string{"complete", "fail"} {
		if r := act(tech, id, bad); r.Status != http.StatusConflict {
			t.Errorf("%s a planned run: %d %s", bad, r.Status, r.Raw)
		}
	}
	if r := act(tech, id, "start", "If-Match", `"7"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("start with a stale If-Match: %d %s", r.Status, r.Raw)
	}
	if r := act(viewer, id, "start"); r.Status != http.StatusForbidden {
		t.Errorf("a viewer starts: %d", r.Status)
	}
	started := act(tech, id, "start", "If-Match", `"1"`)
	if started.Status != http.StatusOK || started.str("status") != "running" || started.str("operator_id") != e.userID("tech@demo.lab") ||
		started.Body["started_at"] == nil {
		t.Fatalf("start: %d %s", started.Status, started.Raw)
	}
	if r := act(tech, id, "start"); r.Status != http.StatusConflict {
		t.Errorf("start twice: %d", r.Status)
	}
	done := act(tech, id, "complete")
	if done.Status != http.StatusOK || done.str("status") != "completed" || done.Body["finished_at"] == nil {
		t.Fatalf("complete: %d %s", done.Status, done.Raw)
	}
	var hist []string
	for _, h := range done.Body["history"].([]any) {
		hist = append(hist, h.(map[string]any)["to"].(string))
	}
	if strings.Join(hist, ",") != "planned,running,completed" {
		t.Errorf("history = %v", hist)
	}
	if r := act(eng, id, "abort"); r.Status != http.StatusConflict {
		t.Errorf("abort a completed run: %d", r.Status)
	}

	// Abort a planned run; fail a running one.
	if r := act(eng, plannedDemoRun(e, eng), "abort"); r.Status != http.StatusOK || r.str("status") != "aborted" {
		t.Errorf("abort planned: %d %s", r.Status, r.Raw)
	}
	f := plannedDemoRun(e, eng)
	act(tech, f, "start")
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+f+"/fail", tech, map[string]any{"reason": "probe lost contact"}); r.Status != http.StatusOK ||
		r.str("status") != "failed" {
		t.Errorf("fail: %d %s", r.Status, r.Raw)
	}

	// Lists: newest first, filtered.
	l := e.call(http.MethodGet, "/api/analysis/runs?status=aborted", viewer, nil)
	if items, _ := l.Body["items"].([]any); l.Status != http.StatusOK || len(items) != 1 {
		t.Errorf("status filter: %d %s", l.Status, l.Raw)
	}
	l = e.call(http.MethodGet, "/api/analysis/runs?limit=2&recipe_id="+anIVRecipe, viewer, nil)
	if items, _ := l.Body["items"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != f || l.Body["next_cursor"] == nil {
		t.Errorf("newest first: %s", l.Raw)
	}
	if l := e.call(http.MethodGet, "/api/analysis/runs?sample_id="+anSample, viewer, nil); len(l.Body["items"].([]any)) != 2+3 {
		t.Errorf("sample filter: %s", l.Raw)
	}
	if r := e.call(http.MethodGet, "/api/analysis/runs?status=done", viewer, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad status filter: %d", r.Status)
	}
	if r := e.call(http.MethodGet, "/api/analysis/runs/"+uuid.NewString(), viewer, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown run: %d", r.Status)
	}

	// The seeded run has its certificate, results and history.
	seeded := e.call(http.MethodGet, "/api/analysis/runs/"+anRun, viewer, nil)
	if seeded.Status != http.StatusOK || len(seeded.Body["results"].([]any)) != 3 || len(seeded.Body["history"].([]any)) != 3 ||
		seeded.str("recipe_name") != "IV Sweep" || seeded.Body["instruments"].([]any)[0].(map[string]any)["certificate"] == nil {
		t.Errorf("seeded run: %d %s", seeded.Status, seeded.Raw)
	}
}

// A calibration that lapses after a run was planned blocks its start,
// durably; recalibrating lets it start.
func TestRunStartRechecksCalibration(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	tech := e.token("tech@demo.lab", "tech123")
	id := plannedDemoRun(e, eng)
	e.sql(`UPDATE calibrations SET issued_at = now() - interval '400 days', expires_at = now() - interval '1 day' WHERE id = $1`, anSMUCal)

	r := e.call(http.MethodPost, "/api/analysis/runs/"+id+"/start", tech, map[string]any{})
	if insts, _ := r.Body["instruments"].([]any); r.Status != http.StatusConflict || len(insts) != 1 || insts[0].(map[string]any)["id"] != anSMU {
		t.Fatalf("start with a lapsed calibration: %d %s", r.Status, r.Raw)
	}
	got := e.call(http.MethodGet, "/api/analysis/runs/"+id, tech, nil)
	if got.str("status") != "blocked" || !strings.Contains(got.str("blocked_reason"), "Keithley 2450 SMU") {
		t.Fatalf("the block was not kept: %s", got.Raw)
	}
	// The engineer who planned it and the PI hear of the block; the
	// technician, who was told by the 409, does not.
	for who, want := range map[string]int{"engineer@demo.lab": 1, "pi@demo.lab": 1, "tech@demo.lab": 0} {
		var n int
		if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE u.email = $1 AND n.kind = 'run_blocked' AND n.object_id = $2 AND n.subject LIKE 'Run blocked: IV Sweep on %'`, who, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d run-blocked notifications, want %d", who, n, want)
		}
	}

	now := time.Now().UTC()
	cal := e.call(http.MethodPost, "/api/analysis/calibrations", eng, map[string]any{"instrument_id": anSMU, "certificate_number": "CERT-RECAL",
		"issued_at": now.Add(-time.Hour).Format(time.RFC3339), "expires_at": now.AddDate(1, 0, 0).Format(time.RFC3339)})
	if cal.Status != http.StatusCreated {
		t.Fatalf("recalibrate: %d %s", cal.Status, cal.Raw)
	}
	r = e.call(http.MethodPost, "/api/analysis/runs/"+id+"/start", tech, map[string]any{})
	if r.Status != http.StatusOK || r.str("status") != "running" || r.Body["blocked_reason"] != nil {
		t.Fatalf("start after recalibration: %d %s", r.Status, r.Raw)
	}
	var hist []string
	for _, h := range r.Body["history"].([]any) {
		hist = append(hist, h.(map[string]any)["to"].(string))
	}
	if strings.Join(hist, ",") != "planned,blocked,running" {
		t.Errorf("history = %v", hist)
	}
	// The run was measured under the new certificate: the report says so.
	report := string(e.call(http.MethodGet, "/api/analysis/runs/"+id+"/report", tech, nil).Raw)
	if !strings.Contains(report, "CERT-RECAL") || strings.Contains(report, "CERT-SMU-2450-001") {
		t.Errorf("the report does not name the certificate effective at the start:\n%s", report)
	}

	// Technicians execute runs of approved recipes only; engineers may
	// still start a run whose recipe was retired after planning.
	other := plannedDemoRun(e, eng)
	e.sql(`UPDATE recipes SET status = 'retired', retired_at = now() WHERE id = $1`, anIVRecipe)
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+other+"/start", tech, map[string]any{}); r.Status != http.StatusForbidden {
		t.Errorf("technician starts a run of a retired recipe: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+other+"/start", eng, map[string]any{}); r.Status != http.StatusOK {
		t.Errorf("engineer starts it: %d %s", r.Status, r.Raw)
	}
}

// Recording or revoking a calibration and creating a run serialize on the
// instrument's row: a run is never created against a certificate revoked
// before it was checked.
func TestRunLockoutUnderConcurrency(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	ctx := context.Background()

	// Deterministic: while another transaction holds the instrument (as
	// RevokeCalibration does) and has revoked its only certificate, the
	// run waits, then sees the revocation and is refused.
	tx, err := e.db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT 1 FROM instruments WHERE id = $1 FOR UPDATE`, anSMU); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE calibrations SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1`, anSMUCal); err != nil {
		t.Fatal(err)
	}
	done := make(chan response, 1)
	go func() { done <- e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(anSMU)) }()
	select {
	case r := <-done:
		t.Fatalf("the run did not wait for the calibration change: %d %s", r.Status, r.Raw)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.Status != http.StatusConflict || !strings.Contains(string(r.Raw), `"state":"missing"`) {
		t.Fatalf("run after the revocation: %d %s", r.Status, r.Raw)
	}

	// Racing through the API: each round records a certificate, then one
	// goroutine revokes it while another creates a run. A created run's
	// insert must precede the revocation (audit times, clock_timestamp).
	created := 0
	for i := range 12 {
		now := time.Now().UTC()
		cal := e.call(http.MethodPost, "/api/analysis/calibrations", eng, map[string]any{"instrument_id": anSMU,
			"certificate_number": fmt.Sprintf("RACE-%d", i), "issued_at": now.Add(-time.Hour).Format(time.RFC3339),
			"expires_at": now.AddDate(1, 0, 0).Format(time.RFC3339)})
		if cal.Status != http.StatusCreated {
			t.Fatalf("record: %d %s", cal.Status, cal.Raw)
		}
		var wg sync.WaitGroup
		var run, revoke response
		wg.Add(2)
		go func() {
			defer wg.Done()
			revoke = e.call(http.MethodPost, "/api/analysis/calibrations/"+cal.str("id")+"/revoke", eng, map[string]any{"reason": "race"})
		}()
		go func() { defer wg.Done(); run = e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(anSMU)) }()
		wg.Wait()
		if revoke.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", revoke.Status, revoke.Raw)
		}
		switch run.Status {
		case http.StatusConflict:
		case http.StatusCreated:
			created++
			if n := e.count(`SELECT count(*) FROM audit_log r, audit_log c
				WHERE r.table_name = 'runs' AND r.action = 'INSERT' AND r.row_id = $1
				  AND c.table_name = 'calibrations' AND c.action = 'UPDATE' AND c.row_id = $2 AND r.at < c.at`,
				uuid.MustParse(run.str("id")), uuid.MustParse(cal.str("id"))); n != 1 {
				t.Fatalf("round %d: run %s was created after its certificate was revoked", i, run.str("id"))
			}
		default:
			t.Fatalf("run: %d %s", run.Status, run.Raw)
		}
	}
	t.Logf("%d of 12 runs won the race", created)
}

func TestRunResults(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	tech := e.token("tech@demo.lab", "tech123")
	id := plannedDemoRun(e, eng)
	upload := func(token, run, contentType, body string) response {
		return sendRaw(e, http.MethodPost, "/api/analysis/runs/"+run+"/results", token, contentType, body)
	}
	if r := upload(tech, id, "application/json", `{"results":[{"metric":"threshold_voltage","value":0.45,"unit":"V"}]}`); r.Status != http.StatusConflict {
		t.Fatalf("results on a planned run: %d %s", r.Status, r.Raw)
	}
	e.call(http.MethodPost, "/api/analysis/runs/"+id+"/start", tech, map[string]any{})
	points := e.count(`SELECT count(*) FROM spc_points`)

	// JSON: a point beyond 3σ of the seeded threshold-voltage series
	// (0.45 ± 0.02 V) raises rule 1.
	r := upload(tech, id, "application/json", `{"results":[{"metric":"threshold_voltage","value":0.56,"unit":"V","device_id":"`+anDevice+`"},
		{"metric":"on_current","value":0.0012,"unit":"A"}]}`)
	if r.Status != http.StatusCreated || len(r.Body["results"].([]any)) != 2 {
		t.Fatalf("upload JSON: %d %s", r.Status, r.Raw)
	}
	rules := map[any]bool{}
	for _, a := range r.Body["alerts"].([]any) {
		m := a.(map[string]any)
		if m["series_id"] != anSeries {
			t.Fatalf("alert of another series: %v", m)
		}
		rules[m["rule"]] = true
	}
	if !rules["WE1"] {
		t.Fatalf("no rule 1 alert: %s", r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM spc_points`); n != points+1 {
		t.Fatalf("spc points %d → %d, want one more", points, n)
	}

	// CSV.
	r = upload(tech, id, "text/csv", "metric,value,unit,device_id,measured_at\nleakage_current,2.5e-9,A,,2026-01-02T03:04:05Z\nthreshold_voltage,0.45,V,,\n")
	if r.Status != http.StatusCreated || len(r.Body["results"].([]any)) != 2 {
		t.Fatalf("upload CSV: %d %s", r.Status, r.Raw)
	}
	if got := e.call(http.MethodGet, "/api/analysis/runs/"+id, tech, nil); len(got.Body["results"].([]any)) != 4 {
		t.Fatalf("the run has %d results", len(got.Body["results"].([]any)))
	}

	// Only the operator among technicians; engineers may upload to any.
	other := plannedDemoRun(e, eng)
	e.call(http.MethodPost, "/api/analysis/runs/"+other+"/start", eng, map[string]any{})
	if r := upload(tech, other, "application/json", `{"results":[{"metric":"m","value":1,"unit":""}]}`); r.Status != http.StatusForbidden {
		t.Errorf("technician on another's run: %d %s", r.Status, r.Raw)
	}
	if r := upload(eng, other, "application/json", `{"results":[{"metric":"m","value":1,"unit":""}]}`); r.Status != http.StatusCreated {
		t.Errorf("engineer on any run: %d %s", r.Status, r.Raw)
	}

	before := e.count(`SELECT count(*) FROM run_results`)
	bad := []struct {
		name, ct, body, field string
	}{
		{"value missing", "application/json", `{"results":[{"metric":"m","unit":"V"}]}`, "results[0].value"},
		{"value not a number", "application/json", `{"results":[{"metric":"m","value":"high","unit":"V"}]}`, "results[0].value"},
		{"metric missing", "application/json", `{"results":[{"metric":"ok","value":1},{"value":1}]}`, "results[1].metric"},
		{"unknown field", "application/json", `{"results":[{"metric":"m","value":1,"organization_id":"x"}]}`, "results[0].organization_id"},
		{"no results", "application/json", `{"results":[]}`, "results"},
		{"unknown device", "application/json", `{"results":[{"metric":"m","value":1,"device_id":"` + uuid.NewString() + `"}]}`, "results[0].device_id"},
		{"CSV value", "text/csv", "metric,value,unit\nm,1,V\nm,abc,V\n", "line 3.value"},
		{"CSV NaN", "text/csv", "metric,value\nm,NaN\n", "line 2.value"},
		{"CSV unknown column", "text/csv", "metric,value,colour\nm,1,red\n", "line 1"},
		{"CSV no value column", "text/csv", "metric,unit\nm,V\n", "line 1"},
		{"CSV short line", "text/csv", "metric,value,unit\nm,1\n", "line 2"},
		{"CSV time", "text/csv", "metric,value,measured_at\nm,1,yesterday\n", "line 2.measured_at"},
		{"other media type", "application/xml", `<results/>`, "header.Content-Type"},
	}
	for _, c := range bad {
		r := upload(tech, id, c.ct, c.body)
		if r.Status != http.StatusUnprocessableEntity || !problemHasField(r, c.field) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM run_results`); n != before {
		t.Fatalf("refused uploads wrote %d results", n-before)
	}
}

// sendRaw sends a request with a body of the given media type.
func sendRaw(e *apiEnv, method, path, bearer, contentType, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

func TestRunReports(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	body := runBody(anSMU)
	body["notes"] = `<script>alert("x")</script>`
	run := e.call(http.MethodPost, "/api/analysis/runs", eng, body).str("id")
	e.call(http.MethodPost, "/api/analysis/runs/"+run+"/start", eng, map[string]any{})
	sendRaw(e, http.MethodPost, "/api/analysis/runs/"+run+"/results", eng, "text/csv", "metric,value,unit\n=cmd|calc,1,V\nthreshold_voltage,0.44,V\n")

	c := e.call(http.MethodGet, "/api/analysis/runs/"+run+"/report.csv", viewer, nil)
	lines := strings.Split(strings.TrimSpace(string(c.Raw)), "\n")
	if c.Status != http.StatusOK || !strings.HasPrefix(c.Header.Get("Content-Type"), "text/csv") || len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "run_id,recipe,") || !strings.Contains(c.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %d %s %q", c.Status, c.Header, c.Raw)
	}
	if !strings.Contains(string(c.Raw), ",'=cmd|calc,") {
		t.Errorf("a formula cell was not defused: %s", c.Raw)
	}

	h := e.call(http.MethodGet, "/api/analysis/runs/"+run+"/report", viewer, nil)
	html := string(h.Raw)
	if h.Status != http.StatusOK || !strings.HasPrefix(h.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("HTML: %d %s", h.Status, h.Header)
	}
	for _, want := range []string{"IV Sweep, revision 1", "Keithley 2450 SMU", "CERT-SMU-2450-001", "threshold_voltage", "DL-S-0001",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Errorf("the report does not escape the notes")
	}
	if r := e.call(http.MethodGet, "/api/analysis/runs/"+uuid.NewString()+"/report", viewer, nil); r.Status != http.StatusNotFound ||
		r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("report of an unknown run: %d %s", r.Status, r.Header)
	}
}

// The seeded history lists newest first, as runs the server creates do:
// the dashboard's "recent runs" are the latest twenty.
func TestRunListNewestFirst(t *testing.T) {
	e := newAPIEnv(t)
	viewer := e.token("viewer@demo.lab", "view123")
	r := e.call(http.MethodGet, "/api/analysis/runs?limit=20", viewer, nil)
	items, _ := r.Body["items"].([]any)
	if r.Status != http.StatusOK || len(items) != 20 {
		t.Fatalf("runs: %d %s", r.Status, r.Raw)
	}
	prev := ""
	for i, it := range items {
		started, _ := it.(map[string]any)["started_at"].(string)
		if i > 0 && started > prev {
			t.Errorf("run %d started %s, after the one listed before it (%s)", i, started, prev)
		}
		prev = started
	}
	if items[0].(map[string]any)["status"] != "failed" {
		t.Errorf("the newest seeded run is the failed one; first listed: %v", items[0])
	}
}

// The lockout reads the server's clock (Deps.Now), not the handler's own:
// years later, the SMU's certificate has lapsed for the same request.
func TestLockoutFollowsTheServersClock(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	if r := e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(anSMU)); r.Status != http.StatusCreated {
		t.Fatalf("today: %d %s", r.Status, r.Raw)
	}
	e.clock.advance(5 * 365 * 24 * time.Hour)
	eng = e.token("engineer@demo.lab", "eng123") // the old token expired with the jump
	r := e.call(http.MethodPost, "/api/analysis/runs", eng, runBody(anSMU))
	if insts, _ := r.Body["instruments"].([]any); r.Status != http.StatusConflict || len(insts) != 1 || insts[0].(map[string]any)["state"] != "expired" {
		t.Fatalf("five years later: %d %s", r.Status, r.Raw)
	}
}
