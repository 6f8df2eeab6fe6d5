package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// lockoutLab is the seeded demo lab's pieces a run needs, and a pool on
// it, as the run-time role, large enough for many concurrent requests.
type lockoutLab struct {
	owner, db  *postgres.DB
	ten        postgres.Tenant
	recipe     uuid.UUID
	sample     uuid.UUID
	instrument uuid.UUID
}

func newLockoutLab(t *testing.T, conns int32, timeouts postgres.Timeouts) lockoutLab {
	t.Helper()
	ctx := context.Background()
	owner, _ := pgtest.NewSeededDBs(t)
	var l lockoutLab
	l.owner = owner
	var name string
	var org, user uuid.UUID
	if err := owner.Pool().QueryRow(ctx, `SELECT current_database(), id FROM organizations WHERE slug = 'demo-lab'`).Scan(&name, &org); err != nil {
		t.Fatal(err)
	}
	// Inside the organization: an owner that is no superuser sees its rows
	// only so (SPECTRA_TEST_OWNER=nonsuper).
	pgtest.InOrg(t, owner, org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT
			(SELECT m.user_id FROM memberships m WHERE m.organization_id = $1 AND m.role = 'engineer' LIMIT 1),
			(SELECT id FROM recipes WHERE organization_id = $1 AND status = 'approved' AND deleted_at IS NULL LIMIT 1),
			(SELECT id FROM samples WHERE organization_id = $1 AND status NOT IN ('consumed', 'disposed') AND deleted_at IS NULL LIMIT 1),
			(SELECT id FROM instruments WHERE organization_id = $1 AND calibration_required AND status = 'active' AND deleted_at IS NULL ORDER BY name LIMIT 1)`,
			org).Scan(&user, &l.recipe, &l.sample, &l.instrument)
	})
	var err error
	l.ten = postgres.Tenant{OrgID: org, UserID: user, Auth: "password", RequestID: "lockout-test"}
	l.db, err = postgres.Open(ctx, pgtest.RuntimeURL(name), postgres.PoolOptions{MaxConns: conns, Timeouts: timeouts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.db.Close)
	return l
}

func (l lockoutLab) newRun() spectra.NewRun {
	return spectra.NewRun{RecipeID: l.recipe, SampleID: l.sample, InstrumentIDs: []uuid.UUID{l.instrument},
		Parameters: map[string]any{"v_start": -1.0, "v_stop": 1.5}, Notes: "lockout stream"}
}

// attempt is one run creation of the stream.
type attempt struct {
	start, end time.Time
	run        uuid.UUID
	err        error
}

// TestRevocationUnderRunStream revokes a certificate while 30 clients
// create runs on its instrument as fast as they can (issue 11.4). Before
// the lockout lock, run creation's FOR SHARE row locks were granted to each
// newcomer past the revocation's queued FOR UPDATE, and the revocation
// took 18 s or never committed. The revocation must commit in bounded
// time, and no run whose creation began after it committed may name the
// revoked certificate.
func TestRevocationUnderRunStream(t *testing.T) {
	const creators = 30
	// Generous lock and statement bounds, so that the test measures the
	// wait itself rather than lock_timeout cutting it short.
	l := newLockoutLab(t, creators+5, postgres.Timeouts{Statement: time.Minute, Lock: time.Minute})
	ctx := context.Background()
	now := time.Now()
	cert, err := l.db.CreateCalibration(ctx, l.ten, spectra.Calibration{InstrumentID: l.instrument,
		CertificateNumber: "STREAM-1", Provider: "test", IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(300 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var created atomic.Int64
	var mu sync.Mutex
	var attempts []attempt
	var wg sync.WaitGroup
	for range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := attempt{start: time.Now()}
				d, err := l.db.CreateRun(ctx, l.ten, l.newRun(), time.Now())
				a.end, a.run, a.err = time.Now(), d.ID, err
				var lo *spectra.LockoutError
				if err != nil && !errors.As(err, &lo) {
					t.Errorf("create run: %v", err)
					return
				}
				if err == nil {
					created.Add(1)
				}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
			}
		}()
	}
	// The stream is flowing before the revocation starts.
	for deadline := time.Now().Add(30 * time.Second); created.Load() < 2*creators; {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d runs created in 30 s", created.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := created.Load()
	revokeStart := time.Now()
	_, revokeErr := l.db.RevokeCalibration(ctx, l.ten, cert.ID, "wrong certificate")
	revoked := time.Now()
	latency := revoked.Sub(revokeStart)
	during := created.Load() - before
	time.Sleep(300 * time.Millisecond) // the stream goes on after the revocation
	close(stop)
	wg.Wait()
	if revokeErr != nil {
		t.Fatalf("revoke after %s, with %d runs created meanwhile: %v", latency, during, revokeErr)
	}

	// Which certificate each run recorded.
	cal := map[uuid.UUID]*uuid.UUID{}
	rows, err := l.owner.Pool().Query(ctx, `SELECT run_id, calibration_id FROM run_instruments WHERE instrument_id = $1`, l.instrument)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var run uuid.UUID
		var c *uuid.UUID
		if err := rows.Scan(&run, &c); err != nil {
			t.Fatal(err)
		}
		cal[run] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var onRevoked, after, afterRefused, afterOnRevoked int
	for _, a := range attempts {
		if a.err == nil && cal[a.run] != nil && *cal[a.run] == cert.ID {
			onRevoked++
		}
		if !a.start.After(revoked) {
			continue
		}
		after++
		switch {
		case a.err != nil:
			afterRefused++
		case cal[a.run] != nil && *cal[a.run] == cert.ID:
			afterOnRevoked++
		}
	}
	t.Logf("revocation committed in %s with %d concurrent run creators (%d runs committed while it waited); "+
		"%d runs in all on the certificate before it; %d creations began after it (%d refused by the lockout, %d on another certificate)",
		latency.Round(time.Millisecond), creators, during, onRevoked, after, afterRefused, after-afterRefused-afterOnRevoked)
	if afterOnRevoked > 0 {
		t.Errorf("%d runs begun after the revocation committed name the revoked certificate", afterOnRevoked)
	}
	if after == 0 {
		t.Errorf("no run creation began after the revocation: the stream did not go on")
	}
	// A liveness bound, not a performance target: the wait is for the
	// creations already holding the lock, milliseconds each.
	if latency > 15*time.Second {
		t.Errorf("revocation took %s under %d run creators", latency, creators)
	}
}
