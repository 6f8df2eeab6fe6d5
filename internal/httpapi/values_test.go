package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// y10k is valid RFC 3339, but the year 10000 in UTC: encoding/json cannot
// write it back.
const y10k = "9999-12-31T23:59:59-23:59"

// TestValuesThatBreakReads: from the attacker's side, a value that JSON
// cannot encode once stored breaks every later read of its list. Each
// write must be refused with a 422 naming the field, and the reads that
// would break must still answer.
func TestValuesThatBreakReads(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	running := func() string {
		id := plannedDemoRun(e, admin)
		if r := e.call(http.MethodPost, "/api/analysis/runs/"+id+"/start", admin, map[string]any{}); r.Status != http.StatusOK {
			t.Fatalf("start the run: %d %s", r.Status, r.Raw)
		}
		return id
	}
	run := running()
	model := modelBody("y10k", mlFeatureSet)
	model["trained_at"] = y10k
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string // empty: body is JSON-encoded
		body        any
		field       string
		reads       []string
	}{
		{"SPC sigma whose limits overflow", http.MethodPost, "/api/analysis/spc/series", "",
			map[string]any{"name": "huge", "metric": "threshold_voltage", "center_line": 0, "sigma": 1e308}, "sigma",
			[]string{"/api/analysis/spc/series"}},
		{"calibration expires_at in 10000", http.MethodPost, "/api/analysis/calibrations", "",
			map[string]any{"instrument_id": anSMU, "certificate_number": "Y10K-1", "issued_at": "2026-01-01T00:00:00Z", "expires_at": y10k}, "expires_at",
			[]string{"/api/analysis/calibrations", "/api/analysis/calibrations/status"}},
		{"calibration issued_at in year 1", http.MethodPost, "/api/analysis/calibrations", "",
			map[string]any{"instrument_id": anSMU, "certificate_number": "Y1-1", "issued_at": "0001-01-01T00:00:00Z", "expires_at": "2030-01-01T00:00:00Z"}, "issued_at",
			[]string{"/api/analysis/calibrations"}},
		{"model trained_at in 10000", http.MethodPost, mlModels, "", model, "trained_at",
			[]string{mlModels}},
		{"result measured_at in 10000 (JSON)", http.MethodPost, "/api/analysis/runs/" + run + "/results", "application/json",
			`{"results":[{"metric":"threshold_voltage","value":0.45,"unit":"V"},{"metric":"threshold_voltage","value":0.45,"unit":"V","measured_at":"` + y10k + `"}]}`,
			"results[1].measured_at", []string{"/api/analysis/runs/" + run}},
		{"result measured_at in 10000 (CSV)", http.MethodPost, "/api/analysis/runs/" + run + "/results", "text/csv",
			"metric,value,unit,measured_at\nthreshold_voltage,0.45,V," + y10k + "\n",
			"line 2.measured_at", []string{"/api/analysis/runs/" + run}},
		{"result metric with NUL (CSV)", http.MethodPost, "/api/analysis/runs/" + run + "/results", "text/csv",
			"metric,value\nthreshold\x00voltage,0.45\n", "line 2.metric", nil},
		{"SPC point ts in 10000", http.MethodPost, "/api/analysis/spc/series/" + anSeries + "/points", "",
			map[string]any{"points": []any{map[string]any{"value": 0.45}, map[string]any{"value": 0.45}, map[string]any{"value": 0.45},
				map[string]any{"value": 0.45, "ts": y10k}}}, "points[3].ts",
			[]string{"/api/analysis/spc/series/" + anSeries + "/points"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, body := c.contentType, ""
			if ct == "" {
				b, _ := json.Marshal(c.body)
				ct, body = "application/json", string(b)
			} else {
				body = c.body.(string)
			}
			w, err := attempt(e, c.method, c.path, admin, ct, body)
			if err != nil || w.Status != http.StatusUnprocessableEntity || !problemHasField(w, c.field) {
				t.Errorf("write: %v %d, want 422 naming %s; %s", err, w.Status, c.field, w.Raw)
			}
			for _, path := range c.reads {
				if r, err := attempt(e, http.MethodGet, path, admin, "", ""); err != nil || r.Status != http.StatusOK {
					t.Errorf("read %s after the write: %v %d %.300s", path, err, r.Status, r.Raw)
				}
			}
		})
	}
}

// TestLoginAndSettingsValues: bad values in a public endpoint and in an
// integer that overflows its column are 422s naming the field, not 500s.
func TestLoginAndSettingsValues(t *testing.T) {
	e := newAPIEnv(t)
	r := sendRaw(e, http.MethodPost, "/auth/login", "", "application/json", `{"username":"a\u0000b","password":"x"}`)
	if r.Status != http.StatusUnprocessableEntity || !problemHasField(r, "username") {
		t.Errorf("login with NUL: %d %s", r.Status, r.Raw)
	}
	admin := e.token("admin@demo.lab", "admin123")
	settings := e.call(http.MethodGet, "/api/admin/organization", admin, nil)
	for _, v := range []string{"2147483648", "9223372036854775807", "9223372036854775808", "-2147483649", "1e300"} {
		body := `{"name":"Demo Lab","calibration_warning_days":30,"access_token_ttl_seconds":900,"refresh_token_ttl_seconds":86400,"version":` + v + `}`
		r := sendRaw(e, http.MethodPut, "/api/admin/organization", admin, "application/json", body)
		if r.Status != http.StatusUnprocessableEntity || !problemHasField(r, "version") {
			t.Errorf("version %s: %d %s", v, r.Status, r.Raw)
		}
	}
	if after := e.call(http.MethodGet, "/api/admin/organization", admin, nil); string(after.Raw) != string(settings.Raw) {
		t.Errorf("refused updates changed the settings: %s → %s", settings.Raw, after.Raw)
	}
}

// TestEveryBodyFieldIsChecked walks the OpenAPI document the server
// publishes: for every operation with a JSON body, and every string,
// date-time and integer property of it (nested objects and array items
// included), it sends an otherwise valid body with that property out of
// range — a NUL, the year 10000 in UTC, 2^31 — and expects a 422 naming
// the property. A field added later is covered without editing this test.
func TestEveryBodyFieldIsChecked(t *testing.T) {
	e := newAPIEnv(t)
	doc := e.api.OpenAPI()
	g := bodyGen{reg: doc.Components.Schemas}
	checked, ops := 0, 0
	for _, path := range sortedPaths(doc) {
		for method, op := range operationsOf(doc.Paths[path]) {
			schema := jsonBodySchema(op)
			if schema == nil || strings.HasPrefix(path, "/test/") {
				continue
			}
			ops++
			token := e.token("admin@demo.lab", "admin123")
			url := fillOpPath(op, path)
			for _, leaf := range g.leaves(schema, "") {
				body := g.setAt(g.valid(schema), leaf)
				r := e.call(method, url, token, body)
				checked++
				if r.Status != http.StatusUnprocessableEntity || !problemHasField(r, leaf.path) {
					t.Errorf("%s %s with %s = %#v: %d, want 422 naming %s\n%.400s", method, path, leaf.path, leaf.hostile, r.Status, leaf.path, r.Raw)
				}
			}
		}
	}
	if ops < 20 || checked < 100 {
		t.Fatalf("only %d fields of %d operations checked", checked, ops)
	}
	t.Logf("%d fields of %d operations checked", checked, ops)
}

// attempt sends a request and reports a dropped connection as an error,
// so that one broken read does not end the test.
func attempt(e *apiEnv, method, path, bearer, contentType, body string) (response, error) {
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	_ = json.Unmarshal(raw, &r.Body)
	if msg := conformance(e.api, method, path, r.Status, resp.Header.Get("Content-Type"), raw); msg != "" {
		e.t.Errorf("%s\n%s", msg, raw)
	}
	return r, nil
}

// TestUnencodableAnswer: a handler's answer that JSON cannot encode (a
// stored +Inf, a year after 9999) is a 500 problem, logged once with its
// stack and request id; it never cuts the connection, and none of the
// failed answer's headers go out with the problem.
func TestUnencodableAnswer(t *testing.T) {
	t.Parallel()
	ts, logs := newTestServer(t, Deps{})
	resp, body := do(t, ts, http.MethodGet, "/test/unencodable", nil)
	p := problemOf(t, resp, body, "/test/unencodable", http.StatusInternalServerError, spectra.CodeInternal)
	if p.Detail != "internal error" || resp.Header.Get("ETag") != "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("problem %s with headers %v", body, resp.Header)
	}
	recs := logs.records(t, "panic")
	if len(recs) != 1 || recs[0]["request_id"] != p.RequestID || !strings.Contains(recs[0]["stack"].(string), "httpapi/values.go") ||
		!strings.Contains(fmt.Sprint(recs[0]["panic"]), "unsupported value") {
		t.Fatalf("panic records = %v", recs)
	}
	if n := len(logs.records(t, "request failed")); n != 0 {
		t.Errorf("logged again as a failure (%d)", n)
	}
	access := logs.waitRecords(t, "request", 1)
	if len(access) != 1 || access[0]["status"] != float64(http.StatusInternalServerError) {
		t.Errorf("access log = %v, want one 500", access)
	}
}

func TestLoneSurrogates(t *testing.T) {
	for in, lone := range map[string]bool{`"\ud800"`: true, `"\udc00"`: true, `"\ud83d\ude00"`: false, `"\\ud800"`: false,
		`"\ud800\u0041"`: true, `"a\ud800`: true, `"\u00e9"`: false, `"\\\ud800"`: true, `"\uD83D\uDE00x"`: false, `"\ud83d"`: true} {
		if got := checkJSONText([]byte(in)) != nil; got != lone {
			t.Errorf("%s: lone surrogate %v, want %v", in, got, lone)
		}
	}
}

// TestCheckInputNamesEveryLeaf walks the Go input type of every registered
// operation (so an operation added later is covered): each float, time,
// int and string it holds — nested, in slices and maps, behind pointers —
// set out of range alone in an otherwise zero input must make checkInput
// name it. Floats cannot be out of range in JSON, so this is where their
// check is proven.
func TestCheckInputNamesEveryLeaf(t *testing.T) {
	bad := map[reflect.Kind]any{reflect.Float64: math.NaN(), reflect.Float32: float32(math.Inf(1)),
		reflect.Int: math.MaxInt32 + 1, reflect.String: "a\x00b"}
	leaves, ops := 0, 0
	for _, r := range Routes() {
		if r.input == nil {
			continue
		}
		ops++
		for _, l := range goLeaves(r.input) {
			var val reflect.Value
			switch {
			case l.typ == timeType:
				val = reflect.ValueOf(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
			case bad[l.typ.Kind()] != nil:
				val = reflect.ValueOf(bad[l.typ.Kind()]).Convert(l.typ)
			default:
				continue
			}
			leaves++
			in := reflect.New(r.input)
			l.set(in.Elem(), val)
			var se *spectra.Error
			// Contains, not equals: a required time left zero is the
			// year 1, itself out of range.
			if err := checkInput(in.Interface()); !errors.As(err, &se) ||
				!slices.ContainsFunc(se.Fields, func(f spectra.FieldError) bool { return f.Field == l.name }) {
				t.Errorf("%s %s: %s out of range gives %v, want it named", r.Method, r.Path, l.name, err)
			}
		}
	}
	if leaves < 150 {
		t.Fatalf("only %d leaves of %d operations", leaves, ops)
	}
	t.Logf("%d leaves of %d operations checked", leaves, ops)
}

// goLeaf is a scalar reachable in an input type, named as checkInput names
// it, and how to set it in an input (allocating what lies on the way).
type goLeaf struct {
	name string
	typ  reflect.Type
	set  func(root, val reflect.Value)
}

// goLeaves lists the scalars of an input struct's parameters and Body.
func goLeaves(t reflect.Type) []goLeaf {
	var out []goLeaf
	for i := range t.NumField() {
		f := t.Field(i)
		field := func(v reflect.Value) reflect.Value { return v.Field(i) }
		if loc, name := paramOf(f); loc != "" {
			out = append(out, leavesOf(f.Type, loc+"."+name, field, 0)...)
		} else if f.Name == "Body" {
			out = append(out, leavesOf(f.Type, "", field, 0)...)
		}
	}
	return out
}

func leavesOf(t reflect.Type, name string, at func(reflect.Value) reflect.Value, depth int) []goLeaf {
	if depth > 6 {
		return nil
	}
	switch {
	case t == timeType, t.Kind() == reflect.String, t.Kind() == reflect.Float64, t.Kind() == reflect.Float32, t.Kind() == reflect.Int:
		return []goLeaf{{name: name, typ: t, set: func(root, val reflect.Value) { at(root).Set(val) }}}
	case t.Kind() == reflect.Pointer:
		return leavesOf(t.Elem(), name, func(v reflect.Value) reflect.Value {
			p := at(v)
			if p.IsNil() {
				p.Set(reflect.New(t.Elem()))
			}
			return p.Elem()
		}, depth+1)
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		return leavesOf(t.Elem(), indexed(name, 0), func(v reflect.Value) reflect.Value {
			s := at(v)
			if s.Len() == 0 {
				s.Set(reflect.MakeSlice(t, 1, 1))
			}
			return s.Index(0)
		}, depth+1)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		// A value of a map (map[string]float64, map[string]any…) under the
		// key "k", and a bad key.
		set := func(key string) func(root, val reflect.Value) {
			return func(root, val reflect.Value) {
				m := at(root)
				m.Set(reflect.MakeMap(t))
				m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), val)
			}
		}
		return []goLeaf{{name: joined(name, "k"), typ: t.Elem(), set: set("k")},
			{name: orBody(name), typ: t.Key(), set: func(root, _ reflect.Value) {
				set("a\x00b")(root, reflect.Zero(t.Elem()))
			}}}
	case t.Kind() == reflect.Struct && t != timeType:
		var out []goLeaf
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || tag == "-" {
				continue
			}
			if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct { // flattened, as encoding/json does
				out = append(out, leavesOf(f.Type, name, func(v reflect.Value) reflect.Value { return at(v).Field(i) }, depth+1)...)
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			out = append(out, leavesOf(f.Type, joined(name, tag), func(v reflect.Value) reflect.Value { return at(v).Field(i) }, depth+1)...)
		}
		return out
	}
	return nil
}

func orBody(name string) string {
	if name == "" {
		return "body"
	}
	return name
}
