package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestRecipeVersionRace: two new versions of one lineage that both pass
// the open-draft check (the other's draft is not yet committed) meet at
// the lineage's one-draft unique index; the loser is CodeConflict, and
// the lineage keeps one draft.
func TestRecipeVersionRace(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewSeededDB(t)
	var user, src, lineage uuid.UUID
	org := postgres.SeedID("org", "demo-lab")
	pgtest.InOrg(t, db, org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT r.created_by, r.id, r.lineage_id FROM recipes r
		WHERE r.organization_id = $1 AND r.name = 'IV Sweep'`, org).Scan(&user, &src, &lineage)
	})
	// The rival: a draft of the same lineage, inserted and not committed.
	rival, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rival.Rollback(ctx) }()
	if _, err := rival.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, org.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := rival.Exec(ctx, `INSERT INTO recipes (organization_id, lineage_id, revision, name) VALUES ($1, $2, 9, 'rival')`, org, lineage); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.Recipes().NewVersion(ctx, postgres.Tenant{OrgID: org, UserID: user, Auth: "system"}, src)
		done <- err
	}()
	// Wait until the new version is blocked on the rival's index entry.
	deadline := time.Now().Add(10 * time.Second)
	for waiting := 0; waiting == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the new version never waited for the rival")
		}
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := rival.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Fatalf("the loser: %v", err)
	}
	var drafts int
	pgtest.InOrg(t, db, org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM recipes WHERE lineage_id = $1 AND status = 'draft'`, lineage).Scan(&drafts)
	})
	if drafts != 1 {
		t.Fatalf("drafts in the lineage: %d", drafts)
	}
}
