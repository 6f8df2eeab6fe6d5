// Command compare measures the API side by side with the database itself
// (PRODUCT.md §16): for each path it replays, with pgbench, the SQL the
// API sends for it, and loads the API with the same number of clients,
// then prints p50, p99 and throughput of both and their ratios as a
// Markdown table. bench/compare.sh starts the server on the managed
// cluster and runs it:
//
//	compare -url http://127.0.0.1:18080 -dsn 'postgres://postgres@/spectra?host=…' -samples 1000000
//
// The SQL replayed is the API's as the store writes it (ListSamples in
// internal/postgres/samples.go, Profile in internal/postgres/auth.go, the
// one-round-trip read transaction in internal/postgres/tenant.go read);
// when those change, change it here. The check that both answer the same rows keeps the two honest.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

type config struct {
	url, dsn, org string
	samples       int
	duration      time.Duration
	clients       int
	work          string
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:18080", "the spectra server")
	fs.StringVar(&c.dsn, "dsn", "", "the database as its superuser (the managed cluster's socket URL)")
	fs.StringVar(&c.org, "org", "demo-lab", "the organization measured")
	fs.IntVar(&c.samples, "samples", 1_000_000, "grow the organization to this many samples first")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each measurement runs")
	fs.IntVar(&c.clients, "clients", 8, "clients of the throughput measurement")
	fs.StringVar(&c.work, "work", "", "directory for pgbench's scripts and logs (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.dsn == "" {
		return errors.New("-dsn is required")
	}
	if c.work == "" {
		d, err := os.MkdirTemp("", "spectra-compare-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.work = d
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)

	var org string
	if err := conn.QueryRow(ctx, `SELECT id FROM organizations WHERE slug = $1`, c.org).Scan(&org); err != nil {
		return fmt.Errorf("organization %s: %w", c.org, err)
	}
	if err := grow(ctx, conn, org, c.org, c.samples, out); err != nil {
		return err
	}
	tok, claims, err := login(c.url, "engineer@demo.lab", "eng123")
	if err != nil {
		return err
	}

	list := fmt.Sprintf(sampleListSQL, org)
	if err := sameRows(ctx, conn, c.url, tok, list); err != nil {
		return err
	}
	me := meSQL(org, claims)

	type row struct {
		path      string
		pgb       []result // bare SELECT, tenant transaction
		api       result
		pgb8      []result
		api8      result
		pgLabels  []string
		sameQuery bool
	}
	rows := []row{
		{path: "GET /api/lims/samples?limit=100", pgLabels: []string{"bare SELECT", "tenant transaction"}},
		{path: "GET /auth/me", pgLabels: []string{"tenant transaction"}},
	}
	scripts := [][]string{
		{list + ";\n", tenantRead(org, claims, list)},
		{tenantRead(org, claims, me...)},
	}
	targets := []string{"/api/lims/samples?limit=100", "/auth/me"}
	for i := range rows {
		for j, s := range scripts[i] {
			r1, err := pgbench(c, fmt.Sprintf("p%d-%d", i, j), s, 1)
			if err != nil {
				return err
			}
			r8, err := pgbench(c, fmt.Sprintf("p%d-%d-8", i, j), s, c.clients)
			if err != nil {
				return err
			}
			rows[i].pgb, rows[i].pgb8 = append(rows[i].pgb, r1), append(rows[i].pgb8, r8)
		}
		rows[i].api = load(c.url+targets[i], tok, 1, c.duration)
		rows[i].api8 = load(c.url+targets[i], tok, c.clients, c.duration)
		if rows[i].api.errors > 0 || rows[i].api8.errors > 0 {
			return fmt.Errorf("%s: %d and %d errors", rows[i].path, rows[i].api.errors, rows[i].api8.errors)
		}
	}

	fmt.Fprintf(out, "\n%d samples in %s; %s per measurement; pgbench -M prepared\n\n", c.samples, c.org, c.duration)
	fmt.Fprintln(out, "| path | pgbench, same SQL and round trips (1 client) p50 / p99 | API p50 / p99 (1 client) | API p50 ÷ pgbench p50 | API p99 ÷ p50 | at "+strconv.Itoa(c.clients)+" clients: pgbench / API per s | API ÷ pgbench |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for _, r := range rows {
		var pg, ratio, rate []string
		for k, p := range r.pgb {
			pg = append(pg, fmt.Sprintf("%s %.2f / %.2f ms", r.pgLabels[k], ms(p.p50), ms(p.p99)))
			ratio = append(ratio, fmt.Sprintf("%.1f× (%s)", float64(r.api.p50)/float64(p.p50), r.pgLabels[k]))
		}
		last := r.pgb8[len(r.pgb8)-1]
		rate = append(rate, fmt.Sprintf("%.0f / %.0f", last.rate, r.api8.rate))
		fmt.Fprintf(out, "| `%s` | %s | %.2f / %.2f ms | %s | %.1f | %s | %.0f%% |\n", r.path, strings.Join(pg, "; "),
			ms(r.api.p50), ms(r.api.p99), strings.Join(ratio, "; "), float64(r.api.p99)/float64(r.api.p50),
			strings.Join(rate, ""), 100*r.api8.rate/last.rate)
	}
	return nil
}

// sampleListSQL is ListSamples' first page of 100 (the store fetches one
// more to know whether another page follows), the bound of a first page
// being the largest UUID.
const sampleListSQL = `SELECT s.id, s.barcode, s.name, s.material, s.project_id, s.status, s.location, s.holder, s.metadata,
	s.created_by, s.created_at, s.updated_at, s.version FROM samples s
	WHERE s.organization_id = '%s' AND s.id < 'ffffffff-ffff-ffff-ffff-ffffffffffff' AND s.deleted_at IS NULL
	ORDER BY s.id DESC LIMIT 101`

type tokenClaims struct {
	Sub, Org, Role, Sid, Jti string
}

// tenantRead is a read as the store sends it (postgres.DB.read): BEGIN
// READ ONLY, the settings, spectra_authorize, the statements and COMMIT
// as one pipeline, one round trip, here as one pgbench pipeline.
func tenantRead(org string, c tokenClaims, statements ...string) string {
	all := append([]string{
		"BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY",
		fmt.Sprintf(`SELECT set_config('role', 'spectra_app', true), set_config('app.org_id', '%s', true), set_config('app.user_id', '%s', true),
	set_config('app.auth', 'password', true), set_config('app.request_id', 'bench', true),
	set_config('statement_timeout', '30000', true), set_config('lock_timeout', '5000', true)`, org, c.Sub),
		fmt.Sprintf(`SELECT spectra_authorize('%s', '%s', '%s'::uuid, '%s'::uuid, NULL, NULL)`, c.Sub, c.Role, c.Sid, c.Jti),
	}, statements...)
	return "\\startpipeline\n" + strings.Join(append(all, "COMMIT"), ";\n") + ";\n\\endpipeline\n"
}

// meSQL is what GET /auth/me reads in its transaction
// (internal/postgres/auth.go Profile): the user and the organization,
// then, as spectra_auth, the user's memberships.
func meSQL(org string, c tokenClaims) []string {
	return []string{
		fmt.Sprintf(`SELECT u.id, u.email, u.display_name, u.is_service, u.active,
	o.id, o.slug, o.name, o.calibration_warning_days, o.access_token_ttl_seconds, o.refresh_token_ttl_seconds
	FROM users u, organizations o WHERE u.id = '%s' AND o.id = '%s'`, c.Sub, org),
		`SELECT set_config('role', 'spectra_auth', true)`,
		fmt.Sprintf(`SELECT o.id, o.slug, o.name, o.calibration_warning_days, o.access_token_ttl_seconds, o.refresh_token_ttl_seconds, m.role
	FROM memberships m JOIN organizations o ON o.id = m.organization_id
	WHERE m.user_id = '%s' AND m.active AND m.deleted_at IS NULL AND o.deleted_at IS NULL
	ORDER BY m.created_at, o.slug`, c.Sub),
	}
}

// grow adds samples to org until it has n, without the audit trigger (a
// benchmark's bulk load is not a change anyone made).
func grow(ctx context.Context, conn *pgx.Conn, org, slug string, n int, out io.Writer) error {
	var have int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM samples WHERE organization_id = $1`, org).Scan(&have); err != nil {
		return err
	}
	if have >= n {
		return nil
	}
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO samples (organization_id, barcode, name, material, status, location, metadata)
		SELECT $1, 'BENCH-' || g, 'Bench sample ' || g, (ARRAY['Si','GaN','SiC','InP'])[1 + g % 4], 'stored',
			'Cabinet ' || (g % 40), jsonb_build_object('lot', 'L' || (g % 1000), 'supplier', 'Wafer Works')
		FROM generate_series($2::int, $3::int) g`, org, have+1, n); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `ANALYZE samples`); err != nil {
		return err
	}
	fmt.Fprintf(out, "grew %s to %d samples in %s\n", slug, n, time.Since(start).Round(time.Second))
	return nil
}

// login signs in and returns the access token and its claims.
func login(base, user, password string) (string, tokenClaims, error) {
	body := strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
	res, err := http.Post(base+"/auth/login", "application/json", body)
	if err != nil {
		return "", tokenClaims{}, err
	}
	defer res.Body.Close()
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || res.StatusCode != http.StatusOK {
		return "", tokenClaims{}, fmt.Errorf("login: %d %v", res.StatusCode, err)
	}
	parts := strings.Split(s.AccessToken, ".")
	if len(parts) != 3 {
		return "", tokenClaims{}, errors.New("login: not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", tokenClaims{}, err
	}
	var c struct {
		Sub, Org, Role, Sid, Jti string
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", tokenClaims{}, err
	}
	return s.AccessToken, tokenClaims(c), nil
}

// sameRows checks that the SQL replayed answers what the API answers.
func sameRows(ctx context.Context, conn *pgx.Conn, base, tok, list string) error {
	rows, err := conn.Query(ctx, list)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		v, err := r.Values()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%x", v[0]), nil
	})
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/lims/samples?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		return err
	}
	if len(page.Items) != 100 || len(ids) != 101 ||
		strings.ReplaceAll(page.Items[0].ID, "-", "") != ids[0] || strings.ReplaceAll(page.Items[99].ID, "-", "") != ids[99] {
		return fmt.Errorf("the replayed SQL and the API disagree: %d rows vs %d items", len(ids), len(page.Items))
	}
	return nil
}

// result is a measurement: latency percentiles and requests per second.
type result struct {
	p50, p99 time.Duration
	rate     float64
	errors   int
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentiles(lat []time.Duration, n int, elapsed time.Duration) result {
	slices.Sort(lat)
	if len(lat) == 0 {
		return result{}
	}
	return result{p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], rate: float64(n) / elapsed.Seconds()}
}

// pgbench runs script with clients for the duration and reads its
// per-transaction log for the percentiles.
func pgbench(c config, name, script string, clients int) (result, error) {
	file := filepath.Join(c.work, name+".sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		return result{}, err
	}
	prefix := filepath.Join(c.work, name)
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)),
		"-T", strconv.Itoa(int(c.duration.Seconds())), "-f", file, "-l", "--log-prefix", prefix, "-d", c.dsn}
	cmd := exec.Command("pgbench", args...)
	cmd.Dir = c.work
	if outb, err := cmd.CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("pgbench %s: %v\n%s", name, err, outb)
	}
	logs, err := filepath.Glob(prefix + ".*")
	if err != nil || len(logs) == 0 {
		return result{}, fmt.Errorf("pgbench %s wrote no log", name)
	}
	var lat []time.Duration
	for _, l := range logs {
		f, err := os.Open(l)
		if err != nil {
			return result{}, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// client_id transaction_no time script_no time_epoch time_us
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.Atoi(fields[2])
			if err == nil {
				lat = append(lat, time.Duration(us)*time.Microsecond)
			}
		}
		f.Close()
	}
	return percentiles(lat, len(lat), c.duration), nil
}

// load sends GET url with the token from clients for the duration, each
// client one request at a time on a kept-alive connection.
func load(url, tok string, clients int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	hc := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				res, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						err = fmt.Errorf("%d", res.StatusCode)
					}
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	r := percentiles(lat, len(lat), time.Since(start))
	r.errors = errs
	return r
}
