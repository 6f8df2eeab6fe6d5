package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Webhooks (PRODUCT.md §14): an organization's outgoing webhooks and the
// delivery log. The URL rules are the caller's (internal/webhook); the
// store keeps what passed them. Another organization's webhook or
// delivery is CodeNotFound.

const webhookColumns = `w.id, w.url, w.kinds, w.active, w.created_by, w.created_at`

func scanWebhook(r pgx.Row) (spectra.Webhook, error) {
	var w spectra.Webhook
	var kinds []string
	err := r.Scan(&w.ID, &w.URL, &kinds, &w.Active, &w.CreatedBy, &w.CreatedAt)
	for _, k := range kinds {
		w.Kinds = append(w.Kinds, spectra.NotificationKind(k))
	}
	return w, err
}

var errWebhookNotFound = spectra.Errorf(spectra.CodeNotFound, "webhook not found")

// CreateWebhook adds a webhook with its secret, made by t's user.
func (db *DB) CreateWebhook(ctx context.Context, t Tenant, url string, kinds []spectra.NotificationKind, secret string) (spectra.Webhook, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		if !k.Valid() {
			return spectra.Webhook{}, &spectra.Error{Code: spectra.CodeInvalid, Message: "unknown notification kind " + string(k),
				Fields: []spectra.FieldError{{Field: "kinds", Message: "unknown kind"}}}
		}
		names[i] = string(k)
	}
	var by *uuid.UUID
	if t.UserID != uuid.Nil {
		by = &t.UserID
	}
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Webhook, error) {
		return scanWebhook(tx.QueryRow(ctx, `INSERT INTO webhooks AS w (organization_id, url, secret, kinds, created_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+webhookColumns, t.OrgID, url, secret, names, by))
	})
}

// ListWebhooks lists the organization's webhooks, newest first (never
// their secrets).
func (db *DB) ListWebhooks(ctx context.Context, t Tenant) ([]spectra.Webhook, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) ([]spectra.Webhook, error) {
		r, err := tx.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.organization_id = $1 ORDER BY w.id DESC`, t.OrgID)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.Webhook, error) { return scanWebhook(r) })
	})
}

// DeleteWebhook removes a webhook and its delivery log (the audit log
// keeps that it existed).
func (db *DB) DeleteWebhook(ctx context.Context, t Tenant, id uuid.UUID) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE organization_id = $1 AND id = $2`, t.OrgID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return errWebhookNotFound
		}
		return err
	})
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.kind, d.payload, d.attempts, d.last_status_code, d.last_error, d.delivered_at, d.created_at, d.round`

func scanDelivery(r pgx.Row) (spectra.WebhookDelivery, error) {
	var d spectra.WebhookDelivery
	var payload []byte
	err := r.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Kind, &payload, &d.Attempts, &d.LastStatusCode, &d.LastError, &d.DeliveredAt, &d.CreatedAt, &d.Round)
	if err == nil {
		err = json.Unmarshal(payload, &d.Payload)
	}
	return d, err
}

// WebhookDeliveries is the delivery log of webhook id, newest first, at
// most limit rows.
func (db *DB) WebhookDeliveries(ctx context.Context, t Tenant, id uuid.UUID, limit int) ([]spectra.WebhookDelivery, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) ([]spectra.WebhookDelivery, error) {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM webhooks WHERE organization_id = $1 AND id = $2)`, t.OrgID, id).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			return nil, errWebhookNotFound
		}
		r, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.organization_id = $1 AND d.webhook_id = $2
			ORDER BY d.id DESC LIMIT $3`, t.OrgID, id, limit)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.WebhookDelivery, error) { return scanDelivery(r) })
	})
}

// RedeliverWebhook starts a new round of delivery id of webhook: the job
// queue sends it again (a new timestamp and signature, the same event).
func (db *DB) RedeliverWebhook(ctx context.Context, t Tenant, webhook, id uuid.UUID) (spectra.WebhookDelivery, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.WebhookDelivery, error) {
		d, err := scanDelivery(tx.QueryRow(ctx, `UPDATE webhook_deliveries d SET round = round + 1, delivered_at = NULL, last_error = ''
			WHERE organization_id = $1 AND webhook_id = $2 AND id = $3 RETURNING `+deliveryColumns, t.OrgID, webhook, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return d, spectra.Errorf(spectra.CodeNotFound, "delivery not found")
		}
		return d, err
	})
}

// enqueueWebhooks writes, in a producer's transaction, one delivery of
// n's event per active webhook of org subscribed to its kind: the
// outbox the job queue drains (QueueWebhookDeliveries). The event's id
// is derived from n.DedupeKey: a producer retried writes no second row.
func enqueueWebhooks(ctx context.Context, tx pgx.Tx, org uuid.UUID, n spectra.NewNotification) error {
	ev := spectra.WebhookEvent{
		ID: uuid.NewSHA1(org, []byte(n.DedupeKey)), Kind: n.Kind, Organization: org,
		OccurredAt: time.Now().UTC().Truncate(time.Millisecond),
		Object:     spectra.WebhookObject{Kind: n.Object.Kind, ID: n.Object.ID, Name: n.ObjectName},
		Subject:    n.Subject, Link: n.Link,
	}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (organization_id, webhook_id, event_id, kind, payload)
		SELECT $1, w.id, $2, $3, $4 FROM webhooks w WHERE w.organization_id = $1 AND w.active AND $3 = ANY (w.kinds)
		ON CONFLICT ON CONSTRAINT webhook_deliveries_event DO NOTHING`, org, ev.ID, string(n.Kind), jsonb(ev))
	return err
}

// PendingWebhookDelivery is a round of a delivery no job was queued for.
type PendingWebhookDelivery struct {
	ID    uuid.UUID
	Round int
}

func systemTenant(org uuid.UUID) Tenant { return Tenant{OrgID: org, Auth: "system"} }

// PendingWebhookDeliveries are org's deliveries whose current round has
// no job yet (at most limit).
func (db *DB) PendingWebhookDeliveries(ctx context.Context, org uuid.UUID, limit int) ([]PendingWebhookDelivery, error) {
	return inTenant(ctx, db, systemTenant(org), func(tx pgx.Tx) ([]PendingWebhookDelivery, error) {
		r, err := tx.Query(ctx, `SELECT id, round FROM webhook_deliveries WHERE organization_id = $1 AND queued_round < round
			ORDER BY id LIMIT $2`, org, limit)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(r, func(r pgx.CollectableRow) (PendingWebhookDelivery, error) {
			var p PendingWebhookDelivery
			return p, r.Scan(&p.ID, &p.Round)
		})
	})
}

// MarkWebhookDeliveriesQueued records that jobs were queued for these
// rounds.
func (db *DB) MarkWebhookDeliveriesQueued(ctx context.Context, org uuid.UUID, ds []PendingWebhookDelivery) error {
	ids := make([]uuid.UUID, len(ds))
	rounds := make([]int32, len(ds))
	for i, d := range ds {
		ids[i], rounds[i] = d.ID, int32(d.Round)
	}
	return db.InTenant(ctx, systemTenant(org), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries d SET queued_round = greatest(d.queued_round, q.round)
			FROM unnest($2::uuid[], $3::int[]) AS q (id, round) WHERE d.organization_id = $1 AND d.id = q.id`, org, ids, rounds)
		return err
	})
}

// WebhookSend is what a delivery job sends.
type WebhookSend struct {
	URL, Secret string
	EventID     uuid.UUID
	Payload     []byte
	// Due: round is the delivery's current round and it is not
	// delivered yet (else the job has nothing to do).
	Due bool
}

// WebhookDeliveryToSend reads delivery id of org for round.
func (db *DB) WebhookDeliveryToSend(ctx context.Context, org, id uuid.UUID, round int) (WebhookSend, error) {
	return inTenant(ctx, db, systemTenant(org), func(tx pgx.Tx) (WebhookSend, error) {
		var s WebhookSend
		var payload string
		err := tx.QueryRow(ctx, `SELECT w.url, w.secret, d.event_id, d.payload::text, w.active AND d.round = $3 AND d.delivered_at IS NULL
			FROM webhook_deliveries d JOIN webhooks w ON w.organization_id = d.organization_id AND w.id = d.webhook_id
			WHERE d.organization_id = $1 AND d.id = $2`, org, id, round).Scan(&s.URL, &s.Secret, &s.EventID, &payload, &s.Due)
		if errors.Is(err, pgx.ErrNoRows) {
			return s, nil // the webhook was deleted: nothing to send
		}
		s.Payload = []byte(payload)
		return s, err
	})
}

// RecordWebhookAttempt records one attempt of round of delivery id:
// its status code (0: no answer), its error, and whether it delivered.
func (db *DB) RecordWebhookAttempt(ctx context.Context, org, id uuid.UUID, round, status int, errText string, delivered bool) error {
	var code *int
	if status != 0 {
		code = &status
	}
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	return db.InTenant(ctx, systemTenant(org), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $4, last_error = $5,
			delivered_at = CASE WHEN $6 THEN now() END WHERE organization_id = $1 AND id = $2 AND round = $3`,
			org, id, round, code, errText, delivered)
		return err
	})
}
