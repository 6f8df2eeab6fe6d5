-- ELN search through its GIN index under row-level security, for any
-- owner, without marking a pg_catalog function LEAKPROOF (PRODUCT.md §15).
--
-- The planner evaluates a table's row-level security quals before the
-- query's own, and may use a query condition in an index scan only if it
-- is leakproof; @@ (ts_match_vq) is not, and only a superuser may mark it
-- (00006 did, when it could). But policy quals are evaluated first among
-- themselves, so a policy's @@ is an index condition like its
-- organization_id. spectra_search is the role of the search's one
-- statement: a RESTRICTIVE policy lets it see only the entries that match
-- the transaction's query (app.eln_query, websearch syntax), on top of
-- tenant_isolation. The GIN index on (organization_id, search) then takes
-- both as its condition, and the planner, which folds the setting for its
-- estimate, still walks the primary key for a word in every entry.
--
-- spectra_search may read the notebook and its links, nothing else. It is
-- granted to spectra_app, so every login role that may become spectra_app
-- may become spectra_search (SET ROLE follows membership); spectra_app is
-- NOINHERIT, so the policy never applies to it.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spectra_search') THEN
        CREATE ROLE spectra_search NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
    -- Only if missing: a role a superuser made beforehand may already be
    -- granted, and the owner may lack ADMIN OPTION to grant it again.
    IF NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = 'spectra_search'::regrole AND member = 'spectra_app'::regrole) THEN
        GRANT spectra_search TO spectra_app;
    END IF;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO spectra_search;
GRANT SELECT ON eln_entries, eln_links TO spectra_search;

-- The search of the current transaction; NULL (no rows) when none is set.
-- An inlinable SQL function, so the planner sees, and estimates, the query.
-- +goose StatementBegin
CREATE FUNCTION spectra_eln_query() RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT websearch_to_tsquery('english', nullif(current_setting('app.eln_query', true), ''))
$$;
-- +goose StatementEnd

CREATE POLICY search_match ON eln_entries AS RESTRICTIVE FOR SELECT TO spectra_search
    USING (search @@ spectra_eln_query());

-- 00006's LEAKPROOF is no longer needed: a database is the same whoever
-- migrated it, and pg_catalog is as PostgreSQL ships it.
-- +goose StatementBegin
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND (SELECT proleakproof FROM pg_proc WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) NOT LEAKPROOF;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
    END IF;
END
$$;
-- +goose StatementEnd
DROP POLICY search_match ON eln_entries;
DROP FUNCTION spectra_eln_query();
REVOKE SELECT ON eln_entries, eln_links FROM spectra_search;
REVOKE USAGE ON SCHEMA public FROM spectra_search;
-- The role and its grant stay: other databases of the cluster may use them.
