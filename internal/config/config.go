// Package config reads SPECTRA_* environment variables into one validated
// Config. Every variable is declared once, in Vars, which also feeds the
// help text and the README table.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spectra-lab/spectra/internal/spectra"
	"github.com/spectra-lab/spectra/internal/webhook"
)

// Config is the whole configuration of a spectra process.
type Config struct {
	DatabaseURL        string        // empty: run the managed cluster under DataDir
	AppDatabaseURL     string        // the server's run-time login role; empty: spectra_server (managed) or DatabaseURL
	DataDir            string        // the managed cluster and generated secrets live here
	PGBinDir           string        // where initdb and postgres are, if not on PATH
	Addr               string        // HTTP listen address
	PublicURL          string        // how users reach the server (printed, used for redirects)
	Migrate            bool          // serve migrates on start
	Jobs               string        // serve: serve works the job queue; off: only workers do
	JobsPollOnly       bool          // the job queue polls instead of LISTEN/NOTIFY (PgBouncer)
	DBMaxConns         int32         // connection pool size
	DBStatementTimeout time.Duration // statement_timeout of a request's transaction
	DBLockTimeout      time.Duration // lock_timeout of a request's transaction
	PGMaxRestarts      int           // restarts in a row of a dead managed PostgreSQL before spectra exits
	MaxBodyBytes       int64         // request body limit
	MaxUploadBytes     int64         // request body limit of uploads (data series, files)
	FilesDir           string        // where uploaded files are kept without S3; empty: DataDir/files
	S3                 S3            // an S3-compatible store for uploaded files (empty Bucket: FilesDir)
	ShutdownTimeout    time.Duration // grace period for in-flight requests
	LogLevel           slog.Level
	LogFormat          string // json or text

	JWTSecret      []byte         // HS256 secret of spectra's own tokens; empty: kept in DataDir
	PasswordLogin  bool           // POST /auth/login is on
	TrustedProxies []netip.Prefix // peers whose X-Forwarded-For names the client
	OIDC           OIDC
	Webhooks       webhook.Policy // the URLs webhooks may have

	TLSCertFile, TLSKeyFile string // serve HTTPS (TLS 1.3) with this certificate and key; empty: plain HTTP

	MetricsAddr  string // a listen address of its own for /metrics; empty: none
	MetricsToken string // bearer token for /metrics on the API's port; empty: not served there

	SMTP SMTP // the mail server notifications are sent through (empty Host: no e-mail)
}

// SMTP names a mail server, its credentials and the sender address.
type SMTP struct {
	Host               string
	Port               int
	Username, Password string
	From               string // the sender address, e.g. "SPECTRA-Lab <lab@example.org>"
	TLS                string // starttls, tls (implicit, usually port 465) or none (localhost only)
}

// Enabled reports whether e-mail is sent.
func (s SMTP) Enabled() bool { return s.Host != "" }

// OIDC configures an external identity provider (empty Issuer: none).
type OIDC struct {
	Issuer, Audience, ClientID, ClientSecret string
	Scopes                                   []string // what the sign-in asks for; openid always first
	OrgClaim, RoleClaim, GroupsClaim         string
	GroupMap                                 map[string]GroupRole
}

// S3 names an S3-compatible store and its credentials.
type S3 struct {
	Bucket, Endpoint, Region, AccessKeyID, SecretAccessKey string
	PathStyle                                              bool
}

// GroupRole is what membership of one IdP group grants.
type GroupRole struct{ Org, Role string }

// Var documents one environment variable.
type Var struct {
	Name, Default, Description string
}

// Vars lists every variable spectra reads, in the order the README shows.
// A variable ending in _URL or holding a secret may instead be given as a
// file with the _FILE suffix (e.g. SPECTRA_DATABASE_URL_FILE).
var Vars = []Var{
	{"SPECTRA_DATABASE_URL", "", "PostgreSQL URL of the schema's owner (`postgres://user:pass@host/db`), for migrations, demo data and operator commands. Empty: spectra runs its own cluster under SPECTRA_DATA_DIR. Also `SPECTRA_DATABASE_URL_FILE`."},
	{"SPECTRA_APP_DATABASE_URL", "", "PostgreSQL URL of the server's run-time login role: neither superuser nor owner, a member of `spectra_app` and `spectra_auth` (docs/operations.md). Migrations, the demo data and operator commands use SPECTRA_DATABASE_URL. Empty with the managed cluster: spectra creates and uses `spectra_server`. Empty with SPECTRA_DATABASE_URL: `serve` runs as that role, with a warning. Also `SPECTRA_APP_DATABASE_URL_FILE`."},
	{"SPECTRA_DATA_DIR", ".spectra", "Directory of the managed PostgreSQL cluster (data, socket, log)."},
	{"SPECTRA_PG_BIN_DIR", "", "Directory holding `initdb` and `postgres`, if they are not on PATH or in /usr/lib/postgresql/*/bin."},
	{"SPECTRA_ADDR", ":8080", "HTTP listen address."},
	{"SPECTRA_PUBLIC_URL", "", "The URL users reach the server at (the tokens' issuer, the single sign-on redirect). Unset: `http://localhost:PORT` (https with TLS) with the port actually bound."},
	{"SPECTRA_MIGRATE", "true", "`serve` applies pending migrations on start (under an advisory lock)."},
	{"SPECTRA_JOBS", "serve", "Where background jobs (housekeeping, calibration notices) run: `serve` works them inside `spectra serve`; `off` leaves them to `spectra worker` processes (docs/operations.md, \"Workers and scaling\")."},
	{"SPECTRA_JOBS_POLL_ONLY", "false", "The job queue polls for new jobs (every second) instead of listening for them: set true when SPECTRA_APP_DATABASE_URL goes through a transaction pooler such as PgBouncer, which does not carry LISTEN/NOTIFY."},
	{"SPECTRA_DB_MAX_CONNS", "20", "Maximum connections in the pool."},
	{"SPECTRA_DB_STATEMENT_TIMEOUT", "30s", "Longest a statement of a request may run (`statement_timeout`, set per transaction); over it the request answers 503 with Retry-After."},
	{"SPECTRA_DB_LOCK_TIMEOUT", "5s", "Longest a request waits for a row or lock (`lock_timeout`, set per transaction); over it the request answers 503 with Retry-After."},
	{"SPECTRA_PG_MAX_RESTARTS", "5", "Managed cluster: how many times in a row a PostgreSQL that died is restarted (with backoff) before spectra exits non-zero; 0 never restarts."},
	{"SPECTRA_MAX_BODY_BYTES", "1048576", "Largest accepted request body, in bytes."},
	{"SPECTRA_MAX_UPLOAD_BYTES", "104857600", "Largest accepted upload (a data series, an instrument file), in bytes."},
	{"SPECTRA_FILES_DIR", "", "Directory that keeps uploaded files when no S3 bucket is set. Empty: `files` under SPECTRA_DATA_DIR."},
	{"SPECTRA_S3_BUCKET", "", "S3 bucket that keeps uploaded files (any S3-compatible store); set, the files are kept there instead of SPECTRA_FILES_DIR. The bucket must exist."},
	{"SPECTRA_S3_ENDPOINT", "https://s3.amazonaws.com", "URL of the S3-compatible store, e.g. `https://s3.eu-central-1.amazonaws.com` or `http://127.0.0.1:7070` (plain http only on a network you trust)."},
	{"SPECTRA_S3_REGION", "us-east-1", "Region of the bucket."},
	{"SPECTRA_S3_ACCESS_KEY_ID", "", "Access key of the S3 credentials. Also `SPECTRA_S3_ACCESS_KEY_ID_FILE`."},
	{"SPECTRA_S3_SECRET_ACCESS_KEY", "", "Secret key of the S3 credentials. Also `SPECTRA_S3_SECRET_ACCESS_KEY_FILE`."},
	{"SPECTRA_S3_PATH_STYLE", "false", "Address the bucket in the URL's path (`endpoint/bucket/key`), as most self-hosted stores (MinIO, versitygw, SeaweedFS) want; false: as the endpoint prefers (virtual hosts on AWS)."},
	{"SPECTRA_SHUTDOWN_TIMEOUT", "20s", "How long in-flight requests may take to finish on shutdown."},
	{"SPECTRA_LOG_LEVEL", "info", "debug, info, warn or error."},
	{"SPECTRA_LOG_FORMAT", "text", "text or json."},
	{"SPECTRA_JWT_SECRET", "", "HS256 secret (at least 32 bytes) of spectra's own access tokens; set the same on every instance. Unset: a random one is kept in SPECTRA_DATA_DIR. Also `SPECTRA_JWT_SECRET_FILE`."},
	{"SPECTRA_PASSWORD_LOGIN", "true", "Password login (`POST /auth/login`) is on. Set false to allow single sign-on only."},
	{"SPECTRA_TRUSTED_PROXIES", "", "Comma-separated CIDRs of reverse proxies whose `X-Forwarded-For` names the client (login rate limits count per client address)."},
	{"SPECTRA_WEBHOOK_ALLOW_HTTP", "false", "Webhooks may have http URLs (labs, tests); otherwise https only."},
	{"SPECTRA_WEBHOOK_ALLOW_HOSTS", "", "Comma-separated CIDRs, addresses and host names webhooks may reach although not public (loopback, private, link-local); checked at creation and on the resolved address of every delivery (docs/operations.md, \"Webhooks\")."},
	{"SPECTRA_TLS_CERT_FILE", "", "PEM certificate (chain) to serve HTTPS with, TLS 1.3 or later, and HSTS; with SPECTRA_TLS_KEY_FILE. Unset: plain HTTP (behind a TLS-terminating proxy)."},
	{"SPECTRA_TLS_KEY_FILE", "", "PEM private key of SPECTRA_TLS_CERT_FILE."},
	{"SPECTRA_METRICS_ADDR", "", "Listen address of its own for Prometheus metrics (`/metrics`, no token), e.g. `127.0.0.1:9090` or a private interface."},
	{"SPECTRA_METRICS_TOKEN", "", "Bearer token that opens `/metrics` on the API's own port; unset, `/metrics` is not served there. Also `SPECTRA_METRICS_TOKEN_FILE`."},
	{"SPECTRA_SMTP_HOST", "", "Mail server that notification e-mails go through. Unset: no e-mail (the in-app inbox still works)."},
	{"SPECTRA_SMTP_PORT", "587", "Port of the mail server: 587 for STARTTLS, 465 for implicit TLS."},
	{"SPECTRA_SMTP_USERNAME", "", "User name for SMTP authentication, with the strongest mechanism the server offers (SCRAM, CRAM-MD5; PLAIN or LOGIN only over TLS); unset: no authentication."},
	{"SPECTRA_SMTP_PASSWORD", "", "Password of SPECTRA_SMTP_USERNAME. Also `SPECTRA_SMTP_PASSWORD_FILE`."},
	{"SPECTRA_SMTP_FROM", "", "Sender address of the e-mails, e.g. `SPECTRA-Lab <lab@example.org>` (required with SPECTRA_SMTP_HOST)."},
	{"SPECTRA_SMTP_TLS", "starttls", "`starttls` (required: a server that does not offer it is refused), `tls` (implicit TLS, port 465) or `none` (only for a server on localhost)."},
	{"SPECTRA_OIDC_ISSUER", "", "Issuer URL of an OpenID Connect provider; its access tokens are then accepted and `/auth/oidc/login` signs users in."},
	{"SPECTRA_OIDC_AUDIENCE", "", "The `aud` the provider's access tokens for this API carry (required with an issuer)."},
	{"SPECTRA_OIDC_CLIENT_ID", "", "Client id of spectra at the provider, for the browser's sign-in (authorization code + PKCE)."},
	{"SPECTRA_OIDC_CLIENT_SECRET", "", "Client secret, for confidential clients. Also `SPECTRA_OIDC_CLIENT_SECRET_FILE`."},
	{"SPECTRA_OIDC_SCOPES", "openid profile email", "Scopes the browser's sign-in asks for, separated by spaces or commas (e.g. `openid profile email groups` for Dex's groups claim); `openid` is always added."},
	{"SPECTRA_OIDC_ORG_CLAIM", "org", "Claim holding the organization slug (a dotted path reaches into nested claims)."},
	{"SPECTRA_OIDC_ROLE_CLAIM", "role", "Claim holding the role (admin, pi, engineer, technician, viewer), or a list of them: the highest counts."},
	{"SPECTRA_OIDC_GROUPS_CLAIM", "groups", "Claim holding the user's groups, for SPECTRA_OIDC_GROUP_MAP."},
	{"SPECTRA_OIDC_GROUP_MAP", "", "Groups to organization and role, e.g. `lab-admins=demo-lab:admin,lab-staff=demo-lab:engineer`."},
}

// Load reads the configuration through getenv and reports every invalid
// variable at once.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL:        r.secret("SPECTRA_DATABASE_URL"),
		AppDatabaseURL:     r.secret("SPECTRA_APP_DATABASE_URL"),
		DataDir:            r.str("SPECTRA_DATA_DIR"),
		PGBinDir:           r.str("SPECTRA_PG_BIN_DIR"),
		Addr:               r.str("SPECTRA_ADDR"),
		PublicURL:          strings.TrimRight(r.str("SPECTRA_PUBLIC_URL"), "/"),
		Migrate:            r.boolean("SPECTRA_MIGRATE"),
		Jobs:               r.oneOf("SPECTRA_JOBS", "serve", "off"),
		JobsPollOnly:       r.boolean("SPECTRA_JOBS_POLL_ONLY"),
		DBMaxConns:         int32(r.integer("SPECTRA_DB_MAX_CONNS", 1, 1000)),
		DBStatementTimeout: r.duration("SPECTRA_DB_STATEMENT_TIMEOUT"),
		DBLockTimeout:      r.duration("SPECTRA_DB_LOCK_TIMEOUT"),
		PGMaxRestarts:      int(r.integer("SPECTRA_PG_MAX_RESTARTS", 0, 1000)),
		MaxBodyBytes:       int64(r.integer("SPECTRA_MAX_BODY_BYTES", 1024, 1<<30)),
		MaxUploadBytes:     int64(r.integer("SPECTRA_MAX_UPLOAD_BYTES", 1024, 1<<40)),
		ShutdownTimeout:    r.duration("SPECTRA_SHUTDOWN_TIMEOUT"),
		LogFormat:          r.oneOf("SPECTRA_LOG_FORMAT", "text", "json"),
	}
	c.FilesDir = r.str("SPECTRA_FILES_DIR")
	c.S3 = S3{Bucket: r.str("SPECTRA_S3_BUCKET"), Endpoint: r.str("SPECTRA_S3_ENDPOINT"), Region: r.str("SPECTRA_S3_REGION"),
		AccessKeyID: r.secret("SPECTRA_S3_ACCESS_KEY_ID"), SecretAccessKey: r.secret("SPECTRA_S3_SECRET_ACCESS_KEY"),
		PathStyle: r.boolean("SPECTRA_S3_PATH_STYLE")}
	if c.S3.Bucket != "" {
		if u, err := url.Parse(c.S3.Endpoint); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
			r.fail("SPECTRA_S3_ENDPOINT", "must be an http(s) URL without a path")
		}
		if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
			r.fail("SPECTRA_S3_ACCESS_KEY_ID", "set both SPECTRA_S3_ACCESS_KEY_ID and SPECTRA_S3_SECRET_ACCESS_KEY, or neither")
		}
		if c.FilesDir != "" {
			r.fail("SPECTRA_FILES_DIR", "set either SPECTRA_FILES_DIR or SPECTRA_S3_BUCKET: files are kept in one place")
		}
	}
	c.JWTSecret = []byte(r.secret("SPECTRA_JWT_SECRET"))
	if n := len(c.JWTSecret); n > 0 && n < 32 {
		r.fail("SPECTRA_JWT_SECRET", fmt.Sprintf("must be at least 32 bytes, is %d", n))
	}
	c.PasswordLogin = r.boolean("SPECTRA_PASSWORD_LOGIN")
	c.TLSCertFile, c.TLSKeyFile = r.str("SPECTRA_TLS_CERT_FILE"), r.str("SPECTRA_TLS_KEY_FILE")
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		r.fail("SPECTRA_TLS_CERT_FILE", "set both SPECTRA_TLS_CERT_FILE and SPECTRA_TLS_KEY_FILE, or neither")
	}
	c.MetricsAddr = r.str("SPECTRA_METRICS_ADDR")
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		r.fail("SPECTRA_METRICS_ADDR", "must be host:port or :port")
	}
	c.MetricsToken = r.secret("SPECTRA_METRICS_TOKEN")
	if n := len(c.MetricsToken); n > 0 && n < 16 {
		r.fail("SPECTRA_METRICS_TOKEN", fmt.Sprintf("must be at least 16 characters, is %d", n))
	}
	c.TrustedProxies = r.prefixes("SPECTRA_TRUSTED_PROXIES")
	c.Webhooks.AllowHTTP = r.boolean("SPECTRA_WEBHOOK_ALLOW_HTTP")
	var err error
	if c.Webhooks.Allow, c.Webhooks.Hosts, err = webhook.ParseAllowHosts(r.str("SPECTRA_WEBHOOK_ALLOW_HOSTS")); err != nil {
		r.fail("SPECTRA_WEBHOOK_ALLOW_HOSTS", err.Error())
	}
	c.SMTP = SMTP{Host: r.str("SPECTRA_SMTP_HOST"), Port: int(r.integer("SPECTRA_SMTP_PORT", 1, 65535)),
		Username: r.str("SPECTRA_SMTP_USERNAME"), Password: r.secret("SPECTRA_SMTP_PASSWORD"), From: r.str("SPECTRA_SMTP_FROM"),
		TLS: r.oneOf("SPECTRA_SMTP_TLS", "starttls", "tls", "none")}
	if c.SMTP.Host != "" {
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			r.fail("SPECTRA_SMTP_FROM", "must be an e-mail address (required with SPECTRA_SMTP_HOST)")
		}
		// A password sent in the clear could be read on the way: only a
		// server on this machine may do without TLS.
		if c.SMTP.TLS == "none" && !isLoopback(c.SMTP.Host) {
			r.fail("SPECTRA_SMTP_TLS", "none is only for a mail server on localhost")
		}
		if c.SMTP.Password != "" && c.SMTP.Username == "" {
			r.fail("SPECTRA_SMTP_USERNAME", "is required with SPECTRA_SMTP_PASSWORD")
		}
	}
	c.OIDC = OIDC{
		// The issuer is compared byte for byte with the tokens' iss: it is
		// taken exactly as given (Auth0's ends in a slash).
		Issuer: r.str("SPECTRA_OIDC_ISSUER"), Audience: r.str("SPECTRA_OIDC_AUDIENCE"),
		ClientID: r.str("SPECTRA_OIDC_CLIENT_ID"), ClientSecret: r.secret("SPECTRA_OIDC_CLIENT_SECRET"),
		Scopes:   r.scopes("SPECTRA_OIDC_SCOPES"),
		OrgClaim: r.str("SPECTRA_OIDC_ORG_CLAIM"), RoleClaim: r.str("SPECTRA_OIDC_ROLE_CLAIM"),
		GroupsClaim: r.str("SPECTRA_OIDC_GROUPS_CLAIM"), GroupMap: r.groupMap("SPECTRA_OIDC_GROUP_MAP"),
	}
	if c.OIDC.Issuer != "" {
		// Keys fetched over plain http could be swapped in transit: only a
		// provider on this machine may do without TLS.
		if u, err := url.Parse(c.OIDC.Issuer); err != nil || u.Host == "" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			r.fail("SPECTRA_OIDC_ISSUER", "must be an https URL (http only for localhost)")
		}
		if c.OIDC.Audience == "" {
			r.fail("SPECTRA_OIDC_AUDIENCE", "is required with SPECTRA_OIDC_ISSUER")
		}
	}
	if !c.PasswordLogin && c.OIDC.Issuer == "" {
		r.fail("SPECTRA_PASSWORD_LOGIN", "false needs SPECTRA_OIDC_ISSUER: nobody could log in")
	}
	if err := c.LogLevel.UnmarshalText([]byte(r.oneOf("SPECTRA_LOG_LEVEL", "debug", "info", "warn", "error"))); err != nil {
		r.fail("SPECTRA_LOG_LEVEL", err.Error())
	}
	for name, v := range map[string]string{"SPECTRA_DATABASE_URL": c.DatabaseURL, "SPECTRA_APP_DATABASE_URL": c.AppDatabaseURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			r.fail(name, "must be a postgres:// URL")
		}
	}
	if c.AppDatabaseURL != "" && c.DatabaseURL == "" {
		r.fail("SPECTRA_APP_DATABASE_URL", "needs SPECTRA_DATABASE_URL (the managed cluster makes its own run-time role)")
	}
	if c.DataDir == "" {
		r.fail("SPECTRA_DATA_DIR", "must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		r.fail("SPECTRA_ADDR", "must be host:port or :port")
	}
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		r.fail("SPECTRA_PUBLIC_URL", "must be an http(s) URL")
	}
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration:\n  %s", strings.Join(r.errs, "\n  "))
	}
	return c, nil
}

// WithBoundAddr is c with PublicURL derived from the address the server
// actually listens on, when SPECTRA_PUBLIC_URL was not set.
func (c Config) WithBoundAddr(addr string) Config {
	if c.PublicURL != "" {
		return c
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		port = "8080"
	}
	scheme := "http"
	if c.TLS() {
		scheme = "https"
	}
	c.PublicURL = scheme + "://localhost:" + port
	return c
}

// Unknown checks the names of the environment (KEY=value entries): every
// SPECTRA_* variable must be one spectra reads (or its _FILE form), so a
// misspelt one is an error naming the nearest known name, not a setting
// silently ignored.
func Unknown(environ []string) error {
	known := map[string]bool{}
	for _, v := range Vars {
		known[v.Name] = true
		known[v.Name+"_FILE"] = true
	}
	var errs []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "SPECTRA_") || known[name] || ignoredPrefix(name) {
			continue
		}
		errs = append(errs, fmt.Sprintf("%s: unknown variable (did you mean %s?)", name, nearest(name)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// ignoredPrefix names SPECTRA_* variables that are not the server's own
// but its tools': the Go test harness's (SPECTRA_TEST_…), the browser
// tests' (SPECTRA_E2E_…) and the UI dev server's (SPECTRA_URL).
func ignoredPrefix(name string) bool {
	return strings.HasPrefix(name, "SPECTRA_TEST_") || strings.HasPrefix(name, "SPECTRA_E2E_") || name == "SPECTRA_URL"
}

// nearest is the declared variable closest to name (edit distance).
func nearest(name string) string {
	best, bestD := "", -1
	for _, v := range Vars {
		if d := editDistance(name, v.Name); bestD < 0 || d < bestD {
			best, bestD = v.Name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// TLS reports whether the server serves HTTPS itself.
func (c Config) TLS() bool { return c.TLSCertFile != "" }

// Managed reports whether spectra runs its own PostgreSQL cluster.
func (c Config) Managed() bool { return c.DatabaseURL == "" }

type reader struct {
	getenv func(string) string
	errs   []string
}

func (r *reader) fail(name, msg string) { r.errs = append(r.errs, name+": "+msg) }

func defaultOf(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	panic("config: undeclared variable " + name)
}

func (r *reader) str(name string) string {
	if v, ok := r.lookup(name); ok {
		return v
	}
	return defaultOf(name)
}

func (r *reader) lookup(name string) (string, bool) {
	v := strings.TrimSpace(r.getenv(name))
	return v, v != ""
}

// secret reads NAME, or the contents of the file named by NAME_FILE.
func (r *reader) secret(name string) string {
	v, ok := r.lookup(name)
	f, fok := r.lookup(name + "_FILE")
	switch {
	case ok && fok:
		r.fail(name, "set either "+name+" or "+name+"_FILE, not both")
	case fok:
		b, err := os.ReadFile(f)
		if err != nil {
			r.fail(name+"_FILE", errors.Unwrap(err).Error())
			return ""
		}
		return strings.TrimSpace(string(b))
	case ok:
		return v
	}
	return defaultOf(name)
}

func (r *reader) boolean(name string) bool {
	s := r.str(name)
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not true or false", s))
	}
	return b
}

func (r *reader) integer(name string, min, max int64) int64 {
	s := r.str(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min || n > max {
		r.fail(name, fmt.Sprintf("%q is not an integer between %d and %d", s, min, max))
	}
	return n
}

func (r *reader) duration(name string) time.Duration {
	s := r.str(name)
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r.fail(name, fmt.Sprintf("%q is not a positive duration such as 20s", s))
	}
	return d
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(r.str(name), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			if a, aerr := netip.ParseAddr(f); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			r.fail(name, fmt.Sprintf("%q is not a CIDR such as 10.0.0.0/8", f))
			continue
		}
		out = append(out, p)
	}
	return out
}

// scopes reads a list of OAuth scopes separated by spaces or commas,
// without repeats and with openid first (OpenID Connect requires it).
func (r *reader) scopes(name string) []string {
	out := []string{"openid"}
	for _, f := range strings.FieldsFunc(r.str(name), func(c rune) bool { return c == ',' || unicode.IsSpace(c) }) {
		if !validScope(f) {
			r.fail(name, fmt.Sprintf("%q is not a scope (printable ASCII without quotes or backslashes)", f))
			continue
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// validScope reports whether s is an RFC 6749 §3.3 scope-token.
func validScope(s string) bool {
	for _, c := range s {
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

func (r *reader) groupMap(name string) map[string]GroupRole {
	m := map[string]GroupRole{}
	for _, f := range strings.Split(r.str(name), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		group, target, ok1 := strings.Cut(f, "=")
		org, role, ok2 := strings.Cut(target, ":")
		if !ok1 || !ok2 || group == "" || org == "" || role == "" {
			r.fail(name, fmt.Sprintf("%q is not group=organization:role", f))
			continue
		}
		role = strings.TrimSpace(role)
		if !spectra.Role(role).Valid() {
			r.fail(name, fmt.Sprintf("%q: %q is not a role (admin, pi, engineer, technician, viewer)", f, role))
			continue
		}
		m[strings.TrimSpace(group)] = GroupRole{Org: strings.TrimSpace(org), Role: role}
	}
	return m
}

func (r *reader) oneOf(name string, allowed ...string) string {
	s := strings.ToLower(r.str(name))
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	r.fail(name, fmt.Sprintf("%q is not one of %s", s, strings.Join(allowed, ", ")))
	return allowed[0]
}
