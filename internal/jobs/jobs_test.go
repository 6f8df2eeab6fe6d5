package jobs_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/jobs/jobstest"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// count is the number of river_job rows of kind in state ("" any).
func count(t *testing.T, in *postgres.DB, kind, state string) int {
	t.Helper()
	var n int
	if err := in.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = $1 AND ($2 = '' OR state::text = $2)`, kind, state).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func orgID(t *testing.T, in *postgres.DB, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := in.Pool().QueryRow(context.Background(), `SELECT id FROM organizations WHERE slug = $1`, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestPeriodicJobsRunOnceAcrossInstances runs two working clients (two
// instances) on one database as the run-time role: each periodic job runs
// exactly once, the sweep queues one notices job per organization, and a
// third instance started within the period (a restart) queues none again.
func TestPeriodicJobsRunOnceAcrossInstances(t *testing.T) {
	owner, runtime := pgtest.NewSeededDBs(t)
	in := pgtest.Inspector(t, owner)
	second := pgtest.Reopen(t, runtime, jobstest.Pooled)
	jobstest.Start(t, runtime, jobs.Options{ID: "instance-a"})
	jobstest.Start(t, second, jobs.Options{ID: "instance-b"})
	orgs, err := runtime.OrganizationIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) < 2 {
		t.Fatalf("seeded organizations: %d, want at least 2", len(orgs))
	}
	waitFor(t, "the periodic jobs", func() bool {
		return count(t, in, "prune", "completed") == 1 && count(t, in, "calibration_sweep", "completed") == 1 &&
			count(t, in, "calibration_notices", "completed") == len(orgs)
	})
	jobstest.Start(t, pgtest.Reopen(t, runtime, jobstest.Pooled), jobs.Options{ID: "instance-c"})
	time.Sleep(2 * time.Second) // every instance has polled many times over
	for kind, want := range map[string]int{"prune": 1, "calibration_sweep": 1, "calibration_notices": len(orgs)} {
		if n := count(t, in, kind, ""); n != want {
			t.Errorf("%s jobs: %d, want %d", kind, n, want)
		}
		if n := count(t, in, kind, "completed"); n != want {
			t.Errorf("%s jobs completed: %d, want %d", kind, n, want)
		}
	}
	var maxAttempt int
	if err := in.Pool().QueryRow(context.Background(), `SELECT max(attempt) FROM river_job`).Scan(&maxAttempt); err != nil {
		t.Fatal(err)
	}
	if maxAttempt != 1 {
		t.Errorf("a job was attempted %d times, want once", maxAttempt)
	}
}

// TestFailingJobRetriedWithBackoff: a tenant job that fails is retried
// later (River's backoff), its error shows in its organization's list and
// in no other organization's.
func TestFailingJobRetriedWithBackoff(t *testing.T) {
	owner, runtime := pgtest.NewSeededDBs(t)
	in := pgtest.Inspector(t, owner)
	demo, other := orgID(t, in, "demo-lab"), orgID(t, in, "test-org")
	var mu sync.Mutex
	var ran []uuid.UUID
	c := jobstest.Start(t, runtime, jobs.Options{Extra: jobstest.Failing(func(org uuid.UUID) {
		mu.Lock()
		ran = append(ran, org)
		mu.Unlock()
	})})
	if err := c.Insert(context.Background(), jobstest.FailingArgs{OrganizationID: demo, Message: "instrument offline"}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed attempt", func() bool { return count(t, in, "test_failing", "retryable") == 1 })
	var attempt int
	var backoff time.Duration
	if err := in.Pool().QueryRow(context.Background(), `SELECT attempt, extract(epoch FROM scheduled_at - attempted_at)::float8 * interval '1 second'
		FROM river_job WHERE kind = 'test_failing'`).Scan(&attempt, &backoff); err != nil {
		t.Fatal(err)
	}
	// River's backoff: attempt⁴ seconds, with jitter of ±10 %.
	if min := time.Duration(attempt*attempt*attempt*attempt) * time.Second * 9 / 10; attempt < 1 || backoff < min {
		t.Errorf("after failure %d: retry %v after the attempt, want at least %v", attempt, backoff, min)
	}
	mu.Lock()
	if len(ran) != attempt || slices.ContainsFunc(ran, func(o uuid.UUID) bool { return o != demo }) {
		t.Errorf("the job ran %d times for %v, want %d times for demo-lab %s", len(ran), ran, attempt, demo)
	}
	mu.Unlock()

	list, err := runtime.Jobs(context.Background(), demo, jobs.GlobalKinds, 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(j spectra.Job) bool { return j.Kind == "test_failing" })
	if i < 0 {
		t.Fatalf("demo-lab's jobs %+v lack the failing job", list)
	}
	if j := list[i]; j.State != "retryable" || j.Attempt < 1 || j.LastError == nil || !strings.Contains(*j.LastError, "instrument offline") {
		t.Errorf("the failing job as listed: %+v (error %v)", j, j.LastError)
	}
	waitFor(t, "the housekeeping job", func() bool { return count(t, in, "prune", "") == 1 })
	list, err = runtime.Jobs(context.Background(), other, jobs.GlobalKinds, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list {
		if !j.Global && (j.Org == nil || *j.Org != other) {
			t.Errorf("test-org's list shows a job that is not its own: %+v", j)
		}
		if j.LastError != nil {
			t.Errorf("test-org's list shows a global job's error: %+v", j)
		}
	}
	if !slices.ContainsFunc(list, func(j spectra.Job) bool { return j.Kind == "prune" }) {
		t.Errorf("test-org's list lacks the housekeeping job: %+v", list)
	}
}
