-- Notifications (PRODUCT.md §14): the in-app inbox, one row per
-- recipient, and each user's choice of channels per kind.
--
-- A notification is not a record change: it is a message derived from
-- one (an SPC alert raised, a calibration expiring), and that change is
-- audited where it happens. Reading a notification is not a change of the
-- lab's records either. So notifications carry no audit trigger (an audit
-- row per recipient and per "mark read" would drown the log); the
-- preferences, which a user sets, are audited like every setting.
--
-- dedupe_key is the producer's key (e.g. "spc_alert:<alert id>"): a job
-- retried after a crash writes the same key again and notifies nobody
-- twice (notifications_dedupe_key).

-- +goose Up
CREATE TABLE notifications (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL DEFAULT spectra_uuidv7(),
    user_id         uuid        NOT NULL REFERENCES users (id),
    kind            text        NOT NULL CHECK (kind IN ('calibration_warning', 'calibration_expired', 'review_submitted', 'spc_alert', 'run_blocked')),
    subject         text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body            text        NOT NULL CHECK (length(body) <= 10000),
    link            text        NOT NULL CHECK (link ~ '^/[^/\\]' AND length(link) <= 2000),
    object_kind     text        NOT NULL CHECK (length(object_kind) BETWEEN 1 AND 50),
    object_id       uuid        NOT NULL,
    dedupe_key      text        NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    read_at         timestamptz,
    -- false: the user turned the inbox off for the kind; the row stays as
    -- the delivery's record (its key) and the inbox never lists it.
    inbox           boolean     NOT NULL DEFAULT true,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT notifications_dedupe_key UNIQUE (organization_id, user_id, dedupe_key)
);
CREATE INDEX notifications_user_idx ON notifications (organization_id, user_id, id) WHERE inbox;
CREATE INDEX notifications_unread_idx ON notifications (organization_id, user_id) WHERE inbox AND read_at IS NULL;
SELECT spectra_tenant_table('notifications', 'SELECT, INSERT, UPDATE (read_at)');
DROP TRIGGER audit ON notifications;

-- A missing row is the default of its kind: inbox and e-mail on, no
-- webhook, no digest (spectra.DefaultNotificationPreference). A user's
-- set of preferences is versioned as a whole: 1 + the sum of its rows'
-- versions, which every change raises (an insert adds a row at 1, the
-- touch trigger raises an update's), so a change made from a stale form
-- is refused like any update's.
CREATE TABLE notification_preferences (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    user_id         uuid        NOT NULL REFERENCES users (id),
    kind            text        NOT NULL CHECK (kind IN ('calibration_warning', 'calibration_expired', 'review_submitted', 'spc_alert', 'run_blocked')),
    inbox           boolean     NOT NULL,
    email           boolean     NOT NULL,
    webhook         boolean     NOT NULL,
    daily_digest    boolean     NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, user_id, kind)
);
SELECT spectra_tenant_table('notification_preferences', 'SELECT, INSERT, UPDATE (inbox, email, webhook, daily_digest)');

-- +goose Down
DROP TABLE notification_preferences;
DROP TABLE notifications;
