package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	db.Close() // liveness must not depend on the database
	ts, _ := newTestServer(t, Deps{DB: db})

	resp, body := do(t, ts, http.MethodGet, "/healthz", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["status"] != "ok" {
		t.Errorf("body = %s, want {\"status\":\"ok\"}", body)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	live := pgtest.NewDB(t)
	closed := pgtest.NewDB(t)
	closed.Close()
	tests := []struct {
		name   string
		db     Pinger
		status int
		detail string
	}{
		{"database answers", live, http.StatusOK, ""},
		{"database closed", closed, http.StatusServiceUnavailable, "database unavailable"},
		{"no database", nil, http.StatusServiceUnavailable, "no database configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, logs := newTestServer(t, Deps{DB: tt.db})
			resp, body := do(t, ts, http.MethodGet, "/readyz", nil)
			if tt.status == http.StatusOK {
				if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ready"}` {
					t.Fatalf("got %d %s, want 200 {\"status\":\"ready\"}", resp.StatusCode, body)
				}
				return
			}
			p := problemOf(t, resp, body, "/readyz", tt.status, spectra.CodeUnavailable)
			if p.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.detail)
			}
			if tt.db != nil {
				recs := logs.records(t, "request failed")
				if len(recs) != 1 || recs[0]["request_id"] != p.RequestID || !strings.Contains(recs[0]["error"].(string), "ping") {
					t.Errorf("want one logged ping failure with the request id, got %v", recs)
				}
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	h := NewServer(Deps{})
	long := strings.Repeat("a", 128)
	tests := []struct {
		name     string
		incoming string // "" sends no header
		echoed   bool
	}{
		{"absent", "", false},
		{"valid", "req-1.a_b:c/d@e+f", true},
		{"128 characters", long, true},
		{"129 characters", long + "a", false},
		{"200 characters", strings.Repeat("b", 200), false},
		{"space", "abc def", false},
		{"newline", "abc\ninjected: yes", false},
		{"quote", `a"b`, false},
		{"non-ASCII", "abcé", false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			if tt.incoming != "" {
				req.Header.Set(requestIDHeader, tt.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(requestIDHeader)
			if tt.echoed {
				if got != tt.incoming {
					t.Fatalf("X-Request-ID = %q, want the incoming %q", got, tt.incoming)
				}
				return
			}
			id, err := uuid.Parse(got)
			if err != nil || id.Version() != 7 {
				t.Fatalf("X-Request-ID = %q, want a fresh UUIDv7 (err %v)", got, err)
			}
			if seen[got] {
				t.Fatalf("X-Request-ID %q reused", got)
			}
			seen[got] = true
		})
	}
}

func TestRequestIDInContext(t *testing.T) {
	t.Parallel()
	var inside string
	h := withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside = RequestID(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(requestIDHeader, "from-proxy-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if inside != "from-proxy-42" {
		t.Errorf("RequestID(ctx) = %q, want from-proxy-42", inside)
	}
	if got := RequestID(t.Context()); got != "" {
		t.Errorf("RequestID outside a request = %q, want empty", got)
	}
}

func TestSecurityHeadersAndAccessLog(t *testing.T) {
	t.Parallel()
	ts, logs := newTestServer(t, Deps{})
	for i, path := range []string{"/healthz", "/nope", "/test/panic", "/docs"} {
		resp, _ := do(t, ts, http.MethodGet, path, nil)
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
		recs := logs.waitRecords(t, "request", i+1)
		if len(recs) != i+1 {
			t.Fatalf("%s: %d access log lines, want %d", path, len(recs), i+1)
		}
		last := recs[i]
		if last["path"] != path || last["method"] != "GET" || last["status"] != float64(resp.StatusCode) ||
			last["request_id"] != resp.Header.Get(requestIDHeader) || last["remote_addr"] == "" {
			t.Errorf("%s: access log %v does not match the response (%d)", path, last, resp.StatusCode)
		}
		if _, ok := last["duration_ms"].(float64); !ok {
			t.Errorf("%s: access log lacks duration_ms: %v", path, last)
		}
		if _, ok := last["bytes"].(float64); !ok {
			t.Errorf("%s: access log lacks bytes: %v", path, last)
		}
	}
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t, Deps{Version: "1.2.3"})
	resp, body := do(t, ts, http.MethodGet, "/openapi.json", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title   string `json:"title"`
			Version string `json:"version"`
		} `json:"info"`
		Paths map[string]map[string]struct {
			Permission string `json:"x-permission"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Info.Title != "SPECTRA-Lab API" || doc.Info.Version != "1.2.3" {
		t.Errorf("info = %+v", doc.Info)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if op, ok := doc.Paths[path]["get"]; !ok || op.Permission != string(PermPublic) {
			t.Errorf("paths[%s].get = %+v, %v; want documented as public", path, op, ok)
		}
	}
	if strings.Contains(string(body), `"$schema"`) {
		t.Error("responses are documented with a $schema field")
	}

	resp, body = do(t, ts, http.MethodGet, "/openapi.yaml", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "openapi: 3.1") {
		t.Errorf("/openapi.yaml: %d %.80s", resp.StatusCode, body)
	}
	// /docs loads nothing from another origin: its scripts are ours.
	resp, body = do(t, ts, http.MethodGet, "/docs", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), `src="/docs-assets/swagger-ui-bundle.js"`) || !strings.Contains(string(body), "/openapi.json") ||
		strings.Contains(string(body), "https://") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("/docs: %d %s %s", resp.StatusCode, resp.Header, body)
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	routes := Routes()
	seen := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		if r.Permission == "" {
			t.Errorf("%s has no permission", key)
		}
	}
	for _, key := range []string{"GET /healthz", "GET /readyz", "GET /openapi.json", "GET /docs"} {
		if !seen[key] {
			t.Errorf("Routes() lacks %s", key)
		}
	}
	if slices.ContainsFunc(routes, func(r Route) bool { return strings.HasPrefix(r.Path, "/test/") }) {
		t.Error("Routes() lists test-only routes")
	}

	// Walk the table without credentials: every listed route is served
	// (no router 404/405, no 5xx); public GETs outside /auth answer 200,
	// every guarded route 401.
	ts := httptest.NewServer(NewServer(Deps{DB: pgtest.NewDB(t)}))
	t.Cleanup(ts.Close)
	for _, r := range routes {
		resp, body := do(t, ts, r.Method, r.Path, nil)
		switch {
		case r.Permission != PermPublic:
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("guarded %s %s: %d %.200s", r.Method, r.Path, resp.StatusCode, body)
			}
		case r.Method == http.MethodGet && !strings.HasPrefix(r.Path, "/auth/"):
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s %s: %d %.200s", r.Method, r.Path, resp.StatusCode, body)
			}
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusMethodNotAllowed || strings.Contains(string(body), "no such path"):
			t.Errorf("%s %s: %d %.200s", r.Method, r.Path, resp.StatusCode, body)
		}
	}
}

func TestRegisterNeedsPermission(t *testing.T) {
	t.Parallel()
	s := newServer(Deps{})
	defer func() {
		if recover() == nil {
			t.Error("register accepted a route without a permission")
		}
	}()
	register(s, Route{Method: http.MethodGet, Path: "/forgot"}, s.healthz)
}

func TestPermissionRouteFailsClosed(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t, Deps{})
	resp, body := do(t, ts, http.MethodGet, "/test/private", nil)
	problemOf(t, resp, body, "/test/private", http.StatusUnauthorized, spectra.CodeUnauthenticated)
	if strings.Contains(string(body), "private data") {
		t.Error("the handler ran")
	}
}
