-- Forgotten passwords (PRODUCT.md §11): a one-time link by e-mail.
--
-- Every request to POST /auth/password/forgot is a row, whether the
-- address has an account or not: the rows are the rate limit's counters
-- (per address and per client address, counted in the database so every
-- instance sees them, as login_attempts are). A request for an account
-- that may use a password names the user; its token (256 random bits, of
-- which only the SHA-256 is stored) is made by the send_email job that
-- e-mails it, so the token itself is never at rest, not even in the job's
-- arguments. It is valid until expires_at and used once (used_at); a
-- reset ends the account's other tokens.
--
-- The table is global, as users are. spectra_auth (the step before any
-- tenant) counts and records requests, sets a token's hash (the e-mail
-- job) and looks a token up; the reset
-- itself runs in the user's tenant transaction as spectra_app, which may
-- only mark that user's own tokens used (app.user_id), and only used_at.

-- +goose Up
CREATE TABLE password_resets (
    id           uuid        PRIMARY KEY DEFAULT spectra_uuidv7(),
    email        text        NOT NULL CHECK (length(email) BETWEEN 1 AND 320),
    client_ip    inet,
    user_id      uuid        REFERENCES users (id),
    token_hash   bytea       UNIQUE CHECK (length(token_hash) = 32),
    requested_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    CHECK (token_hash IS NULL OR user_id IS NOT NULL)
);
CREATE INDEX password_resets_email_idx ON password_resets (email, requested_at DESC);
CREATE INDEX password_resets_ip_idx ON password_resets (client_ip, requested_at DESC);
CREATE INDEX password_resets_user_idx ON password_resets (user_id) WHERE used_at IS NULL;
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON password_resets TO spectra_auth;
CREATE POLICY auth_count ON password_resets FOR SELECT TO spectra_auth USING (true);
CREATE POLICY auth_record ON password_resets FOR INSERT TO spectra_auth WITH CHECK (true);
GRANT UPDATE (token_hash) ON password_resets TO spectra_auth;
CREATE POLICY auth_issue ON password_resets FOR UPDATE TO spectra_auth
    USING (user_id IS NOT NULL AND used_at IS NULL) WITH CHECK (user_id IS NOT NULL AND used_at IS NULL);
CREATE POLICY auth_prune ON password_resets FOR DELETE TO spectra_auth USING (expires_at < now() - interval '1 day');
GRANT SELECT, UPDATE (used_at) ON password_resets TO spectra_app;
CREATE POLICY own_tokens ON password_resets FOR SELECT TO spectra_app
    USING (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid));
CREATE POLICY use_own_tokens ON password_resets FOR UPDATE TO spectra_app
    USING (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid))
    WITH CHECK (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid));

-- +goose Down
DROP TABLE password_resets;
