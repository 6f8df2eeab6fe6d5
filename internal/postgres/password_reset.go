package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Forgotten passwords (PRODUCT.md §11; migration 00022). Requests and
// token lookups run as spectra_auth; the reset itself in the user's home
// tenant transaction, as a password change does.

// ResetRequests counts the reset requests made since since: for email and
// from clientIP.
func (db *DB) ResetRequests(ctx context.Context, email, clientIP string, since time.Time) (spectra.ResetCounts, error) {
	var c spectra.ResetCounts
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM password_resets WHERE email = $1 AND requested_at > $3),
			(SELECT count(*) FROM password_resets WHERE $2::inet IS NOT NULL AND client_ip = $2::inet AND requested_at > $3)`,
			strings.ToLower(email), nullIfEmpty(clientIP), since).Scan(&c.Email, &c.ClientIP)
	})
	return c, err
}

// RecordResetRequest stores r; with a token, it queues r.Mail in the same
// transaction (OnEmail; without one nothing is sent).
func (db *DB) RecordResetRequest(ctx context.Context, r spectra.ResetRequest) error {
	return db.authTx(ctx, func(tx pgx.Tx) error {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO password_resets (email, client_ip, user_id, requested_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			strings.ToLower(r.Email), nullIfEmpty(r.ClientIP), nilUUID(r.UserID), r.At, r.Expires).Scan(&id)
		if err != nil {
			return err
		}
		if r.Mail == nil {
			return nil
		}
		m := *r.Mail
		m.Key, m.ResetID = "password_reset:"+id.String(), id
		return db.queueEmail(ctx, tx, []spectra.EmailMessage{m})
	})
}

// IssueResetToken stores hash as the token of reset request id, replacing
// one an earlier attempt to e-mail it made (that e-mail did not leave);
// false when the request has no account, was used or has expired.
func (db *DB) IssueResetToken(ctx context.Context, id uuid.UUID, hash []byte, now time.Time) (bool, error) {
	var ok bool
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE password_resets SET token_hash = $2 WHERE id = $1 AND user_id IS NOT NULL
			AND used_at IS NULL AND expires_at > $3`, id, hash, now)
		ok = tag.RowsAffected() == 1
		return err
	})
	return ok, err
}

// ResetPassword sets the password of the account whose open reset token
// has this hash (at now, before its expiry), uses the token and ends the
// account's other tokens and all its sessions in every organization, each
// recorded in that organization's audit log. spectra.ErrResetLink otherwise.
func (db *DB) ResetPassword(ctx context.Context, hash []byte, now time.Time, passwordHash, requestID string) error {
	var user, home uuid.UUID
	var orgs []uuid.UUID
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
			hash, now).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.ErrResetLink
		}
		if err != nil {
			return err
		}
		active, err := memberships(ctx, tx, user)
		if err != nil {
			return err
		}
		if len(active) == 0 {
			return spectra.ErrResetLink // no organization to work in: nothing to sign in to
		}
		home = active[0].Org.ID
		orgs, err = userOrganizations(ctx, tx, user)
		return err
	})
	if err != nil {
		return err
	}
	return db.InTenant(ctx, Tenant{OrgID: home, UserID: user, Auth: "password", RequestID: requestID}, func(tx pgx.Tx) error {
		// Used now, once: a concurrent reset with the same token finds it used.
		tag, err := tx.Exec(ctx, `UPDATE password_resets SET used_at = $3 WHERE token_hash = $1 AND user_id = $2
			AND used_at IS NULL AND expires_at > $3`, hash, user, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return spectra.ErrResetLink
		}
		others, err := tx.Exec(ctx, `UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, user, now)
		if err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1 AND active AND deleted_at IS NULL`, user, passwordHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return spectra.ErrResetLink
		}
		if err := auditEvent(ctx, tx, home, "users", user, "PASSWORD_RESET",
			map[string]any{"other_links_ended": others.RowsAffected()}, user, "password", requestID); err != nil {
			return err
		}
		return endSessionsEverywhere(ctx, tx, user, orgs, uuid.Nil, home, "PASSWORD_RESET", "password", requestID)
	})
}
