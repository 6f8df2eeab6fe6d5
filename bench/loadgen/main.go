// Command loadgen measures a running spectra server the way its users load
// it: many concurrent sessions, each request timed, latency percentiles and
// errors reported per scenario (PRODUCT.md §10). It writes a Markdown table.
//
//	loadgen -url http://127.0.0.1:8080 -duration 10s -concurrency 8
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type config struct {
	url         string
	duration    time.Duration
	concurrency int
	users       int
	only        string
	grow        bool
}

// scenario is one kind of request; prepare finds what it needs (ids) once.
type scenario struct {
	name    string
	target  string // PRODUCT.md §10's p50/p99 to beat
	users   int    // concurrent sessions; 0 = the configured concurrency
	prepare func(c *client) (request, error)
}

// request builds one request of a scenario.
type request func() (*http.Request, error)

func run(args []string, out io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "the server")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent requests per scenario")
	fs.IntVar(&cfg.users, "users", 100, "sessions of the many-users scenario")
	fs.StringVar(&cfg.only, "only", "", "comma-separated scenario names (default: all)")
	fs.BoolVar(&cfg.grow, "grow", true, "first grow the data to the sizes PRODUCT.md §10 names (120 samples, 1000 SPC points)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	base := &client{url: strings.TrimRight(cfg.url, "/"), http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	if err := base.login("engineer@demo.lab", "eng123"); err != nil {
		return fmt.Errorf("log in (is the demo data loaded?): %w", err)
	}
	if cfg.grow {
		if err := grow(base); err != nil {
			return fmt.Errorf("grow the data: %w", err)
		}
	}
	fmt.Fprintf(out, "| scenario | target p50/p99 | requests | req/s | p50 | p95 | p99 | errors |\n|---|---|---|---|---|---|---|---|\n")
	for _, sc := range scenarios(cfg) {
		if cfg.only != "" && !slices.Contains(strings.Split(cfg.only, ","), sc.name) {
			continue
		}
		req, err := sc.prepare(base)
		if err != nil {
			fmt.Fprintf(out, "| %s | %s | skipped: %v | | | | | |\n", sc.name, sc.target, err)
			continue
		}
		n := cfg.concurrency
		if sc.users > 0 {
			n = sc.users
		}
		r := measure(base, req, n, cfg.duration)
		fmt.Fprintf(out, "| %s | %s | %d | %.0f | %s | %s | %s | %s |\n", sc.name, sc.target, r.n, float64(r.n)/cfg.duration.Seconds(),
			ms(r.p(50)), ms(r.p(95)), ms(r.p(99)), errorsOf(r))
	}
	return nil
}

func errorsOf(r result) string {
	if r.errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (first: %s)", r.errors, r.first)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func scenarios(cfg config) []scenario {
	get := func(path string) func(c *client) (request, error) {
		return func(c *client) (request, error) {
			if _, err := c.getJSON(path); err != nil {
				return nil, err
			}
			return c.get(path), nil
		}
	}
	firstID := func(list, path string) func(c *client) (request, error) {
		return func(c *client) (request, error) {
			body, err := c.getJSON(list)
			if err != nil {
				return nil, err
			}
			items, _ := body["items"].([]any)
			if len(items) == 0 {
				return nil, errors.New(list + " is empty")
			}
			id, _ := items[0].(map[string]any)["id"].(string)
			return get(strings.ReplaceAll(path, "{id}", id))(c)
		}
	}
	return []scenario{
		{name: "POST /auth/login", target: "180/350 ms", prepare: func(c *client) (request, error) {
			body := []byte(`{"username":"viewer@demo.lab","password":"view123"}`)
			return func() (*http.Request, error) {
				r, err := http.NewRequest(http.MethodPost, c.url+"/auth/login", bytes.NewReader(body))
				if err == nil {
					r.Header.Set("Content-Type", "application/json")
				}
				return r, err
			}, nil
		}},
		{name: "GET /auth/me", target: "-", prepare: get("/auth/me")},
		{name: "GET /api/lims/samples (100 rows)", target: "12/45 ms (25/85 endpoint)", prepare: get("/api/lims/samples?limit=100")},
		{name: "GET /api/analysis/runs/{id} with results", target: "8/25 ms", prepare: firstID("/api/analysis/runs?limit=1", "/api/analysis/runs/{id}")},
		{name: "GET SPC last 1000 points", target: "35/120 ms", prepare: firstID("/api/analysis/spc/series?limit=1", "/api/analysis/spc/series/{id}/points?limit=1000")},
		{name: "GET /api/lims/eln?q= (full text)", target: "50/200 ms", prepare: get("/api/lims/eln?q=voltage")},
		{name: "GET /api/analysis/calibrations", target: "15/50 ms", prepare: get("/api/analysis/calibrations")},
		{name: "POST /api/analysis/runs", target: "40/150 ms", prepare: createRun},
		{name: "100 concurrent users (GET /auth/me)", target: "no errors", users: cfg.users, prepare: manyUsers(cfg.users)},
	}
}

// grow brings the demo data up to the sizes the targets are stated for:
// at least 120 samples (a full page of 100) and 1000 points in the first
// SPC series. It goes through the API, as a lab would, and can run again.
func grow(c *client) error {
	for i := 0; i < 120; i++ {
		body := fmt.Sprintf(`{"barcode":"LOAD-%04d","name":"load sample %d","material":"Si"}`, i, i)
		if code, err := c.post("/api/lims/samples", body); err != nil || (code != http.StatusCreated && code != http.StatusConflict) {
			return fmt.Errorf("create sample: %d %v", code, err)
		}
	}
	series, err := c.getJSON("/api/analysis/spc/series?limit=1")
	if err != nil || len(asItems(series)) == 0 {
		return fmt.Errorf("no SPC series: %v", err)
	}
	id := asItems(series)[0]["id"].(string)
	points, err := c.getJSON("/api/analysis/spc/series/" + id + "/points?limit=1000")
	if err != nil {
		return err
	}
	if missing := 1000 - len(asItems(points)); missing > 0 {
		var b strings.Builder
		start := time.Now().Add(-time.Duration(missing) * time.Minute)
		for i := 0; i < missing; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"ts":%q,"value":%g}`, start.Add(time.Duration(i)*time.Minute).UTC().Format(time.RFC3339Nano), 0.45+0.01*float64(i%7-3))
		}
		if code, err := c.post("/api/analysis/spc/series/"+id+"/points", `{"points":[`+b.String()+`]}`); err != nil || code >= 300 {
			return fmt.Errorf("add points: %d %v", code, err)
		}
	}
	return nil
}

func (c *client) post(path, body string) (int, error) {
	r, err := http.NewRequest(http.MethodPost, c.url+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(r)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// createRun plans a run of the approved recipe on a sample with the
// instruments whose calibration is valid: the calibration check, the
// parameter validation and the insert, each request a new run.
func createRun(c *client) (request, error) {
	ids := func(list string, keep func(map[string]any) bool) ([]string, error) {
		body, err := c.getJSON(list)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, it := range asItems(body) {
			if keep(it) {
				if inst, ok := it["instrument"].(map[string]any); ok {
					it = inst
				}
				out = append(out, it["id"].(string))
			}
		}
		if len(out) == 0 {
			return nil, errors.New(list + ": nothing fits")
		}
		return out, nil
	}
	all := func(map[string]any) bool { return true }
	recipes, err := ids("/api/lims/recipes?status=approved&limit=1", all)
	if err != nil {
		return nil, err
	}
	samples, err := ids("/api/lims/samples?limit=1", all)
	if err != nil {
		return nil, err
	}
	instruments, err := ids("/api/analysis/calibrations/status", func(it map[string]any) bool {
		inst, _ := it["instrument"].(map[string]any)
		return it["state"] == "valid" && inst["kind"] == "SMU"
	})
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]any{"recipe_id": recipes[0], "sample_id": samples[0],
		"instrument_ids": instruments[:1], "parameters": map[string]any{}})
	return func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodPost, c.url+"/api/analysis/runs", bytes.NewReader(body))
		if err == nil {
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+c.token)
		}
		return r, err
	}, nil
}

// manyUsers logs n sessions in (each its own token, so each request's
// tenant transaction checks a different session) and spreads the requests
// over them.
func manyUsers(n int) func(c *client) (request, error) {
	return func(c *client) (request, error) {
		sessions := make([]*client, n)
		for i := range sessions {
			sessions[i] = &client{url: c.url, http: c.http}
			if err := sessions[i].login("viewer@demo.lab", "view123"); err != nil {
				return nil, err
			}
		}
		var next atomic.Int64
		return func() (*http.Request, error) {
			return sessions[int(next.Add(1))%n].get("/auth/me")()
		}, nil
	}
}

func asItems(body map[string]any) []map[string]any {
	raw, _ := body["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

type client struct {
	url, token string
	http       *http.Client
}

func (c *client) login(user, pw string) error {
	resp, err := c.http.Post(c.url+"/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login: status %d", resp.StatusCode)
	}
	c.token = body.AccessToken
	return nil
}

func (c *client) get(path string) request {
	return func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodGet, c.url+path, nil)
		if err == nil {
			r.Header.Set("Authorization", "Bearer "+c.token)
		}
		return r, err
	}
}

func (c *client) getJSON(path string) (map[string]any, error) {
	r, _ := c.get(path)()
	resp, err := c.http.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	var body map[string]any
	return body, json.NewDecoder(resp.Body).Decode(&body)
}

type result struct {
	n, errors int
	first     string // the first error, to tell what went wrong
	latencies []time.Duration
}

func (r result) p(q int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, len(r.latencies)*q/100)]
}

// measure runs req from n goroutines for d and collects every latency.
func measure(c *client, req request, n int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				r, err := req()
				if err != nil {
					errs.Add(1)
					continue
				}
				start := time.Now()
				resp, err := c.http.Do(r)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				elapsed := time.Since(start)
				if err != nil || resp.StatusCode >= 400 {
					if errs.Add(1) == 1 {
						firstErr.Store(describe(resp, err))
					}
					continue
				}
				mine = append(mine, elapsed)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	first, _ := firstErr.Load().(string)
	return result{n: len(all), errors: int(errs.Load()), first: first, latencies: all}
}

func describe(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}
