package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/auth/oidctest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestUIFallback checks which unrouted requests reach the web UI: GET and
// HEAD of paths outside the API's prefixes do; everything else stays a
// problem.
func TestUIFallback(t *testing.T) {
	t.Parallel()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "ui:"+r.URL.Path)
	})
	ts, _ := newTestServer(t, Deps{UI: ui})
	for _, tt := range []struct {
		method, path string
		ui           bool
		status       int
	}{
		{http.MethodGet, "/", true, http.StatusOK},
		{http.MethodGet, "/samples/123", true, http.StatusOK},
		{http.MethodGet, "/assets/index-abc.js", true, http.StatusOK},
		{http.MethodHead, "/login", true, http.StatusOK},
		{http.MethodGet, "/apiary", true, http.StatusOK}, // a prefix is a whole segment
		{http.MethodGet, "/api/nope", false, http.StatusNotFound},
		{http.MethodGet, "/api", false, http.StatusNotFound},
		{http.MethodGet, "/auth/nope", false, http.StatusNotFound},
		{http.MethodGet, "/docs/nope", false, http.StatusNotFound},
		{http.MethodGet, "/openapi.xml", false, http.StatusNotFound},
		{http.MethodPost, "/samples/123", false, http.StatusNotFound},
		{http.MethodDelete, "/", false, http.StatusNotFound},
		{http.MethodGet, "/auth/login", false, http.StatusMethodNotAllowed},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := do(t, ts, tt.method, tt.path, nil)
			if tt.ui {
				if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("got %d %q, want the UI", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				if tt.method == http.MethodGet && string(body) != "ui:"+tt.path {
					t.Errorf("body = %q, want the UI's answer for %s", body, tt.path)
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("the UI's answers lack the security headers: %v", resp.Header)
				}
				return
			}
			code := spectra.CodeNotFound
			if tt.status == http.StatusMethodNotAllowed {
				code = codeOf(http.StatusMethodNotAllowed)
			}
			problemOf(t, resp, body, tt.path, tt.status, code)
		})
	}
}

func TestUIFallbackWithoutUI(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t, Deps{})
	resp, body := do(t, ts, http.MethodGet, "/samples/123", nil)
	problemOf(t, resp, body, "/samples/123", http.StatusNotFound, spectra.CodeNotFound)
}

func TestAuthConfig(t *testing.T) {
	t.Run("password only", func(t *testing.T) {
		e := newAPIEnv(t)
		r := e.call(http.MethodGet, "/auth/config", "", nil)
		if r.Status != http.StatusOK || r.Body["password_login"] != true || r.Body["oidc"] != false {
			t.Fatalf("got %d %s, want password_login true, oidc false", r.Status, r.Raw)
		}
	})
	t.Run("single sign-on only", func(t *testing.T) {
		p := oidctest.New(t)
		e := newAPIEnv(t, withIdP(p), func(_ *apiEnv, o *auth.Options) { o.PasswordLogin = false })
		r := e.call(http.MethodGet, "/auth/config", "", nil)
		if r.Status != http.StatusOK || r.Body["password_login"] != false || r.Body["oidc"] != true {
			t.Fatalf("got %d %s, want password_login false, oidc true", r.Status, r.Raw)
		}
	})
}
