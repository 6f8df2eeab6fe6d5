package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Jobs lists, newest first, the jobs of org (their arguments carry its
// organization_id) and the global jobs of globalKinds, which carry no
// organization. River's tables are global (the run-time login role reads
// them directly, not in a tenant transaction), so this filter is the
// tenant boundary: another organization's job never matches, and a global
// job's error, which may name another organization, is left out.
func (db *DB) Jobs(ctx context.Context, org uuid.UUID, globalKinds []string, limit int) ([]spectra.Job, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT id, kind, state::text, attempt, max_attempts,
		       CASE WHEN global THEN NULL ELSE errors[array_length(errors, 1)]->>'error' END,
		       global, nullif(args->>'organization_id', '')::uuid, created_at, scheduled_at, attempted_at, finalized_at
		  FROM (SELECT *, kind = ANY($2::text[]) AS global FROM river_job
		         WHERE args->>'organization_id' = $1::text OR (kind = ANY($2::text[]) AND NOT args ? 'organization_id')) j
		 ORDER BY id DESC LIMIT $3`, org.String(), globalKinds, limit)
	if err != nil {
		return nil, db.unavailable(ctx, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[spectra.Job])
	return out, db.unavailable(ctx, err)
}

// JobCount is how many jobs of a kind are in a state.
type JobCount struct {
	Kind, State string
	N           int
}

// JobCounts counts the queue's jobs by kind and state, for monitoring
// (no organization: the operator's view).
func (db *DB) JobCounts(ctx context.Context) ([]JobCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT kind, state::text, count(*)::int FROM river_job GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return nil, db.unavailable(ctx, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[JobCount])
	return out, db.unavailable(ctx, err)
}
