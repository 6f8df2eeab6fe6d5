package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// apiEnv is a real server on a real, seeded database: the demo users of
// PRODUCT.md §9 in demo-lab and test-org.
type apiEnv struct {
	t      *testing.T   // the test; nil when a benchmark built the environment
	tb     testing.TB   // the test or benchmark that this file's helpers report to
	db     *postgres.DB // the owner's pool, for the tests' own set-up and checks
	rt     *postgres.DB // the run-time role's pool, which the server under test serves through
	svc    *auth.Service
	ts     *httptest.Server
	secret []byte
	clock  *clock
	logs   *logSink
	api    huma.API        // its OpenAPI document checks every answer (conformance_test.go)
	srv    *server         // the server under test (a test may lower its limits before its requests)
	files  blobstore.Store // the server's file storage: pgtest.Files unless an option set one
}

// withFiles has the server keep files in st.
func withFiles(st blobstore.Store) envOption {
	return func(e *apiEnv, _ *auth.Options) { e.files = st }
}

// clock is the service's time, which a test may move.
type clock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// envOption adjusts the service's options; e.ts is already listening.
type envOption func(e *apiEnv, o *auth.Options)

// newAPIEnv builds the environment for a test or, with a *testing.B, for
// a benchmark (bench_test.go).
func newAPIEnv(t testing.TB, opts ...envOption) *apiEnv {
	t.Helper()
	tt, _ := t.(*testing.T)
	owner, runtime := pgtest.NewSeededDBs(t)
	e := &apiEnv{t: tt, tb: t, db: pgtest.Inspector(t, owner), rt: runtime, secret: []byte(strings.Repeat("k", 32) + uuid.NewString()), clock: &clock{}, logs: &logSink{}}
	var handler http.Handler
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.ts.Close)
	tokens, err := auth.NewTokens(e.secret, "http://spectra.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := auth.Options{Store: e.rt, Hasher: auth.NewHasher(pgtest.Argon2, 4), Tokens: tokens, PasswordLogin: true, Now: e.clock.now}
	for _, opt := range opts {
		opt(e, &o)
	}
	e.svc, err = auth.NewService(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if e.files == nil {
		e.files = pgtest.Files(t)
	}
	srv := newServer(Deps{DB: e.rt, Store: e.rt, Files: e.files, Auth: e.svc, MetricsToken: testMetricsToken, Logger: newTestLogger(e.logs), Now: e.clock.now})
	e.api, e.srv, handler = srv.api, srv, srv.handler()
	return e
}

// testMetricsToken opens /metrics on the test servers.
const testMetricsToken = "metrics-token-of-the-tests"

// response is one answer, decoded.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// call sends a request with an optional bearer credential and JSON body.
func (e *apiEnv) call(method, path, bearer string, body any, headers ...string) response {
	e.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.Body)
	}
	if msg := conformance(e.api, method, path, r.Status, resp.Header.Get("Content-Type"), raw); msg != "" {
		e.tb.Errorf("%s\n%s", msg, raw)
	}
	return r
}

// etagOf reads path and returns its ETag, for an update's If-Match.
func (e *apiEnv) etagOf(path, bearer string) string {
	e.tb.Helper()
	r := e.call(http.MethodGet, path, bearer, nil)
	if r.Status != http.StatusOK || r.Header.Get("ETag") == "" {
		e.tb.Fatalf("GET %s: %d, ETag %q", path, r.Status, r.Header.Get("ETag"))
	}
	return r.Header.Get("ETag")
}

// login logs in and fails the test unless it succeeds.
func (e *apiEnv) login(username, password string, org ...string) response {
	e.tb.Helper()
	body := map[string]any{"username": username, "password": password}
	if len(org) > 0 {
		body["organization"] = org[0]
	}
	r := e.call(http.MethodPost, "/auth/login", "", body)
	if r.Status != http.StatusOK {
		e.tb.Fatalf("login %s: %d %s", username, r.Status, r.Raw)
	}
	return r
}

// token logs in and returns the access token.
func (e *apiEnv) token(username, password string) string {
	e.tb.Helper()
	return e.login(username, password).str("access_token")
}

// sql runs a statement as the database owner (outside the application's
// rules), for setting up what a test needs.
func (e *apiEnv) sql(query string, args ...any) {
	e.tb.Helper()
	if _, err := e.db.Pool().Exec(context.Background(), query, args...); err != nil {
		e.tb.Fatalf("%s: %v", query, err)
	}
}

func (e *apiEnv) count(query string, args ...any) int {
	e.tb.Helper()
	var n int
	if err := e.db.Pool().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// sameProblem reports whether two error answers are the same but for the
// request's own coordinates.
func sameProblem(a, b response) bool {
	strip := func(r response) string {
		m := map[string]any{}
		for k, v := range r.Body {
			if k != "request_id" && k != "instance" {
				m[k] = v
			}
		}
		j, _ := json.Marshal(m)
		return string(j)
	}
	return a.Status == b.Status && strip(a) == strip(b)
}

// orgID is the id of the organization with slug.
func (e *apiEnv) orgID(slug string) uuid.UUID {
	e.tb.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM organizations WHERE slug = $1`, slug).Scan(&id); err != nil {
		e.tb.Fatal(err)
	}
	return id
}
