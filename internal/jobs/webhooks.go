package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/webhook"
)

// Webhook deliveries. notify() writes a delivery row (the outbox) in the
// producer's transaction, which runs as spectra_app and may not touch
// River's tables; the periodic WebhookSweepArgs queues one
// WebhookDeliveryArgs job per row and round (unique by its arguments,
// so a sweep repeated after a crash, or run by two instances, queues
// nothing twice), then marks the round queued.

// WebhookMaxAttempts caps the attempts of one round of a delivery.
const WebhookMaxAttempts = 8

// DefaultWebhookSweep is how often pending deliveries are queued.
const DefaultWebhookSweep = 5 * time.Second

// DefaultWebhookBackoff is the wait after a delivery's first failed
// attempt; it doubles with each further one (30 s, 1 min, 2 min, … up
// to an hour).
const DefaultWebhookBackoff = 30 * time.Second

// WebhookSweepArgs queues the deliveries no job was queued for yet.
type WebhookSweepArgs struct{}

// Kind is the job's kind in river_job.
func (WebhookSweepArgs) Kind() string { return "webhook_sweep" }

// WebhookDeliveryArgs sends one round of one delivery.
type WebhookDeliveryArgs struct {
	OrganizationID uuid.UUID `json:"organization_id"`
	DeliveryID     uuid.UUID `json:"delivery_id"`
	Round          int       `json:"round"`
}

// Kind is the job's kind in river_job.
func (WebhookDeliveryArgs) Kind() string { return "webhook_delivery" }

// Organization is the organization whose tenant transaction the job uses.
func (a WebhookDeliveryArgs) Organization() uuid.UUID { return a.OrganizationID }

// InsertOpts: one job per delivery and round, at most
// WebhookMaxAttempts attempts.
func (WebhookDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: WebhookMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// sweepWebhooks queues the pending deliveries of every organization.
func sweepWebhooks(ctx context.Context, db *postgres.DB) error {
	orgs, err := db.OrganizationIDs(ctx)
	if err != nil {
		return err
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	for _, org := range orgs {
		pending, err := db.PendingWebhookDeliveries(ctx, org, 500)
		if err != nil || len(pending) == 0 {
			if err != nil {
				return err
			}
			continue
		}
		params := make([]river.InsertManyParams, len(pending))
		for i, p := range pending {
			params[i] = river.InsertManyParams{Args: WebhookDeliveryArgs{OrganizationID: org, DeliveryID: p.ID, Round: p.Round}}
		}
		if _, err := client.InsertMany(ctx, params); err != nil {
			return err
		}
		if err := db.MarkWebhookDeliveriesQueued(ctx, org, pending); err != nil {
			return err
		}
	}
	return nil
}

// deliveryWorker sends a delivery; an answer other than 2xx (or none)
// is recorded and returned, and River tries again after backoff.
type deliveryWorker struct {
	river.WorkerDefaults[WebhookDeliveryArgs]
	db      *postgres.DB
	policy  webhook.Policy
	client  *http.Client
	backoff time.Duration
	now     func() time.Time
}

func (w *deliveryWorker) Work(ctx context.Context, j *river.Job[WebhookDeliveryArgs]) error {
	a := j.Args
	if a.OrganizationID == uuid.Nil {
		return river.JobCancel(fmt.Errorf("job %s has no organization_id", j.Kind))
	}
	s, err := w.db.WebhookDeliveryToSend(ctx, a.OrganizationID, a.DeliveryID, a.Round)
	if err != nil || !s.Due {
		return err
	}
	res := w.policy.Send(ctx, w.client, s.URL, s.Secret, s.EventID.String(), s.Payload, w.now())
	msg := ""
	if res.Err != nil {
		msg = res.Err.Error()
	}
	if err := w.db.RecordWebhookAttempt(ctx, a.OrganizationID, a.DeliveryID, a.Round, res.Status, msg, res.Err == nil); err != nil {
		return errors.Join(res.Err, err)
	}
	return res.Err
}

// NextRetry doubles the wait from backoff, capped at an hour.
func (w *deliveryWorker) NextRetry(j *river.Job[WebhookDeliveryArgs]) time.Time {
	d := w.backoff
	for i := 1; i < j.Attempt && d < time.Hour; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, time.Hour))
}

// Timeout: the attempt's own bound is webhook.Timeout.
func (w *deliveryWorker) Timeout(*river.Job[WebhookDeliveryArgs]) time.Duration {
	return webhook.Timeout + 5*time.Second
}
