package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// scrape reads /metrics with the token and parses it as Prometheus does.
func (e *apiEnv) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the metrics do not parse: %v\n%s", err, body)
	}
	// Prometheus's own linter: promlint is what `promtool check metrics`
	// runs, so it runs everywhere; promtool itself too where installed.
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", err, problems)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
	return families
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// TestMetrics: requests by route template (never the raw path), method and
// status with durations; the pool; the lab's gauges per organization.
func TestMetrics(t *testing.T) {
	e := newAPIEnv(t)
	tok := e.token("viewer@demo.lab", "view123")
	id := e.limsID(`SELECT id FROM samples WHERE barcode = 'DL-S-0001' AND organization_id = $1`)
	for range 3 {
		e.call(http.MethodGet, "/api/lims/samples/"+id, tok, nil)
	}
	e.call(http.MethodGet, "/api/lims/samples/"+id+"x", tok, nil) // a 422
	// A job in the queue (an insert-only client: nothing works it).
	q, err := jobs.New(e.rt, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Insert(context.Background(), jobs.PruneArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	f := e.scrape(t)

	requests := f["spectra_http_requests_total"]
	if requests == nil {
		t.Fatalf("no spectra_http_requests_total in %v", keysOf(f))
	}
	found := map[string]float64{}
	for _, m := range requests.GetMetric() {
		l := labels(m)
		if strings.Contains(l["route"], id) {
			t.Fatalf("a raw id made a series: %v", l)
		}
		found[l["method"]+" "+l["route"]+" "+l["status"]] = m.GetCounter().GetValue()
	}
	if found["GET /api/lims/samples/{id} 200"] != 3 || found["GET /api/lims/samples/{id} 422"] != 1 || found["POST /auth/login 200"] < 1 {
		t.Fatalf("request counts: %v", found)
	}
	if h := f["spectra_http_request_duration_seconds"]; h == nil || h.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("no duration histogram")
	}
	for _, name := range []string{"spectra_db_pool_connections", "spectra_db_pool_max_connections", "spectra_db_pool_acquires_total", "go_goroutines"} {
		if f[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	// The demo data: per organization one expired and one expiring
	// instrument; open alerts as the database counts them.
	states := map[string]float64{}
	for _, m := range f["spectra_instruments"].GetMetric() {
		l := labels(m)
		states[l["organization"]+"/"+l["calibration_state"]] = m.GetGauge().GetValue()
	}
	for _, org := range []string{"demo-lab", "test-org"} {
		if states[org+"/expired"] != 1 || states[org+"/expiring"] != 1 || states[org+"/valid"] != 3 || states[org+"/missing"] != 0 {
			t.Errorf("%s instruments by state: %v", org, states)
		}
	}
	want := e.count(`SELECT count(*) FROM spc_alerts WHERE organization_id = $1 AND acknowledged_at IS NULL`, e.orgID("demo-lab"))
	for _, m := range f["spectra_spc_alerts_open"].GetMetric() {
		if labels(m)["organization"] == "demo-lab" && int(m.GetGauge().GetValue()) != want {
			t.Errorf("demo-lab open alerts = %v, the database has %d", m.GetGauge().GetValue(), want)
		}
	}
	queued := map[string]float64{}
	for _, m := range f["spectra_jobs"].GetMetric() {
		queued[labels(m)["kind"]+"/"+labels(m)["state"]] = m.GetGauge().GetValue()
	}
	if queued["prune/available"] != 1 || len(queued) != 1 {
		t.Errorf("spectra_jobs: %v, want the one available prune job", queued)
	}
	if up := f["spectra_lab_gauges_up"]; up == nil || up.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("lab gauges not up")
	}
}

// /metrics is never the web app's page, and never open without its token.
func TestMetricsAreProtected(t *testing.T) {
	e := newAPIEnv(t)
	for name, h := range map[string]string{"no token": "", "wrong token": "Bearer not-the-token", "a user's token": "Bearer " + e.token("admin@demo.lab", "admin123")} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/metrics", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// A server without a token serves no metrics on its API port, even
	// with the UI mounted.
	ui := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>the app</html>")) })
	ts := httptest.NewServer(NewServer(Deps{DB: pgtest.NewDB(t), UI: ui}))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "<html>") {
		t.Fatalf("/metrics without a token: %d %s", resp.StatusCode, body)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkMetricsScrape is the time of one scrape with the lab gauges
// read afresh (their cache expired) and from the cache.
func BenchmarkMetricsScrape(b *testing.B) {
	e := newAPIEnv(b)
	m := NewMetrics(e.rt)
	h := m.Handler()
	for _, c := range []struct {
		name  string
		fresh bool
	}{{"fresh", true}, {"cached", false}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if c.fresh {
					for _, col := range m.collectors {
						col.at = col.at.AddDate(-1, 0, 0)
					}
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
