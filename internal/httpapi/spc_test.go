package httpapi

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestSPCSeries(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")

	l := e.call(http.MethodGet, "/api/analysis/spc/series?metric=threshold_voltage", viewer, nil)
	if items, _ := l.Body["items"].([]any); l.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["id"] != anSeries {
		t.Fatalf("list: %d %s", l.Status, l.Raw)
	}
	if g := e.call(http.MethodGet, "/api/analysis/spc/series/"+anSeries, viewer, nil); g.Status != http.StatusOK || g.Body["ucl"] != 0.51 {
		t.Fatalf("get: %d %s", g.Status, g.Raw)
	}
	pts := e.call(http.MethodGet, "/api/analysis/spc/series/"+anSeries+"/points?limit=5", viewer, nil)
	items, _ := pts.Body["items"].([]any)
	if pts.Status != http.StatusOK || len(items) != 5 {
		t.Fatalf("points: %d %s", pts.Status, pts.Raw)
	}
	for i := 1; i < len(items); i++ {
		if items[i-1].(map[string]any)["ts"].(string) < items[i].(map[string]any)["ts"].(string) {
			t.Fatalf("points are not newest first: %s", pts.Raw)
		}
	}
	if all := e.call(http.MethodGet, "/api/analysis/spc/series/"+anSeries+"/points", viewer, nil); len(all.Body["items"].([]any)) != 19 {
		t.Errorf("default limit returns %d of the 19 seeded points", len(all.Body["items"].([]any)))
	}

	given := e.call(http.MethodPost, "/api/analysis/spc/series", eng, map[string]any{"name": "Film thickness", "metric": "thickness",
		"unit": "nm", "center_line": 100.0, "sigma": 2.0})
	if given.Status != http.StatusCreated || given.Body["ucl"] != 106.0 || given.Body["lcl"] != 94.0 || given.Body["baseline_size"] != nil {
		t.Fatalf("create with limits: %d %s", given.Status, given.Raw)
	}
	base := e.call(http.MethodPost, "/api/analysis/spc/series", eng, map[string]any{"name": "Vth baseline", "metric": "threshold_voltage",
		"recipe_id": anIVRecipe, "instrument_id": anSMU, "baseline_size": 10})
	if base.Status != http.StatusCreated || base.Body["baseline_size"] != 10.0 || math.Abs(base.Body["center_line"].(float64)-0.45) > 0.03 ||
		base.Body["sigma"].(float64) <= 0 {
		t.Fatalf("create from a baseline: %d %s", base.Status, base.Raw)
	}

	cases := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"name taken", eng, map[string]any{"name": "Film thickness", "metric": "m", "center_line": 1.0, "sigma": 1.0}, http.StatusConflict, "name"},
		{"no sigma", eng, map[string]any{"name": "A", "metric": "m", "center_line": 1.0}, http.StatusUnprocessableEntity, "sigma"},
		{"no limits", eng, map[string]any{"name": "A", "metric": "m"}, http.StatusUnprocessableEntity, "center_line"},
		{"zero sigma", eng, map[string]any{"name": "A", "metric": "m", "center_line": 1.0, "sigma": 0.0}, http.StatusUnprocessableEntity, "sigma"},
		{"both ways", eng, map[string]any{"name": "A", "metric": "m", "center_line": 1.0, "sigma": 1.0, "baseline_size": 5}, http.StatusUnprocessableEntity, "baseline_size"},
		{"baseline without history", eng, map[string]any{"name": "A", "metric": "nothing_measured", "baseline_size": 5}, http.StatusUnprocessableEntity, "baseline_size"},
		{"another organization's recipe", eng, map[string]any{"name": "A", "metric": "m", "center_line": 1.0, "sigma": 1.0,
			"recipe_id": uuid.NewString()}, http.StatusUnprocessableEntity, "recipe_id"},
		{"technician cannot manage", e.token("tech@demo.lab", "tech123"), map[string]any{"name": "A", "metric": "m", "center_line": 1.0, "sigma": 1.0}, http.StatusForbidden, ""},
	}
	for _, c := range cases {
		r := e.call(http.MethodPost, "/api/analysis/spc/series", c.token, c.body)
		if r.Status != c.status || (c.field != "" && !problemHasField(r, c.field)) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	for _, q := range []string{"limit=0", "limit=10001"} {
		if r := e.call(http.MethodGet, "/api/analysis/spc/series/"+anSeries+"/points?"+q, viewer, nil); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("points?%s: %d", q, r.Status)
		}
	}
	if r := e.call(http.MethodGet, "/api/analysis/spc/series/"+uuid.NewString()+"/points", viewer, nil); r.Status != http.StatusNotFound {
		t.Errorf("points of an unknown series: %d", r.Status)
	}
}

func TestSPCPointsRaiseAlerts(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	s := e.call(http.MethodPost, "/api/analysis/spc/series", eng, map[string]any{"name": "Chart", "metric": "x", "center_line": 10.0, "sigma": 1.0}).str("id")
	start := time.Now().UTC().Add(-time.Hour)
	add := func(values ...float64) response {
		var pts []any
		for _, v := range values {
			start = start.Add(time.Minute)
			pts = append(pts, map[string]any{"ts": start.Format(time.RFC3339), "value": v})
		}
		r := e.call(http.MethodPost, "/api/analysis/spc/series/"+s+"/points", eng, map[string]any{"points": pts})
		if r.Status != http.StatusCreated {
			t.Fatalf("add points: %d %s", r.Status, r.Raw)
		}
		return r
	}
	rules := func(r response) map[string][]any {
		out := map[string][]any{}
		for _, a := range r.Body["alerts"].([]any) {
			m := a.(map[string]any)
			out[m["rule"].(string)] = m["point_ids"].([]any)
		}
		return out
	}

	if r := add(10.2, 9.7, 10.1); len(rules(r)) != 0 {
		t.Fatalf("in control, yet %v", rules(r))
	}
	r := add(13.5)
	got := rules(r)
	if len(got) != 1 || len(got["WE1"]) != 1 || got["WE1"][0] != r.Body["points"].([]any)[0].(map[string]any)["id"] {
		t.Fatalf("one point beyond 3σ: %v", got)
	}
	if got := rules(add(12.3)); len(got["WE2"]) != 2 {
		t.Fatalf("two of three beyond 2σ: %v", got)
	}
	if got := rules(add(10.2, 10.3, 10.1, 10.2, 10.4)); len(got["WE4"]) != 8 {
		t.Fatalf("eight on one side: %v", got)
	}
	// Re-evaluating a point does not raise its rules again.
	if n := e.count(`SELECT count(*) FROM (SELECT rule, point_ids[cardinality(point_ids)] FROM spc_alerts WHERE series_id = $1
		GROUP BY 1, 2 HAVING count(*) > 1) d`, uuid.MustParse(s)); n != 0 {
		t.Fatalf("%d rules raised twice for one point", n)
	}

	for name, body := range map[string]map[string]any{
		"no points":      {"points": []any{}},
		"value missing":  {"points": []any{map[string]any{"ts": start.Format(time.RFC3339)}}},
		"value a string": {"points": []any{map[string]any{"value": "high"}}},
	} {
		if r := e.call(http.MethodPost, "/api/analysis/spc/series/"+s+"/points", eng, body); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

func TestSPCAlerts(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")

	open := e.call(http.MethodGet, "/api/analysis/spc/alerts", viewer, nil)
	if items, _ := open.Body["items"].([]any); open.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["id"] != anAlert {
		t.Fatalf("open alerts: %d %s", open.Status, open.Raw)
	}
	if r := e.call(http.MethodGet, "/api/analysis/spc/alerts?acknowledged=true", viewer, nil); len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("acknowledged alerts before any: %s", r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/analysis/spc/alerts?series_id="+uuid.NewString(), viewer, nil); len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("series filter: %s", r.Raw)
	}
	path := "/api/analysis/spc/alerts/" + anAlert + "/acknowledge"
	if r := e.call(http.MethodPost, path, e.token("tech@demo.lab", "tech123"), map[string]any{"comment": "seen"}); r.Status != http.StatusForbidden {
		t.Errorf("technician acknowledges: %d", r.Status)
	}
	if r := e.call(http.MethodPost, path, eng, map[string]any{}); r.Status != http.StatusUnprocessableEntity || !problemHasField(r, "comment") {
		t.Errorf("no comment: %d %s", r.Status, r.Raw)
	}
	ack := e.call(http.MethodPost, path, eng, map[string]any{"comment": "Probe card replaced; re-measured in control."})
	if ack.Status != http.StatusOK || ack.str("acknowledged_by") != e.userID("engineer@demo.lab") || ack.Body["acknowledged_at"] == nil {
		t.Fatalf("acknowledge: %d %s", ack.Status, ack.Raw)
	}
	if r := e.call(http.MethodPost, path, eng, map[string]any{"comment": "again"}); r.Status != http.StatusConflict {
		t.Errorf("acknowledge twice: %d", r.Status)
	}
	if r := e.call(http.MethodGet, "/api/analysis/spc/alerts", viewer, nil); len(r.Body["items"].([]any)) != 0 {
		t.Errorf("an acknowledged alert is still open: %s", r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/analysis/spc/alerts?acknowledged=true&series_id="+anSeries, viewer, nil); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("acknowledged list: %s", r.Raw)
	}
	if r := e.call(http.MethodPost, "/api/analysis/spc/alerts/"+uuid.NewString()+"/acknowledge", eng, map[string]any{"comment": "x"}); r.Status != http.StatusNotFound {
		t.Errorf("unknown alert: %d", r.Status)
	}
}
