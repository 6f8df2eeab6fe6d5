-- Files (PRODUCT.md §13): raw instrument files on runs, certificates on
-- calibrations, attachments on notebook entries and SOPs.
--
-- The bytes live in the object store (internal/blobstore: a directory or
-- an S3 bucket) under storage_key, a random 128-bit key: nobody finds an
-- object by guessing. The row holds what the upload streamed: the size and
-- the SHA-256, which every download checks. Content addressing: an
-- organization's objects are found by their digest (files_sha256_idx), so
-- uploading the same bytes again reuses the stored object.
--
-- A file belongs to exactly one owner. Deleting is soft (deleted_at,
-- deleted_by), audited by the trigger like the upload; downloads are
-- audited by the application (action DOWNLOAD). The application may
-- INSERT a file and set its deletion, nothing else: name, digest and key
-- never change.

-- +goose Up
CREATE TABLE files (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    run_id          uuid,
    calibration_id  uuid,
    eln_entry_id    uuid,
    sop_id          uuid,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255 AND name !~ '[/\\[:cntrl:]]' AND name NOT IN ('.', '..')),
    media_type      text        NOT NULL CHECK (media_type ~ '^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$' AND length(media_type) <= 255),
    size_bytes      bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256          bytea       NOT NULL CHECK (length(sha256) = 32),
    storage_key     text        NOT NULL CHECK (storage_key ~ '^[0-9a-f]{32}$'),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    deleted_by      uuid        REFERENCES users (id),
    PRIMARY KEY (organization_id, id),
    CHECK (num_nonnulls(run_id, calibration_id, eln_entry_id, sop_id) = 1),
    CHECK (deleted_by IS NULL OR deleted_at IS NOT NULL),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id),
    FOREIGN KEY (organization_id, calibration_id) REFERENCES calibrations (organization_id, id),
    FOREIGN KEY (organization_id, eln_entry_id) REFERENCES eln_entries (organization_id, id),
    FOREIGN KEY (organization_id, sop_id) REFERENCES sops (organization_id, id)
);
CREATE INDEX files_run_idx ON files (organization_id, run_id, id) WHERE run_id IS NOT NULL;
CREATE INDEX files_calibration_idx ON files (organization_id, calibration_id, id) WHERE calibration_id IS NOT NULL;
CREATE INDEX files_eln_entry_idx ON files (organization_id, eln_entry_id, id) WHERE eln_entry_id IS NOT NULL;
CREATE INDEX files_sop_idx ON files (organization_id, sop_id, id) WHERE sop_id IS NOT NULL;
CREATE INDEX files_sha256_idx ON files (organization_id, sha256);
SELECT spectra_tenant_table('files', 'SELECT, INSERT, UPDATE (deleted_at, deleted_by)');

-- The raw file a series was read from (NULL: the series came as JSON).
ALTER TABLE run_series ADD COLUMN file_id uuid;
ALTER TABLE run_series ADD FOREIGN KEY (organization_id, file_id) REFERENCES files (organization_id, id);

-- +goose Down
ALTER TABLE run_series DROP COLUMN file_id;
DROP TABLE files;
