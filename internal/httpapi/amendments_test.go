package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// completedDemoRun plans, starts, measures (results as CSV) and completes
// a run as token, and returns its id.
func completedDemoRun(e *apiEnv, token, resultsCSV string) string {
	e.t.Helper()
	id := plannedDemoRun(e, token)
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+id+"/start", token, map[string]any{}); r.Status != http.StatusOK {
		e.t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	if r := sendRaw(e, http.MethodPost, "/api/analysis/runs/"+id+"/results", token, "text/csv", resultsCSV); r.Status != http.StatusCreated {
		e.t.Fatalf("results: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+id+"/complete", token, map[string]any{}); r.Status != http.StatusOK {
		e.t.Fatalf("complete: %d %s", r.Status, r.Raw)
	}
	return id
}

// resultIDs maps a run answer's results' metric to their ids, in order.
func resultIDs(run response) map[string][]string {
	out := map[string][]string{}
	list, _ := run.Body["results"].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		out[m["metric"].(string)] = append(out[m["metric"].(string)], m["id"].(string))
	}
	return out
}

// TestAmendRunAPI: an engineer corrects one value of a completed run and
// withdraws another, with a reason. The answer is the amendment; the run
// shows it (author by name, reason, changes) and its results say which are
// superseded; the run offers amend, and no upload; both reports list it.
func TestAmendRunAPI(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	run := completedDemoRun(e, eng, "metric,value,unit\nthreshold_voltage,0.44,V\non_current,0.0012,A\n")
	before := e.call(http.MethodGet, "/api/analysis/runs/"+run, eng, nil)
	if acts := actionsOf(before.Body); !slices.Equal(acts, []string{"amend"}) {
		t.Errorf("a completed run offers %v to an engineer, want [amend]", acts)
	}
	ids := resultIDs(before)
	vth, ion := ids["threshold_voltage"][0], ids["on_current"][0]

	r := e.call(http.MethodPost, "/api/analysis/runs/"+run+"/amendments", eng, map[string]any{
		"reason":    "SMU offset not subtracted; values re-read from the raw file",
		"supersede": []any{map[string]any{"result_id": vth, "value": 0.452}, map[string]any{"result_id": ion, "withdraw": true}},
		"results":   []any{map[string]any{"metric": "leakage_current", "value": 2.1e-9, "unit": "A"}},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("amend: %d %s", r.Status, r.Raw)
	}
	a, _ := r.Body["amendment"].(map[string]any)
	changes, _ := a["changes"].([]any)
	if a["reason"] != "SMU offset not subtracted; values re-read from the raw file" || a["author_name"] != "Demo Lab Engineer" || len(changes) != 3 {
		t.Fatalf("amendment = %s", r.Raw)
	}

	after := e.call(http.MethodGet, "/api/analysis/runs/"+run, viewer, nil)
	amends, _ := after.Body["amendments"].([]any)
	if len(amends) != 1 || amends[0].(map[string]any)["id"] != a["id"] {
		t.Errorf("the run's amendments: %s", after.Raw)
	}
	standing := map[string]string{}
	var corrected float64
	for _, x := range after.Body["results"].([]any) {
		m := x.(map[string]any)
		id := m["id"].(string)
		switch {
		case m["superseded_by"] == a["id"] && m["replaced_by"] != nil:
			standing[id] = "superseded"
		case m["superseded_by"] == a["id"]:
			standing[id] = "withdrawn"
		case m["amendment_id"] == a["id"] && m["metric"] == "threshold_voltage":
			standing[id], corrected = "correction", m["value"].(float64)
		case m["superseded_by"] == nil:
			standing[id] = "current"
		}
	}
	if standing[vth] != "superseded" || standing[ion] != "withdrawn" || corrected != 0.452 || len(standing) != 4 {
		t.Errorf("results after the amendment: %v (corrected %v): %s", standing, corrected, after.Raw)
	}

	c := e.call(http.MethodGet, "/api/analysis/runs/"+run+"/report.csv", viewer, nil)
	rows, err := csv.NewReader(strings.NewReader(string(c.Raw))).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("CSV: %v %q", err, c.Raw)
	}
	col := slices.Index(rows[0], "standing")
	counts := map[string]int{}
	for _, row := range rows[1:] {
		counts[row[col]]++
	}
	if col < 0 || counts["superseded"] != 1 || counts["withdrawn"] != 1 || counts["current"] != 2 {
		t.Errorf("CSV standing: %v in %q", counts, c.Raw)
	}

	h := string(e.call(http.MethodGet, "/api/analysis/runs/"+run+"/report", viewer, nil).Raw)
	for _, want := range []string{"Amendments", "SMU offset not subtracted; values re-read from the raw file", "Demo Lab Engineer",
		"corrected 0.44 V → 0.452 V", "withdrew 0.0012 A", "added 2.1e-09 A", "<s>0.44</s>", "withdrawn"} {
		if !strings.Contains(h, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
}

// TestAmendRunRefusals: 409 naming the status on a run that is not
// completed, 403 below the role, 404 for another organization's run,
// 422 naming the field for bad input; none writes anything.
func TestAmendRunRefusals(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	tech := e.token("tech@demo.lab", "tech123")
	outsider := e.token("engineer@test.org", "eng123")
	run := completedDemoRun(e, eng, "metric,value,unit\nthreshold_voltage,0.44,V\n")
	other := completedDemoRun(e, eng, "metric,value,unit\nthreshold_voltage,0.45,V\n")
	vth := resultIDs(e.call(http.MethodGet, "/api/analysis/runs/"+run, eng, nil))["threshold_voltage"][0]
	otherVth := resultIDs(e.call(http.MethodGet, "/api/analysis/runs/"+other, eng, nil))["threshold_voltage"][0]
	running := plannedDemoRun(e, eng)
	e.call(http.MethodPost, "/api/analysis/runs/"+running+"/start", eng, map[string]any{})
	fix := func(id string) map[string]any {
		return map[string]any{"reason": "typo", "supersede": []any{map[string]any{"result_id": id, "value": 0.5}}}
	}
	cases := []struct {
		name   string
		token  string
		run    string
		body   string
		status int
		field  string // a field the problem names, or a word of its detail
	}{
		{"a running run", eng, running, `{"reason":"r","results":[{"metric":"m","value":1}]}`, http.StatusConflict, "this run is running"},
		{"a planned run", eng, plannedDemoRun(e, eng), `{"reason":"r","results":[{"metric":"m","value":1}]}`, http.StatusConflict, "this run is planned"},
		{"a technician", tech, run, mustJSON(t, fix(vth)), http.StatusForbidden, "result.amend"},
		{"another organization's run", outsider, run, mustJSON(t, fix(vth)), http.StatusNotFound, "not found"},
		{"an unknown run", eng, uuid.NewString(), mustJSON(t, fix(vth)), http.StatusNotFound, "not found"},
		{"a blank reason", eng, run, `{"reason":"   ","supersede":[{"result_id":"` + vth + `","value":0.5}]}`, http.StatusUnprocessableEntity, "reason"},
		{"no reason", eng, run, `{"supersede":[{"result_id":"` + vth + `","value":0.5}]}`, http.StatusUnprocessableEntity, "reason"},
		{"an unknown result", eng, run, mustJSON(t, fix(uuid.NewString())), http.StatusUnprocessableEntity, "supersede[0].result_id"},
		{"another run's result", eng, run, mustJSON(t, fix(otherVth)), http.StatusUnprocessableEntity, "supersede[0].result_id"},
		{"a value beyond float64", eng, run, `{"reason":"r","supersede":[{"result_id":"` + vth + `","value":1e999}]}`, http.StatusUnprocessableEntity, "body"}, // huma refuses the number itself
		{"no value, no withdraw", eng, run, `{"reason":"r","supersede":[{"result_id":"` + vth + `"}]}`, http.StatusUnprocessableEntity, "supersede[0].value"},
		{"nothing changed", eng, run, `{"reason":"r"}`, http.StatusUnprocessableEntity, "supersede"},
		{"an added result without value", eng, run, `{"reason":"r","results":[{"metric":"m"}]}`, http.StatusUnprocessableEntity, "results[0].value"},
		{"an unknown field", eng, run, `{"reason":"r","results":[{"metric":"m","value":1}],"run_id":"x"}`, http.StatusUnprocessableEntity, "run_id"},
	}
	count := func() int {
		return e.count(`SELECT (SELECT count(*) FROM run_amendments) + (SELECT count(*) FROM run_results) + (SELECT count(*) FROM run_result_supersessions)`)
	}
	before := count()
	for _, c := range cases {
		r := sendRaw(e, http.MethodPost, "/api/analysis/runs/"+c.run+"/amendments", c.token, "application/json", c.body)
		named := slices.ContainsFunc(problemFields(r), func(f string) bool { return strings.Contains(f, c.field) }) ||
			strings.Contains(r.str("detail"), c.field)
		if r.Status != c.status || !named || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, r.Status, r.Raw, c.status, c.field)
		}
	}
	if n := count(); n != before {
		t.Errorf("refused amendments wrote %d rows", n-before)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
