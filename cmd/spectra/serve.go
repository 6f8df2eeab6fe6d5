package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/httpapi"
	"github.com/spectra-lab/spectra/internal/pgcluster"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
	"github.com/spectra-lab/spectra/internal/webui"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func cmdServe(fs *flag.FlagSet) func(context.Context, *env) error {
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations on start (overrides SPECTRA_MIGRATE)")
	return func(ctx context.Context, e *env) error {
		ln, err := e.listen()
		if err != nil {
			return err
		}
		defer ln.Close()
		return e.withDB(ctx, e.cfg.Migrate && !*noMigrate, func(url string, db *postgres.DB) error {
			return e.serve(ctx, ln, url, db, nil)
		})
	}
}

func cmdDemo(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		ln, err := e.listen()
		if err != nil {
			return err
		}
		defer ln.Close()
		return e.withDB(ctx, true, func(url string, db *postgres.DB) error {
			if err := e.seed(ctx, db); err != nil {
				return err
			}
			return e.serve(ctx, ln, url, db, e.printDemoBanner)
		})
	}
}

func cmdSeed(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		return e.withDB(ctx, true, func(_ string, db *postgres.DB) error {
			if err := e.seed(ctx, db); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "demo data loaded")
			e.printLogins()
			return nil
		})
	}
}

func (e *env) seed(ctx context.Context, db *postgres.DB) error {
	start := time.Now()
	h := auth.NewHasher(auth.DefaultArgon2, 2)
	files, err := e.fileStore(ctx)
	if err != nil {
		return err
	}
	if err := postgres.SeedWithFiles(ctx, db, postgres.DemoOrgs, h.Hash, time.Now(), files); err != nil {
		return err
	}
	e.logger.Info("demo data ready", "organizations", len(postgres.DemoOrgs), "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// listen binds the configured address before anything else starts (a taken
// port is reported before the database is touched) and derives the public
// URL from the port actually bound when none is configured.
func (e *env) listen() (*listeners, error) {
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", e.cfg.Addr, err)
	}
	e.cfg = e.cfg.WithBoundAddr(ln.Addr().String())
	l := &listeners{api: ln}
	if e.cfg.TLS() {
		cert, err := tls.LoadX509KeyPair(e.cfg.TLSCertFile, e.cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("SPECTRA_TLS_CERT_FILE/SPECTRA_TLS_KEY_FILE: %w", err)
		}
		l.tls = httpapi.TLSConfig(cert)
	}
	if e.cfg.MetricsAddr != "" {
		if l.metrics, err = net.Listen("tcp", e.cfg.MetricsAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listen on SPECTRA_METRICS_ADDR %s: %w", e.cfg.MetricsAddr, err)
		}
	}
	return l, nil
}

// listeners are the server's bound addresses: the API's, and the metrics'
// if they have one of their own.
type listeners struct {
	api, metrics net.Listener
	tls          *tls.Config // the API's, when it serves HTTPS
}

// Close closes both.
func (l *listeners) Close() {
	l.api.Close()
	if l.metrics != nil {
		l.metrics.Close()
	}
}

// serve runs the HTTP server on ln until ctx ends;
// ready, if set, is called once the listener is open. ownerURL and owner
// are the owner's (migrations and seed are done); requests are served
// through the run-time role's own pool (runtimeDB).
func (e *env) serve(ctx context.Context, lns *listeners, ownerURL string, owner *postgres.DB, ready func(addr string)) error {
	ln := lns.api
	db, err := e.runtimeDB(ctx, ownerURL, owner)
	if err != nil {
		return err
	}
	if db != owner {
		defer db.Close()
		owner.Close() // migrations and seed are done: no owner connection stays open
	}
	svc, err := e.authService(ctx, db)
	if err != nil {
		return err
	}
	files, err := e.fileStore(ctx)
	if err != nil {
		return err
	}
	metrics := httpapi.NewMetrics(db)
	h := httpapi.NewServer(httpapi.Deps{Logger: e.logger, DB: db, MaxBodyBytes: e.cfg.MaxBodyBytes, MaxUploadBytes: e.cfg.MaxUploadBytes, Version: version,
		Store: db, Files: files, Auth: svc, TrustedProxies: e.cfg.TrustedProxies, UI: webui.Handler(), Liveness: e.liveness(e.cluster), Readiness: e.readiness(e.cluster),
		Metrics: metrics, MetricsToken: e.cfg.MetricsToken, HSTS: lns.tls != nil, Webhooks: e.cfg.Webhooks})
	addr := ln.Addr().String()
	if svc.OIDC() != nil {
		e.logger.Info("single sign-on enabled", "issuer", e.cfg.OIDC.Issuer, "password_login", e.cfg.PasswordLogin)
	}
	e.logger.Info("listening", "addr", addr, "version", version)
	scheme := "http"
	if lns.tls != nil {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "spectra listening on %s://%s\n", scheme, addr)
	if ready != nil {
		ready(addr)
	}
	srv := httpapi.NewHTTPServer(e.cfg.Addr, h, e.logger)
	srv.TLSConfig = lns.tls
	// A managed PostgreSQL that could not be restarted ends the server, and
	// spectra exits non-zero so that its own supervisor starts it afresh.
	var failed <-chan struct{}
	if e.cluster != nil {
		failed = e.cluster.Failed()
	}
	ctx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	go func() {
		select {
		case <-failed:
			stopServing()
		case <-ctx.Done():
		}
	}()
	metricsDone := make(chan struct{})
	if lns.metrics != nil {
		ms := httpapi.NewHTTPServer(e.cfg.MetricsAddr, metricsMux(metrics), e.logger)
		fmt.Fprintf(e.stdout, "spectra metrics on http://%s/metrics\n", lns.metrics.Addr())
		go func() { defer close(metricsDone); _ = httpapi.Serve(ctx, ms, lns.metrics, e.cfg.ShutdownTimeout) }()
	} else {
		close(metricsDone)
	}
	defer func() { stopServing(); <-metricsDone }()
	work, err := e.startJobs(ctx, db, e.cfg.Jobs == "serve")
	if err != nil {
		return err
	}
	err = httpapi.Serve(ctx, srv, ln, e.cfg.ShutdownTimeout)
	e.stopJobs(work)
	e.logger.Info("server stopped")
	select {
	case <-failed:
		return fmt.Errorf("the managed PostgreSQL died and could not be restarted: %w", e.cluster.Health().Err)
	default:
	}
	return err
}

// liveness is /healthz's view of the managed cluster: while its PostgreSQL
// is down, the process cannot serve anything, and says so (503). With an
// external database (c nil) it reports only that the process is alive: a
// restart of spectra would not mend that database.
func (e *env) liveness(c *pgcluster.Cluster) func() error {
	if c == nil {
		return nil
	}
	return func() error {
		h := c.Health()
		if h.State == pgcluster.StateUp {
			return nil
		}
		msg := fmt.Sprintf("the managed PostgreSQL is %s", h.State)
		if h.State == pgcluster.StateRestarting {
			msg += fmt.Sprintf(" (attempt %d)", h.Restarts)
		}
		return &spectra.Error{Code: spectra.CodeUnavailable, Message: msg, RetryAfter: 2 * time.Second, Err: h.Err}
	}
}

// managedMinFree is the free space on the managed cluster's disk below
// which the instance reports itself not ready: room for a few WAL
// segments and a checkpoint, so that PostgreSQL refuses no write yet.
const managedMinFree = 64 << 20

// readiness is /readyz's view of the managed cluster's disk: with less
// than managedMinFree left, writes are about to fail (or already do), so
// the instance asks to be taken out of rotation. It does not touch
// /healthz: a restart would not free any space. With an external
// database (c nil), the database's own refusals tell (postgres.DB.Ready).
func (e *env) readiness(c *pgcluster.Cluster) func() error {
	if c == nil {
		return nil
	}
	return func() error {
		free, err := c.FreeBytes()
		if err != nil {
			return &spectra.Error{Code: spectra.CodeUnavailable, Message: "the managed PostgreSQL's disk cannot be read", Err: err}
		}
		if free < managedMinFree {
			return &spectra.Error{Code: spectra.CodeUnavailable, RetryAfter: 30 * time.Second,
				Message: fmt.Sprintf("the managed PostgreSQL's disk is full: %d MiB free, %d MiB needed", free>>20, managedMinFree>>20)}
		}
		return nil
	}
}

// runtimeDB opens the pool requests are served through: as the configured
// run-time role (SPECTRA_APP_DATABASE_URL), or on the managed cluster as
// postgres.RuntimeRole, which it creates. Either must pass
// CheckRuntimeRole. With an external database and no run-time role
// configured, it warns and serves through the owner's pool.
func (e *env) runtimeDB(ctx context.Context, ownerURL string, owner *postgres.DB) (*postgres.DB, error) {
	url := e.cfg.AppDatabaseURL
	if url == "" && e.cfg.Managed() {
		if err := postgres.EnsureRuntimeRole(ctx, owner, postgres.RuntimeRole, ""); err != nil {
			return nil, err
		}
		var err error
		if url, err = withUser(ownerURL, postgres.RuntimeRole); err != nil {
			return nil, err
		}
	}
	if url == "" {
		e.logger.Warn("serving as the database owner: set SPECTRA_APP_DATABASE_URL to a login role that cannot leave row-level security (docs/operations.md, \"Database roles\")")
		return owner, nil
	}
	db, err := postgres.Open(ctx, url, e.poolOptions())
	if err != nil {
		return nil, fmt.Errorf("run-time database role: %w", err)
	}
	if err := db.CheckRuntimeRole(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w\nUse a login role that is neither superuser nor owner (docs/operations.md, \"Database roles\")", err)
	}
	// The job queue's tables (migration 00018) are worked by the login
	// role itself: the owner grants them (idempotent).
	if err := e.grantJobs(ctx, owner, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// metricsMux serves the metrics alone: /metrics, nothing else.
func metricsMux(m *httpapi.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// withUser is a PostgreSQL URL with another user (and no password).
func withUser(raw, user string) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("invalid database URL")
	}
	u.User = neturl.User(user)
	return u.String(), nil
}

func (e *env) printDemoBanner(addr string) {
	fmt.Fprintf(e.stdout, "\nSPECTRA-Lab demo is running: %s  (API docs: %s/docs)\n\n", e.cfg.PublicURL, e.cfg.PublicURL)
	e.printLogins()
	fmt.Fprintln(e.stdout, "\nPress Ctrl-C to stop (the database stops with the server).")
}

func (e *env) printLogins() {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ORGANIZATION\tLOGIN\tPASSWORD\tROLE")
	for _, o := range postgres.DemoOrgs {
		for _, u := range o.Users {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.Slug, u.Email, u.Password, u.Role)
		}
	}
	_ = w.Flush()
}

// authService assembles authentication from the configuration: the token
// secret (configured, or kept in the data directory), the password hasher
// and, when an issuer is configured, the identity provider.
func (e *env) authService(ctx context.Context, db *postgres.DB) (*auth.Service, error) {
	secret := e.cfg.JWTSecret
	if len(secret) == 0 {
		if err := os.MkdirAll(e.cfg.DataDir, 0o700); err != nil {
			return nil, err
		}
		var err error
		if secret, err = auth.LoadOrCreateSecret(filepath.Join(e.cfg.DataDir, "jwt-secret")); err != nil {
			return nil, err
		}
	}
	tokens, err := auth.NewTokens(secret, e.cfg.PublicURL, nil)
	if err != nil {
		return nil, err
	}
	var idp *auth.OIDC
	if o := e.cfg.OIDC; o.Issuer != "" {
		groups := map[string]auth.OrgRole{}
		for g, gr := range o.GroupMap {
			r, err := spectra.ParseRole(gr.Role)
			if err != nil {
				return nil, fmt.Errorf("SPECTRA_OIDC_GROUP_MAP: group %s: %w", g, err)
			}
			groups[g] = auth.OrgRole{Org: gr.Org, Role: r}
		}
		idp, err = auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: o.Issuer, Audience: o.Audience, ClientID: o.ClientID,
			ClientSecret: o.ClientSecret, RedirectURL: e.cfg.PublicURL + "/auth/oidc/callback", Scopes: o.Scopes,
			OrgClaim: o.OrgClaim, RoleClaim: o.RoleClaim, GroupsClaim: o.GroupsClaim, GroupMap: groups})
		if err != nil {
			return nil, fmt.Errorf("identity provider %s: %w", o.Issuer, err)
		}
	}
	return auth.NewService(ctx, auth.Options{Store: db, Hasher: auth.NewHasher(auth.DefaultArgon2, max(2, runtime.NumCPU())),
		Tokens: tokens, OIDC: idp, PasswordLogin: e.cfg.PasswordLogin, Logger: e.logger})
}
