package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestRunActionsAreEnforced walks every run status (and the recipe and
// operator variants that change who may act) × every role: each action a
// run's answer lists for the caller succeeds, each one it does not list is
// refused with 403 or 409. The list and the enforcement come from one
// rule (spectra.Run.Check), and this keeps it so.
func TestRunActionsAreEnforced(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	roles := []struct {
		role  spectra.Role
		token string
	}{{spectra.RoleAdmin, u.admin}, {spectra.RolePI, u.pi}, {spectra.RoleEngineer, u.eng}, {spectra.RoleTechnician, u.tech}, {spectra.RoleViewer, u.viewer}}
	ctx := context.Background()
	var issued, expires time.Time
	if err := e.db.Pool().QueryRow(ctx, `SELECT issued_at, expires_at FROM calibrations WHERE id = $1`, anSMUCal).Scan(&issued, &expires); err != nil {
		t.Fatal(err)
	}
	do := func(token, id, action string) response {
		t.Helper()
		switch action {
		case string(spectra.ActUploadResults):
			return sendRaw(e, http.MethodPost, "/api/analysis/runs/"+id+"/results", token, "application/json",
				`{"results":[{"metric":"threshold_voltage","value":0.45,"unit":"V"}]}`)
		case string(spectra.ActAmend):
			return sendRaw(e, http.MethodPost, "/api/analysis/runs/"+id+"/amendments", token, "application/json",
				`{"reason":"walk","results":[{"metric":"threshold_voltage","value":0.45,"unit":"V"}]}`)
		}
		return e.call(http.MethodPost, "/api/analysis/runs/"+id+"/"+action, token, map[string]any{"reason": "walk"})
	}
	must := func(token, id, action string) string {
		t.Helper()
		if r := do(token, id, action); r.Status != http.StatusOK {
			t.Fatalf("set-up %s: %d %s", action, r.Status, r.Raw)
		}
		return id
	}
	planned := func() string { return plannedDemoRun(e, u.eng) }
	running := func(by string) func() string { return func() string { return must(by, planned(), "start") } }
	blocked := func() string {
		id := planned()
		e.sql(`UPDATE calibrations SET issued_at = now() - interval '400 days', expires_at = now() - interval '1 day' WHERE id = $1`, anSMUCal)
		if r := do(u.eng, id, "start"); r.Status != http.StatusConflict {
			t.Fatalf("block: %d %s", r.Status, r.Raw)
		}
		e.sql(`UPDATE calibrations SET issued_at = $2, expires_at = $3 WHERE id = $1`, anSMUCal, issued, expires)
		return id
	}
	type scenario struct {
		name   string
		status spectra.RunStatus
		make   func() string
	}
	scenarios := []scenario{
		{"planned", spectra.RunPlanned, planned},
		{"blocked", spectra.RunBlocked, blocked},
		{"running, the technician operates", spectra.RunRunning, running(u.tech)},
		{"running, the engineer operates", spectra.RunRunning, running(u.eng)},
		{"completed", spectra.RunCompleted, func() string { return must(u.tech, running(u.tech)(), "complete") }},
		{"failed", spectra.RunFailed, func() string { return must(u.tech, running(u.tech)(), "fail") }},
		{"aborted", spectra.RunAborted, func() string { return must(u.eng, planned(), "abort") }},
	}
	walk := func(scenarios []scenario) {
		for _, sc := range scenarios {
			for _, ro := range roles {
				// The list answers the same actions as the run itself.
				id := sc.make()
				one := e.call(http.MethodGet, "/api/analysis/runs/"+id, ro.token, nil)
				if one.Status != http.StatusOK || one.str("status") != string(sc.status) {
					t.Fatalf("%s as %s: %d %s", sc.name, ro.role, one.Status, one.Raw)
				}
				l := e.call(http.MethodGet, "/api/analysis/runs?limit=200&status="+string(sc.status), ro.token, nil)
				found := false
				for _, it := range l.Body["items"].([]any) {
					if m := it.(map[string]any); m["id"] == id {
						found = true
						if got, want := actionsOf(m), actionsOf(one.Body); !slices.Equal(got, want) {
							t.Errorf("%s as %s: the list says %v, the run %v", sc.name, ro.role, got, want)
						}
					}
				}
				if !found {
					t.Errorf("%s as %s: the run is not in the list", sc.name, ro.role)
				}

				for _, a := range spectra.RunActions {
					id := sc.make()
					listed := slices.Contains(actionsOf(e.call(http.MethodGet, "/api/analysis/runs/"+id, ro.token, nil).Body), string(a))
					r := do(ro.token, id, string(a))
					ok := r.Status == http.StatusOK || r.Status == http.StatusCreated
					switch {
					case listed && !ok:
						t.Errorf("%s as %s: %s is listed but answers %d %s", sc.name, ro.role, a, r.Status, r.Raw)
					case !listed && r.Status != http.StatusForbidden && r.Status != http.StatusConflict:
						t.Errorf("%s as %s: %s is not listed but answers %d %s", sc.name, ro.role, a, r.Status, r.Raw)
					case !listed && r.Status == http.StatusConflict && !strings.Contains(r.str("detail"), string(sc.status)):
						t.Errorf("%s as %s: %s: the conflict does not name the status: %s", sc.name, ro.role, a, r.Raw)
					}
				}
			}
		}
	}
	walk(scenarios)

	// Runs whose recipe was retired after they were planned: made ahead,
	// then the recipe retires (an approved recipe is needed to plan).
	pool := func(make func() string) func() string {
		var ids []string
		for range len(roles) * (len(spectra.RunActions) + 1) {
			ids = append(ids, make())
		}
		return func() string { id := ids[0]; ids = ids[1:]; return id }
	}
	retired := []scenario{
		{"planned, recipe retired", spectra.RunPlanned, pool(planned)},
		{"running, recipe retired, the technician operates", spectra.RunRunning, pool(running(u.tech))},
	}
	e.sql(`UPDATE recipes SET status = 'retired', retired_at = now() WHERE id = $1`, anIVRecipe)
	walk(retired)
}

// actionsOf is the actions member of a run's answer.
func actionsOf(run map[string]any) []string {
	out := []string{}
	list, _ := run["actions"].([]any)
	for _, a := range list {
		out = append(out, a.(string))
	}
	return out
}

// What the walk cannot see by itself: which actions each status offers.
// A completed run's results are immutable (PRODUCT.md §13), so it takes
// no upload; nor does an aborted, planned or blocked one; a failed one
// does.
func TestRunResultsByStatus(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	upload := func(id string) response {
		return sendRaw(e, http.MethodPost, "/api/analysis/runs/"+id+"/results", eng, "application/json",
			`{"results":[{"metric":"threshold_voltage","value":0.45,"unit":"V"}]}`)
	}
	act := func(id, a string) string {
		if r := e.call(http.MethodPost, "/api/analysis/runs/"+id+"/"+a, eng, map[string]any{}); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", a, r.Status, r.Raw)
		}
		return id
	}
	cases := []struct {
		name   string
		id     string
		status int
	}{
		{"planned", plannedDemoRun(e, eng), http.StatusConflict},
		{"running", act(plannedDemoRun(e, eng), "start"), http.StatusCreated},
		{"completed", act(act(plannedDemoRun(e, eng), "start"), "complete"), http.StatusConflict},
		{"the seeded completed run", anRun, http.StatusConflict},
		{"failed", act(act(plannedDemoRun(e, eng), "start"), "fail"), http.StatusCreated},
		{"aborted", act(act(plannedDemoRun(e, eng), "start"), "abort"), http.StatusConflict},
	}
	for _, c := range cases {
		before := e.count(`SELECT count(*) FROM run_results`)
		r := upload(c.id)
		if r.Status != c.status {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
		if c.status == http.StatusConflict {
			status := e.call(http.MethodGet, "/api/analysis/runs/"+c.id, eng, nil).str("status")
			if !strings.Contains(r.str("detail"), "this run is "+status) {
				t.Errorf("%s: the conflict does not name the status %s: %s", c.name, status, r.Raw)
			}
			if n := e.count(`SELECT count(*) FROM run_results`); n != before {
				t.Errorf("%s: a refused upload wrote %d results", c.name, n-before)
			}
		}
	}
}
