package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/postgres"
)

// Seeded ML metadata: demo-lab's feature set (frozen by the model) and its
// validated model; test-org's model.
var (
	mlFeatureSet   = anDemoID("feature-set", "iv-features")
	mlModel        = anDemoID("model", "iv-yield")
	mlTestOrgModel = postgres.SeedID("test-org", "model", "iv-yield").String()
)

const (
	mlFeatureSets = "/api/analysis/feature-sets"
	mlModels      = "/api/analysis/models"
)

func init() {
	// Bodies demo-lab's admin could send with success: an unlocked feature
	// set of demo-lab's own, and the seeded model retired as it is.
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, demoAdmin string) map[string]crossOrgCase {
		fs := e.mustCall(http.StatusCreated, http.MethodPost, mlFeatureSets, demoAdmin, featureSetBody("cross-org", "x"))
		m := e.mustCall(http.StatusOK, http.MethodGet, mlModels+"/"+mlModel, demoAdmin, nil)
		fsUpdate := featureSetBody("", "y")
		delete(fsUpdate, "name")
		return map[string]crossOrgCase{
			"GET /api/analysis/feature-sets/{id}": {ids: map[string]string{"id": mlFeatureSet}},
			"PUT /api/analysis/feature-sets/{id}": {ids: map[string]string{"id": fs.str("id")}, body: merge(fsUpdate, "version", 1)},
			"GET /api/analysis/models/{id}":       {ids: map[string]string{"id": mlModel}},
			"PUT /api/analysis/models/{id}":       {ids: map[string]string{"id": mlModel}, body: merge(updateOf(m, "retired"), "version", m.Body["version"])},
		}
	})
}

// featureSetBody is a valid feature set named name.
func featureSetBody(name string, features ...string) map[string]any {
	var fs []any
	for _, f := range features {
		fs = append(fs, map[string]any{"name": f, "type": "float", "description": "a column"})
	}
	return map[string]any{"name": name, "description": "test", "features": fs,
		"source": map[string]any{"query": "SELECT vth FROM run_results", "description": "the results"}}
}

// modelBody is a valid draft model named name on feature set fs.
func modelBody(name, fs string) map[string]any {
	return map[string]any{"name": name, "feature_set_id": fs, "algorithm": "random_forest",
		"hyperparameters": map[string]any{"n_estimators": 100, "criterion": "gini", "nested": map[string]any{"a": []any{1, 2}}},
		"metrics":         map[string]any{"auc": 0.8, "accuracy": 0.75}, "artifact_uri": "s3://ml/" + name + "/model.pkl",
		"trained_at": "2026-01-15T10:00:00.123456789+01:00"}
}

// updateOf is the PUT body that keeps m's content and asks for status.
func updateOf(m response, status string) map[string]any {
	return map[string]any{"feature_set_id": m.Body["feature_set_id"], "algorithm": m.Body["algorithm"],
		"hyperparameters": m.Body["hyperparameters"], "metrics": m.Body["metrics"], "artifact_uri": m.Body["artifact_uri"],
		"trained_at": m.Body["trained_at"], "status": status}
}

// mlCase is one request and what it must answer.
type mlCase struct {
	name   string
	token  string
	method string
	path   string
	body   any
	status int
	field  string // a field the problem must name
	header []string
}

func (e *apiEnv) runML(cases []mlCase) {
	e.t.Helper()
	for _, c := range cases {
		r := e.call(c.method, c.path, c.token, c.body, c.header...)
		if r.Status != c.status || (c.field != "" && !problemHasField(r, c.field)) {
			e.t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
		if ct := r.Header.Get("Content-Type"); r.Status >= 400 && ct != "application/problem+json" {
			e.t.Errorf("%s: content type %q", c.name, ct)
		}
	}
}

func (e *apiEnv) mustCall(status int, method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	r := e.call(method, path, token, body, headers...)
	if r.Status != status {
		e.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Raw)
	}
	return r
}

func mlItems(r response) []map[string]any {
	var out []map[string]any
	list, _ := r.Body["items"].([]any)
	for _, x := range list {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestFeatureSets(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	tech := e.token("tech@demo.lab", "tech123")

	first := e.mustCall(http.StatusCreated, http.MethodPost, mlFeatureSets, eng, featureSetBody("wafer map", "vth", "ion"))
	if first.Body["revision"] != 1.0 || first.Body["locked"] != false || first.Header.Get("ETag") != `"1"` || len(first.Body["features"].([]any)) != 2 {
		t.Fatalf("create: %s", first.Raw)
	}
	second := e.mustCall(http.StatusCreated, http.MethodPost, mlFeatureSets, eng, featureSetBody("wafer map", "vth", "ion", "ioff"))
	if second.Body["revision"] != 2.0 || second.str("id") == first.str("id") {
		t.Fatalf("same name, next revision: %s", second.Raw)
	}
	if r := e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets+"/"+first.str("id"), viewer, nil); r.str("name") != "wafer map" ||
		r.Body["source"].(map[string]any)["query"] != "SELECT vth FROM run_results" {
		t.Fatalf("get: %s", r.Raw)
	}

	// Lists: newest first, pages, filters.
	all := mlItems(e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets, viewer, nil))
	if len(all) != 3 || all[0]["id"] != second.str("id") || all[2]["id"] != mlFeatureSet {
		t.Fatalf("list: %v", all)
	}
	p1 := e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets+"?limit=2", viewer, nil)
	cursor, _ := p1.Body["next_cursor"].(string)
	p2 := e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets+"?limit=2&cursor="+cursor, viewer, nil)
	if len(mlItems(p1)) != 2 || cursor == "" || len(mlItems(p2)) != 1 || mlItems(p2)[0]["id"] != mlFeatureSet || p2.Body["next_cursor"] != nil {
		t.Fatalf("pages: %s / %s", p1.Raw, p2.Raw)
	}
	if r := mlItems(e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets+"?name=wafer+map", viewer, nil)); len(r) != 2 {
		t.Errorf("by name: %v", r)
	}
	if r := mlItems(e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets+"?q=IV+SWEEP", viewer, nil)); len(r) != 1 || r[0]["id"] != mlFeatureSet {
		t.Errorf("by part of the name: %v", r)
	}
	if r := mlItems(e.mustCall(http.StatusOK, http.MethodGet, mlFeatureSets+"?q=%25", viewer, nil)); len(r) != 0 {
		t.Errorf("q is not a pattern: %v", r)
	}

	id := first.str("id")
	path := mlFeatureSets + "/" + id
	upd := featureSetBody("", "vth", "ion", "temperature")
	delete(upd, "name")
	badType := featureSetBody("x", "a")
	badType["features"].([]any)[0].(map[string]any)["type"] = "tensor"
	noSource := featureSetBody("x", "a")
	delete(noSource, "source")
	emptySource := featureSetBody("x", "a")
	emptySource["source"] = map[string]any{}
	e.runML([]mlCase{
		{"unknown feature type", eng, http.MethodPost, mlFeatureSets, badType, http.StatusUnprocessableEntity, "features[0].type", nil},
		{"no features", eng, http.MethodPost, mlFeatureSets, featureSetBody("x"), http.StatusUnprocessableEntity, "features", nil},
		{"feature twice", eng, http.MethodPost, mlFeatureSets, featureSetBody("x", "a", "A"), http.StatusUnprocessableEntity, "features[1].name", nil},
		{"no source", eng, http.MethodPost, mlFeatureSets, noSource, http.StatusUnprocessableEntity, "source", nil},
		{"empty source", eng, http.MethodPost, mlFeatureSets, emptySource, http.StatusUnprocessableEntity, "source", nil},
		{"server-owned field", eng, http.MethodPost, mlFeatureSets, merge(featureSetBody("x", "a"), "revision", 7), http.StatusUnprocessableEntity, "revision", nil},
		{"unknown field of a feature", eng, http.MethodPost, mlFeatureSets, merge(featureSetBody("x"), "features", []any{map[string]any{"name": "a", "type": "int", "unit": "V"}}), http.StatusUnprocessableEntity, "features[0].unit", nil},
		{"a name is not renamed", eng, http.MethodPut, path, merge(upd, "name", "other"), http.StatusUnprocessableEntity, "name", []string{"If-Match", `"1"`}},
		{"viewer cannot create", viewer, http.MethodPost, mlFeatureSets, featureSetBody("v", "a"), http.StatusForbidden, "", nil},
		{"technician cannot create", tech, http.MethodPost, mlFeatureSets, featureSetBody("v", "a"), http.StatusForbidden, "", nil},
		{"viewer cannot update", viewer, http.MethodPut, path, upd, http.StatusForbidden, "", []string{"If-Match", `"1"`}},
		{"no version", eng, http.MethodPut, path, upd, http.StatusPreconditionRequired, "version", nil},
		{"bad If-Match", eng, http.MethodPut, path, upd, http.StatusUnprocessableEntity, "header.If-Match", []string{"If-Match", "nope"}},
		{"another organization's", eng, http.MethodGet, mlFeatureSets + "/" + postgres.SeedID("test-org", "feature-set", "iv-features").String(), nil, http.StatusNotFound, "", nil},
		{"no such revision", eng, http.MethodPut, mlFeatureSets + "/" + mlModel, upd, http.StatusNotFound, "", []string{"If-Match", `"1"`}},
	})

	// Updates honour If-Match (412) and a body version (409).
	up := e.mustCall(http.StatusOK, http.MethodPut, path, eng, upd, "If-Match", first.Header.Get("ETag"))
	if up.Header.Get("ETag") != `"2"` || len(up.Body["features"].([]any)) != 3 || up.str("name") != "wafer map" || up.Body["revision"] != 1.0 {
		t.Fatalf("update: %s", up.Raw)
	}
	e.mustCall(http.StatusPreconditionFailed, http.MethodPut, path, eng, upd, "If-Match", first.Header.Get("ETag"))
	e.mustCall(http.StatusConflict, http.MethodPut, path, eng, merge(upd, "version", 1))
	e.mustCall(http.StatusOK, http.MethodPut, path, eng, merge(upd, "version", 2))

	// Once a model refers to it, the revision is frozen; the next one is not.
	e.mustCall(http.StatusCreated, http.MethodPost, mlModels, eng, modelBody("wafer-model", id))
	got := e.mustCall(http.StatusOK, http.MethodGet, path, viewer, nil)
	if got.Body["locked"] != true {
		t.Fatalf("after a model: %s", got.Raw)
	}
	frozen := e.mustCall(http.StatusConflict, http.MethodPut, path, eng, upd, "If-Match", got.Header.Get("ETag"))
	if !strings.Contains(frozen.str("detail"), "next revision") {
		t.Errorf("frozen: %s", frozen.Raw)
	}
	e.mustCall(http.StatusConflict, http.MethodPut, mlFeatureSets+"/"+mlFeatureSet, eng, upd, "If-Match", `"1"`)
	e.mustCall(http.StatusOK, http.MethodPut, mlFeatureSets+"/"+second.str("id"), eng, upd, "If-Match", `"1"`)

	// Every change is in the audit log, by its actor.
	engID := e.userID("engineer@demo.lab")
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'feature_sets' AND row_id = $1 AND action = 'INSERT' AND actor_id = $2`, id, engID); n != 1 {
		t.Errorf("%d INSERT audit entries", n)
	}
	// Two updates; the second wrote the same content again, which the
	// audit log (changes only) does not record.
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'feature_sets' AND row_id = $1 AND action = 'UPDATE' AND actor_id = $2
		AND jsonb_array_length(new_values->'features') = 3`, id, engID); n != 1 {
		t.Errorf("%d UPDATE audit entries", n)
	}
}

// merge returns a copy of m with key set to v.
func merge(m map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range m {
		out[k] = x
	}
	out[key] = v
	return out
}

func TestModels(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")

	fs := e.mustCall(http.StatusCreated, http.MethodPost, mlFeatureSets, eng, featureSetBody("spectra", "peak", "fwhm")).str("id")
	m1 := e.mustCall(http.StatusCreated, http.MethodPost, mlModels, eng, modelBody("peak-fit", fs))
	if m1.str("status") != "draft" || m1.Body["revision"] != 1.0 || m1.str("feature_set_name") != "spectra" || m1.Body["feature_set_revision"] != 1.0 ||
		m1.str("trained_at") != "2026-01-15T09:00:00.123456Z" || m1.Body["metrics"].(map[string]any)["auc"] != 0.8 ||
		m1.Body["hyperparameters"].(map[string]any)["criterion"] != "gini" || m1.Header.Get("ETag") != `"1"` {
		t.Fatalf("create: %s", m1.Raw)
	}
	m2 := e.mustCall(http.StatusCreated, http.MethodPost, mlModels, eng, modelBody("peak-fit", mlFeatureSet))
	if m2.Body["revision"] != 2.0 {
		t.Fatalf("same name, next revision: %s", m2.Raw)
	}
	minimal := e.mustCall(http.StatusCreated, http.MethodPost, mlModels, eng, map[string]any{"name": "bare", "feature_set_id": fs})
	if minimal.str("artifact_uri") != "" || minimal.Body["trained_at"] != nil || len(minimal.Body["metrics"].(map[string]any)) != 0 {
		t.Fatalf("minimal: %s", minimal.Raw)
	}

	// Lists: newest first, pages and every filter.
	count := func(query string) int {
		t.Helper()
		return len(mlItems(e.mustCall(http.StatusOK, http.MethodGet, mlModels+query, viewer, nil)))
	}
	if n := count(""); n != 4 {
		t.Errorf("all: %d", n)
	}
	for query, want := range map[string]int{"?name=peak-fit": 2, "?q=PEAK": 2, "?q=forest": 2, "?q=boosting": 1, "?status=draft": 3, "?status=validated": 1,
		"?feature_set_id=" + fs: 2, "?feature_set_id=" + mlFeatureSet: 2, "?status=draft&feature_set_id=" + mlFeatureSet: 1, "?name=peak": 0} {
		if n := count(query); n != want {
			t.Errorf("%s: %d, want %d", query, n, want)
		}
	}
	seen := map[string]bool{}
	for cursor, pages := "", 0; ; pages++ {
		p := e.mustCall(http.StatusOK, http.MethodGet, mlModels+"?limit=1&cursor="+cursor, viewer, nil)
		for _, it := range mlItems(p) {
			seen[it["id"].(string)] = true
		}
		next, _ := p.Body["next_cursor"].(string)
		if next == "" || pages > 10 {
			break
		}
		cursor = next
	}
	if len(seen) != 4 {
		t.Errorf("pages held %d models", len(seen))
	}

	path := mlModels + "/" + m1.str("id")
	e.runML([]mlCase{
		{"artifact without scheme", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "artifact_uri", "bucket/model.pkl"), http.StatusUnprocessableEntity, "artifact_uri", nil},
		{"artifact with a script scheme", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "artifact_uri", "javascript:alert(1)"), http.StatusUnprocessableEntity, "artifact_uri", nil},
		{"artifact with credentials", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "artifact_uri", "https://u:p@host/m"), http.StatusUnprocessableEntity, "artifact_uri", nil},
		{"a metric that is no number", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "metrics", map[string]any{"auc": "high"}), http.StatusUnprocessableEntity, "metrics.auc", nil},
		{"hyperparameters not an object", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "hyperparameters", []any{1}), http.StatusUnprocessableEntity, "hyperparameters", nil},
		{"status at creation", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "status", "deployed"), http.StatusUnprocessableEntity, "status", nil},
		{"unknown field", eng, http.MethodPost, mlModels, merge(modelBody("x", fs), "organization_id", e.orgID("test-org")), http.StatusUnprocessableEntity, "organization_id", nil},
		{"no feature set", eng, http.MethodPost, mlModels, map[string]any{"name": "x"}, http.StatusUnprocessableEntity, "feature_set_id", nil},
		{"another organization's feature set", eng, http.MethodPost, mlModels, modelBody("x", postgres.SeedID("test-org", "feature-set", "iv-features").String()), http.StatusUnprocessableEntity, "feature_set_id", nil},
		{"unknown status", eng, http.MethodPut, path, updateOf(m1, "training"), http.StatusUnprocessableEntity, "status", []string{"If-Match", `"1"`}},
		{"validated without artifact", eng, http.MethodPut, mlModels + "/" + minimal.str("id"), updateOf(minimal, "validated"), http.StatusUnprocessableEntity, "artifact_uri", []string{"If-Match", `"1"`}},
		{"viewer cannot create", viewer, http.MethodPost, mlModels, modelBody("v", fs), http.StatusForbidden, "", nil},
		{"viewer cannot update", viewer, http.MethodPut, path, updateOf(m1, "validated"), http.StatusForbidden, "", []string{"If-Match", `"1"`}},
		{"no version", eng, http.MethodPut, path, updateOf(m1, "validated"), http.StatusPreconditionRequired, "version", nil},
		{"another organization's", eng, http.MethodGet, mlModels + "/" + mlTestOrgModel, nil, http.StatusNotFound, "", nil},
	})
	if n := count(""); n != 4 {
		t.Errorf("a refused request created a model: %d", n)
	}

	// A draft's content changes; a stale version does not.
	edit := updateOf(m1, "draft")
	edit["metrics"] = map[string]any{"auc": 0.85}
	edit["feature_set_id"] = mlFeatureSet
	up := e.mustCall(http.StatusOK, http.MethodPut, path, eng, edit, "If-Match", `"1"`)
	if up.Body["metrics"].(map[string]any)["auc"] != 0.85 || up.str("feature_set_id") != mlFeatureSet || up.Header.Get("ETag") != `"2"` {
		t.Fatalf("edit a draft: %s", up.Raw)
	}
	e.mustCall(http.StatusPreconditionFailed, http.MethodPut, path, eng, updateOf(up, "validated"), "If-Match", `"1"`)
	e.mustCall(http.StatusConflict, http.MethodPut, path, eng, merge(updateOf(up, "validated"), "version", 1))

	// The life: draft → validated → deployed → retired; past draft only
	// the status moves.
	v := e.mustCall(http.StatusOK, http.MethodPut, path, eng, updateOf(up, "validated"), "If-Match", up.Header.Get("ETag"))
	changed := updateOf(v, "deployed")
	changed["artifact_uri"] = "s3://ml/elsewhere.pkl"
	if r := e.mustCall(http.StatusConflict, http.MethodPut, path, eng, changed, "If-Match", v.Header.Get("ETag")); !strings.Contains(r.str("detail"), "only its status") {
		t.Errorf("content change past draft: %s", r.Raw)
	}
	d := e.mustCall(http.StatusOK, http.MethodPut, path, eng, updateOf(v, "deployed"), "If-Match", v.Header.Get("ETag"))
	r := e.mustCall(http.StatusOK, http.MethodPut, path, eng, merge(updateOf(d, "retired"), "version", d.Body["version"]))
	if r.str("status") != "retired" {
		t.Fatalf("retire: %s", r.Raw)
	}
	engID := e.userID("engineer@demo.lab")
	for _, status := range []string{"validated", "deployed", "retired"} {
		if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'models' AND row_id = $1 AND action = 'UPDATE'
			AND actor_id = $2 AND new_values->>'status' = $3`, m1.str("id"), engID, status); n != 1 {
			t.Errorf("%d audit entries for → %s", n, status)
		}
	}
}

// Every transition the model life does not allow answers 409 and changes
// nothing; staying in a status is no transition.
func TestModelIllegalTransitions(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	path := map[string]string{}
	// One model in each status, walked there legally.
	for i, status := range []string{"draft", "validated", "deployed", "retired"} {
		m := e.mustCall(http.StatusCreated, http.MethodPost, mlModels, eng, modelBody(fmt.Sprint("life-", i), mlFeatureSet))
		for _, step := range []string{"validated", "deployed", "retired"}[:i] {
			m = e.mustCall(http.StatusOK, http.MethodPut, mlModels+"/"+m.str("id"), eng, updateOf(m, step), "If-Match", m.Header.Get("ETag"))
		}
		if m.str("status") != status {
			t.Fatalf("walked to %s, want %s", m.str("status"), status)
		}
		path[status] = mlModels + "/" + m.str("id")
	}
	illegal := map[string][]string{
		"draft":     {"deployed"},
		"validated": {"draft"},
		"deployed":  {"draft", "validated"},
		"retired":   {"draft", "validated", "deployed"},
	}
	before := e.snapshot()
	for from, tos := range illegal {
		cur := e.mustCall(http.StatusOK, http.MethodGet, path[from], eng, nil)
		for _, to := range tos {
			r := e.call(http.MethodPut, path[from], eng, updateOf(cur, to), "If-Match", cur.Header.Get("ETag"))
			if r.Status != http.StatusConflict || !strings.Contains(r.str("detail"), "cannot become "+to) {
				t.Errorf("%s → %s: %d %s", from, to, r.Status, r.Raw)
			}
		}
	}
	if after := e.snapshot(); after != before {
		t.Fatalf("refused transitions changed the database:\n%s\n%s", before, after)
	}
	// Staying in a status is allowed (and writes a new version).
	cur := e.mustCall(http.StatusOK, http.MethodGet, path["deployed"], eng, nil)
	e.mustCall(http.StatusOK, http.MethodPut, path["deployed"], eng, updateOf(cur, "deployed"), "If-Match", cur.Header.Get("ETag"))
}

// The cross-organization bodies are ones demo-lab's admin may send: only
// the foreign organization makes them fail.
func TestMLCrossOrgBodiesAreValid(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	for _, f := range crossOrgCases {
		for key, c := range f(e, admin) {
			if !strings.Contains(key, "/feature-sets/") && !strings.Contains(key, "/models/") {
				continue
			}
			method, path, _ := strings.Cut(key, " ")
			if r := e.call(method, fillPath(path, c.ids), admin, c.body); r.Status != http.StatusOK {
				t.Errorf("%s as demo-lab's admin: %d %s", key, r.Status, r.Raw)
			}
		}
	}
}
