package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// runCmd runs the program to completion with the given environment.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if vars["SPECTRA_DATA_DIR"] == "" && vars["SPECTRA_FILES_DIR"] == "" && vars["SPECTRA_S3_BUCKET"] == "" {
		// Uploaded and demo files go to the test's own directory, never to
		// .spectra under the package.
		vars = maps.Clone(vars)
		if vars == nil {
			vars = map[string]string{}
		}
		vars["SPECTRA_FILES_DIR"] = t.TempDir()
	}
	err := run(ctx, args, envOf(vars), strings.NewReader(stdin), &out, &errOut)
	if testing.Verbose() && errOut.String() != "" {
		t.Logf("stderr of %v:\n%s", args, errOut.String())
	}
	return out.String(), err
}

// traversableDir is a temporary directory the postgres user can pass
// through when the tests run as root.
func traversableDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "spectra-cmd-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	if err := os.Chmod(d, 0o711); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHelp(t *testing.T) {
	out, err := runCmd(t, nil, "", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serve", "demo", "migrate", "seed", "org", "user", "SPECTRA_DATABASE_URL", "SPECTRA_DATA_DIR", "SPECTRA_ADDR"} {
		if !strings.Contains(out, want) {
			t.Errorf("spectra --help lacks %q:\n%s", want, out)
		}
	}
	// Every command, at every depth, answers --help without touching anything.
	for _, args := range [][]string{
		{"serve", "--help"}, {"demo", "--help"}, {"seed", "--help"}, {"migrate", "--help"},
		{"migrate", "up", "--help"}, {"migrate", "down", "--help"}, {"migrate", "status", "--help"},
		{"org", "--help"}, {"org", "create", "--help"}, {"user", "--help"}, {"user", "create", "--help"},
		{"user", "set-password", "--help"},
	} {
		out, err := runCmd(t, map[string]string{"SPECTRA_ADDR": "broken"}, "", args...)
		if err != nil || !strings.Contains(out, "Usage: spectra "+strings.Join(args[:len(args)-1], " ")) {
			t.Errorf("%v: err %v, output:\n%s", args, err, out)
		}
	}
	out, _ = runCmd(t, nil, "", "user", "create", "--help")
	for _, flag := range []string{"-org", "-email", "-name", "-role"} {
		if !strings.Contains(out, flag) {
			t.Errorf("user create --help lacks %s", flag)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"migrate", "sideways"}, {"org", "create", "--slug"}, {"org", "create", "--slug", "x"}} {
		_, err := runCmd(t, nil, "", args...)
		if !errors.Is(err, errUsage) || exitCode(err) != 2 {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	_, err := runCmd(t, map[string]string{"SPECTRA_ADDR": "nowhere"}, "", "migrate", "status")
	if err == nil || !strings.Contains(err.Error(), "SPECTRA_ADDR") {
		t.Errorf("bad configuration: got %v", err)
	}
}

// TestOperatorCommands drives the admin commands against a server given by
// URL (the non-managed mode).
func TestOperatorCommands(t *testing.T) {
	vars := map[string]string{"SPECTRA_DATABASE_URL": pgtest.NewDatabase(t, true)}

	out, err := runCmd(t, vars, "", "migrate", "up")
	if err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	if out, err := runCmd(t, vars, "", "org", "create", "--slug", "ops-lab", "--name", "Ops Lab"); err != nil || !strings.Contains(out, "ops-lab created") {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	if _, err := runCmd(t, vars, "", "org", "create", "--slug", "ops-lab", "--name", "Again"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate org: got %v", err)
	}
	if _, err := runCmd(t, vars, "", "org", "create", "--slug", "Bad Slug!", "--name", "x"); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("bad slug: got %v", err)
	}
	userArgs := []string{"user", "create", "--org", "ops-lab", "--email", "Ada@Ops.Lab", "--name", "Ada", "--role", "admin"}
	if _, err := runCmd(t, vars, "", userArgs...); !errors.Is(err, errUsage) {
		t.Fatalf("user create without a password: got %v", err)
	}
	if _, err := runCmd(t, vars, "short\n", userArgs...); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("short password: got %v", err)
	}
	if out, err := runCmd(t, vars, "a long passphrase\n", userArgs...); err != nil || !strings.Contains(out, "ada@ops.lab created in ops-lab as admin") {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	if _, err := runCmd(t, vars, "another passphrase\n", "user", "create", "--org", "ops-lab", "--email", "x@y.z", "--name", "X", "--role", "overlord"); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Fatalf("bad role: got %v", err)
	}
	if out, err := runCmd(t, vars, "a new passphrase\n", "user", "set-password", "--email", "ada@ops.lab"); err != nil || !strings.Contains(out, "password of ada@ops.lab set") {
		t.Fatalf("set-password: %v\n%s", err, out)
	}
	if _, err := runCmd(t, vars, "a new passphrase\n", "user", "set-password", "--email", "nobody@ops.lab"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Fatalf("set-password of an unknown user: got %v", err)
	}

	// The admin is a member of the organization with the role given, and
	// each step is in that organization's audit log, attributed to the CLI.
	// (Checked as the test server's superuser: across organizations.)
	conn, err := pgx.Connect(context.Background(), pgtest.InspectorURL(vars["SPECTRA_DATABASE_URL"]))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var role string
	var audits int
	err = conn.QueryRow(context.Background(), `
		SELECT m.role, (SELECT count(*) FROM audit_log a WHERE a.organization_id = o.id AND a.actor_auth = 'cli')
		  FROM memberships m JOIN organizations o ON o.id = m.organization_id JOIN users u ON u.id = m.user_id
		 WHERE o.slug = 'ops-lab' AND u.email = 'ada@ops.lab'`).Scan(&role, &audits)
	if err != nil {
		t.Fatal(err)
	}
	if role != "admin" || audits != 4 { // organization, user, membership, password change
		t.Fatalf("role %q, %d cli audit entries; want admin and 4", role, audits)
	}

	// The newest applied migration is the one `migrate down` rolls back.
	out, err = runCmd(t, vars, "", "migrate", "status")
	applied := regexp.MustCompile(`(?m)^(\d+)\s+applied`).FindAllStringSubmatch(out, -1)
	if err != nil || len(applied) < 2 {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}
	last := applied[len(applied)-1][1]
	out, err = runCmd(t, vars, "", "migrate", "down")
	if err != nil || !strings.Contains(out, "rolled back "+last+" ") {
		t.Fatalf("migrate down: %v\n%s", err, out)
	}
	out, err = runCmd(t, vars, "", "migrate", "status")
	if err != nil || !regexp.MustCompile(`(?m)^`+last+`\s+pending`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^`+applied[len(applied)-2][1]+`\s+applied`).MatchString(out) {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}
}

var listening = regexp.MustCompile(`spectra listening on (https?://\S+)`)

// TestDemoEndToEnd runs `spectra demo` as a user would: a managed cluster in
// a fresh data directory, migrations, demo data, the server on a random
// port. It polls /readyz, checks the data, that a second process is refused
// the cluster, that cancelling (what SIGINT/SIGTERM do) stops everything,
// and that the next start reuses the cluster.
func TestDemoEndToEnd(t *testing.T) {
	dir := filepath.Join(traversableDir(t), "data")
	vars := map[string]string{"SPECTRA_DATA_DIR": dir, "SPECTRA_ADDR": "127.0.0.1:0", "SPECTRA_METRICS_ADDR": "127.0.0.1:0"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo"}, envOf(vars), strings.NewReader(""), &out, &errOut) }()

	base := waitFor(t, done, &out, &errOut)
	if code := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d", code)
	}
	if code := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	// Metrics on their own address (and not on the API's, without a token).
	m := regexp.MustCompile(`spectra metrics on (http://\S+/metrics)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address in the output:\n%s", out.String())
	}
	if body := getBody(t, m[1]); !strings.Contains(body, `spectra_instruments{calibration_state="expired",organization="demo-lab"} 1`) {
		t.Fatalf("the metrics lack the demo lab's gauges:\n%.2000s", body)
	}
	if code := get(t, base+"/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics on the API's port without a token: %d", code)
	}
	// The banner names the port actually bound (SPECTRA_ADDR asked for any).
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	for _, want := range []string{"admin@demo.lab", "admin123", "viewer@test.org", "http://localhost:" + port + " "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo banner lacks %q", want)
		}
	}

	conn, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://postgres@/spectra?host=%s/run", dir))
	if err != nil {
		t.Fatal(err)
	}
	var samples int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM samples`).Scan(&samples); err != nil {
		t.Fatal(err)
	}
	// The server's pool logs in as the run-time role, never the superuser
	// (issue 10.8): a login made its connections say who they are.
	if code := post(t, base+"/auth/login", `{"username":"viewer@demo.lab","password":"view123"}`); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	var users []string
	rows, err := conn.Query(context.Background(), `SELECT DISTINCT usename::text FROM pg_stat_activity
		WHERE datname = 'spectra' AND application_name = 'spectra' AND pid <> pg_backend_pid()`)
	if err == nil {
		users, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || len(users) != 1 || users[0] != "spectra_server" {
		t.Fatalf("the server connects as %v (%v), want [spectra_server]", users, err)
	}
	conn.Close(context.Background())
	if samples != 20 {
		t.Fatalf("demo database holds %d samples, want 20", samples)
	}

	if _, err := runCmd(t, vars, "", "seed"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second process on the same data directory: got %v, want refusal", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo returned %v after cancel\n%s", err, errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop within 60s of cancel")
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid still present after stop: %v", err)
	}

	// The next start reuses the cluster and its data.
	out2, err := runCmd(t, vars, "", "migrate", "status")
	if err != nil || !regexp.MustCompile(`(?m)^3\s+applied`).MatchString(out2) {
		t.Fatalf("migrate status after restart: %v\n%s", err, out2)
	}
}

func waitFor(t *testing.T, done <-chan error, out, errOut *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("demo exited early: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		default:
		}
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			for time.Now().Before(deadline) {
				if get(t, m[1]+"/readyz") == http.StatusOK {
					return m[1]
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("demo never became ready\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	return ""
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Backup and restore are commands, and they round-trip the data.
// A backup reads every organization's rows, past row-level security: it
// runs as a role that may (the superuser, or one with BYPASSRLS; on a
// managed database without one, the provider's snapshots), documented in
// docs/operations.md. The data is seeded by the owner, whoever that is.
func TestBackupAndRestore(t *testing.T) {
	owner := pgtest.NewDatabase(t, true)
	if _, err := runCmd(t, map[string]string{"SPECTRA_DATABASE_URL": owner}, "", "seed"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SPECTRA_DATABASE_URL": pgtest.InspectorURL(owner)}
	file := filepath.Join(t.TempDir(), "spectra.dump")
	if out, err := runCmd(t, vars, "", "backup", "--file", file); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(context.Background(), vars["SPECTRA_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	count := func() (samples, audit int) {
		if err := conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM samples WHERE name NOT LIKE 'lost%'), (SELECT count(*) FROM audit_log)`).Scan(&samples, &audit); err != nil {
			t.Fatal(err)
		}
		return
	}
	samples, audit := count()
	// Disaster: the data is damaged after the backup.
	if _, err := conn.Exec(context.Background(), `UPDATE samples SET name = 'lost ' || name; DELETE FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	if s, a := count(); s != 0 || a != 0 {
		t.Fatalf("damage did not happen: %d samples, %d audit entries", s, a)
	}
	if out, err := runCmd(t, vars, "", "restore", "--file", file); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if s, a := count(); s != samples || a != audit {
		t.Fatalf("after restore: %d samples, %d audit entries; want %d and %d", s, a, samples, audit)
	}
	// The application still works on the restored database (roles, RLS).
	if out, err := runCmd(t, vars, "", "migrate", "status"); err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("migrate status after restore: %v\n%s", err, out)
	}
	if _, err := runCmd(t, vars, "", "restore", "--file", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("restoring a missing file succeeded")
	}
}

// TestOpenAPI checks that the document prints without a database (no
// SPECTRA_DATABASE_URL, no data directory) and describes the API.
func TestOpenAPI(t *testing.T) {
	out, err := runCmd(t, map[string]string{"SPECTRA_DATA_DIR": filepath.Join(t.TempDir(), "absent")}, "", "openapi")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%.200s", err, out)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	for _, p := range []string{"/auth/login", "/auth/config", "/api/lims/samples"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("the document lacks %s", p)
		}
	}
}

// Configuration mistakes are reported before anything starts: a misspelt
// variable (with the nearest name), a role a group map cannot grant, a
// port already taken — no cluster is started, no data directory made.
func TestConfigurationCheckedBeforeStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	cases := map[string]struct {
		vars map[string]string
		want string
	}{
		"misspelt variable": {map[string]string{"SPECTRA_ADRR": ":9090"}, "SPECTRA_ADRR: unknown variable (did you mean SPECTRA_ADDR?)"},
		"bad group role": {map[string]string{"SPECTRA_OIDC_GROUP_MAP": "g=demo-lab:superuser", "SPECTRA_OIDC_ISSUER": "https://idp.example",
			"SPECTRA_OIDC_AUDIENCE": "spectra"}, `"superuser" is not a role`},
		"taken port": {map[string]string{"SPECTRA_ADDR": taken.Addr().String()}, "address already in use"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.vars["SPECTRA_DATA_DIR"] = dir
			start := time.Now()
			_, err := runCmd(t, c.vars, "", "serve")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("serve: %v, want %q", err, c.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the data directory was made before the error (after %v): %v", time.Since(start), err)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, err := runCmd(t, map[string]string{"SPECTRA_DATA_DIR": filepath.Join(t.TempDir(), "absent")}, "", "version")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"spectra " + version + "\n", "go: " + runtime.Version(), "web UI: "} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

// TestTLS serves HTTPS from the binary (issue 11.6): TLS 1.3 at least,
// HSTS on every answer, and a bad key pair refused before anything starts.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	vars := map[string]string{"SPECTRA_DATABASE_URL": pgtest.NewDatabase(t, false), "SPECTRA_DATA_DIR": filepath.Join(dir, "data"),
		"SPECTRA_ADDR": "127.0.0.1:0", "SPECTRA_TLS_CERT_FILE": cert, "SPECTRA_TLS_KEY_FILE": key}

	bad := maps.Clone(vars)
	bad["SPECTRA_TLS_KEY_FILE"] = cert
	if _, err := runCmd(t, bad, "", "serve"); err == nil || !strings.Contains(err.Error(), "SPECTRA_TLS_CERT_FILE") {
		t.Fatalf("a certificate given as its own key: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(vars), strings.NewReader(""), &out, &errOut) }()
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(cert)
	pool.AppendCertsFromPEM(pem)
	client := func(maxVersion uint16) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: maxVersion, ServerName: "localhost"}}}
	}
	var base string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" && time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("not listening on https: %q\n%s\n%s", base, out.String(), errOut.String())
	}
	resp, err := client(0).Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS.Version != tls.VersionTLS13 ||
		resp.Header.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains" {
		t.Fatalf("healthz over TLS: %d, version %x, HSTS %q", resp.StatusCode, resp.TLS.Version, resp.Header.Get("Strict-Transport-Security"))
	}
	if _, err := client(tls.VersionTLS12).Get(base + "/healthz"); err == nil {
		t.Fatal("a TLS 1.2 client was served")
	}
	if resp, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP was served on the TLS port")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errOut.String())
	}
}

// selfSigned writes a certificate for localhost and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pemEncode("CERTIFICATE", der), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pemEncode("PRIVATE KEY", kb), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func pemEncode(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// TestDemoOnAnExternalDatabase runs `spectra demo` against a database it
// does not manage (SPECTRA_DATABASE_URL, empty): migrations, demo data and
// the server, then a read and a write as a demo user. Under `make
// test-nonsuper` the owner is only CREATEROLE, as on a managed service.
func TestDemoOnAnExternalDatabase(t *testing.T) {
	d := startDemo(t, map[string]string{"SPECTRA_DATABASE_URL": pgtest.NewDatabase(t, true),
		"SPECTRA_DATA_DIR": filepath.Join(traversableDir(t), "data"), "SPECTRA_ADDR": "127.0.0.1:0"})
	if code := get(t, d.base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d", code)
	}
	token := loginToken(t, d.base, "engineer@demo.lab", "eng123")
	if code, _ := answer(d.base+"/api/lims/samples", token); code != http.StatusOK {
		t.Fatalf("GET samples as the demo engineer: %d\n%s", code, d.errOut.String())
	}
	if code, b, _ := postAs(d.base+"/api/lims/samples", token, `{"barcode":"EXT-1","name":"on an external database"}`); code != http.StatusCreated {
		t.Fatalf("POST a sample: %d %s", code, b)
	}
	d.stop(t)
}

// demo is a `spectra demo` running in the test's process.
type demo struct {
	base        string // the URL it listens on
	out, errOut *syncBuffer
	cancel      context.CancelFunc
	done        chan error
}

// startDemo runs `spectra demo` with vars and waits until it listens. It
// is stopped when t ends, if stop did not stop it before.
func startDemo(t *testing.T, vars map[string]string) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &demo{out: &syncBuffer{}, errOut: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- run(ctx, []string{"demo"}, envOf(vars), strings.NewReader(""), d.out, d.errOut) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(60 * time.Second):
			t.Error("demo did not stop within 60 s of cancel")
		}
	})
	d.base = waitFor(t, d.done, d.out, d.errOut)
	return d
}

// stop cancels the demo (what SIGINT and SIGTERM do) and fails t unless
// it returns nil within 60 s.
func (d *demo) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case err := <-d.done:
		d.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("demo returned %v after cancel\n%s", err, d.errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop within 60 s of cancel")
	}
}

// postAs POSTs a JSON body with a bearer token; it answers the status,
// the body and the Retry-After header.
func postAs(url, bearer, body string) (int, []byte, string) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return 0, []byte(err.Error()), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Retry-After")
}

// TestPrecreatedRoles follows docs/operations.md's second way of setting
// up a managed database: an administrator makes spectra's NOLOGIN roles
// beforehand and grants them to an owner that has neither SUPERUSER nor
// CREATEROLE, WITH ADMIN OPTION. That owner runs every operator command:
// migrate up, seed, migrate down to zero and up again.
func TestPrecreatedRoles(t *testing.T) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	owner := fmt.Sprintf("spectra_plain_owner_%d", time.Now().UnixNano())
	dbName := owner + "_db"
	password := "pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, sql := range []string{
		// The roles exist in this cluster already (the template's
		// migrations made them); on a fresh one the administrator runs the
		// documented CREATE ROLE statements first.
		fmt.Sprintf(`CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '%s'`, owner, password),
		fmt.Sprintf(`GRANT spectra_app, spectra_auth, spectra_search TO %s WITH ADMIN OPTION`, owner),
		fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, dbName, owner),
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, `DROP DATABASE IF EXISTS `+dbName+` WITH (FORCE)`)
		_, _ = admin.Exec(ctx, `DROP ROLE IF EXISTS `+owner)
	})
	u, err := url.Parse(pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Path = url.UserPassword(owner, password), "/"+dbName
	vars := map[string]string{"SPECTRA_DATABASE_URL": u.String()}
	for _, args := range [][]string{{"migrate", "up"}, {"seed"}, {"migrate", "down", "--to", "0"}, {"migrate", "up"}, {"seed"}} {
		if out, err := runCmd(t, vars, "", args...); err != nil {
			t.Fatalf("spectra %s as an owner without CREATEROLE: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	var super, createRole bool
	if err := admin.QueryRow(ctx, `SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1`, owner).Scan(&super, &createRole); err != nil || super || createRole {
		t.Fatalf("the owner gained rights: super %v, createrole %v, %v", super, createRole, err)
	}
}
