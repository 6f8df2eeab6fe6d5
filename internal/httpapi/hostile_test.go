package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestHostileInput sends every route of the server's own table (so later
// routes are covered too) malformed ids, hostile query strings and bodies
// that are not what the route expects — wrong JSON types, truncated JSON,
// NUL characters, invalid UTF-8, numbers out of range, deep nesting — as
// an admin, who passes every guard; then every field of every operation's
// published request schema, and every query parameter, each hostile value
// in turn (hostileValues). Each answer must be a 4xx problem document:
// never a 5xx, never a success.
func TestHostileInput(t *testing.T) {
	e := newAPIEnv(t)
	bodies := []string{
		`[]`, `"text"`, `{"name":`, `null`,
		`{"name":"\u0000","title":"\u0000","barcode":"\u0000","label":"\u0000"}`,
		"{\"name\":\"\xff\xfe\",\"title\":\"\xc3\x28\"}",
		`{"version":1e999,"value":1e999}`,
		strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000),
		`{"metadata":[1],"parameters":"x","instrument_ids":["x"],"limit":-5,"organization_id":"x","role":"admin"}`,
	}
	checked := 0
	for _, r := range Routes() {
		if r.Path == "/auth/logout" || !strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/auth/") {
			continue // logout ends the session whatever the body; the rest take no input
		}
		token := e.token("admin@demo.lab", "admin123")
		ids := []string{"not-a-uuid", uuid.NewString()}
		if !strings.Contains(r.Path, "{") {
			ids = ids[:1]
		}
		for _, id := range ids {
			path := r.Path
			for strings.Contains(path, "{") {
				i, j := strings.Index(path, "{"), strings.Index(path, "}")
				path = path[:i] + id + path[j+1:]
			}
			check := func(what string, res response) {
				t.Helper()
				checked++
				if res.Status < 400 || res.Status >= 500 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("%s %s (%s): %d %s\n%.300s", r.Method, path, what, res.Status, res.Header.Get("Content-Type"), res.Raw)
				}
			}
			if r.Method == http.MethodGet || r.Method == http.MethodDelete {
				if strings.Contains(path, "not-a-uuid") || strings.Contains(r.Path, "{") {
					check("bad id", sendRaw(e, r.Method, path, token, "application/json", ""))
					continue
				}
				if r.Method == http.MethodGet && takesLimit(e, r.Path) { // lists; other routes ignore unknown query parameters
					check("hostile query", sendRaw(e, r.Method, path+"?limit=-1&cursor=%00%FF&q=%FF%FE%00", token, "application/json", ""))
				}
				continue
			}
			for i, b := range bodies {
				check("body "+string(rune('A'+i)), sendRaw(e, r.Method, path, token, "application/json", b))
			}
		}
	}
	checked += hostileValues(t, e)
	if checked < 2500 {
		t.Fatalf("only %d hostile requests sent", checked)
	}
	t.Logf("%d hostile requests, each a 4xx problem", checked)
}

// takesLimit reports whether the GET operation at path declares a limit
// query parameter: a list.
func takesLimit(e *apiEnv, path string) bool {
	item := e.api.OpenAPI().Paths[path]
	if item == nil || item.Get == nil {
		return false
	}
	for _, p := range item.Get.Parameters {
		if p.In == "query" && p.Name == "limit" {
			return true
		}
	}
	return false
}

// hostileJSON are values out of range for a field of most types: NUL, a
// lone surrogate, numbers beyond float64, int64 and int32 or near the
// float64 limit, and times outside 1900–9999 in UTC (or not RFC 3339).
var hostileJSON = []struct {
	raw  string
	kind string // "text", "number" (in range for a number field) or "time"
}{
	{`"a\u0000b"`, "text"}, {`"\ud800"`, "text"}, {`"x\udfff\ud800"`, "text"},
	{`1e308`, "number"}, {`1e400`, "overflow"}, {`2147483648`, "number"}, {`9223372036854775808`, "number"},
	{`"0001-01-01"`, "time"}, {`"` + y10k + `"`, "time"}, {`"10000-01-01"`, "time"}, {`"0001-01-01T00:00:00Z"`, "time"},
}

// hostileQuery are the same for query parameters, by the parameter's type.
var hostileQuery = map[string][]string{
	"string":    {"a%00b", "%ED%A0%80", "%FF%FE"},
	"integer":   {"2147483648", "9223372036854775808", "1e308", "1e400", "-2147483649"},
	"date-time": {"0001-01-01", url.QueryEscape(y10k), "10000-01-01", "1899-12-31T23:59:59Z"},
}

// hostileValues sends, for every operation of the published document, an
// otherwise valid body with one field at a time set to each hostile value
// that is out of range for the field's type, and each query parameter
// each hostile value of its type. It returns the number of requests.
func hostileValues(t *testing.T, e *apiEnv) int {
	t.Helper()
	doc := e.api.OpenAPI()
	g := bodyGen{reg: doc.Components.Schemas}
	checked := 0
	check := func(method, path, what string, res response) {
		t.Helper()
		checked++
		if res.Status < 400 || res.Status >= 500 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s (%s): %d %s\n%.300s", method, path, what, res.Status, res.Header.Get("Content-Type"), res.Raw)
		}
	}
	for _, path := range sortedPaths(doc) {
		if strings.HasPrefix(path, "/test/") || path == "/auth/logout" {
			continue
		}
		for method, op := range operationsOf(doc.Paths[path]) {
			token := e.token("admin@demo.lab", "admin123")
			target := fillOpPath(op, path)
			for _, p := range op.Parameters {
				if p.In != "query" || p.Schema == nil {
					continue
				}
				kind := p.Schema.Type
				if p.Schema.Format == "date-time" {
					kind = "date-time"
				}
				for _, v := range hostileQuery[kind] {
					check(method, target, "query "+p.Name+"="+v, sendRaw(e, method, target+"?"+p.Name+"="+v, token, "application/json", ""))
				}
			}
			schema := jsonBodySchema(op)
			if schema == nil {
				continue
			}
			for _, f := range g.fields(schema, "") {
				typ, dateTime := f.schema.Type, f.schema.Format == "date-time"
				for _, h := range hostileJSON {
					switch {
					case h.kind == "number" && (typ == "number" || typ == ""),
						h.kind == "time" && (typ == "string" && !dateTime || typ == ""):
						continue // a valid value of the field's type
					}
					f.hostile = json.RawMessage(h.raw)
					body, err := json.Marshal(g.setAt(g.valid(schema), f.leaf))
					if err != nil {
						t.Fatal(err)
					}
					check(method, target, f.path+"="+h.raw, sendRaw(e, method, target, token, "application/json", string(body)))
				}
			}
		}
	}
	return checked
}
