package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/postgres"
)

// anDemoID is the id of a seeded demo-lab row.
func anDemoID(parts ...string) string {
	return postgres.SeedID(append([]string{"demo-lab"}, parts...)...).String()
}

// Seeded rows the analysis tests use: demo-lab's unless named otherwise.
var (
	anSMU          = anDemoID("instrument", "SMU-2450-001")                     // valid
	anSpectrometer = anDemoID("instrument", "OO-FLAME-017")                     // expired
	anEllipsometer = anDemoID("instrument", "JAW-M2000-3")                      // expiring within 30 days
	anSMUCal       = anDemoID("calibration", "SMU-2450-001")                    // the SMU's certificate
	anIVRecipe     = anDemoID("recipe", "iv-sweep")                             // approved
	anDraftRecipe  = anDemoID("recipe", "optical")                              // draft
	anSample       = anDemoID("sample", "DL-S-0001")                            // stored
	anRun          = postgres.SeedIDInOrder(1, "demo-lab", "run", "1").String() // completed
	anSeries       = anDemoID("spc", "vth")                                     // threshold_voltage
	anAlert        = anDemoID("spc-alert", "we1")                               // open
	anDevice       = anDemoID("device", "DL-S-0001", "1")                       // of anSample
	anTestOrgSMU   = postgres.SeedID("test-org", "instrument", "SMU-2450-001").String()
)

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, demoAdmin string) map[string]crossOrgCase {
		inst := map[string]string{"id": anSMU}
		run := map[string]string{"id": anRun}
		series := map[string]string{"id": anSeries}
		return map[string]crossOrgCase{
			"GET /api/analysis/instruments/{id}":  {ids: inst},
			"PUT /api/analysis/instruments/{id}":  {ids: inst, body: map[string]any{"name": "Taken over", "kind": "SMU"}, headers: []string{"If-Match", `"1"`}},
			"GET /api/analysis/calibrations/{id}": {ids: map[string]string{"id": anSMUCal}},
			"POST /api/analysis/calibrations/{id}/revoke": {ids: map[string]string{"id": anSMUCal},
				body: map[string]any{"reason": "taken over"}},
			"GET /api/analysis/runs/{id}":           {ids: run},
			"POST /api/analysis/runs/{id}/start":    {ids: map[string]string{"id": plannedDemoRun(e, demoAdmin)}, body: map[string]any{}},
			"POST /api/analysis/runs/{id}/complete": {ids: run, body: map[string]any{}},
			"POST /api/analysis/runs/{id}/fail":     {ids: run, body: map[string]any{}},
			"POST /api/analysis/runs/{id}/abort":    {ids: map[string]string{"id": plannedDemoRun(e, demoAdmin)}, body: map[string]any{}},
			"POST /api/analysis/runs/{id}/results":  {ids: run, body: map[string]any{"results": []any{map[string]any{"metric": "threshold_voltage", "value": 0.45, "unit": "V"}}}},
			"POST /api/analysis/runs/{id}/amendments": {ids: run, body: map[string]any{"reason": "taken over",
				"results": []any{map[string]any{"metric": "threshold_voltage", "value": 0.45, "unit": "V"}}}},
			"GET /api/analysis/runs/{id}/report.csv":    {ids: run},
			"GET /api/analysis/runs/{id}/report":        {ids: run},
			"GET /api/analysis/runs/{id}/report.pdf":    {ids: run},
			"GET /api/analysis/spc/series/{id}":         {ids: series},
			"GET /api/analysis/spc/series/{id}/points":  {ids: series},
			"POST /api/analysis/spc/series/{id}/points": {ids: series, body: map[string]any{"points": []any{map[string]any{"value": 0.45}}}},
			"POST /api/analysis/spc/alerts/{id}/acknowledge": {ids: map[string]string{"id": anAlert},
				body: map[string]any{"comment": "taken over"}},
		}
	})
}

// plannedDemoRun plans a run in demo-lab on the valid SMU.
func plannedDemoRun(e *apiEnv, token string) string {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/analysis/runs", token, runBody(anSMU))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("plan a run: %d %s", r.Status, r.Raw)
	}
	return r.str("id")
}

// runBody is a valid run of the approved IV sweep on instruments.
func runBody(instruments ...string) map[string]any {
	return map[string]any{"recipe_id": anIVRecipe, "sample_id": anSample, "instrument_ids": instruments,
		"parameters": map[string]any{"v_start": -1.0, "step": 0.01}}
}

// problemFields lists the field names of a problem's errors.
func problemFields(r response) []string {
	var out []string
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		f, _ := e.(map[string]any)["field"].(string)
		out = append(out, f)
	}
	return out
}

func problemHasField(r response, field string) bool {
	for _, f := range problemFields(r) {
		if f == field {
			return true
		}
	}
	return false
}

func TestInstruments(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")

	list := e.call(http.MethodGet, "/api/analysis/instruments?limit=2", viewer, nil)
	if items, _ := list.Body["items"].([]any); list.Status != http.StatusOK || len(items) != 2 || list.Body["next_cursor"] == nil {
		t.Fatalf("first page: %d %s", list.Status, list.Raw)
	}
	seen := 0
	for cursor := ""; ; {
		p := e.call(http.MethodGet, "/api/analysis/instruments?limit=2&cursor="+cursor, viewer, nil)
		seen += len(p.Body["items"].([]any))
		next, _ := p.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if seen != 5 {
		t.Fatalf("pages held %d instruments, want demo-lab's 5", seen)
	}
	if r := e.call(http.MethodGet, "/api/analysis/instruments?q=keithley", viewer, nil); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("search by name: %s", r.Raw)
	}

	created := e.call(http.MethodPost, "/api/analysis/instruments", eng, map[string]any{"name": "Probe Station 2", "kind": "probe",
		"serial": "PS-2", "location": "Lab 3", "calibration_required": false})
	if created.Status != http.StatusCreated || created.str("status") != "active" || created.Body["calibration_required"] != false ||
		created.Header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id := created.str("id")
	if r := e.call(http.MethodGet, "/api/analysis/instruments/"+id, viewer, nil); r.Status != http.StatusOK || r.str("serial") != "PS-2" {
		t.Fatalf("get: %d %s", r.Status, r.Raw)
	}

	cases := []struct {
		name   string
		token  string
		method string
		path   string
		body   map[string]any
		status int
		field  string
	}{
		{"name taken", eng, http.MethodPost, "/api/analysis/instruments", map[string]any{"name": "Keithley 2450 SMU", "kind": "SMU"}, http.StatusConflict, "name"},
		{"no kind", eng, http.MethodPost, "/api/analysis/instruments", map[string]any{"name": "X"}, http.StatusUnprocessableEntity, "kind"},
		{"bad status", eng, http.MethodPost, "/api/analysis/instruments", map[string]any{"name": "X", "kind": "k", "status": "broken"}, http.StatusUnprocessableEntity, "status"},
		{"server-owned field", eng, http.MethodPost, "/api/analysis/instruments", map[string]any{"name": "X", "kind": "k", "organization_id": e.orgID("test-org")}, http.StatusUnprocessableEntity, "organization_id"},
		{"technician cannot manage", e.token("tech@demo.lab", "tech123"), http.MethodPost, "/api/analysis/instruments", map[string]any{"name": "X", "kind": "k"}, http.StatusForbidden, ""},
		{"another organization's", eng, http.MethodGet, "/api/analysis/instruments/" + anTestOrgSMU, nil, http.StatusNotFound, ""},
	}
	for _, c := range cases {
		r := e.call(c.method, c.path, c.token, c.body)
		if r.Status != c.status || (c.field != "" && !problemHasField(r, c.field)) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
		if ct := r.Header.Get("Content-Type"); r.Status >= 400 && ct != "application/problem+json" {
			t.Errorf("%s: content type %q", c.name, ct)
		}
	}

	if r := e.call(http.MethodPut, "/api/analysis/instruments/"+id, eng, map[string]any{"name": "Zeiss Sigma SEM", "kind": "probe"},
		"If-Match", created.Header.Get("ETag")); r.Status != http.StatusConflict || !problemHasField(r, "name") {
		t.Errorf("rename onto a taken name: %d %s", r.Status, r.Raw)
	}

	// Updates honour If-Match.
	upd := map[string]any{"name": "Probe Station 2", "kind": "probe", "status": "maintenance"}
	up := e.call(http.MethodPut, "/api/analysis/instruments/"+id, eng, upd, "If-Match", created.Header.Get("ETag"))
	if up.Status != http.StatusOK || up.str("status") != "maintenance" || up.Body["calibration_required"] != true || up.Header.Get("ETag") != `"2"` {
		t.Fatalf("update: %d %s", up.Status, up.Raw)
	}
	if r := e.call(http.MethodPut, "/api/analysis/instruments/"+id, eng, upd, "If-Match", created.Header.Get("ETag")); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/analysis/instruments?status=maintenance", viewer, nil); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("status filter: %s", r.Raw)
	}
	// A soft-deleted instrument is gone.
	e.sql(`UPDATE instruments SET deleted_at = now() WHERE id = $1`, id)
	if r := e.call(http.MethodGet, "/api/analysis/instruments/"+id, viewer, nil); r.Status != http.StatusNotFound {
		t.Fatalf("deleted instrument: %d", r.Status)
	}
}

func TestCalibrations(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	now := time.Now().UTC().Truncate(time.Second)
	body := func(inst, cert string, issued, expires time.Time) map[string]any {
		return map[string]any{"instrument_id": inst, "certificate_number": cert, "provider": "Metrology Services Ltd.",
			"issued_at": issued.Format(time.RFC3339), "expires_at": expires.Format(time.RFC3339), "notes": "annual"}
	}

	created := e.call(http.MethodPost, "/api/analysis/calibrations", eng, body(anSpectrometer, "CERT-NEW-1", now, now.AddDate(1, 0, 0)))
	if created.Status != http.StatusCreated || created.str("instrument_id") != anSpectrometer || created.str("recorded_by") != e.userID("engineer@demo.lab") {
		t.Fatalf("record: %d %s", created.Status, created.Raw)
	}
	if r := e.call(http.MethodGet, "/api/analysis/calibrations/"+created.str("id"), viewer, nil); r.Status != http.StatusOK || r.str("certificate_number") != "CERT-NEW-1" {
		t.Fatalf("get: %d %s", r.Status, r.Raw)
	}
	list := e.call(http.MethodGet, "/api/analysis/calibrations?instrument_id="+anSpectrometer, viewer, nil)
	if items, _ := list.Body["items"].([]any); list.Status != http.StatusOK || len(items) != 2 || items[0].(map[string]any)["id"] != created.str("id") {
		t.Fatalf("list by instrument, newest first: %d %s", list.Status, list.Raw)
	}

	cases := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"expires before issued", eng, body(anSMU, "C-2", now, now.Add(-time.Hour)), http.StatusUnprocessableEntity, "expires_at"},
		{"expires when issued", eng, body(anSMU, "C-2", now, now), http.StatusUnprocessableEntity, "expires_at"},
		{"unknown instrument", eng, body(anTestOrgSMU, "C-2", now, now.Add(time.Hour)), http.StatusUnprocessableEntity, "instrument_id"},
		{"certificate twice", eng, body(anSpectrometer, "CERT-NEW-1", now, now.Add(time.Hour)), http.StatusConflict, "certificate_number"},
		{"no certificate number", eng, map[string]any{"instrument_id": anSMU, "issued_at": now, "expires_at": now.Add(time.Hour)}, http.StatusUnprocessableEntity, "certificate_number"},
		{"technician cannot record", e.token("tech@demo.lab", "tech123"), body(anSMU, "C-3", now, now.Add(time.Hour)), http.StatusForbidden, ""},
	}
	for _, c := range cases {
		r := e.call(http.MethodPost, "/api/analysis/calibrations", c.token, c.body)
		if r.Status != c.status || (c.field != "" && !problemHasField(r, c.field)) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	// The database's own CHECK names expires_at too.
	if n := e.count(`SELECT count(*) FROM calibrations WHERE certificate_number = 'C-2'`); n != 0 {
		t.Fatalf("a refused certificate was written")
	}

	// Revoking falls back to the previous certificate (expired).
	rv := e.call(http.MethodPost, "/api/analysis/calibrations/"+created.str("id")+"/revoke", eng, map[string]any{"reason": "wrong instrument"})
	if rv.Status != http.StatusOK || rv.Body["revoked_at"] == nil {
		t.Fatalf("revoke: %d %s", rv.Status, rv.Raw)
	}
	if r := e.call(http.MethodPost, "/api/analysis/calibrations/"+created.str("id")+"/revoke", eng, map[string]any{"reason": "again"}); r.Status != http.StatusConflict {
		t.Fatalf("revoke twice: %d", r.Status)
	}
	st := calibrationStates(t, e, viewer)
	if st[anSpectrometer]["state"] != "expired" {
		t.Fatalf("after revoking, the spectrometer is %v", st[anSpectrometer])
	}
}

// calibrationStates reads /calibrations/status, by instrument id.
func calibrationStates(t *testing.T, e *apiEnv, token string) map[string]map[string]any {
	t.Helper()
	r := e.call(http.MethodGet, "/api/analysis/calibrations/status", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status: %d %s", r.Status, r.Raw)
	}
	out := map[string]map[string]any{"counts": r.Body["counts"].(map[string]any)}
	for _, it := range r.Body["items"].([]any) {
		m := it.(map[string]any)
		out[m["instrument"].(map[string]any)["id"].(string)] = m
	}
	return out
}

func TestCalibrationStatus(t *testing.T) {
	e := newAPIEnv(t)
	viewer := e.token("viewer@demo.lab", "view123")
	eng := e.token("engineer@demo.lab", "eng123")
	// A new instrument never calibrated, and one that needs none.
	missing := e.call(http.MethodPost, "/api/analysis/instruments", eng, map[string]any{"name": "New AFM", "kind": "AFM"}).str("id")
	free := e.call(http.MethodPost, "/api/analysis/instruments", eng, map[string]any{"name": "Hot plate", "kind": "hotplate", "calibration_required": false}).str("id")

	st := calibrationStates(t, e, viewer)
	want := map[string]string{anSMU: "valid", anSpectrometer: "expired", anEllipsometer: "expiring", missing: "missing", free: "not_required"}
	for id, state := range want {
		if st[id]["state"] != state {
			t.Errorf("%s: %v, want %s", id, st[id], state)
		}
	}
	if cert := st[anSMU]["certificate"].(map[string]any); cert["id"] != anSMUCal || st[anSMU]["days_left"].(float64) < 300 {
		t.Errorf("SMU certificate and days left: %v", st[anSMU])
	}
	if d := st[anSpectrometer]["days_left"].(float64); d >= 0 {
		t.Errorf("expired spectrometer has %v days left", d)
	}
	if st[missing]["certificate"] != nil || st[missing]["days_left"] != nil {
		t.Errorf("never calibrated: %v", st[missing])
	}
	counts := st["counts"]
	if counts["valid"] != float64(3) || counts["expired"] != float64(1) || counts["expiring"] != float64(1) ||
		counts["missing"] != float64(1) || counts["not_required"] != float64(1) {
		t.Errorf("counts = %v", counts)
	}
	if !strings.Contains(string(e.call(http.MethodGet, "/api/analysis/calibrations/status", viewer, nil).Raw), `"warning_days":30`) {
		t.Errorf("the organization's warning window is not reported")
	}

	// The warning window is the organization's: with 5 days the
	// ellipsometer (about 10 days left) is valid.
	e.sql(`UPDATE organizations SET calibration_warning_days = 5 WHERE slug = 'demo-lab'`)
	if st := calibrationStates(t, e, viewer); st[anEllipsometer]["state"] != "valid" {
		t.Errorf("with a 5-day window the ellipsometer is %v", st[anEllipsometer])
	}
	// test-org's status shows test-org's instruments only.
	other := calibrationStates(t, e, e.token("viewer@test.org", "view123"))
	if _, leaked := other[anSMU]; leaked || other[anTestOrgSMU] == nil {
		t.Errorf("test-org's status: %v", other)
	}
}

// The OpenAPI document describes the lockout's 409 body and both forms of
// a results upload.
func TestAnalysisOpenAPI(t *testing.T) {
	e := newAPIEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("openapi: %d", r.Status)
	}
	paths := r.Body["paths"].(map[string]any)
	post := func(p string) map[string]any { return paths[p].(map[string]any)["post"].(map[string]any) }
	for _, p := range []string{"/api/analysis/runs", "/api/analysis/runs/{id}/start"} {
		conflict, _ := post(p)["responses"].(map[string]any)["409"].(map[string]any)
		if !strings.Contains(openAPIJSONText(t, conflict), "LockoutProblem") {
			t.Errorf("%s: 409 = %v", p, conflict)
		}
	}
	lockout := r.Body["components"].(map[string]any)["schemas"].(map[string]any)["LockoutProblem"]
	if !strings.Contains(openAPIJSONText(t, lockout), `"instruments"`) {
		t.Errorf("LockoutProblem = %v", lockout)
	}
	content := post("/api/analysis/runs/{id}/results")["requestBody"].(map[string]any)["content"].(map[string]any)
	if content["text/csv"] == nil || !strings.Contains(openAPIJSONText(t, content["application/json"]), "ResultsUpload") {
		t.Errorf("results upload content = %v", content)
	}
}

func openAPIJSONText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
