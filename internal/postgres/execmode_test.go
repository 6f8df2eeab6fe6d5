package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// execModes are pgx's execution modes that a deployment may name in its
// URL (default_query_exec_mode=): the default for direct connections and
// the ones that work behind PgBouncer's transaction pooling.
var execModes = []string{"cache_statement", "cache_describe", "exec", "simple_protocol"}

func withExecMode(t *testing.T, raw, mode string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("default_query_exec_mode", mode)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestJSONParametersInEveryExecMode writes the store's JSON values (audit
// events, the demo data's recipe parameters) in each execution mode. The
// modes without a statement description type a []byte as bytea, which a
// jsonb column refuses: JSON must travel as a string.
func TestJSONParametersInEveryExecMode(t *testing.T) {
	ctx := context.Background()
	owner, _ := pgtest.NewSeededDBs(t)
	name := owner.Pool().Config().ConnConfig.Database
	var org, user uuid.UUID
	if err := owner.Pool().QueryRow(ctx, `SELECT m.organization_id, m.user_id FROM memberships m
		JOIN users u ON u.id = m.user_id WHERE u.email = 'engineer@demo.lab'`).Scan(&org, &user); err != nil {
		t.Fatal(err)
	}
	for _, mode := range execModes {
		t.Run(mode, func(t *testing.T) {
			db, err := postgres.Open(ctx, withExecMode(t, pgtest.RuntimeURL(name), mode), postgres.PoolOptions{MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			reason := "wrong password " + mode
			err = db.RecordLoginAttempt(ctx, spectra.Attempt{Username: "engineer@demo.lab", ClientIP: "192.0.2.1",
				Reason: reason, RequestID: "req-" + mode, At: time.Now(), UserID: user, OrgID: org})
			if err != nil {
				t.Fatalf("record a failed login: %v", err)
			}
			var n int
			pgtest.InOrg(t, owner, org, func(tx pgx.Tx) error { // (as an owner that is no superuser sees them)
				return tx.QueryRow(ctx, `SELECT count(*) FROM audit_log
					WHERE action = 'LOGIN_FAILED' AND new_values->>'reason' = $1 AND new_values->>'client_ip' = '192.0.2.1'`,
					reason).Scan(&n)
			})
			if n != 1 {
				t.Fatalf("audit rows with the event's JSON = %d, want 1", n)
			}
		})
	}
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run("seed/"+mode, func(t *testing.T) {
			db, err := postgres.Open(ctx, withExecMode(t, pgtest.NewDatabase(t, false), mode), postgres.PoolOptions{MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			h := auth.NewHasher(pgtest.Argon2, 2)
			if err := postgres.Seed(ctx, db, postgres.DemoOrgs[:1], h.Hash, time.Now()); err != nil {
				t.Fatalf("seed: %v", err)
			}
			var params string
			var org uuid.UUID
			if err := db.Pool().QueryRow(ctx, `SELECT id FROM organizations WHERE slug = $1`, postgres.DemoOrgs[0].Slug).Scan(&org); err != nil {
				t.Fatal(err)
			}
			pgtest.InOrg(t, db, org, func(tx pgx.Tx) error { // (as an owner that is no superuser sees them)
				return tx.QueryRow(ctx, `SELECT parameters::text FROM recipes WHERE name = 'IV Sweep'`).Scan(&params)
			})
			if !strings.HasPrefix(params, "[{") {
				t.Fatalf("recipe parameters = %s, want a JSON array of objects", params)
			}
		})
	}
}
