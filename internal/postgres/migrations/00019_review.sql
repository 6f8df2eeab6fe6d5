-- Review queue and separation of duties (PRODUCT.md §14, issue 15 item 3).
--
-- A draft recipe or SOP is submitted for review before it can be
-- approved: submitted_at/submitted_by mark it (status stays 'draft', so
-- the one-open-draft-per-lineage index and every status filter keep
-- their meaning); withdrawing or rejecting clears them, a rejection
-- recording who, when and why (review_note). edited_by is who last
-- edited the draft. The rules of the life (who may submit, approve,
-- reject) live in internal/spectra/revision.go; the columns only hold
-- the state, with CHECKs that keep it coherent. The audit trigger
-- already on both tables records every move.
--
-- organizations.require_independent_approval: an author (the creator,
-- the last editor or the submitter) may not approve their own revision.
-- On by default, and for existing organizations.

-- +goose Up
ALTER TABLE organizations ADD COLUMN require_independent_approval boolean NOT NULL DEFAULT true;

ALTER TABLE recipes
    ADD COLUMN edited_by    uuid        REFERENCES users (id),
    ADD COLUMN submitted_at timestamptz,
    ADD COLUMN submitted_by uuid        REFERENCES users (id),
    ADD COLUMN rejected_at  timestamptz,
    ADD COLUMN rejected_by  uuid        REFERENCES users (id),
    ADD COLUMN review_note  text        NOT NULL DEFAULT '' CHECK (length(review_note) <= 2000),
    ADD CONSTRAINT recipes_submitted_ck CHECK ((submitted_at IS NULL) = (submitted_by IS NULL)),
    ADD CONSTRAINT recipes_rejected_ck CHECK ((rejected_at IS NULL) = (rejected_by IS NULL));
ALTER TABLE sops
    ADD COLUMN edited_by    uuid        REFERENCES users (id),
    ADD COLUMN submitted_at timestamptz,
    ADD COLUMN submitted_by uuid        REFERENCES users (id),
    ADD COLUMN rejected_at  timestamptz,
    ADD COLUMN rejected_by  uuid        REFERENCES users (id),
    ADD COLUMN review_note  text        NOT NULL DEFAULT '' CHECK (length(review_note) <= 2000),
    ADD CONSTRAINT sops_submitted_ck CHECK ((submitted_at IS NULL) = (submitted_by IS NULL)),
    ADD CONSTRAINT sops_rejected_ck CHECK ((rejected_at IS NULL) = (rejected_by IS NULL));

-- The queue: what awaits review in an organization, oldest first.
CREATE INDEX recipes_review_idx ON recipes (organization_id, submitted_at)
    WHERE status = 'draft' AND submitted_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX sops_review_idx ON sops (organization_id, submitted_at)
    WHERE status = 'draft' AND submitted_at IS NOT NULL AND deleted_at IS NULL;

-- +goose Down
DROP INDEX sops_review_idx;
DROP INDEX recipes_review_idx;
ALTER TABLE sops DROP CONSTRAINT sops_rejected_ck, DROP CONSTRAINT sops_submitted_ck,
    DROP COLUMN review_note, DROP COLUMN rejected_by, DROP COLUMN rejected_at,
    DROP COLUMN submitted_by, DROP COLUMN submitted_at, DROP COLUMN edited_by;
ALTER TABLE recipes DROP CONSTRAINT recipes_rejected_ck, DROP CONSTRAINT recipes_submitted_ck,
    DROP COLUMN review_note, DROP COLUMN rejected_by, DROP COLUMN rejected_at,
    DROP COLUMN submitted_by, DROP COLUMN submitted_at, DROP COLUMN edited_by;
ALTER TABLE organizations DROP COLUMN require_independent_approval;
