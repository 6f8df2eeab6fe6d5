package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

var seededTables = []string{
	"organizations", "users", "memberships", "projects", "instruments", "calibrations", "sops", "recipes",
	"recipe_approvals", "samples", "wafers", "devices", "custody_events", "runs", "run_instruments",
	"run_transitions", "run_results", "spc_series", "spc_points", "spc_alerts", "eln_entries", "eln_links",
	"signatures", "audit_log",
}

func rowCounts(t *testing.T, db *postgres.DB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	// Organization by organization, each only its own rows: the owner may
	// be no superuser, subject to row-level security like the application.
	// organizations and users are not forced: counted whole, once.
	for _, table := range []string{"organizations", "users"} {
		var n int
		if err := db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	pgtest.EachOrg(t, db, func(tx pgx.Tx, _ uuid.UUID) error {
		for _, table := range seededTables {
			if table == "organizations" || table == "users" {
				continue
			}
			var n int
			if err := tx.QueryRow(context.Background(),
				"SELECT count(*) FROM "+table+" WHERE organization_id = spectra_current_org()").Scan(&n); err != nil {
				return err
			}
			counts[table] += n
		}
		return nil
	})
	return counts
}

func TestSeedIsIdempotentAndComplete(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	h := auth.NewHasher(auth.DefaultArgon2, 2)
	now := time.Now()

	if err := postgres.Seed(ctx, db, postgres.DemoOrgs, h.Hash, now); err != nil {
		t.Fatal(err)
	}
	first := rowCounts(t, db)
	if err := postgres.Seed(ctx, db, postgres.DemoOrgs, h.Hash, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	second := rowCounts(t, db)
	for table, n := range first {
		if second[table] != n {
			t.Errorf("%s: %d rows after the first seed, %d after the second", table, n, second[table])
		}
	}

	// PRODUCT.md §9, per organization.
	want := map[string]int{
		"organizations": 2, "users": 10, "memberships": 10, "instruments": 10, "calibrations": 10, "sops": 4,
		"recipes": 6, "samples": 20, "runs": 44, "spc_series": 2, // runs: 20 IV sweeps, an XRD pattern and a spectrum each
	}
	for table, n := range want {
		if first[table] != n {
			t.Errorf("%s: %d rows, want %d", table, first[table], n)
		}
	}
	for _, table := range []string{"wafers", "devices", "run_results", "spc_points", "eln_entries"} {
		if first[table] == 0 {
			t.Errorf("%s: no rows", table)
		}
	}

	var q struct{ expired, expiring, draft, approved, retired, withResults int }
	pgtest.EachOrg(t, db, func(tx pgx.Tx, _ uuid.UUID) error {
		var o struct{ expired, expiring, draft, approved, retired, withResults int }
		err := tx.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM calibrations WHERE o = organization_id AND expires_at < now()),
		       (SELECT count(*) FROM calibrations WHERE o = organization_id AND expires_at BETWEEN now() AND now() + interval '30 days'),
		       (SELECT count(*) FROM recipes WHERE o = organization_id AND status = 'draft'),
		       (SELECT count(*) FROM recipes WHERE o = organization_id AND status = 'approved'),
		       (SELECT count(*) FROM recipes WHERE o = organization_id AND status = 'retired'),
		       (SELECT count(DISTINCT run_id) FROM run_results WHERE o = organization_id)
		  FROM spectra_current_org() o`).
			Scan(&o.expired, &o.expiring, &o.draft, &o.approved, &o.retired, &o.withResults)
		q.expired += o.expired
		q.expiring += o.expiring
		q.draft += o.draft
		q.approved += o.approved
		q.retired += o.retired
		q.withResults += o.withResults
		return err
	})
	if q.expired != 2 || q.expiring != 2 || q.draft != 2 || q.approved != 2 || q.retired != 2 {
		t.Errorf("per-org states wrong (two orgs): %+v", q)
	}
	if q.withResults < 30 {
		t.Errorf("only %d runs have results", q.withResults)
	}

	// The demo logins work with the documented passwords.
	var phc string
	if err := db.Pool().QueryRow(ctx, `SELECT password_hash FROM users WHERE email = 'engineer@demo.lab'`).Scan(&phc); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(ctx, "eng123", phc); err != nil || !ok {
		t.Errorf("engineer@demo.lab/eng123 does not verify: %v %v", ok, err)
	}
}
