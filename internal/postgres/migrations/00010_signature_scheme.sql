-- Each signature records how its digest was computed (spectra.SignatureScheme),
-- so that a better encoding can replace the old one without breaking the
-- signatures made with it: the manifests recompute a digest the way its
-- row says. Every signature made so far used the first encodings, named
-- 'v1' (an ELN entry's title, blank line, body; a recipe's or SOP's JSON);
-- new ones use 'v2', canonical JSON of every signed field. No default: the
-- application names the scheme of each signature it writes.

-- +goose Up
ALTER TABLE signatures ADD COLUMN scheme text NOT NULL DEFAULT 'v1'
    CONSTRAINT signatures_scheme_check CHECK (scheme IN ('v1', 'v2'));
ALTER TABLE signatures ALTER COLUMN scheme DROP DEFAULT;

-- +goose Down
-- The code before this migration knows only v1: a v2 signature's digest
-- will no longer match under it (the signature row itself stays).
ALTER TABLE signatures DROP COLUMN scheme;
