-- ML metadata's API (issue 6, item 9): a model's life is
-- draft → validated → deployed, and retired from any of them (the store
-- enforces the transitions; the table holds the states). A validated or
-- deployed model has an artifact, an artifact is an absolute URI, and
-- metrics are numbers. Model lists filter by feature set, and "does a
-- model refer to this feature-set revision" (which freezes the revision)
-- is an index probe.

-- +goose Up
-- 00003's states map onto the new life: training → draft, ready →
-- validated, failed → retired.
ALTER TABLE models DROP CONSTRAINT models_status_check;
-- Organization by organization: an owner that is no superuser sees no
-- model under FORCE ROW LEVEL SECURITY without app.org_id (edited after
-- landing, same effect: docs/architecture.md, "Migrations that a
-- non-superuser owner runs").
-- +goose StatementBegin
DO $$
DECLARE
    o uuid;
BEGIN
    FOR o IN SELECT id FROM organizations LOOP
        PERFORM set_config('app.org_id', o::text, true);
        UPDATE models SET status = CASE status WHEN 'training' THEN 'draft' WHEN 'ready' THEN 'validated' WHEN 'failed' THEN 'retired' ELSE status END
         WHERE organization_id = o AND status IN ('training', 'ready', 'failed');
    END LOOP;
    PERFORM set_config('app.org_id', '', true);
END
$$;
-- +goose StatementEnd
ALTER TABLE models ALTER COLUMN status SET DEFAULT 'draft';
ALTER TABLE models ADD CONSTRAINT models_status_check CHECK (status IN ('draft', 'validated', 'deployed', 'retired'));
ALTER TABLE models ADD CONSTRAINT models_artifact_uri_check
    CHECK (artifact_uri = '' OR (length(artifact_uri) <= 2000 AND artifact_uri ~ '^[A-Za-z][A-Za-z0-9+.-]*:[^[:space:]]+$'));
ALTER TABLE models ADD CONSTRAINT models_artifact_required_check
    CHECK (status NOT IN ('validated', 'deployed') OR artifact_uri <> '');
ALTER TABLE models ADD CONSTRAINT models_metrics_numbers_check
    CHECK (NOT jsonb_path_exists(metrics, '$.* ? (@.type() != "number")'));
CREATE INDEX models_feature_set_idx ON models (organization_id, feature_set_id, id DESC);

-- +goose Down
DROP INDEX models_feature_set_idx;
ALTER TABLE models DROP CONSTRAINT models_metrics_numbers_check;
ALTER TABLE models DROP CONSTRAINT models_artifact_required_check;
ALTER TABLE models DROP CONSTRAINT models_artifact_uri_check;
ALTER TABLE models DROP CONSTRAINT models_status_check;
-- +goose StatementBegin
DO $$
DECLARE
    o uuid;
BEGIN
    FOR o IN SELECT id FROM organizations LOOP
        PERFORM set_config('app.org_id', o::text, true);
        UPDATE models SET status = CASE status WHEN 'draft' THEN 'training' WHEN 'validated' THEN 'ready' ELSE status END
         WHERE organization_id = o AND status IN ('draft', 'validated');
    END LOOP;
    PERFORM set_config('app.org_id', '', true);
END
$$;
-- +goose StatementEnd
ALTER TABLE models ALTER COLUMN status SET DEFAULT 'training';
ALTER TABLE models ADD CONSTRAINT models_status_check
    CHECK (status IN ('training', 'ready', 'deployed', 'retired', 'failed'));
