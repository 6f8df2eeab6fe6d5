package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// Metrics is the server's Prometheus registry: requests by route template,
// method and status with their durations, the database pool, the lab's
// gauges (instruments by calibration state, open SPC alerts, per
// organization), and the Go runtime's and process's own. It is a registry
// of its own, never the global one, so tests and several servers in one
// process do not share counters.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	collectors []*labCollector // for the benchmark, which expires their cache
}

// NewMetrics makes the registry. store (may be nil) feeds the pool and lab
// collectors.
func NewMetrics(store *postgres.DB) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectra_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "spectra_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	m.reg.MustRegister(m.requests, m.duration, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if store != nil {
		lab := &labCollector{store: store, ttl: 15 * time.Second}
		m.collectors = append(m.collectors, lab)
		m.reg.MustRegister(&poolCollector{pool: store.Pool()}, lab)
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// routeKey carries, through a request, the route template the mux chose.
type routeKey struct{}

type routeInfo struct{ pattern string }

// instrument counts and times every request under its route template (the
// mux's pattern, e.g. /api/lims/samples/{id}), never the raw path: ids do
// not make new series. Unrouted paths count as "ui" or "unmatched".
func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &routeInfo{}
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			route := info.pattern
			if route == "" {
				route = "unmatched"
			}
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, info)))
	})
}

// setRoute records the route template for the metrics.
func setRoute(r *http.Request, pattern string) {
	if info, ok := r.Context().Value(routeKey{}).(*routeInfo); ok {
		// "GET /api/lims/samples/{id}" → the path template alone.
		if _, path, ok := strings.Cut(pattern, " "); ok {
			pattern = path
		}
		info.pattern = pattern
	}
}

// metricsEndpoint answers GET /metrics on the API's own port: with the
// configured bearer token only (compared in constant time), and not at all
// without one (a 404 problem; SPECTRA_METRICS_ADDR serves them apart).
func (s *server) metricsEndpoint(w http.ResponseWriter, r *http.Request) {
	setRoute(r, "GET /metrics")
	if s.metricsToken == "" {
		writeProblem(s.log, w, r, newProblem(http.StatusNotFound, spectra.CodeNotFound,
			"metrics are served on SPECTRA_METRICS_ADDR, or here with SPECTRA_METRICS_TOKEN"))
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		writeProblem(s.log, w, r, newProblem(http.StatusUnauthorized, spectra.CodeUnauthenticated, "the metrics need their bearer token"))
		return
	}
	s.metrics.Handler().ServeHTTP(w, r)
}

// poolCollector reports the pgx pool's statistics at each scrape.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolAcquired = prometheus.NewDesc("spectra_db_pool_acquired_connections", "Connections in use.", nil, nil)
	poolIdle     = prometheus.NewDesc("spectra_db_pool_idle_connections", "Idle connections.", nil, nil)
	poolTotal    = prometheus.NewDesc("spectra_db_pool_connections", "Open connections.", nil, nil)
	poolMax      = prometheus.NewDesc("spectra_db_pool_max_connections", "The pool's limit.", nil, nil)
	poolAcquires = prometheus.NewDesc("spectra_db_pool_acquires_total", "Connections acquired.", nil, nil)
	poolWaited   = prometheus.NewDesc("spectra_db_pool_empty_acquires_total", "Acquires that waited for a connection.", nil, nil)
	poolWait     = prometheus.NewDesc("spectra_db_pool_acquire_wait_seconds_total", "Time spent waiting to acquire.", nil, nil)
	poolCanceled = prometheus.NewDesc("spectra_db_pool_canceled_acquires_total", "Acquires given up (the request ended first).", nil, nil)
)

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolMax, poolAcquires, poolWaited, poolWait, poolCanceled} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolAcquired, prometheus.GaugeValue, float64(st.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(st.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(st.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, st.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(poolCanceled, prometheus.CounterValue, float64(st.CanceledAcquireCount()))
}

// labCollector reports the lab's gauges, read at most every ttl (each
// organization costs two small queries; scrapes come every few seconds).
type labCollector struct {
	store *postgres.DB
	ttl   time.Duration

	mu     sync.Mutex
	at     time.Time
	cached []postgres.LabGauges
	jobs   []postgres.JobCount
	err    error
}

var (
	labInstruments = prometheus.NewDesc("spectra_instruments", "Instruments by calibration state, per organization.",
		[]string{"organization", "calibration_state"}, nil)
	labAlerts = prometheus.NewDesc("spectra_spc_alerts_open", "SPC alerts not yet acknowledged, per organization.",
		[]string{"organization"}, nil)
	labUp   = prometheus.NewDesc("spectra_lab_gauges_up", "1 if the lab gauges could be read at the last refresh.", nil, nil)
	labJobs = prometheus.NewDesc("spectra_jobs", "Jobs in the background queue by kind and state (River keeps finished ones for a day, discarded ones for a week).",
		[]string{"kind", "state"}, nil)
)

func (c *labCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- labInstruments
	ch <- labAlerts
	ch <- labUp
	ch <- labJobs
}

func (c *labCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if time.Since(c.at) > c.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.cached, c.err = c.store.Gauges(ctx, time.Now())
		if c.err == nil {
			c.jobs, c.err = c.store.JobCounts(ctx)
		}
		cancel()
		c.at = time.Now()
	}
	gauges, jobs, err := c.cached, c.jobs, c.err
	c.mu.Unlock()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(labUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(labUp, prometheus.GaugeValue, 1)
	for _, g := range gauges {
		for _, st := range spectra.CalStates {
			ch <- prometheus.MustNewConstMetric(labInstruments, prometheus.GaugeValue, float64(g.Calibrations[st]), g.Org, string(st))
		}
		ch <- prometheus.MustNewConstMetric(labAlerts, prometheus.GaugeValue, float64(g.OpenSPCAlerts), g.Org)
	}
	for _, j := range jobs {
		ch <- prometheus.MustNewConstMetric(labJobs, prometheus.GaugeValue, float64(j.N), j.Kind, j.State)
	}
}
