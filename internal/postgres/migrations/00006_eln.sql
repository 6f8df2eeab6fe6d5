-- The lab notebook's API: full-text search through the GIN index under
-- row-level security, an entry's amendments by amends_id, and one
-- signature per signer and meaning.

-- +goose Up

-- Under row-level security the planner evaluates the policy before any
-- condition of the query, except a leakproof one; it may push only
-- leakproof conditions into an index scan. The @@ operator's function,
-- ts_match_vq, is not marked leakproof, so for spectra_app (never for a
-- superuser, who bypasses RLS) the GIN index on (organization_id, search)
-- could only narrow by organization, and every search would read all of
-- the organization's entries. ts_match_vq is a pure function of its two
-- arguments that raises no error depending on the row's tsvector, so
-- evaluating it before the policy reveals nothing: we mark it LEAKPROOF.
-- Only a superuser may; the managed cluster's owner is one. Any other
-- owner gets a warning, and search stays correct but reads more rows
-- until a superuser runs the ALTER FUNCTION below. (pg_proc belongs to
-- the database, so other databases of the cluster are untouched.)
-- +goose StatementBegin
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
    ELSE
        RAISE WARNING 'ELN search will not use its GIN index under row-level security: as a superuser, run ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF';
    END IF;
END
$$;
-- +goose StatementEnd

-- GET /eln/{id} lists an entry's amendments, every list shows them: an
-- index probe, not a scan of the organization's notebook.
CREATE INDEX eln_entries_amends_idx ON eln_entries (organization_id, amends_id) WHERE amends_id IS NOT NULL;

-- Signing the same entry twice with the same meaning says nothing new; the
-- store answers 409 first, and this makes it a rule of the data.
CREATE UNIQUE INDEX signatures_eln_signer_meaning_uq ON signatures (organization_id, eln_entry_id, signer_id, meaning)
    WHERE eln_entry_id IS NOT NULL;

-- +goose Down
DROP INDEX signatures_eln_signer_meaning_uq;
DROP INDEX eln_entries_amends_idx;
-- +goose StatementBegin
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) NOT LEAKPROOF;
    END IF;
END
$$;
-- +goose StatementEnd
