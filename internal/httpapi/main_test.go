package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spectra-lab/spectra/internal/blobstore/s3test"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestMain(m *testing.M) { pgtest.Main(m, s3test.StopShared) }

// logSink collects a server's JSON log lines for assertions.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// records returns the log records with message msg.
func (l *logSink) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.text()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// waitRecords waits for n records with message msg: the access log line is
// written as the handler returns, which may be just after the client has
// read the response.
func (l *logSink) waitRecords(t *testing.T, msg string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		recs := l.records(t, msg)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type echoBody struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty" enum:"solid,liquid"`
}

type echoInput struct {
	Body echoBody
}

type echoOutput struct {
	Body echoBody
}

// unencodableOutput holds what encoding/json cannot write.
type unencodableOutput struct {
	ETag string `header:"ETag"`
	Body struct {
		Limit float64 `json:"limit"`
	}
}

type failInput struct {
	Kind string `path:"kind"`
}

// failures are the errors the test route /test/fail/{kind} returns.
var failures = map[string]error{
	"conflict": &spectra.Error{Code: spectra.CodeConflict, Message: "sample name taken",
		Fields: []spectra.FieldError{{Field: "name", Message: "already used"}}},
	"wrapped-not-found": fmt.Errorf("find sample: %w", spectra.Errorf(spectra.CodeNotFound, "no such sample")),
	"internal":          errors.New("pq: connect password=hunter2 refused"),
	"spectra-internal":  &spectra.Error{Code: spectra.CodeInternal, Message: "hunter2 in message", Err: errors.New("boom")},
	// Made at package initialisation, before NewServer installs the
	// problem type: huma builds its own ErrorModel.
	"huma-early":  huma.Error409Conflict("run already started"),
	"unavailable": &spectra.Error{Code: spectra.CodeUnavailable, Message: "try later", Err: errors.New("pool exhausted")},
}

// addTestRoutes registers routes that exist only in tests: a JSON body to
// validate and limit, errors and panics to answer.
func addTestRoutes(s *server) {
	register(s, Route{Method: http.MethodPost, Path: "/test/echo", Permission: PermPublic, OperationID: "test-echo"},
		func(_ context.Context, in *echoInput) (*echoOutput, error) {
			return &echoOutput{Body: in.Body}, nil
		})
	register(s, Route{Method: http.MethodGet, Path: "/test/fail/{kind}", Permission: PermPublic, OperationID: "test-fail"},
		func(_ context.Context, in *failInput) (*echoOutput, error) {
			if in.Kind == "huma-late" {
				return nil, huma.Error422UnprocessableEntity("bad sample", &huma.ErrorDetail{Location: "body.wafer.id", Message: "unknown wafer"})
			}
			return nil, failures[in.Kind]
		})
	register(s, Route{Method: http.MethodGet, Path: "/test/panic", Permission: PermPublic, OperationID: "test-panic"},
		func(context.Context, *struct{}) (*echoOutput, error) {
			panic("secret boom")
		})
	register(s, Route{Method: http.MethodGet, Path: "/test/unencodable", Permission: PermPublic, OperationID: "test-unencodable"},
		func(context.Context, *struct{}) (*unencodableOutput, error) {
			out := &unencodableOutput{ETag: `"7"`}
			out.Body.Limit = math.Inf(1)
			return out, nil
		})
	register(s, Route{Method: http.MethodGet, Path: "/test/abort", Permission: PermPublic, OperationID: "test-abort"},
		func(context.Context, *struct{}) (*echoOutput, error) {
			panic(http.ErrAbortHandler)
		})
	register(s, Route{Method: http.MethodGet, Path: "/test/private", Permission: "sample.read", OperationID: "test-private"},
		func(context.Context, *struct{}) (*echoOutput, error) {
			return &echoOutput{Body: echoBody{Name: "private data"}}, nil
		})
}

// newTestServer serves d's API plus the test routes, logging into the
// returned sink.
func newTestServer(t *testing.T, d Deps) (*httptest.Server, *logSink) {
	t.Helper()
	logs := &logSink{}
	d.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServer(d)
	addTestRoutes(s)
	ts := httptest.NewServer(s.handler())
	t.Cleanup(ts.Close)
	return ts, logs
}

// do sends one request and returns the response with its body read.
func do(t *testing.T, ts *httptest.Server, method, path string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// problemOf checks that resp is a well-formed problem for path with the
// given status and code, and returns it.
func problemOf(t *testing.T, resp *http.Response, body []byte, path string, status int, code spectra.Code) Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != problemJSON {
		t.Fatalf("Content-Type = %q, want %q", ct, problemJSON)
	}
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	want := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code,
		Instance: path, RequestID: resp.Header.Get(requestIDHeader)}
	if p.Type != want.Type || p.Title != want.Title || p.Status != want.Status || p.Code != want.Code ||
		p.Instance != want.Instance || p.RequestID != want.RequestID {
		t.Fatalf("problem = %+v, want at least %+v", p, want)
	}
	if p.RequestID == "" || p.Detail == "" {
		t.Fatalf("problem lacks request_id or detail: %s", body)
	}
	return p
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
