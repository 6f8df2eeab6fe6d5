package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// runtimePool makes the server under test serve through a pool of its own
// on the run-time role: through the test binary's PgBouncer in
// transaction pooling mode (pooled), or straight to PostgreSQL.
func runtimePool(pooled bool) envOption {
	return func(e *apiEnv, o *auth.Options) {
		e.rt = pgtest.Reopen(e.tb, e.rt, pooled)
		o.Store = e.rt
	}
}

// Load of the pooled-load test: loadClients clients, each loadRounds
// rounds of loadRound requests.
const (
	loadClients = 20
	loadRounds  = 40
)

// loadUsers may create samples (engineer and above), in both organizations.
var loadUsers = [][2]string{
	{"engineer@demo.lab", "eng123"}, {"pi@demo.lab", "pi123"}, {"admin@demo.lab", "admin123"},
	{"engineer@test.org", "eng123"}, {"pi@test.org", "pi123"}, {"admin@test.org", "admin123"},
}

// TestPooledLoad runs 20 concurrent clients against the server, through
// PgBouncer in transaction pooling mode and directly: each logs in, then,
// round after round, lists samples and projects, reads its profile,
// creates a sample and logs in again. Every answer must be a success: a
// statement cached on one server connection and looked for on another
// (pgx's default mode behind PgBouncer) is a 500. The figures are logged
// for docs/benchmarks.md.
func TestPooledLoad(t *testing.T) {
	for _, via := range []string{"pgbouncer", "direct"} {
		t.Run(via, func(t *testing.T) {
			e := newAPIEnv(t, runtimePool(via == "pgbouncer"))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}, Timeout: time.Minute}
			var (
				mu       sync.Mutex
				requests int
				failures = map[string]int{}
				examples []string
			)
			record := func(what string, status int, body []byte, err error) bool {
				mu.Lock()
				defer mu.Unlock()
				requests++
				if err == nil && status/100 == 2 {
					return true
				}
				key := fmt.Sprintf("%s %d", what, status)
				if err != nil {
					key = what + " " + err.Error()
				}
				failures[key]++
				if len(examples) < 5 {
					examples = append(examples, key+": "+string(body))
				}
				return false
			}
			send := func(method, path, bearer string, body any) (int, []byte, error) {
				var rd io.Reader
				if body != nil {
					b, _ := json.Marshal(body)
					rd = bytes.NewReader(b)
				}
				req, err := http.NewRequest(method, e.ts.URL+path, rd)
				if err != nil {
					return 0, nil, err
				}
				req.Header.Set("Content-Type", "application/json")
				if bearer != "" {
					req.Header.Set("Authorization", "Bearer "+bearer)
				}
				resp, err := client.Do(req)
				if err != nil {
					return 0, nil, err
				}
				defer resp.Body.Close()
				raw, err := io.ReadAll(resp.Body)
				return resp.StatusCode, raw, err
			}
			login := func(user [2]string) string {
				status, raw, err := send(http.MethodPost, "/auth/login", "", map[string]string{"username": user[0], "password": user[1]})
				if !record("POST /auth/login", status, raw, err) {
					return ""
				}
				var tok struct {
					AccessToken string `json:"access_token"`
				}
				_ = json.Unmarshal(raw, &tok)
				return tok.AccessToken
			}

			start := time.Now()
			var wg sync.WaitGroup
			for c := range loadClients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					user := loadUsers[c%len(loadUsers)]
					for round := range loadRounds {
						token := login(user)
						if token == "" {
							continue
						}
						for _, path := range []string{"/api/lims/samples?limit=20", "/api/lims/projects", "/auth/me"} {
							status, raw, err := send(http.MethodGet, path, token, nil)
							record("GET "+path, status, raw, err)
						}
						sample := map[string]any{"barcode": fmt.Sprintf("LOAD-%s-%d-%d", via, c, round),
							"name": "Load sample", "material": "Si", "metadata": map[string]any{"client": c, "round": round}}
						status, raw, err := send(http.MethodPost, "/api/lims/samples", token, sample)
						record("POST /api/lims/samples", status, raw, err)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)

			t.Logf("%s: %d requests by %d clients in %v (%.0f requests/s), %d errors",
				via, requests, loadClients, elapsed.Round(time.Millisecond), float64(requests)/elapsed.Seconds(), sum(failures))
			if len(failures) > 0 {
				keys := make([]string, 0, len(failures))
				for k, n := range failures {
					keys = append(keys, fmt.Sprintf("%6d  %s", n, k))
				}
				sort.Strings(keys)
				t.Fatalf("%d of %d requests failed:\n%s\nfirst failures:\n%s\nfirst error logged:\n%s",
					sum(failures), requests, strings.Join(keys, "\n"), strings.Join(examples, "\n"), firstError(e.logs.text()))
			}
			if want := loadClients * loadRounds * 5; requests != want {
				t.Fatalf("sent %d requests, want %d", requests, want)
			}
			if n := e.count(`SELECT count(*) FROM samples WHERE barcode LIKE 'LOAD-' || $1 || '-%'`, via); n != loadClients*loadRounds {
				t.Fatalf("%d samples created, want %d", n, loadClients*loadRounds)
			}
		})
	}
}

// firstError is the first error line of a server's JSON log.
func firstError(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			return line
		}
	}
	return "(none)"
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
