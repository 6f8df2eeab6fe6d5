-- Data series on runs (PRODUCT.md §13): a curve of named columns with
-- units and up to 1,000,000 rows, stored compactly.
--
-- run_series is the series: its name, columns, row count and the SHA-256 of
-- its values, audited like every row. run_series_chunks holds the values:
-- level 0 the rows in chunks of 16,384 (each chunk every column's values in
-- turn, 8-byte little-endian floats, with the chunk's x range for zoomed
-- reads); level 1, chunk c, the downsampled copy of y column c (x values
-- then y values) that plots of the whole series read. A chunk is ~256 KiB
-- of bytea, stored out of line uncompressed (STORAGE EXTERNAL: floats do
-- not compress, and reading needs no decompression). docs/benchmarks.md
-- compares this layout with a row per point and float8[] chunks.
--
-- The chunks are the series' content, written once in the transaction
-- that creates it and never changed (the application may only INSERT and
-- SELECT them): the series row's audit entry, with the digest, records
-- them; an audit entry per chunk would copy the values into the log.

-- +goose Up
CREATE TABLE run_series (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    run_id          uuid        NOT NULL,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    columns         jsonb       NOT NULL CHECK (jsonb_typeof(columns) = 'array' AND jsonb_array_length(columns) BETWEEN 2 AND 16),
    row_count       integer     NOT NULL CHECK (row_count BETWEEN 1 AND 1000000),
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, run_id, name),
    FOREIGN KEY (organization_id, run_id) REFERENCES runs (organization_id, id)
);
SELECT spectra_tenant_table('run_series', 'SELECT, INSERT');

CREATE TABLE run_series_chunks (
    organization_id uuid             NOT NULL REFERENCES organizations (id),
    series_id       uuid             NOT NULL,
    level           smallint         NOT NULL CHECK (level IN (0, 1)),
    chunk           integer          NOT NULL CHECK (chunk >= 0),
    row_count       integer          NOT NULL CHECK (row_count BETWEEN 1 AND 16384),
    x_min           double precision NOT NULL,
    x_max           double precision NOT NULL CHECK (x_max >= x_min),
    data            bytea            NOT NULL CHECK (length(data) % 8 = 0),
    PRIMARY KEY (organization_id, series_id, level, chunk),
    FOREIGN KEY (organization_id, series_id) REFERENCES run_series (organization_id, id)
);
ALTER TABLE run_series_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
SELECT spectra_tenant_table('run_series_chunks', 'SELECT, INSERT');
DROP TRIGGER audit ON run_series_chunks;

-- +goose Down
DROP TABLE run_series_chunks;
DROP TABLE run_series;
