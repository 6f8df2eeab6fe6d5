// Package jobs is the background work of spectra: River's job queue
// (github.com/riverqueue/river) in the product's own PostgreSQL database
// (migration 00018). Every kind of job is registered here, in register and
// periodic; the clients run inside `spectra serve` (SPECTRA_JOBS=serve)
// and in `spectra worker` processes, any number of them: River's leader
// election lets one of them schedule the periodic jobs, each unique per
// period, and a job is locked by the one worker that runs it.
//
// A job that touches tenant data names its organization in its arguments
// (TenantArgs) and does that work in the organization's tenant
// transaction (postgres.DB.InTenant), as a request does; a job without
// an organization (housekeeping, a sweep that fans out per organization)
// is global.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/spectra-lab/spectra/internal/mail"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/webhook"
)

// PruneKeep is how long login attempts and expired refresh tokens are kept.
const PruneKeep = 30 * 24 * time.Hour

// Period is how often the periodic jobs run; each is unique per period, so
// that however many instances schedule it, it runs once in each.
const Period = time.Hour

// PruneArgs is the housekeeping job: postgres.DB.Prune (stale login
// attempts, denied and expired tokens), once per Period.
type PruneArgs struct{}

// Kind is the job's kind in river_job.
func (PruneArgs) Kind() string { return "prune" }

// CalibrationSweepArgs is the periodic sweep that queues one
// CalibrationNoticesArgs job per organization.
type CalibrationSweepArgs struct{}

// Kind is the job's kind in river_job.
func (CalibrationSweepArgs) Kind() string { return "calibration_sweep" }

// CalibrationNoticesArgs records one organization's calibration notices
// (postgres.DB.RecordCalibrationNotices): calibrations entering the
// warning window, and expired.
type CalibrationNoticesArgs struct {
	OrganizationID uuid.UUID `json:"organization_id"`
}

// Kind is the job's kind in river_job.
func (CalibrationNoticesArgs) Kind() string { return "calibration_notices" }

// Organization is the organization whose tenant transaction the job uses.
func (a CalibrationNoticesArgs) Organization() uuid.UUID { return a.OrganizationID }

// TenantArgs are the arguments of a job of one organization. Its
// arguments carry the organization as organization_id (the admin list of
// an organization's jobs reads it there).
type TenantArgs interface {
	river.JobArgs
	Organization() uuid.UUID
}

// GlobalKinds are the kinds of the jobs without an organization: the
// housekeeping an organization's admin sees beside its own jobs (their
// arguments are empty; their errors may name other organizations and are
// not shown).
var GlobalKinds = []string{PruneArgs{}.Kind(), CalibrationSweepArgs{}.Kind()}

// AddTenantWorker registers the kind of T, whose work fn is called with the
// job's organization; a job of T without one is cancelled (retrying would
// not give it one). fn does its tenant work in that organization's tenant
// transaction.
func AddTenantWorker[T TenantArgs](w *river.Workers, fn func(ctx context.Context, org uuid.UUID, args T) error) {
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[T]) error {
		org := j.Args.Organization()
		if org == uuid.Nil {
			return river.JobCancel(fmt.Errorf("job %s has no organization_id", j.Kind))
		}
		return fn(ctx, org, j.Args)
	}))
}

// register is the one place where the kinds of job are registered.
func register(w *river.Workers, db *postgres.DB, logger *slog.Logger, now func() time.Time, o Options) {
	if o.Mailer != nil {
		river.AddWorker(w, &emailWorker{db: db, now: now, mailer: o.Mailer, publicURL: o.PublicURL, retry: o.EmailRetry})
	}
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[PruneArgs]) error {
		res, err := db.Prune(ctx, now(), PruneKeep)
		if err != nil {
			return err
		}
		if res != (postgres.PruneResult{}) {
			logger.Info("pruned stale credentials", "login_attempts", res.LoginAttempts,
				"denied_tokens", res.DeniedTokens, "refresh_tokens", res.RefreshTokens)
		}
		return nil
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[CalibrationSweepArgs]) error {
		orgs, err := db.OrganizationIDs(ctx)
		if err != nil {
			return err
		}
		params := make([]river.InsertManyParams, len(orgs))
		for i, org := range orgs {
			params[i] = river.InsertManyParams{Args: CalibrationNoticesArgs{OrganizationID: org},
				InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: Period}}}
		}
		if len(params) == 0 {
			return nil
		}
		_, err = river.ClientFromContext[pgx.Tx](ctx).InsertMany(ctx, params)
		return err
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[WebhookSweepArgs]) error {
		return sweepWebhooks(ctx, db)
	}))
	river.AddWorker(w, &deliveryWorker{db: db, policy: o.Webhooks, client: o.Webhooks.Client(),
		backoff: cmp.Or(o.WebhookBackoff, DefaultWebhookBackoff), now: now})
	AddTenantWorker(w, func(ctx context.Context, org uuid.UUID, _ CalibrationNoticesArgs) error {
		n, err := db.RecordCalibrationNotices(ctx, org, now())
		if err == nil && n > 0 {
			logger.Info("calibration notices recorded", "organization", org, "notices", n)
		}
		return err
	})
}

// periodic is the one list of the periodic jobs, each unique per Period
// and queued when a leader is elected as well (RunOnStart), as the timer
// it replaces ran at start.
func periodic(o Options) []*river.PeriodicJob {
	every := func(args river.JobArgs, period time.Duration) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(period), func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: period}}
		}, &river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true})
	}
	return []*river.PeriodicJob{every(PruneArgs{}, Period), every(CalibrationSweepArgs{}, Period),
		every(WebhookSweepArgs{}, cmp.Or(o.WebhookSweep, DefaultWebhookSweep))}
}

// Options configure a Client.
type Options struct {
	// Work: the client works jobs and schedules the periodic ones; false:
	// it only inserts.
	Work bool
	// PollOnly: no LISTEN/NOTIFY (which a transaction pooler such as
	// PgBouncer does not carry); new jobs are found by polling every
	// FetchPollInterval.
	PollOnly bool
	// FetchPollInterval: River's default (1 s) when zero.
	FetchPollInterval time.Duration
	// MaxWorkers: the jobs worked at once (default 4).
	MaxWorkers int
	// Now is the jobs' clock (default time.Now).
	Now func() time.Time
	// Extra registers further kinds (tests).
	Extra func(*river.Workers)
	// ID names the client (River's default when empty).
	ID string
	// Mailer, when not nil (SMTP configured), sends the send_email jobs,
	// with links under PublicURL, and New has db queue them
	// (postgres.DB.OnEmail); nil: no e-mail is queued or sent.
	Mailer    *mail.Mailer
	PublicURL string
	// EmailRetry: the wait before an e-mail's next attempt (tests);
	// River's backoff when nil.
	EmailRetry func(attempt int) time.Duration
	// Webhooks are the operator's URL rules, checked again on the
	// address of every delivery.
	Webhooks webhook.Policy
	// WebhookSweep: how often pending webhook deliveries are queued
	// (DefaultWebhookSweep when zero); WebhookBackoff: the wait after a
	// first failed attempt (DefaultWebhookBackoff when zero).
	WebhookSweep, WebhookBackoff time.Duration
}

// Client is River's client over the run-time role's pool.
type Client struct {
	river *river.Client[pgx.Tx]
	work  bool
}

// New builds a client on db's pool. The pool's login role needs the grants
// of spectra_grant_jobs (postgres.GrantJobs).
func New(db *postgres.DB, logger *slog.Logger, o Options) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	cfg := &river.Config{
		Logger:            logger,
		PollOnly:          o.PollOnly,
		FetchPollInterval: o.FetchPollInterval,
		ID:                o.ID,
		// River's reindexer rebuilds its indexes, which only the owner
		// may: the run-time role does not, and PostgreSQL's autovacuum
		// keeps the tables.
		ReindexerIndexNames: []string{},
	}
	if o.Work {
		workers := river.NewWorkers()
		register(workers, db, logger, now, o)
		if o.Extra != nil {
			o.Extra(workers)
		}
		n := o.MaxWorkers
		if n == 0 {
			n = 4
		}
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
		cfg.PeriodicJobs = periodic(o)
	}
	c, err := river.NewClient(riverpgxv5.New(db.Pool()), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if o.Mailer != nil {
		// The import cycle is broken here: postgres knows only the
		// function type (EmailQueue), this package hands it the client.
		db.OnEmail(queueEmail(c))
	}
	return &Client{river: c, work: o.Work}, nil
}

// Start starts working jobs (a client that only inserts has nothing to
// start).
func (c *Client) Start(ctx context.Context) error {
	if !c.work {
		return nil
	}
	return c.river.Start(ctx)
}

// Stop waits for the running jobs to finish, until ctx ends; then cancels
// them (River retries them later).
func (c *Client) Stop(ctx context.Context) error {
	if !c.work {
		return nil
	}
	err := c.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return c.river.StopAndCancel(context.Background())
	}
	return err
}

// Insert queues a job.
func (c *Client) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := c.river.Insert(ctx, args, opts)
	return err
}
