-- LIMS: projects, samples, wafers, devices, recipes and their approvals, SOPs,
-- the lab notebook with signatures, and the chain of custody.
-- Every table leads its keys with organization_id, and every reference to
-- another tenant table includes it, so a row can never point into another
-- organization.

-- +goose Up
CREATE TABLE projects (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    code            text        NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, code)
);
SELECT spectra_tenant_table('projects', 'SELECT, INSERT, UPDATE');

CREATE TABLE samples (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    barcode         text        NOT NULL CHECK (length(barcode) BETWEEN 1 AND 128),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    material        text        NOT NULL DEFAULT '',
    project_id      uuid,
    status          text        NOT NULL DEFAULT 'registered'
                    CHECK (status IN ('registered', 'in_use', 'stored', 'checked_out', 'consumed', 'disposed')),
    location        text        NOT NULL DEFAULT '',
    holder          text        NOT NULL DEFAULT '',
    metadata        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, barcode),
    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id)
);
CREATE INDEX samples_project_idx ON samples (organization_id, project_id);
CREATE INDEX samples_created_idx ON samples (organization_id, created_at DESC, id DESC);
SELECT spectra_tenant_table('samples', 'SELECT, INSERT, UPDATE');

CREATE TABLE wafers (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    sample_id       uuid        NOT NULL,
    label           text        NOT NULL CHECK (length(label) BETWEEN 1 AND 128),
    diameter_mm     numeric(6, 2) CHECK (diameter_mm > 0),
    notes           text        NOT NULL DEFAULT '',
    metadata        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, sample_id, label),
    FOREIGN KEY (organization_id, sample_id) REFERENCES samples (organization_id, id)
);
SELECT spectra_tenant_table('wafers', 'SELECT, INSERT, UPDATE');

CREATE TABLE devices (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    wafer_id        uuid        NOT NULL,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    kind            text        NOT NULL DEFAULT '',
    position        text        NOT NULL DEFAULT '',
    metadata        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, wafer_id, name),
    FOREIGN KEY (organization_id, wafer_id) REFERENCES wafers (organization_id, id)
);
SELECT spectra_tenant_table('devices', 'SELECT, INSERT, UPDATE');

-- Recipes are versioned: every revision of one method shares a lineage_id;
-- an approved revision is immutable, and runs point at the exact revision.
-- (revision is the recipe's version number; version is the row's
-- optimistic-concurrency counter, as on every table.)
CREATE TABLE recipes (
    organization_id  uuid        NOT NULL REFERENCES organizations (id),
    id               uuid        NOT NULL DEFAULT spectra_uuidv7(),
    lineage_id       uuid        NOT NULL,
    revision         integer     NOT NULL DEFAULT 1 CHECK (revision >= 1),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text        NOT NULL DEFAULT '',
    parameters       jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(parameters) = 'array'),
    instrument_kinds text[]      NOT NULL DEFAULT '{}',
    status           text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'retired')),
    approved_at      timestamptz,
    approved_by      uuid        REFERENCES users (id),
    retired_at       timestamptz,
    created_by       uuid        REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    version          integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, lineage_id, revision),
    CHECK (status = 'draft' OR approved_at IS NOT NULL)
);
CREATE INDEX recipes_status_idx ON recipes (organization_id, status);
SELECT spectra_tenant_table('recipes', 'SELECT, INSERT, UPDATE');

CREATE TABLE sops (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    lineage_id      uuid        NOT NULL,
    revision        integer     NOT NULL DEFAULT 1 CHECK (revision >= 1),
    code            text        NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    title           text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body_markdown   text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'retired')),
    approved_at     timestamptz,
    approved_by     uuid        REFERENCES users (id),
    retired_at      timestamptz,
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, lineage_id, revision),
    UNIQUE (organization_id, code, revision),
    CHECK (status = 'draft' OR approved_at IS NOT NULL)
);
SELECT spectra_tenant_table('sops', 'SELECT, INSERT, UPDATE');

CREATE TABLE eln_entries (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    project_id      uuid,
    title           text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body_markdown   text        NOT NULL DEFAULT '',
    -- An amendment corrects an entry and leaves it (and its signatures) intact.
    amends_id       uuid,
    locked_at       timestamptz,
    search          tsvector    GENERATED ALWAYS AS (
                        setweight(to_tsvector('english', title), 'A') ||
                        setweight(to_tsvector('english', body_markdown), 'B')) STORED,
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id),
    FOREIGN KEY (organization_id, amends_id) REFERENCES eln_entries (organization_id, id)
);
CREATE INDEX eln_entries_search_idx ON eln_entries USING gin (organization_id, search);
CREATE INDEX eln_entries_created_idx ON eln_entries (organization_id, created_at DESC, id DESC);
SELECT spectra_tenant_table('eln_entries', 'SELECT, INSERT, UPDATE');

-- Links from notebook entries to the samples (and, once runs exist, runs)
-- they are about; see 00003 for the run column's foreign key.
CREATE TABLE eln_links (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    entry_id        uuid        NOT NULL,
    sample_id       uuid,
    run_id          uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, entry_id) REFERENCES eln_entries (organization_id, id),
    FOREIGN KEY (organization_id, sample_id) REFERENCES samples (organization_id, id),
    CHECK ((sample_id IS NULL) <> (run_id IS NULL))
);
CREATE UNIQUE INDEX eln_links_sample_uq ON eln_links (organization_id, entry_id, sample_id) WHERE sample_id IS NOT NULL;
CREATE UNIQUE INDEX eln_links_run_uq ON eln_links (organization_id, entry_id, run_id) WHERE run_id IS NOT NULL;
SELECT spectra_tenant_table('eln_links', 'SELECT, INSERT, DELETE');

-- E-signatures (21 CFR Part 11 style): who, in which role, when, meaning,
-- and the SHA-256 of the exact content signed. Exactly one subject.
CREATE TABLE signatures (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    eln_entry_id    uuid,
    sop_id          uuid,
    recipe_id       uuid,
    signer_id       uuid        NOT NULL REFERENCES users (id),
    signer_role     text        NOT NULL CHECK (signer_role IN ('admin', 'pi', 'engineer', 'technician', 'viewer')),
    meaning         text        NOT NULL CHECK (meaning IN ('authored', 'reviewed', 'approved')),
    content_sha256  bytea       NOT NULL CHECK (length(content_sha256) = 32),
    auth_method     text        NOT NULL,
    signed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, eln_entry_id) REFERENCES eln_entries (organization_id, id),
    FOREIGN KEY (organization_id, sop_id) REFERENCES sops (organization_id, id),
    FOREIGN KEY (organization_id, recipe_id) REFERENCES recipes (organization_id, id),
    CHECK (num_nonnulls(eln_entry_id, sop_id, recipe_id) = 1)
);
CREATE INDEX signatures_eln_idx ON signatures (organization_id, eln_entry_id) WHERE eln_entry_id IS NOT NULL;
-- Signatures are never changed or removed.
SELECT spectra_tenant_table('signatures', 'SELECT, INSERT');

CREATE TABLE recipe_approvals (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    recipe_id       uuid        NOT NULL,
    approver_id     uuid        NOT NULL REFERENCES users (id),
    approver_role   text        NOT NULL CONSTRAINT check_approver_role CHECK (approver_role IN ('admin', 'pi')),
    comment         text        NOT NULL DEFAULT '',
    signature_id    uuid,
    approved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, recipe_id) REFERENCES recipes (organization_id, id),
    FOREIGN KEY (organization_id, signature_id) REFERENCES signatures (organization_id, id)
);
CREATE INDEX recipe_approvals_recipe_idx ON recipe_approvals (organization_id, recipe_id);
SELECT spectra_tenant_table('recipe_approvals', 'SELECT, INSERT');

-- Chain of custody: append-only; a sample's holder and location follow
-- from its latest event.
CREATE TABLE custody_events (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    sample_id       uuid        NOT NULL,
    event_type      text        NOT NULL CHECK (event_type IN
                        ('received', 'transferred', 'stored', 'checked_out', 'returned', 'consumed', 'disposed')),
    from_holder     text        NOT NULL DEFAULT '',
    to_holder       text        NOT NULL DEFAULT '',
    from_location   text        NOT NULL DEFAULT '',
    to_location     text        NOT NULL DEFAULT '',
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    notes           text        NOT NULL DEFAULT '',
    recorded_by     uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, sample_id) REFERENCES samples (organization_id, id)
);
CREATE INDEX custody_events_sample_idx ON custody_events (organization_id, sample_id, occurred_at, id);
SELECT spectra_tenant_table('custody_events', 'SELECT, INSERT');

-- +goose Down
DROP TABLE custody_events;
DROP TABLE recipe_approvals;
DROP TABLE signatures;
DROP TABLE eln_links;
DROP TABLE eln_entries;
DROP TABLE sops;
DROP TABLE recipes;
DROP TABLE devices;
DROP TABLE wafers;
DROP TABLE samples;
DROP TABLE projects;
