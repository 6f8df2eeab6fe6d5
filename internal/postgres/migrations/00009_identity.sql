-- Identity across organizations (PRODUCT.md §11): an account belongs to the
-- person, a membership to the organization. An organization's admin governs
-- memberships in their own organization only; the database refuses the
-- application role any other change of an account.

-- +goose Up

-- The organization an account was created in, for as long as it belongs to
-- that organization alone; NULL once it joins another (for good) and for
-- accounts the operator made. Only then may that organization's admins set
-- the account's password.
ALTER TABLE users ADD COLUMN home_organization_id uuid REFERENCES organizations (id);

-- Accounts that have only ever had one membership were created for that
-- organization. Memberships are read organization by organization, since
-- the owner may itself be subject to row-level security (a managed
-- database's owner is no superuser), and each account's change is audited
-- in its organization.
-- +goose StatementBegin
DO $$
DECLARE
    o uuid;
BEGIN
    CREATE TEMP TABLE spectra_member_orgs (user_id uuid, organization_id uuid) ON COMMIT DROP;
    FOR o IN SELECT id FROM organizations LOOP
        PERFORM set_config('app.org_id', o::text, true);
        INSERT INTO spectra_member_orgs SELECT user_id, organization_id FROM memberships;
    END LOOP;
    FOR o IN SELECT id FROM organizations LOOP
        PERFORM set_config('app.org_id', o::text, true);
        UPDATE users u SET home_organization_id = o
         WHERE u.id IN (SELECT user_id FROM spectra_member_orgs GROUP BY user_id
                         HAVING count(DISTINCT organization_id) = 1 AND min(organization_id::text) = o::text);
    END LOOP;
    PERFORM set_config('app.org_id', '', true);
END
$$;
-- +goose StatementEnd

-- Joining a second organization makes an account the person's own for good:
-- no organization's admin may set its password any more. The trigger runs
-- as the owner, so it reaches the account whichever organization adds it.
-- +goose StatementBegin
CREATE FUNCTION spectra_account_shared() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    UPDATE users SET home_organization_id = NULL
     WHERE id = NEW.user_id AND home_organization_id IS DISTINCT FROM NEW.organization_id
       AND home_organization_id IS NOT NULL;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION spectra_account_shared() FROM PUBLIC;
CREATE TRIGGER account_shared AFTER INSERT ON memberships FOR EACH ROW EXECUTE FUNCTION spectra_account_shared();

-- What the application role may do to an account: read those of its
-- organization's members; create one only as its organization's own; and
-- change a password or name only of the signed-in person's own account or
-- of an account that belongs to the organization alone. Column privileges
-- keep the email, the identity-provider link, the service flag, the home
-- organization and the account's active flag out of its reach.
DROP POLICY org_members ON users;
DROP POLICY create_users ON users;
CREATE POLICY org_members ON users FOR SELECT TO spectra_app
    USING (EXISTS (SELECT FROM memberships m WHERE m.user_id = users.id));
CREATE POLICY create_users ON users FOR INSERT TO spectra_app
    WITH CHECK (home_organization_id = (SELECT spectra_current_org()));
CREATE POLICY own_or_local_account ON users FOR UPDATE TO spectra_app
    USING (id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid)
           OR home_organization_id = (SELECT spectra_current_org()))
    WITH CHECK (id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid)
           OR home_organization_id = (SELECT spectra_current_org()));
REVOKE UPDATE ON users FROM spectra_app;
GRANT UPDATE (password_hash, display_name) ON users TO spectra_app;

-- Revocation is permanent: credentials issued before revoked_before are dead
-- even if the membership is reactivated or re-promoted later. Sessions and
-- API keys are revoked row by row as well; revoked_before covers the
-- identity provider's access tokens, which carry only their issue time.
ALTER TABLE memberships ADD COLUMN revoked_before timestamptz;

-- Invitations: adding an e-mail to an organization never touches an
-- account. The person accepts (signed in, or with the one-time token of the
-- invitation), and only then becomes a member.
CREATE TABLE invitations (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    email           text        NOT NULL CHECK (email = lower(email) AND email LIKE '_%@_%' AND length(email) <= 320),
    role            text        NOT NULL CHECK (role IN ('admin', 'pi', 'engineer', 'technician', 'viewer')),
    token_hash      bytea       NOT NULL CHECK (length(token_hash) = 32),
    invited_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    accepted_by     uuid        REFERENCES users (id),
    revoked_at      timestamptz,
    revoked_by      uuid        REFERENCES users (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, token_hash),
    CHECK (expires_at > created_at),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
-- One open invitation per e-mail and organization.
CREATE UNIQUE INDEX invitations_open_idx ON invitations (organization_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
SELECT spectra_tenant_table('invitations', 'SELECT, INSERT, UPDATE', '{token_hash}');
-- A signed-in person lists the invitations addressed to their e-mail, from
-- every organization: the one cross-organization read, as spectra_auth.
-- (Open invitations are few; an index by e-mail alone would break the rule
-- that every index leads with the organization.)
CREATE POLICY auth_lookup ON invitations FOR SELECT TO spectra_auth USING (true);
GRANT SELECT ON invitations TO spectra_auth;

-- No organization without an active human admin: whatever path changes a
-- membership, the commit fails if it took the organization's last one.
-- Service accounts (API keys) never count. Deferred, so a transaction may
-- hand the role over in any order.
-- +goose StatementBegin
CREATE FUNCTION spectra_keep_human_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.role = 'admin' AND OLD.active AND OLD.deleted_at IS NULL
       AND NOT EXISTS (SELECT FROM memberships m JOIN users u ON u.id = m.user_id
                        WHERE m.organization_id = OLD.organization_id AND m.role = 'admin' AND m.active
                          AND m.deleted_at IS NULL AND u.active AND u.deleted_at IS NULL AND NOT u.is_service) THEN
        RAISE EXCEPTION 'the organization would be left without an active human admin'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_human_admin';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER keep_human_admin AFTER UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION spectra_keep_human_admin();

-- spectra_authorize gains the credential's issue time: an identity
-- provider's token issued before the membership's revoked_before is dead.
-- (Our own sessions and API keys are revoked row by row.)
DROP FUNCTION spectra_authorize(uuid, text, uuid, uuid, uuid);
-- +goose StatementBegin
CREATE FUNCTION spectra_authorize(p_user uuid, p_role text, p_session uuid, p_jti uuid, p_api_key uuid, p_issued_at timestamptz)
RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
    org uuid := spectra_current_org();
BEGIN
    IF NOT EXISTS (SELECT FROM memberships m JOIN users u ON u.id = m.user_id
                    WHERE m.organization_id = org AND m.user_id = p_user AND m.role = p_role
                      AND m.active AND m.deleted_at IS NULL AND u.active AND u.deleted_at IS NULL
                      AND (m.revoked_before IS NULL OR p_session IS NOT NULL OR p_api_key IS NOT NULL
                           OR p_issued_at >= m.revoked_before)) THEN
        RAISE EXCEPTION 'membership inactive, role changed or credential revoked' USING ERRCODE = '28000';
    END IF;
    IF p_jti IS NOT NULL AND EXISTS (SELECT FROM token_denylist d WHERE d.organization_id = org AND d.jti = p_jti) THEN
        RAISE EXCEPTION 'access token revoked' USING ERRCODE = '28000';
    END IF;
    IF p_session IS NOT NULL AND EXISTS (SELECT FROM refresh_tokens r WHERE r.organization_id = org
                                            AND r.family_id = p_session AND r.revoked_at IS NOT NULL) THEN
        RAISE EXCEPTION 'session ended' USING ERRCODE = '28000';
    END IF;
    IF p_api_key IS NOT NULL AND NOT EXISTS (SELECT FROM api_keys k WHERE k.organization_id = org AND k.id = p_api_key
                                                AND k.user_id = p_user AND k.role = p_role
                                                AND k.revoked_at IS NULL AND k.expires_at > now()) THEN
        RAISE EXCEPTION 'API key revoked or expired' USING ERRCODE = '28000';
    END IF;
END
$$;
-- +goose StatementEnd

-- Housekeeping runs as the server's own roles, not the owner: the
-- application may delete only refresh tokens expired for longer than any
-- access token lives (a day at most), so no revoked session's record goes
-- while a token of it could still be presented; spectra_auth may delete
-- only login attempts older than the lockout ever looks (a day).
CREATE POLICY prune_expired ON refresh_tokens AS RESTRICTIVE FOR DELETE TO spectra_app
    USING (expires_at < now() - interval '1 day');
GRANT DELETE ON refresh_tokens TO spectra_app;
ALTER TABLE login_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY auth_count ON login_attempts FOR SELECT TO spectra_auth USING (true);
CREATE POLICY auth_record ON login_attempts FOR INSERT TO spectra_auth WITH CHECK (true);
CREATE POLICY auth_prune ON login_attempts FOR DELETE TO spectra_auth USING (at < now() - interval '1 day');
GRANT DELETE ON login_attempts TO spectra_auth;

-- +goose Down
REVOKE DELETE ON login_attempts FROM spectra_auth;
DROP POLICY auth_prune ON login_attempts;
DROP POLICY auth_record ON login_attempts;
DROP POLICY auth_count ON login_attempts;
ALTER TABLE login_attempts DISABLE ROW LEVEL SECURITY;
REVOKE DELETE ON refresh_tokens FROM spectra_app;
DROP POLICY prune_expired ON refresh_tokens;
DROP FUNCTION spectra_authorize(uuid, text, uuid, uuid, uuid, timestamptz);
-- +goose StatementBegin
CREATE FUNCTION spectra_authorize(p_user uuid, p_role text, p_session uuid, p_jti uuid, p_api_key uuid) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    org uuid := spectra_current_org();
BEGIN
    IF NOT EXISTS (SELECT FROM memberships m JOIN users u ON u.id = m.user_id
                    WHERE m.organization_id = org AND m.user_id = p_user AND m.role = p_role
                      AND m.active AND m.deleted_at IS NULL AND u.active AND u.deleted_at IS NULL) THEN
        RAISE EXCEPTION 'membership inactive or role changed' USING ERRCODE = '28000';
    END IF;
    IF p_jti IS NOT NULL AND EXISTS (SELECT FROM token_denylist d WHERE d.organization_id = org AND d.jti = p_jti) THEN
        RAISE EXCEPTION 'access token revoked' USING ERRCODE = '28000';
    END IF;
    IF p_session IS NOT NULL AND EXISTS (SELECT FROM refresh_tokens r WHERE r.organization_id = org
                                            AND r.family_id = p_session AND r.revoked_at IS NOT NULL) THEN
        RAISE EXCEPTION 'session ended' USING ERRCODE = '28000';
    END IF;
    IF p_api_key IS NOT NULL AND NOT EXISTS (SELECT FROM api_keys k WHERE k.organization_id = org AND k.id = p_api_key
                                                AND k.user_id = p_user AND k.role = p_role
                                                AND k.revoked_at IS NULL AND k.expires_at > now()) THEN
        RAISE EXCEPTION 'API key revoked or expired' USING ERRCODE = '28000';
    END IF;
END
$$;
-- +goose StatementEnd
DROP TRIGGER keep_human_admin ON memberships;
DROP FUNCTION spectra_keep_human_admin();
DROP TABLE invitations;
ALTER TABLE memberships DROP COLUMN revoked_before;
GRANT UPDATE ON users TO spectra_app;
DROP POLICY own_or_local_account ON users;
DROP POLICY create_users ON users;
DROP POLICY org_members ON users;
CREATE POLICY org_members ON users TO spectra_app
    USING (EXISTS (SELECT FROM memberships m WHERE m.user_id = users.id));
CREATE POLICY create_users ON users FOR INSERT TO spectra_app WITH CHECK (true);
DROP TRIGGER account_shared ON memberships;
DROP FUNCTION spectra_account_shared();
ALTER TABLE users DROP COLUMN home_organization_id;
