package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

func TestPrune(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	now := time.Now()
	org, user := postgres.SeedID("org", "demo-lab"), postgres.SeedID("user", "engineer@demo.lab")
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := pgtest.OwnerExec(ctx, db, org, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO login_attempts (username, succeeded, at) VALUES ('old@x', false, $1), ('new@x', false, $2)`,
		now.Add(-40*24*time.Hour), now.Add(-time.Hour))
	exec(`INSERT INTO token_denylist (organization_id, jti, user_id, expires_at) VALUES
		($1, gen_random_uuid(), $2, $3), ($1, gen_random_uuid(), $2, $4)`, org, user, now.Add(-time.Minute), now.Add(10*time.Minute))
	exec(`INSERT INTO refresh_tokens (organization_id, user_id, family_id, token_hash, issued_at, expires_at) VALUES
		($1, $2, gen_random_uuid(), sha256('old'), $3, $4), ($1, $2, gen_random_uuid(), sha256('recent'), $5, $6)`,
		org, user, now.Add(-80*24*time.Hour), now.Add(-50*24*time.Hour), now.Add(-10*24*time.Hour), now.Add(-2*24*time.Hour))
	count := func(sql string) int {
		var n int
		pgtest.EachOrg(t, db, func(tx pgx.Tx, _ uuid.UUID) error {
			var k int
			err := tx.QueryRow(ctx, sql).Scan(&k)
			n = max(n, k) // the owner sees one organization, or (a superuser) all
			return err
		})
		return n
	}
	attempts, denied, refresh := count(`SELECT count(*) FROM login_attempts`), count(`SELECT count(*) FROM token_denylist`),
		count(`SELECT count(*) FROM refresh_tokens`)

	res, err := db.Prune(ctx, now, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res != (postgres.PruneResult{LoginAttempts: 1, DeniedTokens: 1, RefreshTokens: 1}) {
		t.Errorf("pruned %+v; want one of each", res)
	}
	if n := count(`SELECT count(*) FROM login_attempts WHERE username = 'new@x'`); n != 1 || count(`SELECT count(*) FROM login_attempts`) != attempts-1 {
		t.Errorf("login attempts left wrong")
	}
	if count(`SELECT count(*) FROM token_denylist WHERE expires_at > now()`) != 1 || count(`SELECT count(*) FROM token_denylist`) != denied-1 {
		t.Errorf("deny-list left wrong")
	}
	if count(`SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256('recent')`) != 1 || count(`SELECT count(*) FROM refresh_tokens`) != refresh-1 {
		t.Errorf("refresh tokens left wrong")
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE table_name IN ('token_denylist', 'refresh_tokens') AND action = 'DELETE' AND actor_auth = 'system'`); n != 2 {
		t.Errorf("%d audit entries of the pruning; want 2", n)
	}
	// Again: nothing left to prune.
	if res, err := db.Prune(ctx, now, 30*24*time.Hour); err != nil || res != (postgres.PruneResult{}) {
		t.Errorf("second prune: %+v %v", res, err)
	}
}
