package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestRequestProblems(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t, Deps{})
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     spectra.Code
		field                    string // a field the errors must name
	}{
		{"unknown field", "POST", "/test/echo", `{"name":"a","organization_id":"x"}`, 422, spectra.CodeInvalid, "organization_id"},
		{"nested unknown field is named without body.", "POST", "/test/echo", `{"name":"a","created_by":{}}`, 422, spectra.CodeInvalid, "created_by"},
		{"wrong type", "POST", "/test/echo", `{"name":5}`, 422, spectra.CodeInvalid, "name"},
		{"missing field", "POST", "/test/echo", `{"kind":"solid"}`, 422, spectra.CodeInvalid, "name"},
		{"value outside the enum", "POST", "/test/echo", `{"name":"a","kind":"gas"}`, 422, spectra.CodeInvalid, "kind"},
		{"case-variant duplicate cannot dodge validation", "POST", "/test/echo", `{"name":"a","kind":"solid","KIND":"gas"}`, 422, spectra.CodeInvalid, "KIND"},
		{"case-variant field", "POST", "/test/echo", `{"Name":"a"}`, 422, spectra.CodeInvalid, "Name"},
		{"not JSON", "POST", "/test/echo", `{"name":`, 422, spectra.CodeInvalid, "body"},
		{"missing body", "POST", "/test/echo", ``, 422, spectra.CodeInvalid, ""},
		{"unknown path", "GET", "/nope", ``, 404, spectra.CodeNotFound, ""},
		{"unknown nested path", "GET", "/api/lims/nope", ``, 404, spectra.CodeNotFound, ""},
		{"wrong method", "POST", "/healthz", ``, 405, "method_not_allowed", ""},
		{"wrong method on a body route", "GET", "/test/echo", ``, 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			resp, b := do(t, ts, tt.method, tt.path, body)
			p := problemOf(t, resp, b, tt.path, tt.status, tt.code)
			if tt.field != "" && !slices.ContainsFunc(p.Errors, func(f spectra.FieldError) bool {
				return f.Field == tt.field && f.Message != ""
			}) {
				t.Errorf("errors = %+v, want one naming %q", p.Errors, tt.field)
			}
			if tt.status == 405 && !strings.Contains(resp.Header.Get("Allow"), "GET") && !strings.Contains(resp.Header.Get("Allow"), "POST") {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestHandlerErrors(t *testing.T) {
	t.Parallel()
	ts, logs := newTestServer(t, Deps{})
	tests := []struct {
		kind   string
		status int
		code   spectra.Code
		detail string
		fields []spectra.FieldError
		logged string // the cause that must be logged, once
	}{
		{"conflict", 409, spectra.CodeConflict, "sample name taken", []spectra.FieldError{{Field: "name", Message: "already used"}}, ""},
		{"wrapped-not-found", 404, spectra.CodeNotFound, "no such sample", nil, ""},
		{"huma-early", 409, spectra.CodeConflict, "run already started", nil, ""},
		{"huma-late", 422, spectra.CodeInvalid, "bad sample", []spectra.FieldError{{Field: "wafer.id", Message: "unknown wafer"}}, ""},
		{"internal", 500, spectra.CodeInternal, "internal error", nil, "password=hunter2"},
		{"spectra-internal", 500, spectra.CodeInternal, "internal error", nil, "hunter2 in message"},
		{"unavailable", 503, spectra.CodeUnavailable, "try later", nil, "pool exhausted"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			path := "/test/fail/" + tt.kind
			resp, body := do(t, ts, http.MethodGet, path, nil)
			p := problemOf(t, resp, body, path, tt.status, tt.code)
			if p.Detail != tt.detail || !slices.Equal(p.Errors, tt.fields) {
				t.Errorf("problem = %+v, want detail %q and errors %+v", p, tt.detail, tt.fields)
			}
			if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "pool exhausted") {
				t.Errorf("the cause reached the client: %s", body)
			}
			var mine []map[string]any
			for _, rec := range logs.records(t, "request failed") {
				if rec["request_id"] == p.RequestID {
					mine = append(mine, rec)
				}
			}
			if tt.logged == "" {
				if len(mine) != 0 {
					t.Errorf("a client error was logged as a failure: %v", mine)
				}
				return
			}
			if len(mine) != 1 {
				t.Fatalf("logged %d times, want once: %v", len(mine), mine)
			}
			if rec := mine[0]; rec["method"] != "GET" || rec["path"] != path || !strings.Contains(rec["error"].(string), tt.logged) {
				t.Errorf("log record = %v, want method, path and the cause %q", rec, tt.logged)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 64
	ts, _ := newTestServer(t, Deps{MaxBodyBytes: limit})
	exact := `{"name":"` + strings.Repeat("x", limit-len(`{"name":""}`)) + `"}`
	over := `{"name":"` + strings.Repeat("x", 1000) + `"}`
	tests := []struct {
		name string
		body io.Reader
	}{
		// An io.Reader that is not a *strings.Reader hides the length, so
		// the client sends it chunked: only reading can find the size out.
		{"known length", strings.NewReader(over)},
		{"chunked", io.MultiReader(strings.NewReader(over))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, ts, http.MethodPost, "/test/echo", tt.body)
			p := problemOf(t, resp, body, "/test/echo", http.StatusRequestEntityTooLarge, spectra.CodeTooLarge)
			if !strings.Contains(p.Detail, "64 bytes") {
				t.Errorf("detail %q does not name the limit", p.Detail)
			}
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		if len(exact) != limit {
			t.Fatalf("test body is %d bytes", len(exact))
		}
		resp, body := do(t, ts, http.MethodPost, "/test/echo", strings.NewReader(exact))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status = %d, want 200; body %s", resp.StatusCode, body)
		}
	})
	t.Run("default limit is 1 MiB", func(t *testing.T) {
		if s := newServer(Deps{}); s.maxBody != 1<<20 {
			t.Errorf("default limit = %d", s.maxBody)
		}
	})
}

func TestPanic(t *testing.T) {
	t.Parallel()
	ts, logs := newTestServer(t, Deps{})
	resp, body := do(t, ts, http.MethodGet, "/test/panic", nil)
	p := problemOf(t, resp, body, "/test/panic", http.StatusInternalServerError, spectra.CodeInternal)
	if p.Detail != "internal error" || strings.Contains(string(body), "boom") {
		t.Errorf("body = %s, want internal error without the panic", body)
	}
	recs := logs.records(t, "panic")
	if len(recs) != 1 {
		t.Fatalf("panic logged %d times, want once", len(recs))
	}
	if rec := recs[0]; rec["request_id"] != p.RequestID || rec["panic"] != "secret boom" ||
		!strings.Contains(rec["stack"].(string), "runtime/debug.Stack") {
		t.Errorf("panic record = %v", rec)
	}
	if n := len(logs.records(t, "request failed")); n != 0 {
		t.Errorf("the panic was logged again as a failure (%d)", n)
	}

	// The server still serves.
	if resp, _ := do(t, ts, http.MethodGet, "/healthz", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after a panic /healthz = %d", resp.StatusCode)
	}
}

func TestPanicAbortsConnection(t *testing.T) {
	t.Parallel()
	t.Run("http.ErrAbortHandler passes through", func(t *testing.T) {
		ts, logs := newTestServer(t, Deps{})
		resp, err := ts.Client().Get(ts.URL + "/test/abort")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got %d, want the connection aborted", resp.StatusCode)
		}
		if n := len(logs.records(t, "panic")); n != 0 {
			t.Errorf("an abort was logged as a panic")
		}
	})
	t.Run("panic after the response started", func(t *testing.T) {
		logs := &logSink{}
		h := recoverPanics(newTestLogger(logs))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"partial":`))
			_ = http.NewResponseController(w).Flush()
			panic(errors.New("mid-response"))
		}))
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		resp, err := ts.Client().Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("read %q completely, want the response cut short", body)
		}
		if strings.Contains(string(body), "internal error") {
			t.Errorf("a problem was appended to a started response: %q", body)
		}
		if n := len(logs.records(t, "panic")); n != 1 {
			t.Errorf("panic logged %d times, want once", n)
		}
	})
}
