package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestHostileInput sends every route of the server's own table (so later
// routes are covered too) malformed ids, hostile query strings and bodies
// that are not what the route expects — wrong JSON types, truncated JSON,
// NUL characters, invalid UTF-8, numbers out of range, deep nesting — as
// an admin, who passes every guard. Each answer must be a 4xx problem
// document: never a 5xx, never a success.
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
	if checked < 500 {
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
