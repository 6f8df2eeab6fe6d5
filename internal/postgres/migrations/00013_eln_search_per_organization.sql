-- ELN search indexed per organization (issue 13, PRODUCT.md §16).
--
-- 00012's GIN index on (organization_id, search) keeps the organization and
-- each word as separate keys, so a search reads the organization's whole
-- posting list (every entry it has) to intersect it with the word's, and
-- the planner estimates a word from its frequency across all
-- organizations: a word that one organization writes in every entry
-- looks common to another, in whose few entries a search then walks its
-- whole notebook by the primary key (0.4 s at 200,000 entries).
--
-- Here every lexeme of `search` carries its organization's tag
-- (spectra_search_tag: the last 8 hex digits of the id, random in a
-- UUIDv7), positions and weights unchanged: 'a1b2c3d4:anneal':3B. A
-- search's tsquery is qualified the same way (spectra_search_qualify).
-- One key is then one word of one organization: the GIN index on `search`
-- alone finds a rare word through its few postings, and the column's
-- statistics, hence the planner's estimate, are per organization. Two
-- organizations sharing a tag only share posting lists: the tenant policy
-- and the query's organization_id still decide what is seen. Ranking
-- (ts_rank_cd) reads positions and weights, not the lexemes' text, and the
-- snippet (ts_headline) is made from the body with the unqualified query,
-- so neither changes.
--
-- app.eln_query now holds the qualified tsquery itself (set once per
-- search by the application), so the policy's condition parses a tsquery
-- per row instead of running websearch_to_tsquery per row.
--
-- Migrating rewrites eln_entries (about 50 µs per entry on a 2-core
-- machine) under an exclusive lock.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION spectra_search_tag(org uuid) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT right(org::text, 8) || ':'
$$;
-- +goose StatementEnd

-- Their own search_path: a restore (pg_restore runs with an empty one)
-- recomputes the generated column with them.
-- The tag goes after the opening quote of every lexeme of the text form,
-- where a quote inside a lexeme is doubled ('it''s'): the pattern is a
-- quoted lexeme, and the tag is hex digits and a colon, nothing the
-- replacement or the quoting would read.
-- +goose StatementBegin
CREATE FUNCTION spectra_search_qualify(org uuid, v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, public AS $$
    SELECT regexp_replace(v::text, '''((?:[^'']|'''')*)''', '''' || spectra_search_tag(org) || '\1''', 'g')::tsvector
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION spectra_search_qualify(org uuid, q tsquery) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, public AS $$
    SELECT regexp_replace(q::text, '''((?:[^'']|'''')*)''', '''' || spectra_search_tag(org) || '\1''', 'g')::tsquery
$$;
-- +goose StatementEnd

DROP POLICY search_match ON eln_entries;
ALTER TABLE eln_entries DROP COLUMN search;
ALTER TABLE eln_entries ADD COLUMN search tsvector GENERATED ALWAYS AS (
    spectra_search_qualify(organization_id,
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', body_markdown), 'B'))) STORED;
-- The one index of a tenant table that does not lead with organization_id:
-- its keys do (the catalog test knows it by spectra_search_qualify).
-- fastupdate off: an entry's words go into the index when it is written,
-- not into a pending list that every search would read in full until
-- vacuum merges it (up to gin_pending_list_limit, 4 MB: 500 pages per
-- search); notebook entries are written at the pace of people.
CREATE INDEX eln_entries_search_idx ON eln_entries USING gin (search) WITH (fastupdate = off);

-- The qualified query of the current transaction; NULL (no rows) when none
-- is set. Still inlinable, so the planner folds it for its estimate.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION spectra_eln_query() RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('app.eln_query', true), '')::tsquery
$$;
-- +goose StatementEnd
CREATE POLICY search_match ON eln_entries AS RESTRICTIVE FOR SELECT TO spectra_search
    USING (search @@ spectra_eln_query());
ANALYZE eln_entries;

-- +goose Down
DROP POLICY search_match ON eln_entries;
ALTER TABLE eln_entries DROP COLUMN search;
ALTER TABLE eln_entries ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', body_markdown), 'B')) STORED;
CREATE INDEX eln_entries_search_idx ON eln_entries USING gin (organization_id, search);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION spectra_eln_query() RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT websearch_to_tsquery('english', nullif(current_setting('app.eln_query', true), ''))
$$;
-- +goose StatementEnd
CREATE POLICY search_match ON eln_entries AS RESTRICTIVE FOR SELECT TO spectra_search
    USING (search @@ spectra_eln_query());
DROP FUNCTION spectra_search_qualify(uuid, tsquery);
DROP FUNCTION spectra_search_qualify(uuid, tsvector);
DROP FUNCTION spectra_search_tag(uuid);
