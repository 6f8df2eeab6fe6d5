package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// PruneResult counts the rows Prune removed.
type PruneResult struct {
	LoginAttempts int64 // older than the retention
	DeniedTokens  int64 // deny-list entries of access tokens that have expired anyway
	RefreshTokens int64 // refresh tokens expired longer than the retention
}

// Prune deletes what no longer serves a purpose, so that the tables every
// login and request reads stay small: login attempts older than keep (the
// lockout looks back an hour at most; keep leaves a trail for
// investigations), deny-list entries whose access token has expired (an
// expired token is refused anyway), and refresh tokens that expired more
// than keep ago (reuse detection needs a family only while it can be
// presented). Each organization's deletions run in its own tenant
// transaction, labelled "system" in the audit log. It needs no owner
// rights: the server's runtime role may delete exactly these rows
// (migration 00009's policies).
func (db *DB) Prune(ctx context.Context, now time.Time, keep time.Duration) (PruneResult, error) {
	var res PruneResult
	cutoff := now.Add(-keep)
	var orgs []uuid.UUID
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE at < $1`, cutoff)
		if err != nil {
			return fmt.Errorf("prune login attempts: %w", err)
		}
		res.LoginAttempts = tag.RowsAffected()
		// Password reset requests count for the rate limit for an hour and
		// their tokens live half as long: a day past expiry they are gone.
		if _, err := tx.Exec(ctx, `DELETE FROM password_resets WHERE expires_at < least($1, now() - interval '1 day')`, now); err != nil {
			return fmt.Errorf("prune password resets: %w", err)
		}
		orgs, err = organizationIDs(ctx, tx)
		return err
	})
	if err != nil {
		return res, err
	}
	for _, org := range orgs {
		err := db.InTenant(ctx, Tenant{OrgID: org, Auth: "system"}, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM token_denylist WHERE organization_id = $1 AND expires_at < $2`, org, now)
			if err != nil {
				return err
			}
			res.DeniedTokens += tag.RowsAffected()
			tag, err = tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE organization_id = $1 AND expires_at < $2`, org, cutoff)
			if err != nil {
				return err
			}
			res.RefreshTokens += tag.RowsAffected()
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("prune organization %s: %w", org, err)
		}
	}
	return res, nil
}

// OrganizationIDs lists every organization, for the jobs that do work in
// each one's tenant transaction.
func (db *DB) OrganizationIDs(ctx context.Context) ([]uuid.UUID, error) {
	var orgs []uuid.UUID
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		var err error
		orgs, err = organizationIDs(ctx, tx)
		return err
	})
	return orgs, err
}

func organizationIDs(ctx context.Context, tx pgx.Tx) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM organizations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}
