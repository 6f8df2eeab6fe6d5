-- Amendments to completed runs (PRODUCT.md §13): a completed run's results
-- and data series are immutable; a correction is an amendment with a
-- reason, shown in the run's history and its report.
--
-- No result is ever edited or deleted. An amendment (run_amendments: who,
-- when, why) may add results (run_results rows whose amendment_id names
-- it) and supersede results: run_result_supersessions records, for each
-- superseded result, the amendment and the result that replaces it (a
-- corrected value, added by the same amendment) or none (withdrawn). The
-- old row stays as it was, so the record of what was measured, what it
-- was corrected to, by whom and why, is complete; a result is current
-- while no supersession names it. Recording old → new beside the results,
-- rather than a superseded_by column on them, keeps run_results
-- append-only for the application (SELECT, INSERT: no UPDATE to grant).
--
-- spectra_run_record_guard holds the rule in the database too, for every
-- role (the owner included): a completed run's results, series and
-- chunks are never updated or deleted, no series or chunk is added to it,
-- a result only through an amendment of that run, and a completed run
-- stays completed (no flipping it back to add results quietly).

-- +goose Up
CREATE TABLE run_amendments (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    run_id          uuid        NOT NULL,
    reason          text        NOT NULL CHECK (length(reason) <= 2000 AND reason ~ '[^[:space:]]'),
    author_id       uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id)
);
CREATE INDEX run_amendments_run_idx ON run_amendments (organization_id, run_id, created_at);
SELECT spectra_tenant_table('run_amendments', 'SELECT, INSERT');

-- The amendment that added a result (a correction or an addition); NULL
-- for a result recorded while the run ran. No default: no table rewrite;
-- the foreign key is validated under a lock that lets writes through.
ALTER TABLE run_results ADD COLUMN amendment_id uuid;
ALTER TABLE run_results ADD CONSTRAINT run_results_amendment_fkey
    FOREIGN KEY (organization_id, amendment_id) REFERENCES run_amendments (organization_id, id) NOT VALID;
ALTER TABLE run_results VALIDATE CONSTRAINT run_results_amendment_fkey;

CREATE TABLE run_result_supersessions (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT spectra_uuidv7(),
    amendment_id    uuid NOT NULL,
    result_id       uuid NOT NULL,
    replacement_id  uuid,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, result_id),
    UNIQUE (organization_id, replacement_id),
    FOREIGN KEY (organization_id, amendment_id) REFERENCES run_amendments (organization_id, id),
    FOREIGN KEY (organization_id, result_id) REFERENCES run_results (organization_id, id),
    FOREIGN KEY (organization_id, replacement_id) REFERENCES run_results (organization_id, id),
    CONSTRAINT check_supersession_replaces_another CHECK (replacement_id <> result_id)
);
CREATE INDEX run_result_supersessions_amendment_idx ON run_result_supersessions (organization_id, amendment_id);
SELECT spectra_tenant_table('run_result_supersessions', 'SELECT, INSERT');

-- +goose StatementBegin
CREATE FUNCTION spectra_run_record_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    rec    record;
    run    uuid;
    status text;
BEGIN
    IF TG_TABLE_NAME = 'runs' THEN
        IF OLD.status = 'completed' AND NEW.status <> 'completed' THEN
            RAISE EXCEPTION 'run %: a completed run stays completed', OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;

    IF TG_OP = 'DELETE' THEN rec := OLD; ELSE rec := NEW; END IF;
    IF TG_TABLE_NAME = 'run_amendments' THEN
        IF NOT EXISTS (SELECT FROM runs r WHERE r.organization_id = rec.organization_id AND r.id = rec.run_id AND r.status = 'completed') THEN
            RAISE EXCEPTION 'run %: only a completed run is amended', rec.run_id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN rec;
    END IF;
    IF TG_TABLE_NAME = 'run_series_chunks' THEN
        SELECT s.run_id INTO run FROM run_series s WHERE s.organization_id = rec.organization_id AND s.id = rec.series_id;
    ELSIF TG_TABLE_NAME = 'run_result_supersessions' THEN
        SELECT a.run_id INTO run FROM run_amendments a WHERE a.organization_id = rec.organization_id AND a.id = rec.amendment_id;
        IF TG_OP = 'INSERT' AND (
           NOT EXISTS (SELECT FROM run_results r WHERE r.organization_id = rec.organization_id AND r.id = rec.result_id AND r.run_id = run)
           OR (rec.replacement_id IS NOT NULL AND NOT EXISTS (SELECT FROM run_results r WHERE r.organization_id = rec.organization_id
               AND r.id = rec.replacement_id AND r.run_id = run AND r.amendment_id = rec.amendment_id))) THEN
            RAISE EXCEPTION 'an amendment supersedes results of its own run, replacing them with results it adds'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN rec;
    ELSE
        run := rec.run_id;
    END IF;
    SELECT r.status INTO status FROM runs r WHERE r.organization_id = rec.organization_id AND r.id = run;

    -- (Nested: PL/pgSQL does not short-circuit, and only run_results has
    -- amendment_id.)
    IF TG_TABLE_NAME = 'run_results' AND TG_OP = 'INSERT' THEN
        IF NEW.amendment_id IS NOT NULL THEN
            IF status <> 'completed' OR NOT EXISTS (SELECT FROM run_amendments a
                   WHERE a.organization_id = NEW.organization_id AND a.id = NEW.amendment_id AND a.run_id = NEW.run_id) THEN
                RAISE EXCEPTION 'run %: an amended result belongs to a completed run and to an amendment of it', run
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END IF;
    END IF;
    IF status = 'completed' THEN
        RAISE EXCEPTION 'run % is completed: its % are immutable (a correction is an amendment)', run, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN rec;
END
$$;
-- +goose StatementEnd

-- AFTER row triggers: a row ON CONFLICT DO NOTHING skips (the seed's
-- re-runs) is not checked, and each sees the run as the statement left it.
CREATE TRIGGER record_guard AFTER INSERT OR UPDATE OR DELETE ON run_results
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();
CREATE TRIGGER record_guard AFTER INSERT OR UPDATE OR DELETE ON run_series
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();
CREATE TRIGGER record_guard AFTER INSERT OR UPDATE OR DELETE ON run_series_chunks
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();
CREATE TRIGGER record_guard AFTER INSERT ON run_result_supersessions
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();
CREATE TRIGGER record_guard AFTER INSERT ON run_amendments
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();
-- A run's raw files (00016) are part of its record: none added, deleted
-- or changed once it is completed (a file of another owner has no run_id,
-- and passes).
CREATE TRIGGER record_guard AFTER INSERT OR UPDATE OR DELETE ON files
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();
CREATE TRIGGER record_guard BEFORE UPDATE OF status ON runs
    FOR EACH ROW EXECUTE FUNCTION spectra_run_record_guard();

-- +goose Down
DROP TRIGGER record_guard ON runs;
DROP TRIGGER record_guard ON files;
DROP TRIGGER record_guard ON run_amendments;
DROP TRIGGER record_guard ON run_result_supersessions;
DROP TRIGGER record_guard ON run_series_chunks;
DROP TRIGGER record_guard ON run_series;
DROP TRIGGER record_guard ON run_results;
DROP FUNCTION spectra_run_record_guard();
DROP TABLE run_result_supersessions;
ALTER TABLE run_results DROP COLUMN amendment_id;
DROP TABLE run_amendments;
