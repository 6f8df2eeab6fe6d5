package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/postgres"
)

// anDataSeries is the IV sweep of demo-lab's first run.
var anDataSeries = postgres.SeedID("demo-lab", "data-series", "1", "iv").String()

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, demoAdmin string) map[string]crossOrgCase {
		s := map[string]string{"id": anDataSeries}
		return map[string]crossOrgCase{
			"POST /api/analysis/runs/{id}/series": {ids: map[string]string{"id": anRun},
				body: map[string]any{"name": "taken over", "columns": []any{map[string]any{"name": "V", "values": []float64{1}}, map[string]any{"name": "I", "values": []float64{2}}}}},
			"GET /api/analysis/series/{id}":          {ids: s},
			"GET /api/analysis/series/{id}/data.csv": {ids: s},
			"GET /api/analysis/series/{id}/plot":     {ids: s},
		}
	})
}

// ivCSV is a Keithley-style export: a preamble, a header with units, rows.
func ivCSV(rows int) string {
	var b strings.Builder
	b.WriteString("Keithley 2450 linear sweep\nCompliance,0.001\n\"Voltage (V)\",\"Current (A)\"\n")
	for k := 0; k < rows; k++ {
		v := -2 + 4*float64(k)/float64(rows-1)
		fmt.Fprintf(&b, "%g,%g\n", v, 1e-9*v+5e-4*max(0, v-0.45))
	}
	return b.String()
}

// TestDataSeriesAPI walks a curve's life through the API: an engineer
// uploads an instrument's CSV to a running run, reads it back whole (JSON,
// and CSV that parses to the same values), plots it whole and zoomed; bad
// files are refused naming the line, a completed run takes none, and a
// curve larger than the request limit is accepted up to the upload limit.
func TestDataSeriesAPI(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	run := plannedDemoRun(e, eng)
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+run+"/start", eng, map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	upload := func(token, run, contentType, query, body string) response {
		return sendRaw(e, http.MethodPost, "/api/analysis/runs/"+run+"/series"+query, token, contentType, body)
	}
	file := ivCSV(401)
	r := upload(eng, run, "text/csv", "?name=IV+sweep+W1", file)
	if r.Status != http.StatusCreated || r.str("name") != "IV sweep W1" || r.Body["rows"] != 401.0 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	id := r.str("id")
	cols, values, err := dataseries.ParseDelimited([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if r.str("sha256") != dataseries.Digest(values) {
		t.Fatalf("digest %s, want that of the file's values", r.str("sha256"))
	}
	if c := r.Body["columns"].([]any); len(c) != 2 || c[0].(map[string]any)["unit"] != "V" || c[1].(map[string]any)["name"] != "Current" {
		t.Fatalf("columns %v", c)
	}

	got := e.call(http.MethodGet, "/api/analysis/series/"+id, viewer, nil)
	if got.Status != http.StatusOK {
		t.Fatalf("read: %d %s", got.Status, got.Raw)
	}
	vs := got.Body["values"].([]any)
	for c := range values {
		col := vs[c].([]any)
		for k, v := range values[c] {
			if col[k].(float64) != v {
				t.Fatalf("column %d row %d: %v, want %v", c, k, col[k], v)
			}
		}
	}
	csv := sendRaw(e, http.MethodGet, "/api/analysis/series/"+id+"/data.csv", viewer, "", "")
	if csv.Status != http.StatusOK || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csv.Status, csv.Header)
	}
	cols2, values2, err := dataseries.ParseDelimited(csv.Raw)
	if err != nil || !reflect.DeepEqual(cols2, cols) || !reflect.DeepEqual(values2, values) {
		t.Fatalf("the CSV does not read back as the upload: %v\n%.200s", err, csv.Raw)
	}

	plot := e.call(http.MethodGet, "/api/analysis/series/"+id+"/plot?points=50", viewer, nil)
	if plot.Status != http.StatusOK || len(plot.Body["x_values"].([]any)) != 50 || plot.Body["rows"] != 401.0 {
		t.Fatalf("plot: %d %s", plot.Status, plot.Raw)
	}
	zoom := e.call(http.MethodGet, "/api/analysis/series/"+id+"/plot?points=500&x_min=0&x_max=1", viewer, nil)
	if zoom.Status != http.StatusOK || zoom.Body["rows"] != 101.0 || len(zoom.Body["x_values"].([]any)) != 101 {
		t.Fatalf("zoomed plot: %d %s", zoom.Status, zoom.Raw)
	}
	for _, c := range []struct{ query, field string }{
		{"?x_min=abc", "query.x_min"}, {"?x_min=1&x_max=0", "query.x_max"}, {"?y=2", "y"}, {"?points=1", "points"},
	} {
		if r := e.call(http.MethodGet, "/api/analysis/series/"+id+"/plot"+c.query, viewer, nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), c.field) {
			t.Errorf("plot%s: %d %s, want 422 naming %s", c.query, r.Status, r.Raw, c.field)
		}
	}

	// JSON, a second curve on the run; the same name again conflicts.
	body := `{"name":"Leakage","columns":[{"name":"V","unit":"V","values":[0,1,2]},{"name":"I","unit":"A","values":[1e-12,2e-12,4e-12]}]}`
	if r := upload(eng, run, "application/json", "", body); r.Status != http.StatusCreated || r.Body["rows"] != 3.0 {
		t.Fatalf("JSON upload: %d %s", r.Status, r.Raw)
	}
	if r := upload(eng, run, "application/json", "", body); r.Status != http.StatusConflict {
		t.Fatalf("the same name again: %d %s", r.Status, r.Raw)
	}
	if d := e.call(http.MethodGet, "/api/analysis/runs/"+run, viewer, nil); len(d.Body["series"].([]any)) != 2 {
		t.Fatalf("the run lists %d series, want 2", len(d.Body["series"].([]any)))
	}

	// The IV recipe derives the threshold voltage from every sweep.
	if d := r.Body["derived"].([]any); len(d) != 1 || d[0].(map[string]any)["metric"] != "threshold_voltage" ||
		d[0].(map[string]any)["derivation"].(map[string]any)["method"] != "threshold_voltage" {
		t.Fatalf("derived %v", r.Body["derived"])
	}
	if v := r.Body["derived"].([]any)[0].(map[string]any)["value"].(float64); v < 0.44 || v > 0.46 {
		t.Fatalf("threshold voltage %v, want 0.45", v)
	}
	// A recipe's extraction is validated where it is written.
	bad := e.call(http.MethodPost, "/api/lims/recipes", eng, map[string]any{"name": "Bad extraction", "instrument_kinds": []string{"SMU"},
		"extractions": []any{map[string]any{"method": "value_at", "metric": "leakage_current", "unit": "A"}}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(string(bad.Raw), "extractions[0].at") {
		t.Fatalf("a value_at without at: %d %s", bad.Status, bad.Raw)
	}

	// An XRD pattern (.xy, no header) and a JCAMP-DX spectrum, read by content.
	if r := upload(eng, run, "text/plain", "?name=XRD", "# Cu Ka\n20.00 110\n20.02 115\n20.04 430\n20.06 120\n"); r.Status != http.StatusCreated ||
		r.Body["rows"] != 4.0 || r.Body["columns"].([]any)[0].(map[string]any)["name"] != "x" {
		t.Fatalf("an .xy file: %d %s", r.Status, r.Raw)
	}
	jdx := "##TITLE=UV-vis\n##JCAMP-DX=4.24\n##XUNITS=NANOMETERS\n##YUNITS=ABSORBANCE\n##FIRSTX=400\n##LASTX=403\n##NPOINTS=4\n##XYDATA=(X++(Y..Y))\n400 0.1 0.2\n402 0.3 0.25\n##END=\n"
	if r := upload(eng, run, "chemical/x-jcamp-dx", "?name=UV-vis", jdx); r.Status != http.StatusCreated || r.Body["rows"] != 4.0 ||
		r.Body["columns"].([]any)[0].(map[string]any)["unit"] != "nm" {
		t.Fatalf("a JCAMP-DX file: %d %s", r.Status, r.Raw)
	}

	for _, c := range []struct{ name, contentType, body, says string }{
		{"a bad cell", "text/csv", "V [V],I [A]\n1,2\n3,oops\n", "line 3, column 2"},
		{"one number a line", "text/csv", "1\n2\n", "line 2"},
		{"a JCAMP-DX table cut short", "chemical/x-jcamp-dx", "##FIRSTX=1\n##LASTX=2\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1 5 6\n", "NPOINTS"},
		{"one column", "application/json", `{"name":"x","columns":[{"name":"V","values":[1]}]}`, "columns"},
		{"ragged", "application/json", `{"name":"x","columns":[{"name":"V","values":[1,2]},{"name":"I","values":[1]}]}`, "columns[1].values"},
		{"unknown field", "application/json", `{"name":"x","colour":1,"columns":[]}`, "body"},
		{"a media type", "application/pdf", "%PDF", "Content-Type"},
	} {
		if r := upload(eng, run, c.contentType, "", c.body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), c.says) {
			t.Errorf("%s: %d %s, want 422 saying %q", c.name, r.Status, r.Raw, c.says)
		}
	}
	if r := upload(eng, anRun, "text/csv", "", ivCSV(5)); r.Status != http.StatusConflict {
		t.Fatalf("a series on a completed run: %d %s", r.Status, r.Raw)
	}
	if r := upload(viewer, run, "text/csv", "", ivCSV(5)); r.Status != http.StatusForbidden {
		t.Fatalf("a viewer's upload: %d %s", r.Status, r.Raw)
	}

	// The list a plot's overlays come from: the recipe's runs' sweeps, by
	// name, newest first; another organization's recipe id finds nothing.
	list := e.call(http.MethodGet, "/api/analysis/series?recipe_id="+anIVRecipe+"&name=IV+sweep&limit=5", viewer, nil)
	if list.Status != http.StatusOK || len(list.Body["items"].([]any)) != 5 || list.str("next_cursor") == "" {
		t.Fatalf("list: %d %.300s", list.Status, list.Raw)
	}
	all := 0
	for cursor := ""; ; {
		r := e.call(http.MethodGet, "/api/analysis/series?recipe_id="+anIVRecipe+"&name=IV+sweep&limit=7&cursor="+cursor, viewer, nil)
		for _, it := range r.Body["items"].([]any) {
			if it.(map[string]any)["name"] != "IV sweep" {
				t.Fatalf("listed %v", it)
			}
			all++
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if all != 20 {
		t.Fatalf("%d of the recipe's seeded sweeps listed, want 20", all)
	}
	if r := e.call(http.MethodGet, "/api/analysis/series?recipe_id="+anIVRecipe, e.token("admin@test.org", "admin123"), nil); r.Status != http.StatusOK || len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("test-org lists demo-lab's series: %d %.300s", r.Status, r.Raw)
	}

	// Uploads have their own limit: a 2 MB curve passes where a 2 MB
	// results upload is refused, and past the upload limit it is 413 too.
	big := ivCSV(80_000)
	if len(big) <= int(e.srv.maxBody) {
		t.Fatalf("the big curve is only %d bytes", len(big))
	}
	if r := upload(eng, run, "text/csv", "?name=big", big); r.Status != http.StatusCreated || r.Body["rows"] != 80000.0 {
		t.Fatalf("a %d-byte curve: %d %.300s", len(big), r.Status, r.Raw)
	}
	if r := sendRaw(e, http.MethodPost, "/api/analysis/runs/"+run+"/results", eng, "text/csv", "metric,value\n"+strings.Repeat("m,1\n", len(big)/4)); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a %d-byte results upload: %d %.300s", len(big), r.Status, r.Raw)
	}
	e.srv.maxUpload = int64(len(big) - 1)
	if r := upload(eng, run, "text/csv", "?name=bigger", big); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a curve past the upload limit: %d %.300s", r.Status, r.Raw)
	}
}
