-- Analysis: instruments and their calibrations, runs with their instruments,
-- results and status history, SPC series/points/alerts, ML metadata.

-- +goose Up
CREATE TABLE instruments (
    organization_id      uuid        NOT NULL REFERENCES organizations (id),
    id                   uuid        NOT NULL DEFAULT spectra_uuidv7(),
    name                 text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                 text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    serial               text        NOT NULL DEFAULT '',
    location             text        NOT NULL DEFAULT '',
    status               text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'maintenance', 'retired')),
    calibration_required boolean     NOT NULL DEFAULT true,
    metadata             jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_by           uuid        REFERENCES users (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    version              integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name)
);
SELECT spectra_tenant_table('instruments', 'SELECT, INSERT, UPDATE');

-- An instrument's effective calibration is its latest issued, unrevoked one.
CREATE TABLE calibrations (
    organization_id    uuid        NOT NULL REFERENCES organizations (id),
    id                 uuid        NOT NULL DEFAULT spectra_uuidv7(),
    instrument_id      uuid        NOT NULL,
    certificate_number text        NOT NULL CHECK (length(certificate_number) BETWEEN 1 AND 128),
    provider           text        NOT NULL DEFAULT 'in-house',
    issued_at          timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    notes              text        NOT NULL DEFAULT '',
    revoked_at         timestamptz,
    revoked_reason     text,
    recorded_by        uuid        REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, instrument_id, certificate_number),
    FOREIGN KEY (organization_id, instrument_id) REFERENCES instruments (organization_id, id),
    CONSTRAINT check_cert_dates CHECK (expires_at > issued_at)
);
CREATE INDEX calibrations_instrument_expires_idx ON calibrations (organization_id, instrument_id, expires_at DESC);
CREATE INDEX calibrations_instrument_issued_idx ON calibrations (organization_id, instrument_id, issued_at DESC);
-- Certificates are facts; a wrong one is revoked (UPDATE of revoked_*), never deleted.
SELECT spectra_tenant_table('calibrations', 'SELECT, INSERT, UPDATE');

CREATE TABLE runs (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    recipe_id       uuid        NOT NULL,
    sample_id       uuid        NOT NULL,
    project_id      uuid,
    status          text        NOT NULL DEFAULT 'planned'
                    CHECK (status IN ('planned', 'running', 'completed', 'failed', 'aborted', 'blocked')),
    parameters      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(parameters) = 'object'),
    blocked_reason  text,
    notes           text        NOT NULL DEFAULT '',
    started_at      timestamptz,
    finished_at     timestamptz,
    operator_id     uuid        REFERENCES users (id),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, recipe_id) REFERENCES recipes (organization_id, id),
    FOREIGN KEY (organization_id, sample_id) REFERENCES samples (organization_id, id),
    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id),
    CONSTRAINT check_run_times CHECK (finished_at IS NULL OR finished_at >= started_at),
    CHECK (status <> 'blocked' OR blocked_reason IS NOT NULL)
);
CREATE INDEX runs_org_status_idx ON runs (organization_id, status);
CREATE INDEX runs_created_idx ON runs (organization_id, created_at DESC, id DESC);
CREATE INDEX runs_sample_idx ON runs (organization_id, sample_id);
SELECT spectra_tenant_table('runs', 'SELECT, INSERT, UPDATE');

ALTER TABLE eln_links ADD FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id);

-- The instruments a run uses, with the certificate that was effective when
-- the run was created (what its report shows).
CREATE TABLE run_instruments (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT spectra_uuidv7(),
    run_id          uuid NOT NULL,
    instrument_id   uuid NOT NULL,
    calibration_id  uuid,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, run_id, instrument_id),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id),
    FOREIGN KEY (organization_id, instrument_id) REFERENCES instruments (organization_id, id),
    FOREIGN KEY (organization_id, calibration_id) REFERENCES calibrations (organization_id, id)
);
SELECT spectra_tenant_table('run_instruments', 'SELECT, INSERT');

-- Every status change of a run, with who and why.
CREATE TABLE run_transitions (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    run_id          uuid        NOT NULL,
    from_status     text,
    to_status       text        NOT NULL,
    reason          text        NOT NULL DEFAULT '',
    actor_id        uuid        REFERENCES users (id),
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id)
);
CREATE INDEX run_transitions_run_idx ON run_transitions (organization_id, run_id, at);
SELECT spectra_tenant_table('run_transitions', 'SELECT, INSERT');

CREATE TABLE run_results (
    organization_id uuid             NOT NULL REFERENCES organizations (id),
    id              uuid             NOT NULL DEFAULT spectra_uuidv7(),
    run_id          uuid             NOT NULL,
    device_id       uuid,
    metric          text             NOT NULL CHECK (length(metric) BETWEEN 1 AND 128),
    value           double precision NOT NULL,
    unit            text             NOT NULL DEFAULT '',
    measured_at     timestamptz      NOT NULL DEFAULT now(),
    metadata        jsonb            NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_by      uuid             REFERENCES users (id),
    created_at      timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id),
    FOREIGN KEY (organization_id, device_id) REFERENCES devices (organization_id, id)
);
CREATE INDEX run_results_run_idx ON run_results (organization_id, run_id, id);
-- Measurements are appended, never edited.
SELECT spectra_tenant_table('run_results', 'SELECT, INSERT');

CREATE TABLE spc_series (
    organization_id uuid             NOT NULL REFERENCES organizations (id),
    id              uuid             NOT NULL DEFAULT spectra_uuidv7(),
    name            text             NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    metric          text             NOT NULL CHECK (length(metric) BETWEEN 1 AND 128),
    unit            text             NOT NULL DEFAULT '',
    instrument_id   uuid,
    recipe_id       uuid,
    center_line     double precision NOT NULL,
    sigma           double precision NOT NULL CHECK (sigma > 0),
    ucl             double precision NOT NULL,
    lcl             double precision NOT NULL,
    baseline_size   integer          CHECK (baseline_size > 1),
    created_by      uuid             REFERENCES users (id),
    created_at      timestamptz      NOT NULL DEFAULT now(),
    updated_at      timestamptz      NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer          NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name),
    FOREIGN KEY (organization_id, instrument_id) REFERENCES instruments (organization_id, id),
    FOREIGN KEY (organization_id, recipe_id) REFERENCES recipes (organization_id, id),
    CHECK (lcl < center_line AND center_line < ucl)
);
CREATE INDEX spc_series_metric_idx ON spc_series (organization_id, metric);
SELECT spectra_tenant_table('spc_series', 'SELECT, INSERT, UPDATE');

CREATE TABLE spc_points (
    organization_id uuid             NOT NULL REFERENCES organizations (id),
    id              uuid             NOT NULL DEFAULT spectra_uuidv7(),
    series_id       uuid             NOT NULL,
    ts              timestamptz      NOT NULL,
    value           double precision NOT NULL,
    run_id          uuid,
    run_result_id   uuid,
    created_at      timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, series_id) REFERENCES spc_series (organization_id, id),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id),
    FOREIGN KEY (organization_id, run_result_id) REFERENCES run_results (organization_id, id)
);
-- The last N points of a series, newest first, straight off this index.
CREATE INDEX spc_points_series_ts_idx ON spc_points (organization_id, series_id, ts DESC, id DESC) INCLUDE (value);
SELECT spectra_tenant_table('spc_points', 'SELECT, INSERT');

CREATE TABLE spc_alerts (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    series_id       uuid        NOT NULL,
    rule            text        NOT NULL CHECK (rule IN ('WE1', 'WE2', 'WE3', 'WE4')),
    point_ids       uuid[]      NOT NULL CHECK (cardinality(point_ids) >= 1),
    message         text        NOT NULL,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by uuid        REFERENCES users (id),
    ack_comment     text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, series_id) REFERENCES spc_series (organization_id, id),
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE INDEX spc_alerts_series_idx ON spc_alerts (organization_id, series_id, raised_at DESC);
CREATE INDEX spc_alerts_open_idx ON spc_alerts (organization_id, raised_at DESC) WHERE acknowledged_at IS NULL;
SELECT spectra_tenant_table('spc_alerts', 'SELECT, INSERT, UPDATE');

CREATE TABLE feature_sets (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    revision        integer     NOT NULL DEFAULT 1 CHECK (revision >= 1),
    description     text        NOT NULL DEFAULT '',
    features        jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(features) = 'array'),
    source          jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(source) = 'object'),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name, revision)
);
SELECT spectra_tenant_table('feature_sets', 'SELECT, INSERT, UPDATE');

CREATE TABLE models (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    revision        integer     NOT NULL DEFAULT 1 CHECK (revision >= 1),
    feature_set_id  uuid        NOT NULL,
    algorithm       text        NOT NULL DEFAULT '',
    hyperparameters jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(hyperparameters) = 'object'),
    metrics         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    artifact_uri    text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'training'
                    CHECK (status IN ('training', 'ready', 'deployed', 'retired', 'failed')),
    trained_at      timestamptz,
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name, revision),
    FOREIGN KEY (organization_id, feature_set_id) REFERENCES feature_sets (organization_id, id)
);
SELECT spectra_tenant_table('models', 'SELECT, INSERT, UPDATE');

-- +goose Down
DROP TABLE models;
DROP TABLE feature_sets;
DROP TABLE spc_alerts;
DROP TABLE spc_points;
DROP TABLE spc_series;
DROP TABLE run_results;
DROP TABLE run_transitions;
DROP TABLE run_instruments;
ALTER TABLE eln_links DROP CONSTRAINT eln_links_organization_id_run_id_fkey;
DROP TABLE runs;
DROP TABLE calibrations;
DROP TABLE instruments;
