// Package jobstest holds what the job queue's tests share: a working
// client for a test, and a kind of job that always fails.
package jobstest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// Pooled: the tests' run-time pools go through PgBouncer in transaction
// pooling mode (make test-pgbouncer).
var Pooled = os.Getenv(pgtest.EnvPgBouncer) != ""

// Start runs a working client on db until the test ends, poll-only when
// Pooled (LISTEN/NOTIFY does not pass a transaction pooler).
func Start(t testing.TB, db *postgres.DB, o jobs.Options) *jobs.Client {
	t.Helper()
	o.Work = true
	o.PollOnly = Pooled
	o.FetchPollInterval = 200 * time.Millisecond
	c, err := jobs.New(db, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop the job queue: %v", err)
		}
	})
	return c
}

// FailingArgs is a job of an organization that fails with Message every
// time (kind test_failing, at most 5 attempts).
type FailingArgs struct {
	OrganizationID uuid.UUID `json:"organization_id"`
	Message        string    `json:"message"`
}

// Kind is the job's kind.
func (FailingArgs) Kind() string { return "test_failing" }

// Organization is the job's organization.
func (a FailingArgs) Organization() uuid.UUID { return a.OrganizationID }

// InsertOpts limits the attempts.
func (FailingArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// Failing registers FailingArgs (for jobs.Options.Extra); ran, if set, is
// called with the organization of each attempt.
func Failing(ran func(org uuid.UUID)) func(*river.Workers) {
	return func(w *river.Workers) {
		jobs.AddTenantWorker(w, func(_ context.Context, org uuid.UUID, a FailingArgs) error {
			if ran != nil {
				ran(org)
			}
			return errors.New(a.Message)
		})
	}
}
