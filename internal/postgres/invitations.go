package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Invitations: how a person joins an organization (PRODUCT.md §11). An
// admin invites an e-mail address; nothing about any account is read or
// written until the person accepts, so the admin's answer is the same
// whether or not the address has an account.

const invitationColumns = `id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at`

func scanInvitation(r pgx.Row, now time.Time) (spectra.Invitation, error) {
	var i spectra.Invitation
	err := r.Scan(&i.ID, &i.Email, &i.Role, &i.InvitedBy, &i.CreatedAt, &i.ExpiresAt, &i.AcceptedAt, &i.RevokedAt)
	i.Status = spectra.InvitationStatus(i.AcceptedAt, i.RevokedAt, i.ExpiresAt, now)
	return i, err
}

// Invite stores an invitation (id, secret hash) of email to the tenant's
// organization with role, open until expires; an open invitation of the
// same address is replaced. Inviting someone who is already a member (or
// was removed: restore them instead) is CodeConflict — the organization's
// own members are the admin's to know.
func (db *DB) Invite(ctx context.Context, t Tenant, id uuid.UUID, email string, role spectra.Role, hash []byte, expires time.Time) (spectra.Invitation, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var out spectra.Invitation
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var removed *time.Time
		err := tx.QueryRow(ctx, `SELECT m.deleted_at FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.organization_id = $1 AND u.email = $2`, t.OrgID, email).Scan(&removed)
		switch {
		case err == nil && removed != nil:
			return spectra.Errorf(spectra.CodeConflict, "%s was removed from this organization: restore them instead", email)
		case err == nil:
			return spectra.Errorf(spectra.CodeConflict, "%s is already a member", email)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET revoked_at = now(), revoked_by = $3
			WHERE organization_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
			t.OrgID, email, nilUUID(t.UserID)); err != nil {
			return err
		}
		out, err = scanInvitation(tx.QueryRow(ctx, `INSERT INTO invitations (organization_id, id, email, role, token_hash, invited_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+invitationColumns,
			t.OrgID, id, email, role, hash, nilUUID(t.UserID), expires), time.Now())
		return mapError(err, "invitation")
	})
	return out, err
}

// ListInvitations lists the organization's invitations, newest first.
func (db *DB) ListInvitations(ctx context.Context, t Tenant, p Page) ([]spectra.Invitation, string, error) {
	var items []spectra.Invitation
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+invitationColumns+` FROM invitations
			WHERE organization_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, t.OrgID, p.KeysetBound(), p.Limit+1)
		if err != nil {
			return err
		}
		now := time.Now()
		items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.Invitation, error) { return scanInvitation(r, now) })
		return err
	})
	if err != nil {
		return nil, "", err
	}
	items, cursor := next(items, p.Limit, func(i spectra.Invitation) uuid.UUID { return i.ID })
	return items, cursor, nil
}

// RevokeInvitation withdraws an open invitation; a missing, accepted or
// already withdrawn one is CodeNotFound.
func (db *DB) RevokeInvitation(ctx context.Context, t Tenant, id uuid.UUID) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE invitations SET revoked_at = now(), revoked_by = $3
			WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`, t.OrgID, id, nilUUID(t.UserID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return spectra.Errorf(spectra.CodeNotFound, "invitation not found, or no longer open")
		}
		return nil
	})
}

// InvitationsFor lists the open invitations addressed to email, from every
// organization (a cross-organization read, as spectra_auth): what the
// signed-in person may accept.
func (db *DB) InvitationsFor(ctx context.Context, email string) ([]spectra.PendingInvitation, error) {
	var out []spectra.PendingInvitation
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT i.id, o.slug, o.name, i.role, i.expires_at
			FROM invitations i JOIN organizations o ON o.id = i.organization_id
			WHERE i.email = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
			  AND o.deleted_at IS NULL
			ORDER BY i.id`, strings.ToLower(email))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.PendingInvitation, error) {
			var p spectra.PendingInvitation
			return p, r.Scan(&p.ID, &p.Organization, &p.OrgName, &p.Role, &p.ExpiresAt)
		})
		return err
	})
	return out, err
}

// InvitationByToken returns the open invitation (org, id) if hash is its
// token's; anything else is CodeUnauthenticated, alike.
func (db *DB) InvitationByToken(ctx context.Context, org, id uuid.UUID, hash []byte, requestID string) (spectra.Invitation, error) {
	var out spectra.Invitation
	err := db.InTenant(ctx, Tenant{OrgID: org, Auth: "invitation", RequestID: requestID}, func(tx pgx.Tx) error {
		var stored []byte
		var err error
		out, err = scanInvitationWithHash(tx.QueryRow(ctx, `SELECT `+invitationColumns+`, token_hash FROM invitations
			WHERE organization_id = $1 AND id = $2`, org, id), &stored)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && subtle.ConstantTimeCompare(stored, hash) != 1) {
			return errBadInvitation
		}
		if err != nil {
			return err
		}
		if out.Status != "open" {
			return errBadInvitation
		}
		return nil
	})
	return out, err
}

var errBadInvitation = &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "the invitation is not valid (unknown, used, withdrawn or expired)"}

func scanInvitationWithHash(r pgx.Row, hash *[]byte) (spectra.Invitation, error) {
	var i spectra.Invitation
	err := r.Scan(&i.ID, &i.Email, &i.Role, &i.InvitedBy, &i.CreatedAt, &i.ExpiresAt, &i.AcceptedAt, &i.RevokedAt, hash)
	i.Status = spectra.InvitationStatus(i.AcceptedAt, i.RevokedAt, i.ExpiresAt, time.Now())
	return i, err
}

// AcceptInvitation makes a's account a member of the inviting organization
// with the invitation's role, creating the account first for a.NewAccount
// (as the organization's own: its admins may later reset its password).
// The invitation must be open, addressed to a.Email and, with a.TokenHash,
// carry that token (CodeUnauthenticated otherwise, alike). A membership
// removed earlier comes back with the invited role. It returns the
// membership, for the session that follows.
func (db *DB) AcceptInvitation(ctx context.Context, a spectra.Acceptance) (spectra.Membership, uuid.UUID, error) {
	user := a.UserID
	if a.NewAccount != nil {
		var err error
		if user, err = uuid.NewV7(); err != nil {
			return spectra.Membership{}, uuid.Nil, err
		}
	}
	var m spectra.Membership
	t := Tenant{OrgID: a.OrgID, UserID: user, Auth: "invitation", RequestID: a.RequestID}
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var email string
		var role spectra.Role
		var stored []byte
		var invitedBy *uuid.UUID
		err := tx.QueryRow(ctx, `SELECT email, role, token_hash, invited_by FROM invitations
			WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
			FOR UPDATE`, a.OrgID, a.InvitationID).Scan(&email, &role, &stored, &invitedBy)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && (email != strings.ToLower(a.Email) ||
			(a.TokenHash != nil && subtle.ConstantTimeCompare(stored, a.TokenHash) != 1))) {
			return errBadInvitation
		}
		if err != nil {
			return err
		}
		if a.NewAccount != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, password_hash, home_organization_id)
				VALUES ($1, $2, $3, $4, $5)`, user, email, a.NewAccount.Name, a.NewAccount.PasswordHash, a.OrgID); err != nil {
				return mapError(err, "account")
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE memberships SET deleted_at = NULL, active = true, role = $3,
				revoked_before = `+revokedNow+`
			WHERE organization_id = $1 AND user_id = $2 AND deleted_at IS NOT NULL`, a.OrgID, user, role)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_by) VALUES ($1, $2, $3, $4)`,
				a.OrgID, user, role, invitedBy); err != nil {
				if isUniqueViolation(err) {
					return spectra.Errorf(spectra.CodeConflict, "you are already a member of this organization")
				}
				return mapError(err, "membership")
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET accepted_at = now(), accepted_by = $3 WHERE organization_id = $1 AND id = $2`,
			a.OrgID, a.InvitationID, user); err != nil {
			return err
		}
		var access, refresh int
		err = tx.QueryRow(ctx, `SELECT id, slug, name, calibration_warning_days, access_token_ttl_seconds, refresh_token_ttl_seconds
			FROM organizations WHERE id = $1`, a.OrgID).
			Scan(&m.Org.ID, &m.Org.Slug, &m.Org.Name, &m.Org.CalibrationWarningDays, &access, &refresh)
		m.Org.AccessTokenTTL, m.Org.RefreshTokenTTL = time.Duration(access)*time.Second, time.Duration(refresh)*time.Second
		m.Role, m.Active = role, true
		return err
	})
	return m, user, err
}

// InvitationOrg returns the organization of the open invitation id
// addressed to email (a cross-organization read, as spectra_auth);
// CodeNotFound for any other.
func (db *DB) InvitationOrg(ctx context.Context, id uuid.UUID, email string) (uuid.UUID, error) {
	var org uuid.UUID
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT organization_id FROM invitations
			WHERE id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()`,
			id, strings.ToLower(email)).Scan(&org)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeNotFound, "invitation not found, or no longer open")
		}
		return err
	})
	return org, err
}
