package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

const apiKeyColumns = `id, name, prefix, role, user_id, created_by, created_at, expires_at, last_used_at, revoked_at`

func scanAPIKey(r pgx.Row) (spectra.APIKey, error) {
	var k spectra.APIKey
	err := r.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &k.UserID, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// CreateAPIKey creates a service account of the tenant's organization with
// k.Role and its key (id k.ID, secret hash hash).
func (db *DB) CreateAPIKey(ctx context.Context, t Tenant, k spectra.APIKey, hash []byte) (spectra.APIKey, error) {
	var out spectra.APIKey
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// The id is made here: RETURNING would need the row to be visible,
		// and a user is visible to the application only once a member.
		user, err := uuid.NewV7()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, is_service, home_organization_id) VALUES ($1, $2, $3, true, $4)`,
			user, k.ID.String()+"@api-key.invalid", "API key: "+k.Name, t.OrgID); err != nil {
			return mapError(err, "API key")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_by) VALUES ($1, $2, $3, $4)`,
			t.OrgID, user, k.Role, t.UserID); err != nil {
			return mapError(err, "API key")
		}
		out, err = scanAPIKey(tx.QueryRow(ctx, `INSERT INTO api_keys (organization_id, id, user_id, name, prefix, secret_hash, role, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+apiKeyColumns,
			t.OrgID, k.ID, user, k.Name, k.Prefix, hash, k.Role, t.UserID, k.ExpiresAt))
		return mapError(err, "API key")
	})
	return out, err
}

// ListAPIKeys lists the organization's keys, newest first, revoked ones included.
func (db *DB) ListAPIKeys(ctx context.Context, t Tenant) ([]spectra.APIKey, error) {
	var out []spectra.APIKey
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE organization_id = $1 ORDER BY id DESC`, t.OrgID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.APIKey, error) { return scanAPIKey(r) })
		return err
	})
	return out, err
}

// RevokeAPIKey revokes key id and deactivates its service account: the
// next request with it fails. CodeNotFound for a missing key (or another
// organization's).
func (db *DB) RevokeAPIKey(ctx context.Context, t Tenant, id uuid.UUID) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var user uuid.UUID
		err := tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = now(), revoked_by = $3
			WHERE organization_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING user_id`, t.OrgID, id, t.UserID).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeNotFound, "API key not found")
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE memberships SET active = false WHERE organization_id = $1 AND user_id = $2`, t.OrgID, user)
		return err
	})
}
