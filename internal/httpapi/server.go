// Package httpapi is SPECTRA-Lab's HTTP face: the server, every route
// (routes.go), the middleware, problem+json errors and the OpenAPI document.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/postgres"

	"github.com/spectra-lab/spectra/internal/spectra"
	"github.com/spectra-lab/spectra/internal/webhook"
)

// DefaultMaxBodyBytes caps request bodies when Deps.MaxBodyBytes is unset,
// DefaultMaxUploadBytes those of uploads when Deps.MaxUploadBytes is.
const (
	DefaultMaxBodyBytes   int64 = 1 << 20
	DefaultMaxUploadBytes int64 = 100 << 20
)

// Pinger reports whether the database can serve requests; *postgres.DB
// is one (it answers, and has not lately run out of space).
type Pinger interface {
	Ready(ctx context.Context) error
}

// Deps is everything the server uses, passed in rather than read from
// globals.
type Deps struct {
	Logger *slog.Logger // nil discards logs
	DB     Pinger       // probed by /readyz
	// Liveness, if set, is asked by /healthz: an error (a *spectra.Error
	// with CodeUnavailable) is answered instead of ok. nil: the process
	// answering is enough.
	Liveness func() error
	// Readiness, if set, is asked by /readyz after DB: an error (a
	// *spectra.Error with CodeUnavailable) is answered instead of ready.
	// The managed cluster's free disk space is one.
	Readiness    func() error
	MaxBodyBytes int64 // request body limit; 0 means DefaultMaxBodyBytes
	// MaxUploadBytes is the body limit of the routes that take uploads
	// (Route.Upload); 0 means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	Version        string // the version the OpenAPI document states

	Store *postgres.DB // the data
	// Files holds the bytes of uploaded files (nil: uploads and downloads
	// of files answer 503; data series are kept without their raw file).
	Files          blobstore.Store
	Auth           *auth.Service  // turns credentials into principals; nil: every guarded route answers 401
	TrustedProxies []netip.Prefix // peers whose X-Forwarded-For names the client
	// UI serves GET and HEAD of every path the API does not route and
	// that is not under an API prefix (uiReserved): the web UI's files and
	// its client-side URLs. nil: such paths answer 404 problems.
	UI http.Handler
	// Metrics counts every request (nil: the server makes its own, fed by
	// Store). MetricsToken, if set, lets GET /metrics on this handler
	// answer to that bearer token; unset, /metrics is served only by
	// Metrics.Handler on an address of its own (SPECTRA_METRICS_ADDR).
	Metrics      *Metrics
	MetricsToken string
	// Now is the clock of every rule that depends on the time (calibration
	// lockout, expiry of invitations, keys and sign-in state, SPC windows,
	// run timestamps); nil: time.Now. Durations of requests are measured
	// on the real clock regardless.
	Now func() time.Time
	// HSTS adds Strict-Transport-Security to every answer: set it when the
	// server itself serves HTTPS.
	HSTS bool
	// Webhooks are the operator's rules for webhook URLs (the zero
	// Policy: https to public addresses only).
	Webhooks webhook.Policy
}

type server struct {
	log      *slog.Logger
	db       Pinger
	liveness func() error
	now      func() time.Time
	webhooks webhook.Policy
	ready    func() error
	maxBody  int64
	mux      *http.ServeMux
	// uploads holds the patterns of the routes that take uploads (their
	// handlers never run): limitBody asks it which limit applies.
	uploads   *http.ServeMux
	maxUpload int64
	api       huma.API
	routes    []Route // every registered route, in order
	store     *postgres.DB
	files     blobstore.Store
	auth      *auth.Service
	proxies   []netip.Prefix
	ui        http.Handler

	metrics      *Metrics
	metricsToken string
	hsts         bool
}

// NewServer returns the API's handler, middleware included.
func NewServer(d Deps) http.Handler { return newServer(d).handler() }

func newServer(d Deps) *server {
	installHumaDefaults()
	s := &server{log: d.Logger, db: d.DB, liveness: d.Liveness, ready: d.Readiness, now: d.Now, webhooks: d.Webhooks, maxBody: d.MaxBodyBytes, maxUpload: d.MaxUploadBytes, mux: http.NewServeMux(), uploads: http.NewServeMux(),
		store: d.Store, files: d.Files, auth: d.Auth, proxies: d.TrustedProxies, ui: d.UI, metrics: d.Metrics, metricsToken: d.MetricsToken, hsts: d.HSTS}
	if s.metrics == nil {
		s.metrics = NewMetrics(d.Store)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxUpload <= 0 {
		s.maxUpload = DefaultMaxUploadBytes
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	s.api = humago.New(s.mux, s.config(d.Version))
	// Stored metadata passes through as its text; the document calls it
	// what it is, an object.
	s.api.OpenAPI().Components.Schemas.RegisterTypeAlias(reflect.TypeOf(spectra.JSONObject(nil)), reflect.TypeOf(map[string]any{}))
	documentUUIDs(s.api)
	s.routes = append(s.routes, docRoutes...)
	s.addRoutes()
	s.documentInt32()
	nullableStructPointers(s.api)
	s.mux.HandleFunc("GET /docs", docsPage)
	s.mux.HandleFunc("GET /metrics", s.metricsEndpoint)
	return s
}

func (s *server) config(version string) huma.Config {
	c := huma.DefaultConfig("SPECTRA-Lab API", version)
	// The default hook adds a "$schema" field to every response body; a
	// client that sends such a body back would trip the unknown-field check.
	c.CreateHooks = nil
	c.SchemasPath = ""
	// /docs is our own page (docs.go): Swagger UI from files the web UI
	// build embeds, instead of huma's page that loads its script from a CDN
	// (a lab's network may not reach one).
	c.DocsPath = ""
	c.Transformers = []huma.Transformer{problemTransformer(s.log)}
	c.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An access token (JWT) from /auth/login, /auth/refresh " +
			"or the identity provider, or an API key (spk_…)."},
	}
	return c
}

// handler wraps the router in the middleware, outermost first: every
// answer, a panic's included, carries the request id and is logged.
func (s *server) handler() http.Handler {
	return chain(http.HandlerFunc(s.route),
		withRequestID,
		s.metrics.instrument,
		recoverPanics(s.log),
		accessLog(s.log),
		s.limitBody,
		securityHeaders(s.hsts),
		s.authenticate,
	)
}

func chain(h http.Handler, outermostFirst ...func(http.Handler) http.Handler) http.Handler {
	for i := len(outermostFirst) - 1; i >= 0; i-- {
		h = outermostFirst[i](h)
	}
	return h
}

// route serves the request through the mux, except that the mux's own 404
// and 405, plain text in net/http, are answered as problems. Asking the
// mux first costs a second pattern match; a catch-all "/" route would
// instead swallow the 405s.
func (s *server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	setRoute(r, pattern)
	if pattern == "" {
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusNotFound:
			if s.servesUI(r) {
				setRoute(r, "ui")
				s.ui.ServeHTTP(w, r)
				return
			}
			writeProblem(s.log, w, r, newProblem(http.StatusNotFound, spectra.CodeNotFound, "no such path"))
			return
		case http.StatusMethodNotAllowed:
			allow := probe.header.Get("Allow")
			w.Header().Set("Allow", allow)
			writeProblem(s.log, w, r, newProblem(http.StatusMethodNotAllowed, codeOf(http.StatusMethodNotAllowed),
				fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, allow)))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// uiReserved are the path prefixes that belong to the API: an unknown path
// under one is a 404 problem, never the UI.
var uiReserved = []string{"/api", "/auth", "/docs", "/openapi", "/healthz", "/readyz", "/metrics"}

// servesUI reports whether an unrouted request goes to the web UI.
func (s *server) servesUI(r *http.Request) bool {
	if s.ui == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	for _, p := range uiReserved {
		if rest, ok := strings.CutPrefix(r.URL.Path, p); ok && (rest == "" || rest[0] == '/' || p == "/openapi") {
			return false
		}
	}
	return true
}

// probeWriter catches what the mux would answer to an unrouted request
// (status and Allow header) without sending it.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *probeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
