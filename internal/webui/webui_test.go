package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var build = fstest.MapFS{
	"index.html":              {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc123.js"></script>`)},
	"assets/index-abc123.js":  {Data: []byte(`console.log("app")`)},
	"assets/index-def456.css": {Data: []byte(`body{margin:0}`)},
	"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
}

func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServesBuild(t *testing.T) {
	h := New(build)
	for _, tt := range []struct {
		path, status, contentType, cache, body string
	}{
		{"/assets/index-abc123.js", "200", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", `console.log("app")`},
		{"/assets/index-def456.css", "200", "text/css; charset=utf-8", "public, max-age=31536000, immutable", `body{margin:0}`},
		{"/favicon.svg", "200", "image/svg+xml", "no-cache", `<svg`},
		{"/", "200", "text/html; charset=utf-8", "no-cache", `/assets/index-abc123.js`},
		{"/index.html", "200", "text/html; charset=utf-8", "no-cache", `/assets/index-abc123.js`},
		// The browser's router owns these: the app's page answers.
		{"/samples/123", "200", "text/html; charset=utf-8", "no-cache", `/assets/index-abc123.js`},
		{"/login?next=%2Fsamples", "200", "text/html; charset=utf-8", "no-cache", `/assets/index-abc123.js`},
		{"/assets", "200", "text/html; charset=utf-8", "no-cache", `/assets/index-abc123.js`},
		// A missing asset is a 404, never HTML a script tag would choke on.
		{"/assets/index-gone.js", "404", "text/plain; charset=utf-8", "", "404"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, h, http.MethodGet, tt.path)
			if got := resp.Status[:3]; got != tt.status {
				t.Fatalf("status = %s, want %s", resp.Status, tt.status)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body = %q, want it to contain %q", body, tt.body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}

func TestHead(t *testing.T) {
	resp, body := get(t, New(build), http.MethodHead, "/samples")
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("HEAD /samples: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestNotBuilt(t *testing.T) {
	resp, body := get(t, New(fstest.MapFS{"assets/x.js": {Data: []byte("x")}}), http.MethodGet, "/samples")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "was not built") || !strings.Contains(body, "make build") {
		t.Fatalf("without index.html: %d %q", resp.StatusCode, body)
	}
}

// TestEmbedded checks the embedded build, whichever it is: a built UI, or
// only the placeholder that lets the package compile without one.
func TestEmbedded(t *testing.T) {
	resp, body := get(t, Handler(), http.MethodGet, "/samples/123")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /samples/123: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, `<div id="root">`) && !strings.Contains(body, "was not built") {
		t.Errorf("body is neither the app nor the not-built page: %q", body)
	}
}
