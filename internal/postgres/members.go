package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Members: the users of an organization, as its admins manage them. Every
// method runs in the caller's tenant transaction; a user who is not a
// member of the organization is CodeNotFound, whoever else they are.

const memberColumns = `u.id, u.email, u.display_name, m.role, m.active AND u.active, u.is_service, m.created_at, m.deleted_at, m.version`

type memberRow struct {
	spectra.Member
	membership uuid.UUID
}

func scanMember(r pgx.Row) (memberRow, error) {
	var m memberRow
	err := r.Scan(&m.membership, &m.ID, &m.Email, &m.Name, &m.Role, &m.Active, &m.IsService, &m.Since, &m.DeletedAt, &m.Version)
	return m, err
}

// ListMembers lists the organization's members, newest first.
func (db *DB) ListMembers(ctx context.Context, t Tenant, f spectra.MemberFilter, p Page) ([]spectra.Member, string, error) {
	w := filter{sql: `m.organization_id = $1 AND m.deleted_at IS NULL AND m.id < $2`, args: []any{t.OrgID, p.KeysetBound()}}
	if f.Q != "" {
		w.and(`(u.email ILIKE '%' || ? || '%' OR u.display_name ILIKE '%' || ? || '%')`, escapeLike(f.Q))
	}
	if f.Role != "" {
		w.and(`m.role = ?`, string(f.Role))
	}
	if f.Active != nil {
		w.and(`(m.active AND u.active) = ?`, *f.Active)
	}
	q, args := w.query(`m.id, `+memberColumns, "memberships m JOIN users u ON u.id = m.user_id", "m.id DESC", p.Limit+1)
	var rows []memberRow
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (memberRow, error) { return scanMember(r) })
		return err
	})
	if err != nil {
		return nil, "", err
	}
	rows, cursor := next(rows, p.Limit, func(m memberRow) uuid.UUID { return m.membership })
	out := make([]spectra.Member, len(rows))
	for i, r := range rows {
		out[i] = r.Member
	}
	return out, cursor, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Member returns one member.
func (db *DB) Member(ctx context.Context, t Tenant, user uuid.UUID) (spectra.Member, error) {
	var m memberRow
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		m, err = member(ctx, tx, t.OrgID, user, false)
		return err
	})
	return m.Member, err
}

func member(ctx context.Context, tx pgx.Tx, org, user uuid.UUID, lock bool) (memberRow, error) {
	q := `SELECT m.id, ` + memberColumns + ` FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1 AND m.user_id = $2 AND m.deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE OF m`
	}
	m, err := scanMember(tx.QueryRow(ctx, q, org, user))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, spectra.Errorf(spectra.CodeNotFound, "user not found")
	}
	return m, err
}

// UpdateMember changes a member's role or active flag. The organization's
// last active admin cannot be demoted or deactivated (CodeConflict); the
// admins' rows are locked first, so two admins demoting each other at once
// cannot both succeed. ifVersion > 0 must match the membership's version
// (CodePrecondition otherwise).
func (db *DB) UpdateMember(ctx context.Context, t Tenant, user uuid.UUID, u spectra.MemberUpdate, ifVersion int) (spectra.Member, error) {
	var m memberRow
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := lockForAdminChange(ctx, tx, t.OrgID, user)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "member", terse: true}, cur.Version, ifVersion, 0); err != nil {
			return err
		}
		losesAdmin := cur.Role == spectra.RoleAdmin && cur.Active &&
			((u.Role != nil && *u.Role != spectra.RoleAdmin) || (u.Active != nil && !*u.Active))
		if losesAdmin {
			if err := keepAnAdmin(ctx, tx, t.OrgID); err != nil {
				return err
			}
		}
		ended := u.Active != nil && !*u.Active && cur.Active
		demoted := u.Role != nil && !u.Role.AtLeast(cur.Role)
		if _, err := tx.Exec(ctx, `UPDATE memberships SET role = coalesce($3, role), active = coalesce($4, active),
				revoked_before = CASE WHEN $5 THEN `+revokedNow+` ELSE revoked_before END
			WHERE organization_id = $1 AND id = $2`, t.OrgID, cur.membership, u.Role, u.Active, ended || demoted); err != nil {
			return mapError(err, "membership")
		}
		if ended || demoted {
			keep := cur.Role
			if u.Role != nil {
				keep = *u.Role
			}
			if ended {
				keep = ""
			}
			if err := revokeCredentials(ctx, tx, t, user, keep); err != nil {
				return err
			}
		}
		m, err = member(ctx, tx, t.OrgID, user, false)
		return err
	})
	return m.Member, err
}

// RemoveMember soft-deletes a membership (restorable by an admin); the
// last active admin cannot be removed.
func (db *DB) RemoveMember(ctx context.Context, t Tenant, user uuid.UUID) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := lockForAdminChange(ctx, tx, t.OrgID, user)
		if err != nil {
			return err
		}
		if cur.Role == spectra.RoleAdmin && cur.Active {
			if err := keepAnAdmin(ctx, tx, t.OrgID); err != nil {
				return err
			}
		}
		if _, err = tx.Exec(ctx, `UPDATE memberships SET deleted_at = now(), revoked_before = `+revokedNow+`
			WHERE organization_id = $1 AND id = $2`, t.OrgID, cur.membership); err != nil {
			return mapError(err, "membership")
		}
		return revokeCredentials(ctx, tx, t, user, "")
	})
}

// lockForAdminChange locks the organization's active admin memberships
// (always in the same order, so concurrent changes queue instead of
// deadlocking) and then the target's.
func lockForAdminChange(ctx context.Context, tx pgx.Tx, org, user uuid.UUID) (memberRow, error) {
	if err := lockAdmins(ctx, tx, org); err != nil {
		return memberRow{}, err
	}
	return member(ctx, tx, org, user, true)
}

// lockAdmins locks the organization's active admin memberships in id order.
func lockAdmins(ctx context.Context, tx pgx.Tx, org uuid.UUID) error {
	_, err := tx.Exec(ctx, `SELECT id FROM memberships WHERE organization_id = $1 AND role = $2 AND active
		AND deleted_at IS NULL ORDER BY id FOR UPDATE`, org, spectra.RoleAdmin)
	return err
}

// keepAnAdmin fails unless another active human admin remains. Service
// accounts (API keys) never count: an organization must always have a
// person who can govern it. (The keep_human_admin constraint trigger of
// migration 00009 refuses the commit on any other path too.)
func keepAnAdmin(ctx context.Context, tx pgx.Tx, org uuid.UUID) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1 AND m.role = $2 AND m.active AND m.deleted_at IS NULL
		  AND u.active AND u.deleted_at IS NULL AND NOT u.is_service`, org, spectra.RoleAdmin).Scan(&n); err != nil {
		return err
	}
	if n <= 1 {
		return errLastAdmin
	}
	return nil
}

var errLastAdmin = spectra.Errorf(spectra.CodeConflict,
	"the organization's last active human admin cannot be demoted, deactivated or removed (API keys do not count)")

// revokedNow is the revoked_before a revocation stamps on a membership:
// the identity provider's tokens carry iat in whole seconds, so it is
// rounded up to the next one (spectra_authorize compares iat with it).
const revokedNow = `date_trunc('second', now()) + interval '1 second'`

// revokeCredentials ends, for good, what member user was issued before
// now (the caller stamps the membership's revoked_before): every session
// (refresh family, and with it each access token of the session), the
// member's own API keys if a service account, and the API keys they
// created with a role above keep (all of them when keep is "").
// Reactivating or re-promoting later revives none.
func revokeCredentials(ctx context.Context, tx pgx.Tx, t Tenant, user uuid.UUID, keep spectra.Role) error {
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now()
		WHERE organization_id = $1 AND user_id = $2 AND revoked_at IS NULL`, t.OrgID, user); err != nil {
		return err
	}
	var above []string
	for _, r := range keep.Above() {
		above = append(above, string(r))
	}
	rows, err := tx.Query(ctx, `UPDATE api_keys SET revoked_at = now(), revoked_by = $4
		WHERE organization_id = $1 AND revoked_at IS NULL AND (user_id = $2 OR (created_by = $2 AND role = ANY($3)))
		RETURNING user_id`, t.OrgID, user, above, nilUUID(t.UserID))
	if err != nil {
		return err
	}
	accounts, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE memberships SET active = false
		WHERE organization_id = $1 AND user_id = ANY($2) AND user_id <> $3 AND active`, t.OrgID, accounts, user)
	return err
}

// SetMemberPassword replaces the password of member user, whose account
// must belong to this organization alone and have been created here
// (CodeConflict otherwise: the account is the person's, who changes it
// themselves); every session, token and API key issued to or by them
// before it is revoked for good. The users policy of migration 00009
// refuses any other account's update by the application role, whatever
// this code does.
func (db *DB) SetMemberPassword(ctx context.Context, t Tenant, user uuid.UUID, passwordHash string) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		m, err := member(ctx, tx, t.OrgID, user, true)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $3 WHERE id = $1 AND home_organization_id = $2 AND NOT is_service`,
			user, t.OrgID, passwordHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return spectra.Errorf(spectra.CodeConflict,
				"this account is not this organization's alone (it belongs to other organizations too, or was not created here): the person changes their own password")
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET revoked_before = `+revokedNow+`
			WHERE organization_id = $1 AND id = $2`, t.OrgID, m.membership); err != nil {
			return err
		}
		return revokeCredentials(ctx, tx, t, user, "")
	})
}

// OrgSettings returns the organization's settings.
func (db *DB) OrgSettings(ctx context.Context, t Tenant) (spectra.OrgSettings, error) {
	var s spectra.OrgSettings
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT name, calibration_warning_days, access_token_ttl_seconds, refresh_token_ttl_seconds,
				require_independent_approval, version
			FROM organizations WHERE id = $1`, t.OrgID).
			Scan(&s.Name, &s.CalibrationWarningDays, &s.AccessTokenTTLSeconds, &s.RefreshTokenTTLSeconds, &s.RequireIndependentApproval, &s.Version)
	})
	return s, err
}

// UpdateOrgSettings stores s if the organization is still at s.Version
// (CodeConflict otherwise); out-of-range values are CodeInvalid.
// independent nil keeps require_independent_approval as it is (a client
// that does not know the setting never turns it off).
func (db *DB) UpdateOrgSettings(ctx context.Context, t Tenant, s spectra.OrgSettings, independent *bool) (spectra.OrgSettings, error) {
	var out spectra.OrgSettings
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE organizations SET name = $3, calibration_warning_days = $4,
				access_token_ttl_seconds = $5, refresh_token_ttl_seconds = $6,
				require_independent_approval = coalesce($7, require_independent_approval)
			WHERE id = $1 AND version = $2
			RETURNING name, calibration_warning_days, access_token_ttl_seconds, refresh_token_ttl_seconds, require_independent_approval, version`,
			t.OrgID, s.Version, s.Name, s.CalibrationWarningDays, s.AccessTokenTTLSeconds, s.RefreshTokenTTLSeconds, independent).
			Scan(&out.Name, &out.CalibrationWarningDays, &out.AccessTokenTTLSeconds, &out.RefreshTokenTTLSeconds, &out.RequireIndependentApproval, &out.Version)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeConflict, "the settings changed since version %d; reload them", s.Version)
		}
		return mapError(err, "settings")
	})
	return out, err
}
