package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/mail"
	"github.com/spectra-lab/spectra/internal/postgres"
)

// cmdWorker works the job queue without serving HTTP: as many worker
// processes as an operator starts (with SPECTRA_JOBS=off on the servers,
// or beside them). It migrates nothing; it works through the run-time role
// as `serve` does.
func cmdWorker(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		return e.withDB(ctx, false, func(url string, owner *postgres.DB) error {
			db, err := e.runtimeDB(ctx, url, owner)
			if err != nil {
				return err
			}
			if db != owner {
				defer db.Close()
				owner.Close()
			}
			c, err := e.startJobs(ctx, db, true)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "spectra worker running")
			<-ctx.Done()
			e.stopJobs(c)
			e.logger.Info("worker stopped")
			return nil
		})
	}
}

// startJobs starts the job queue's client on the run-time pool: one that
// works jobs and schedules the periodic ones when work; else, with SMTP
// configured, one that only queues the e-mails (send_email jobs) for the
// workers; else none. With SMTP, the client has db queue each e-mail in
// the producing transaction (jobs.Options.Mailer).
func (e *env) startJobs(ctx context.Context, db *postgres.DB, work bool) (*jobs.Client, error) {
	var m *mail.Mailer
	if e.cfg.SMTP.Enabled() {
		var err error
		if m, err = mail.New(e.cfg.SMTP, nil); err != nil {
			return nil, err
		}
		e.logger.Info("notification e-mail enabled", "smtp", net.JoinHostPort(e.cfg.SMTP.Host, strconv.Itoa(e.cfg.SMTP.Port)), "tls", e.cfg.SMTP.TLS)
	}
	if !work && m == nil {
		return nil, nil
	}
	c, err := jobs.New(db, e.logger.With("component", "jobs"), jobs.Options{Work: work, PollOnly: e.cfg.JobsPollOnly,
		Webhooks: e.cfg.Webhooks, Mailer: m, PublicURL: e.cfg.PublicURL})
	if err != nil {
		return nil, err
	}
	if !work {
		return c, nil
	}
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	e.logger.Info("working jobs", "poll_only", e.cfg.JobsPollOnly)
	return c, nil
}

// stopJobs lets running jobs finish within the shutdown timeout.
func (e *env) stopJobs(c *jobs.Client) {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.ShutdownTimeout)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		e.logger.Warn("stopping the job queue", "err", err)
	}
}

// grantJobs has the owner grant the run-time login role of db what the
// job queue needs (postgres.GrantJobs).
func (e *env) grantJobs(ctx context.Context, owner, db *postgres.DB) error {
	var role string
	if err := db.Pool().QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil {
		return fmt.Errorf("run-time role: %w", err)
	}
	if err := postgres.GrantJobs(ctx, owner, role); err != nil {
		return err
	}
	return nil
}
