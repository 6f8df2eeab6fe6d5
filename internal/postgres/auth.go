package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The credential store: what authentication reads and writes. Steps that
// precede any tenant (finding an account, counting failed logins) run as
// spectra_auth; everything that belongs to an organization runs in that
// organization's tenant transaction.

var errBadCredentials = &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials"}

// authTx runs fn as spectra_auth: it may read users, organizations and
// memberships across organizations, and record login attempts.
func (db *DB) authTx(ctx context.Context, fn func(pgx.Tx) error) error {
	begin := "BEGIN; SET LOCAL ROLE " + AuthRole + "; " + db.timeouts.setLocal()
	return db.unavailable(ctx, pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{BeginQuery: begin}, fn))
}

// FindAccount returns the user with this email and their active
// memberships, oldest first (the first is the default organization).
func (db *DB) FindAccount(ctx context.Context, email string) (spectra.Account, error) {
	return db.account(ctx, `email = $1`, strings.ToLower(email))
}

// AccountByID is FindAccount by user id.
func (db *DB) AccountByID(ctx context.Context, id uuid.UUID) (spectra.Account, error) {
	return db.account(ctx, `id = $1`, id)
}

func (db *DB) account(ctx context.Context, where string, arg any) (spectra.Account, error) {
	var a spectra.Account
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		var hash *string
		err := tx.QueryRow(ctx, `SELECT id, email, display_name, is_service, active AND deleted_at IS NULL, password_hash
			FROM users WHERE `+where, arg).
			Scan(&a.User.ID, &a.User.Email, &a.User.Name, &a.User.IsService, &a.User.Active, &hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeNotFound, "no such account")
		}
		if err != nil {
			return err
		}
		if hash != nil {
			a.PasswordHash = *hash
		}
		a.Memberships, err = memberships(ctx, tx, a.User.ID)
		return err
	})
	return a, err
}

// membershipsSQL lists user $1's active memberships, oldest first: a
// cross-organization read, as spectra_auth.
const membershipsSQL = `
		SELECT o.id, o.slug, o.name, o.calibration_warning_days, o.access_token_ttl_seconds, o.refresh_token_ttl_seconds, m.role
		  FROM memberships m JOIN organizations o ON o.id = m.organization_id
		 WHERE m.user_id = $1 AND m.active AND m.deleted_at IS NULL AND o.deleted_at IS NULL
		 ORDER BY m.created_at, o.slug`

func memberships(ctx context.Context, tx pgx.Tx, user uuid.UUID) ([]spectra.Membership, error) {
	rows, err := tx.Query(ctx, membershipsSQL, user)
	if err != nil {
		return nil, err
	}
	return collectMemberships(rows)
}

func collectMemberships(rows pgx.Rows) ([]spectra.Membership, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.Membership, error) {
		var m spectra.Membership
		var access, refresh int
		err := r.Scan(&m.Org.ID, &m.Org.Slug, &m.Org.Name, &m.Org.CalibrationWarningDays, &access, &refresh, &m.Role)
		m.Org.AccessTokenTTL, m.Org.RefreshTokenTTL = time.Duration(access)*time.Second, time.Duration(refresh)*time.Second
		m.Active = true
		return m, err
	})
}

// LoginFailures counts failed logins: of username since its last success
// (and after since), and from clientIP after since.
func (db *DB) LoginFailures(ctx context.Context, username, clientIP string, since time.Time) (spectra.Failures, error) {
	var f spectra.Failures
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		var last *time.Time
		err := tx.QueryRow(ctx, `
			SELECT count(*), max(at) FROM login_attempts
			 WHERE username = $1 AND NOT succeeded
			   AND at > greatest($2, coalesce((SELECT max(at) FROM login_attempts WHERE username = $1 AND succeeded), '-infinity'))`,
			strings.ToLower(username), since).Scan(&f.Account, &last)
		if err != nil {
			return err
		}
		if last != nil {
			f.LastAccountFailure = *last
		}
		if clientIP == "" {
			return nil
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM login_attempts WHERE client_ip = $1 AND NOT succeeded AND at > $2`,
			clientIP, since).Scan(&f.ClientIP)
	})
	return f, err
}

// RecordLoginAttempt stores one attempt; a failure of a known user is also
// written to the audit log of their organization.
func (db *DB) RecordLoginAttempt(ctx context.Context, a spectra.Attempt) error {
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO login_attempts (username, client_ip, succeeded, reason, at) VALUES ($1, $2, $3, $4, $5)`,
			strings.ToLower(a.Username), nullIfEmpty(a.ClientIP), a.Succeeded, a.Reason, a.At)
		return err
	})
	if err != nil || a.Succeeded || a.OrgID == uuid.Nil {
		return err
	}
	return db.InTenant(ctx, Tenant{OrgID: a.OrgID, Auth: "password", RequestID: a.RequestID}, func(tx pgx.Tx) error {
		return auditEvent(ctx, tx, a.OrgID, "auth", a.UserID, "LOGIN_FAILED", map[string]any{
			"reason": a.Reason, "client_ip": a.ClientIP}, a.UserID, "password", a.RequestID)
	})
}

// CreateSession stores a new session's first refresh token, replaces the
// password hash when rehash is set, and records the login.
func (db *DB) CreateSession(ctx context.Context, s spectra.NewSession, rehash string) error {
	t := Tenant{OrgID: s.OrgID, UserID: s.UserID, Auth: string(s.Auth), RequestID: s.RequestID}
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if rehash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, s.UserID, rehash); err != nil {
				return err
			}
		}
		if err := insertRefresh(ctx, tx, s); err != nil {
			return err
		}
		return auditEvent(ctx, tx, s.OrgID, "auth", s.UserID, "LOGIN", map[string]any{
			"session": s.Family, "client_ip": s.ClientIP, "user_agent": s.UserAgent, "method": s.Auth}, s.UserID, string(s.Auth), s.RequestID)
	})
}

func insertRefresh(ctx context.Context, tx pgx.Tx, s spectra.NewSession) error {
	_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (organization_id, id, user_id, family_id, token_hash, expires_at, auth_method, user_agent, client_ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.OrgID, s.TokenID, s.UserID, s.Family, s.TokenHash, s.Expires, s.Auth, s.UserAgent, nullIfEmpty(s.ClientIP))
	return err
}

// Rotate spends refresh token (org, id) and stores next in its family. A
// token already spent is a theft signal: the whole family is revoked (and
// stays revoked) and the call fails like any bad token. The exception is
// spectra.RefreshGrace: a token spent moments ago whose successor is still
// unspent rotates again.
func (db *DB) Rotate(ctx context.Context, org, id uuid.UUID, hash []byte, next spectra.NewSession) (spectra.Rotated, error) {
	var out spectra.Rotated
	reused := false
	at := next.At
	if at.IsZero() {
		at = time.Now()
	}
	t := Tenant{OrgID: org, Auth: "refresh", RequestID: next.RequestID}
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var stored []byte
		var user, family uuid.UUID
		var expires time.Time
		var used, revoked *time.Time
		var method spectra.AuthMethod
		err := tx.QueryRow(ctx, `SELECT token_hash, user_id, family_id, expires_at, used_at, revoked_at, auth_method
			FROM refresh_tokens WHERE id = $1 FOR UPDATE`, id).
			Scan(&stored, &user, &family, &expires, &used, &revoked, &method)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && subtle.ConstantTimeCompare(stored, hash) != 1) {
			return errBadCredentials
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('app.user_id', $1, true)`, user.String()); err != nil {
			return err
		}
		if revoked != nil || !expires.After(at) {
			return errBadCredentials
		}
		if used != nil {
			graced, err := undelivered(ctx, tx, family, *used, at)
			if err != nil {
				return err
			}
			if !graced {
				reused = true
				if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, family); err != nil {
					return err
				}
				return auditEvent(ctx, tx, org, "auth", user, "REFRESH_REUSED", map[string]any{"session": family, "client_ip": next.ClientIP}, user, "refresh", next.RequestID)
			}
		}
		var role spectra.Role
		err = tx.QueryRow(ctx, `SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.user_id = $1 AND m.active AND m.deleted_at IS NULL AND u.active AND u.deleted_at IS NULL`, user).Scan(&role)
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadCredentials
		}
		if err != nil {
			return err
		}
		if used == nil {
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE id = $1`, id, at); err != nil {
				return err
			}
		}
		next.OrgID, next.UserID, next.Family, next.Auth = org, user, family, method
		if err := insertRefresh(ctx, tx, next); err != nil {
			return err
		}
		out = spectra.Rotated{UserID: user, Role: role, Family: family, Auth: method}
		return nil
	})
	if err != nil {
		return spectra.Rotated{}, err
	}
	if reused {
		return spectra.Rotated{}, &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials",
			Err: fmt.Errorf("refresh token reused: session %s revoked", id)}
	}
	return out, nil
}

// undelivered reports whether a token of family spent at used may rotate
// again at at: within spectra.RefreshGrace, and only while no token of the
// family was spent after it (its successor never reached the client; once
// the successor is used, a replay of its predecessor is theft). The
// undelivered successor stays valid but is held by no one.
func undelivered(ctx context.Context, tx pgx.Tx, family uuid.UUID, used, at time.Time) (bool, error) {
	if at.Sub(used) > spectra.RefreshGrace {
		return false, nil
	}
	var later bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM refresh_tokens WHERE family_id = $1 AND used_at > $2)`, family, used).Scan(&later)
	return err == nil && !later, err
}

// EndSession revokes the principal's session (its refresh family) and
// denies its access token until it expires.
func (db *DB) EndSession(ctx context.Context, p spectra.Principal, requestID string) error {
	return db.InTenant(ctx, spectra.TenantOf(p, requestID), func(tx pgx.Tx) error {
		if p.Session != uuid.Nil {
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, p.Session); err != nil {
				return err
			}
		}
		if p.TokenID != uuid.Nil {
			if _, err := tx.Exec(ctx, `INSERT INTO token_denylist (organization_id, jti, user_id, expires_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, p.OrgID, p.TokenID, p.UserID, p.Expires); err != nil {
				return err
			}
		}
		// Denials outlive their tokens only by the verifier's leeway.
		if _, err := tx.Exec(ctx, `DELETE FROM token_denylist WHERE expires_at < now() - interval '2 minutes'`); err != nil {
			return err
		}
		return auditEvent(ctx, tx, p.OrgID, "auth", p.UserID, "LOGOUT", map[string]any{"session": p.Session, "token": p.TokenID},
			p.UserID, string(p.Auth), requestID)
	})
}

// APIKey checks key (org, id, secret hash) and returns its record; a
// revoked, expired or unknown key is CodeUnauthenticated. last_used_at is
// kept, written at most once a minute.
func (db *DB) APIKey(ctx context.Context, org, id uuid.UUID, hash []byte, requestID string) (spectra.KeyRecord, error) {
	var k spectra.KeyRecord
	err := db.InTenant(ctx, Tenant{OrgID: org, Auth: "api_key", RequestID: requestID}, func(tx pgx.Tx) error {
		var stored []byte
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT secret_hash, user_id, role, expires_at, revoked_at FROM api_keys WHERE id = $1`, id).
			Scan(&stored, &k.UserID, &k.Role, &k.Expires, &revoked)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && subtle.ConstantTimeCompare(stored, hash) != 1) {
			return errBadCredentials
		}
		if err != nil {
			return err
		}
		if revoked != nil || !k.Expires.After(time.Now()) {
			return errBadCredentials
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET last_used_at = now()
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, id)
		return err
	})
	return k, err
}

// Profile returns the principal's user, organization and memberships in
// the request's tenant transaction (so a revoked principal gets an error),
// in one round trip after its first: the profile, then, as spectra_auth
// (a cross-organization read), the organizations the user may switch to,
// sent as one pipeline.
func (db *DB) Profile(ctx context.Context, p spectra.Principal, requestID string) (spectra.Profile, error) {
	var pr spectra.Profile
	err := db.read(ctx, spectra.TenantOf(p, requestID), func(b *pgx.Batch) {
		b.Queue(`SELECT u.id, u.email, u.display_name, u.is_service, u.active,
				o.id, o.slug, o.name, o.calibration_warning_days, o.access_token_ttl_seconds, o.refresh_token_ttl_seconds
			FROM users u, organizations o WHERE u.id = $1 AND o.id = $2`, p.UserID, p.OrgID).QueryRow(func(r pgx.Row) error {
			var access, refresh int
			err := r.Scan(&pr.User.ID, &pr.User.Email, &pr.User.Name, &pr.User.IsService, &pr.User.Active,
				&pr.Org.ID, &pr.Org.Slug, &pr.Org.Name, &pr.Org.CalibrationWarningDays, &access, &refresh)
			pr.Org.AccessTokenTTL, pr.Org.RefreshTokenTTL = time.Duration(access)*time.Second, time.Duration(refresh)*time.Second
			return err
		})
		b.Queue(`SELECT set_config('role', '` + AuthRole + `', true)`)
		b.Queue(membershipsSQL, p.UserID).Query(func(rows pgx.Rows) error {
			var err error
			pr.Memberships, err = collectMemberships(rows)
			return err
		})
	})
	return pr, err
}

// auditEvent writes an application event (login, logout…) to the audit log.
func auditEvent(ctx context.Context, tx pgx.Tx, org uuid.UUID, table string, row uuid.UUID, action string,
	values map[string]any, actor uuid.UUID, how, requestID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (organization_id, table_name, row_id, action, new_values, actor_id, actor_auth, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, org, table, nilUUID(row), action, jsonb(values), nilUUID(actor), how, nullIfEmpty(requestID))
	return err
}

// nilUUID is id as a nullable column value: NULL for uuid.Nil.
func nilUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Organization returns organization id with its settings.
func (db *DB) Organization(ctx context.Context, id uuid.UUID) (spectra.Organization, error) {
	var o spectra.Organization
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		var access, refresh int
		err := tx.QueryRow(ctx, `SELECT id, slug, name, calibration_warning_days, access_token_ttl_seconds, refresh_token_ttl_seconds
			FROM organizations WHERE id = $1 AND deleted_at IS NULL`, id).
			Scan(&o.ID, &o.Slug, &o.Name, &o.CalibrationWarningDays, &access, &refresh)
		if errors.Is(err, pgx.ErrNoRows) {
			return spectra.Errorf(spectra.CodeNotFound, "organization not found")
		}
		o.AccessTokenTTL, o.RefreshTokenTTL = time.Duration(access)*time.Second, time.Duration(refresh)*time.Second
		return err
	})
	return o, err
}

// ProvisionExternal finds the user of an identity provider's subject, or
// creates them on first sight, and makes their membership of u.Org carry
// the role the provider states. An email already used by another account
// is not linked (that would let the provider take it over): the login fails.
// A membership an admin deactivated stays deactivated.
func (db *DB) ProvisionExternal(ctx context.Context, u spectra.ExternalUser, requestID string) (user, org uuid.UUID, role spectra.Role, err error) {
	if !u.Role.Valid() {
		return uuid.Nil, uuid.Nil, "", &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials",
			Err: fmt.Errorf("identity provider token names no valid role (%q)", u.Role)}
	}
	err = db.authTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM organizations WHERE slug = $1 AND deleted_at IS NULL`, u.Org).Scan(&org)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, uuid.Nil, "", &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials",
			Err: fmt.Errorf("identity provider token names unknown organization %q", u.Org)}
	}
	if err != nil {
		return uuid.Nil, uuid.Nil, "", err
	}
	email := strings.ToLower(u.Email)
	if !strings.Contains(email, "@") {
		email = strings.ToLower(u.Subject) + "@oidc.invalid"
	}
	name := u.Name
	if name == "" {
		name = email
	}
	// Who the subject is, and whether its email is taken, are questions
	// across organizations: spectra_auth's.
	taken := false
	err = db.authTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, u.Issuer, u.Subject).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			user = uuid.Nil
			return tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM users WHERE email = $1)`, email).Scan(&taken)
		}
		return err
	})
	if err != nil {
		return uuid.Nil, uuid.Nil, "", err
	}
	if taken {
		return uuid.Nil, uuid.Nil, "", &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials",
			Err: fmt.Errorf("identity provider user %s has email %s, which belongs to another account", u.Subject, email)}
	}
	create := user == uuid.Nil
	if create {
		if user, err = uuid.NewV7(); err != nil {
			return uuid.Nil, uuid.Nil, "", err
		}
	}
	t := Tenant{OrgID: org, UserID: user, Auth: "oidc", RequestID: requestID}
	err = db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if create {
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, oidc_issuer, oidc_subject, home_organization_id)
				VALUES ($1, $2, $3, $4, $5, $6)`, user, email, name, u.Issuer, u.Subject, org); err != nil {
				if isUniqueViolation(err) {
					return &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials",
						Err: fmt.Errorf("identity provider user %s: email %s or subject taken meanwhile", u.Subject, email)}
				}
				return err
			}
		}
		cur, err := member(ctx, tx, org, user, true)
		switch {
		case spectra.ErrorCode(err) == spectra.CodeNotFound:
			_, err = tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
				ON CONFLICT (organization_id, user_id) DO NOTHING`, org, user, u.Role)
			return err
		case err != nil:
			return err
		case cur.Role == u.Role:
			return nil
		}
		// The provider changed the role: a demotion revokes what was
		// issued before, as an admin's would; the last human admin stays.
		if cur.Role == spectra.RoleAdmin && cur.Active {
			if err := lockAdmins(ctx, tx, org); err != nil {
				return err
			}
			if err := keepAnAdmin(ctx, tx, org); err != nil {
				return &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid credentials",
					Err: fmt.Errorf("identity provider demotes %s, the organization's last human admin: %w", u.Subject, err)}
			}
		}
		// The token that brings a demotion is the first of the new role:
		// what the provider issued before it is dead (the same second is
		// the limit of iat's precision; tokens of that second with the old
		// role still fail, on the role).
		demoted := !u.Role.AtLeast(cur.Role)
		var issued *time.Time
		if !u.IssuedAt.IsZero() {
			issued = &u.IssuedAt
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET role = $3,
				revoked_before = CASE WHEN $4 THEN coalesce($5, `+revokedNow+`) ELSE revoked_before END
			WHERE organization_id = $1 AND id = $2`, org, cur.membership, u.Role, demoted, issued); err != nil {
			return err
		}
		if demoted {
			return revokeCredentials(ctx, tx, t, user, u.Role)
		}
		return nil
	})
	return user, org, u.Role, err
}

// ChangePassword replaces the password of p's own account (the caller has
// checked the current one) and ends every other session of the account in
// every organization it belongs to, p's own session excepted. The change is
// in the audit log of each of those organizations.
func (db *DB) ChangePassword(ctx context.Context, p spectra.Principal, requestID, passwordHash string) error {
	var orgs []uuid.UUID
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		var err error
		orgs, err = userOrganizations(ctx, tx, p.UserID)
		return err
	})
	if err != nil {
		return err
	}
	return db.InTenant(ctx, spectra.TenantOf(p, requestID), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, p.UserID, passwordHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return spectra.Errorf(spectra.CodeNotFound, "account not found")
		}
		return endSessionsEverywhere(ctx, tx, p.UserID, orgs, p.Session, p.OrgID, "PASSWORD_CHANGED", string(p.Auth), requestID)
	})
}

// userOrganizations are the organizations user is or was a member of,
// oldest membership first: where their sessions may be.
func userOrganizations(ctx context.Context, tx pgx.Tx, user uuid.UUID) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT organization_id FROM memberships WHERE user_id = $1 ORDER BY created_at`, user)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// endSessionsEverywhere revokes user's sessions (except keep) in each of
// orgs, switching the transaction's tenant to each in turn (row-level
// security stays in force), records event in each organization's audit
// log, and returns to the tenant home.
func endSessionsEverywhere(ctx context.Context, tx pgx.Tx, user uuid.UUID, orgs []uuid.UUID, keep, home uuid.UUID,
	event, how, requestID string) error {
	for _, org := range orgs {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, org.String()); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now()
			WHERE organization_id = $1 AND user_id = $2 AND revoked_at IS NULL AND family_id <> $3`, org, user, keep)
		if err != nil {
			return err
		}
		if org != home {
			if err := auditEvent(ctx, tx, org, "users", user, event, map[string]any{"sessions_ended": tag.RowsAffected()},
				user, how, requestID); err != nil {
				return err
			}
		}
	}
	homeSetting := ""
	if home != uuid.Nil {
		homeSetting = home.String()
	}
	_, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, homeSetting)
	return err
}

// Memberships lists a user's active memberships, oldest first.
func (db *DB) Memberships(ctx context.Context, user uuid.UUID) ([]spectra.Membership, error) {
	var out []spectra.Membership
	err := db.authTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = memberships(ctx, tx, user)
		return err
	})
	return out, err
}
