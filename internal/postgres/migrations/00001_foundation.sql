-- Foundation: roles, shared functions (UUIDv7, audit, tenancy boilerplate),
-- organizations, users, memberships, credentials and the audit log.

-- +goose Up

-- spectra_app: the role every request transaction switches to.
-- spectra_auth: the role of the one step that precedes any tenant, finding a
-- user's memberships at login; it reads identities, nothing else.
-- Roles belong to the cluster, not the database, so several databases
-- (tests, staging) share them; they are created only if missing.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spectra_app') THEN
        CREATE ROLE spectra_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spectra_auth') THEN
        CREATE ROLE spectra_auth NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
END
$$;
-- +goose StatementEnd
-- The owner switches to both (seed, operator commands). Granted only when
-- it is not yet a member: a role a superuser made beforehand and granted to
-- the owner (a managed database: docs/operations.md) may not be granted
-- again by an owner without ADMIN OPTION on it. (Edited after landing; see
-- docs/architecture.md, "Migrations that a non-superuser owner runs".)
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = 'spectra_app'::regrole AND member = (SELECT oid FROM pg_roles WHERE rolname = current_user)) THEN
        GRANT spectra_app TO CURRENT_USER;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = 'spectra_auth'::regrole AND member = (SELECT oid FROM pg_roles WHERE rolname = current_user)) THEN
        GRANT spectra_auth TO CURRENT_USER;
    END IF;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO spectra_app, spectra_auth;

-- btree_gin lets the ELN full-text index lead with organization_id.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- UUIDv7 (RFC 9562): 48-bit Unix milliseconds, 12 bits of sub-millisecond
-- time (RFC 9562 §6.2, method 3, as PostgreSQL 18's own uuidv7 does), then
-- randomness. Time-ordered ids keep B-tree inserts local, and keyset
-- pagination by id follows time to the microsecond (the audit log's order).
-- +goose StatementBegin
CREATE FUNCTION spectra_uuidv7() RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL SAFE AS $$
DECLARE
    b    bytea := uuid_send(gen_random_uuid());
    us   bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    frac int := ((us % 1000) * 4096 / 1000)::int;
BEGIN
    b := overlay(b PLACING substring(int8send(us / 1000) FROM 3) FROM 1 FOR 6);
    b := set_byte(b, 6, 112 | (frac >> 8)); -- version 7, then the top of the fraction
    b := set_byte(b, 7, frac & 255);
    RETURN encode(b, 'hex')::uuid; -- the variant bits stay those of v4
END
$$;
-- +goose StatementEnd

-- The tenant of the current transaction, or NULL when none is set.
-- +goose StatementBegin
CREATE FUNCTION spectra_current_org() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('app.org_id', true), '')::uuid
$$;
-- +goose StatementEnd

-- Optimistic concurrency and timestamps, in one place: every UPDATE bumps
-- version and sets updated_at, so no code path can forget to.
-- +goose StatementBegin
CREATE FUNCTION spectra_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- The audit trigger: table, row id, action, the changed fields (old and new),
-- actor, how the actor authenticated, request id, database role and time.
-- Trigger arguments name columns whose values are never copied (secrets);
-- that one was set or changed is recorded as "[redacted]".
-- +goose StatementBegin
CREATE FUNCTION spectra_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_j  jsonb;
    new_j  jsonb;
    rec    jsonb;
    secret text;
    org    uuid;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW); END IF;
    rec := coalesce(new_j, old_j);

    IF TG_OP = 'UPDATE' THEN
        -- Only the fields that changed, before and after.
        SELECT coalesce(jsonb_object_agg(o.key, o.value), '{}'),
               coalesce(jsonb_object_agg(o.key, new_j -> o.key), '{}')
          INTO old_j, new_j
          FROM jsonb_each(old_j) o
         WHERE new_j -> o.key IS DISTINCT FROM o.value;
        IF (old_j - '{version,updated_at,last_used_at}'::text[]) = '{}' THEN
            RETURN NULL; -- nothing but bookkeeping (or an API key's use) changed
        END IF;
    END IF;

    -- A secret's value is never copied; that it was set or changed is.
    FOREACH secret IN ARRAY coalesce(TG_ARGV, '{}') LOOP
        IF old_j ? secret THEN old_j := jsonb_set(old_j, ARRAY[secret], '"[redacted]"'); END IF;
        IF new_j ? secret THEN new_j := jsonb_set(new_j, ARRAY[secret], '"[redacted]"'); END IF;
    END LOOP;

    IF TG_TABLE_NAME = 'organizations' THEN
        org := (rec ->> 'id')::uuid;
    ELSE
        org := coalesce((rec ->> 'organization_id')::uuid, spectra_current_org(),
                        '00000000-0000-0000-0000-000000000000');
    END IF;

    INSERT INTO audit_log (organization_id, table_name, row_id, action, old_values, new_values,
                           actor_id, actor_auth, request_id, db_user)
    VALUES (org, TG_TABLE_NAME, (rec ->> 'id')::uuid, TG_OP, old_j, new_j,
            nullif(current_setting('app.user_id', true), '')::uuid,
            nullif(current_setting('app.auth', true), ''),
            nullif(current_setting('app.request_id', true), ''),
            current_user);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- spectra_tenant_table gives a table with organization_id everything a tenant
-- table must have: RLS enabled and forced, the isolation policy, the
-- application role's privileges, the audit trigger and, where the columns
-- exist, the version/updated_at trigger. Later migrations call it for their
-- tables; it is never edited (a changed rule gets a new function).
-- +goose StatementBegin
CREATE FUNCTION spectra_tenant_table(tbl regclass, privileges text, secrets text[] DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
        USING (organization_id = (SELECT nullif(current_setting('app.org_id', true), '')::uuid))
        WITH CHECK (organization_id = (SELECT nullif(current_setting('app.org_id', true), '')::uuid))$p$, tbl);
    EXECUTE format('GRANT %s ON %s TO spectra_app', privileges, tbl);
    IF tbl <> 'audit_log'::regclass THEN
        EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION spectra_audit(%s)',
                       tbl, (SELECT string_agg(quote_literal(s), ', ') FROM unnest(secrets) s));
    END IF;
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = 'version' AND NOT attisdropped)
       AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = 'updated_at' AND NOT attisdropped) THEN
        EXECUTE format('CREATE TRIGGER touch BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION spectra_touch()', tbl);
    END IF;
END
$$;
-- +goose StatementEnd

CREATE TABLE audit_log (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    table_name      text        NOT NULL,
    row_id          uuid,
    action          text        NOT NULL,
    old_values      jsonb,
    new_values      jsonb,
    actor_id        uuid,
    actor_auth      text,
    request_id      text,
    db_user         text        NOT NULL DEFAULT current_user,
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX audit_log_row_idx ON audit_log (organization_id, table_name, row_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (organization_id, actor_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (organization_id, at);
-- Append-only for the application: no UPDATE, no DELETE.
SELECT spectra_tenant_table('audit_log', 'SELECT, INSERT');

CREATE TABLE organizations (
    id                        uuid        PRIMARY KEY DEFAULT spectra_uuidv7(),
    slug                      text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                      text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    calibration_warning_days  integer     NOT NULL DEFAULT 30 CHECK (calibration_warning_days BETWEEN 0 AND 365),
    access_token_ttl_seconds  integer     NOT NULL DEFAULT 900 CHECK (access_token_ttl_seconds BETWEEN 60 AND 86400),
    refresh_token_ttl_seconds integer     NOT NULL DEFAULT 1209600 CHECK (refresh_token_ttl_seconds BETWEEN 300 AND 7776000),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz,
    version                   integer     NOT NULL DEFAULT 1
);
-- An organization is not a tenant table (it is the tenant), but the
-- application role sees and changes only its own.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_organization ON organizations TO spectra_app
    USING (id = (SELECT spectra_current_org())) WITH CHECK (id = (SELECT spectra_current_org()));
GRANT SELECT, UPDATE ON organizations TO spectra_app;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON organizations FOR EACH ROW EXECUTE FUNCTION spectra_audit();
CREATE TRIGGER touch BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION spectra_touch();

-- Users are identities shared across organizations; what a user may do in an
-- organization is its membership.
CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT spectra_uuidv7(),
    email         text        NOT NULL CHECK (email = lower(email) AND email LIKE '_%@_%'),
    display_name  text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash text,
    oidc_issuer   text,
    oidc_subject  text,
    is_service    boolean     NOT NULL DEFAULT false,
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    version       integer     NOT NULL DEFAULT 1,
    UNIQUE (email),
    UNIQUE (oidc_issuer, oidc_subject),
    CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL))
);
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION spectra_audit('password_hash');
CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION spectra_touch();

CREATE TABLE memberships (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    user_id         uuid        NOT NULL REFERENCES users (id),
    role            text        NOT NULL CHECK (role IN ('admin', 'pi', 'engineer', 'technician', 'viewer')),
    active          boolean     NOT NULL DEFAULT true,
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, user_id)
);
SELECT spectra_tenant_table('memberships', 'SELECT, INSERT, UPDATE');

-- The application role sees the users who are members of its organization.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY org_members ON users TO spectra_app
    USING (EXISTS (SELECT FROM memberships m WHERE m.user_id = users.id));
CREATE POLICY create_users ON users FOR INSERT TO spectra_app WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON users TO spectra_app;

-- Login looks a user up by email and lists their memberships before any
-- organization is chosen: spectra_auth may read exactly that.
CREATE POLICY auth_lookup ON users FOR SELECT TO spectra_auth USING (true);
CREATE POLICY auth_lookup ON organizations FOR SELECT TO spectra_auth USING (true);
CREATE POLICY auth_lookup ON memberships FOR SELECT TO spectra_auth USING (true);
GRANT SELECT ON users, organizations, memberships TO spectra_auth;

-- API keys of service accounts: only a hash of the secret is kept.
CREATE TABLE api_keys (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    user_id         uuid        NOT NULL REFERENCES users (id),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix          text        NOT NULL,
    secret_hash     bytea       NOT NULL CHECK (length(secret_hash) = 32),
    role            text        NOT NULL CHECK (role IN ('admin', 'pi', 'engineer', 'technician', 'viewer')),
    created_by      uuid        NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    revoked_by      uuid        REFERENCES users (id),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, secret_hash),
    CHECK (expires_at > created_at)
);
SELECT spectra_tenant_table('api_keys', 'SELECT, INSERT, UPDATE', '{secret_hash}');

-- Refresh tokens: SHA-256 of an opaque secret, rotated on every use; a
-- family is one login session, revoked as a whole on reuse or logout.
CREATE TABLE refresh_tokens (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    user_id         uuid        NOT NULL REFERENCES users (id),
    family_id       uuid        NOT NULL,
    token_hash      bytea       NOT NULL CHECK (length(token_hash) = 32),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    revoked_at      timestamptz,
    auth_method     text        NOT NULL DEFAULT 'password' CHECK (auth_method IN ('password', 'oidc')),
    user_agent      text,
    client_ip       inet,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, token_hash),
    CHECK (expires_at > issued_at)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (organization_id, family_id);
-- spectra_authorize asks "is this session revoked?" on every request: a
-- probe of this small index, however long the family has grown.
CREATE INDEX refresh_tokens_revoked_family_idx ON refresh_tokens (organization_id, family_id) WHERE revoked_at IS NOT NULL;
SELECT spectra_tenant_table('refresh_tokens', 'SELECT, INSERT, UPDATE', '{token_hash}');

-- Access tokens denied before their expiry (logout), by jti.
CREATE TABLE token_denylist (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    jti             uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    user_id         uuid        REFERENCES users (id),
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, jti)
);
SELECT spectra_tenant_table('token_denylist', 'SELECT, INSERT, DELETE');

-- Login attempts precede any tenant: they are counted per account name and
-- per client address, in the database so every instance sees them.
CREATE TABLE login_attempts (
    id         uuid        PRIMARY KEY DEFAULT spectra_uuidv7(),
    username   text        NOT NULL,
    client_ip  inet,
    succeeded  boolean     NOT NULL,
    reason     text,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_username_idx ON login_attempts (username, at DESC);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, at DESC);
GRANT SELECT, INSERT ON login_attempts TO spectra_auth;

-- spectra_authorize is the revocation check of every authenticated request.
-- It runs in the request's tenant transaction, in the same round trip that
-- sets the tenant, so deactivation, role changes, logout and key revocation
-- take effect on the very next request on every instance. It raises
-- invalid_authorization_specification (28000) when the principal may no
-- longer act: membership or user inactive, role changed since the token was
-- issued, access token denied, session (refresh family) revoked, API key
-- revoked or expired.
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

-- +goose Down
DROP FUNCTION spectra_authorize(uuid, text, uuid, uuid, uuid);
DROP TABLE login_attempts;
DROP TABLE token_denylist;
DROP TABLE refresh_tokens;
DROP TABLE api_keys;
DROP POLICY org_members ON users;
DROP POLICY auth_lookup ON users;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE audit_log;
DROP FUNCTION spectra_tenant_table(regclass, text, text[]);
DROP FUNCTION spectra_audit();
DROP FUNCTION spectra_touch();
DROP FUNCTION spectra_current_org();
DROP FUNCTION spectra_uuidv7();
DROP EXTENSION IF EXISTS btree_gin;
REVOKE USAGE ON SCHEMA public FROM spectra_app, spectra_auth;
-- The roles stay: other databases of the cluster may still use it.
