-- Webhooks (PRODUCT.md §14): an organization's outgoing HTTP callbacks,
-- one signed POST per notification event and webhook subscribed to its
-- kind.
--
-- The secret signs every delivery (HMAC-SHA256); it is shown once, when
-- the webhook is created, and the audit log redacts it.
--
-- webhook_deliveries is the outbox: notify() writes one row per active
-- webhook subscribed to the kind in the producer's transaction, so the
-- delivery exists exactly when the change it reports committed. A
-- periodic job (webhook_sweep) queues a River job per row whose round
-- is not queued yet; round grows with each redelivery. event_id is
-- derived from the producer's dedupe key, so a producer retried after a
-- crash writes no second row (webhook_deliveries_event).

-- +goose Up
CREATE TABLE webhooks (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    url             text        NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    secret          text        NOT NULL CHECK (length(secret) >= 32),
    kinds           text[]      NOT NULL CHECK (cardinality(kinds) >= 1 AND kinds <@ ARRAY['calibration_warning', 'calibration_expired', 'review_submitted', 'spc_alert', 'run_blocked']),
    active          boolean     NOT NULL DEFAULT true,
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
SELECT spectra_tenant_table('webhooks', 'SELECT, INSERT, DELETE', ARRAY['secret']);

CREATE TABLE webhook_deliveries (
    organization_id  uuid        NOT NULL,
    id               uuid        NOT NULL DEFAULT spectra_uuidv7(),
    webhook_id       uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('calibration_warning', 'calibration_expired', 'review_submitted', 'spc_alert', 'run_blocked')),
    payload          jsonb       NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text        NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- round: 0 at first, raised by each redelivery; queued_round: the
    -- last round a job was queued for (-1: none yet).
    round            integer     NOT NULL DEFAULT 0,
    queued_round     integer     NOT NULL DEFAULT -1,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT webhook_deliveries_event UNIQUE (organization_id, webhook_id, event_id),
    FOREIGN KEY (organization_id, webhook_id) REFERENCES webhooks (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (organization_id, webhook_id, id);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (organization_id) WHERE queued_round < round;
SELECT spectra_tenant_table('webhook_deliveries', 'SELECT, INSERT, UPDATE (attempts, last_status_code, last_error, delivered_at, round, queued_round)');
-- Like notifications, a delivery is a message derived from an audited
-- change, not a record change: no audit row per attempt.
DROP TRIGGER audit ON webhook_deliveries;

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
