-- Recipes and SOPs through the API: one open draft per lineage, SOP
-- approvals recorded like recipe approvals, and signatures found by the
-- recipe or SOP they approve.

-- +goose Up
-- A lineage has at most one draft at a time: starting a second new version
-- while one is open answers 409 instead of growing parallel drafts that
-- would each claim to be "the next revision". Concurrent requests are
-- settled here, not by a read-then-write in the application.
CREATE UNIQUE INDEX recipes_lineage_draft_uq ON recipes (organization_id, lineage_id)
    WHERE status = 'draft' AND deleted_at IS NULL;
CREATE UNIQUE INDEX sops_lineage_draft_uq ON sops (organization_id, lineage_id)
    WHERE status = 'draft' AND deleted_at IS NULL;

CREATE INDEX signatures_recipe_idx ON signatures (organization_id, recipe_id) WHERE recipe_id IS NOT NULL;
CREATE INDEX signatures_sop_idx ON signatures (organization_id, sop_id) WHERE sop_id IS NOT NULL;

-- Who approved an SOP revision, in which role, with what comment, and the
-- signature that proves it: the SOP counterpart of recipe_approvals.
CREATE TABLE sop_approvals (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    sop_id          uuid        NOT NULL,
    approver_id     uuid        NOT NULL REFERENCES users (id),
    approver_role   text        NOT NULL CONSTRAINT check_approver_role CHECK (approver_role IN ('admin', 'pi')),
    comment         text        NOT NULL DEFAULT '',
    signature_id    uuid,
    approved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, sop_id) REFERENCES sops (organization_id, id),
    FOREIGN KEY (organization_id, signature_id) REFERENCES signatures (organization_id, id)
);
CREATE INDEX sop_approvals_sop_idx ON sop_approvals (organization_id, sop_id);
SELECT spectra_tenant_table('sop_approvals', 'SELECT, INSERT');

-- +goose Down
DROP TABLE sop_approvals;
DROP INDEX signatures_sop_idx;
DROP INDEX signatures_recipe_idx;
DROP INDEX sops_lineage_draft_uq;
DROP INDEX recipes_lineage_draft_uq;
