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
	var rows []memberRow
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `SELECT m.id, `+memberColumns+`
			FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.organization_id = $1 AND m.deleted_at IS NULL AND m.id < $2
			  AND ($3 = '' OR u.email ILIKE '%' || $3 || '%' OR u.display_name ILIKE '%' || $3 || '%')
			  AND ($4 = '' OR m.role = $4)
			  AND ($5::boolean IS NULL OR (m.active AND u.active) = $5)
			ORDER BY m.id DESC LIMIT $6`, t.OrgID, p.after(), escapeLike(f.Q), string(f.Role), f.Active, p.Limit+1)
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

// AddMember makes the user with email a member with role. A user already
// known to spectra (a member of another organization) is added as they
// are; otherwise the user is created, with passwordHash (which may be
// empty for users who sign in through the identity provider). An existing
// member is CodeConflict.
func (db *DB) AddMember(ctx context.Context, t Tenant, email, name string, role spectra.Role, passwordHash string) (spectra.Member, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var existing uuid.UUID
	// Whether the email is known anywhere is a cross-organization question.
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&existing)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return spectra.Member{}, err
	}
	var m memberRow
	err = db.InTenant(ctx, t, func(tx pgx.Tx) error {
		user := existing
		if user == uuid.Nil {
			var err error
			if user, err = uuid.NewV7(); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, nullif($4, ''))`,
				user, email, name, passwordHash); err != nil {
				return mapError(err, "user")
			}
		}
		// A member removed earlier comes back by restoring, not re-adding.
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_by) VALUES ($1, $2, $3, $4)`,
			t.OrgID, user, role, t.UserID); err != nil {
			if spectra.ErrorCode(mapError(err, "")) == spectra.CodeConflict {
				return spectra.Errorf(spectra.CodeConflict, "%s is already a member (or was removed: restore them)", email)
			}
			return mapError(err, "membership")
		}
		var err error
		m, err = member(ctx, tx, t.OrgID, user, false)
		return err
	})
	return m.Member, err
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
		if ifVersion > 0 && cur.Version != ifVersion {
			return spectra.Errorf(spectra.CodePrecondition, "the member changed since version %d (now %d)", ifVersion, cur.Version)
		}
		losesAdmin := cur.Role == spectra.RoleAdmin && cur.Active &&
			((u.Role != nil && *u.Role != spectra.RoleAdmin) || (u.Active != nil && !*u.Active))
		if losesAdmin {
			if err := keepAnAdmin(ctx, tx, t.OrgID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET role = coalesce($3, role), active = coalesce($4, active)
			WHERE organization_id = $1 AND id = $2`, t.OrgID, cur.membership, u.Role, u.Active); err != nil {
			return mapError(err, "membership")
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
		_, err = tx.Exec(ctx, `UPDATE memberships SET deleted_at = now() WHERE organization_id = $1 AND id = $2`, t.OrgID, cur.membership)
		return err
	})
}

// lockForAdminChange locks the organization's active admin memberships
// (always in the same order, so concurrent changes queue instead of
// deadlocking) and then the target's.
func lockForAdminChange(ctx context.Context, tx pgx.Tx, org, user uuid.UUID) (memberRow, error) {
	if _, err := tx.Exec(ctx, `SELECT id FROM memberships WHERE organization_id = $1 AND role = 'admin' AND active
		AND deleted_at IS NULL ORDER BY id FOR UPDATE`, org); err != nil {
		return memberRow{}, err
	}
	return member(ctx, tx, org, user, true)
}

// keepAnAdmin fails unless another active admin remains.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, org uuid.UUID) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1 AND m.role = 'admin' AND m.active AND m.deleted_at IS NULL AND u.active`, org).Scan(&n); err != nil {
		return err
	}
	if n <= 1 {
		return spectra.Errorf(spectra.CodeConflict, "the organization's last active admin cannot be demoted, deactivated or removed")
	}
	return nil
}

// SetMemberPassword replaces a member's password and ends their sessions
// in this organization.
func (db *DB) SetMemberPassword(ctx context.Context, t Tenant, user uuid.UUID, passwordHash string) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := member(ctx, tx, t.OrgID, user, false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, user, passwordHash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, user)
		return err
	})
}

// OrgSettings returns the organization's settings.
func (db *DB) OrgSettings(ctx context.Context, t Tenant) (spectra.OrgSettings, error) {
	var s spectra.OrgSettings
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT name, calibration_warning_days, access_token_ttl_seconds, refresh_token_ttl_seconds, version
			FROM organizations WHERE id = $1`, t.OrgID).
			Scan(&s.Name, &s.CalibrationWarningDays, &s.AccessTokenTTLSeconds, &s.RefreshTokenTTLSeconds, &s.Version)
	})
	return s, err
}

// UpdateOrgSettings stores s if the organization is still at s.Version
// (CodeConflict otherwise); out-of-range values are CodeInvalid.
func (db *DB) UpdateOrgSettings(ctx context.Context, t Tenant, s spectra.OrgSettings) (spectra.OrgSettings, error) {
	var out spectra.OrgSettings
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE organizations SET name = $3, calibration_warning_days = $4,
				access_token_ttl_seconds = $5, refresh_token_ttl_seconds = $6
			WHERE id = $1 AND version = $2
			RETURNING name, calibration_warning_days, access_token_ttl_seconds, refresh_token_ttl_seconds, version`,
			t.OrgID, s.Version, s.Name, s.CalibrationWarningDays, s.AccessTokenTTLSeconds, s.RefreshTokenTTLSeconds).
			Scan(&out.Name, &out.CalibrationWarningDays, &out.AccessTokenTTLSeconds, &out.RefreshTokenTTLSeconds, &out.Version)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeConflict, "the settings changed since version %d; reload them", s.Version)
		}
		return mapError(err, "settings")
	})
	return out, err
}
