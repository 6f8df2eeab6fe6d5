package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Webhook is one of an organization's outgoing webhooks (PRODUCT.md
// §14): each notification event of a kind it subscribes to is POSTed to
// URL, signed with its secret (shown once, when it is created).
type Webhook struct {
	ID        uuid.UUID          `json:"id"`
	URL       string             `json:"url"`
	Kinds     []NotificationKind `json:"kinds"`
	Active    bool               `json:"active"`
	CreatedBy *uuid.UUID         `json:"created_by"`
	CreatedAt time.Time          `json:"created_at"`
}

// WebhookObject is the object an event is about, by kind, id and name.
type WebhookObject struct {
	Kind string    `json:"kind"`
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// WebhookEvent is the JSON body of a delivery.
type WebhookEvent struct {
	ID           uuid.UUID        `json:"id" doc:"The event's id: the same in every delivery and redelivery of the event."`
	Kind         NotificationKind `json:"kind"`
	Organization uuid.UUID        `json:"organization"`
	OccurredAt   time.Time        `json:"occurred_at"`
	Object       WebhookObject    `json:"object"`
	Subject      string           `json:"subject"`
	Link         string           `json:"link" doc:"The object's page, relative to the server's address."`
}

// WebhookDelivery is one event's delivery to one webhook: the delivery
// log's row, with the last attempt's outcome.
type WebhookDelivery struct {
	ID             uuid.UUID        `json:"id"`
	WebhookID      uuid.UUID        `json:"webhook_id"`
	EventID        uuid.UUID        `json:"event_id"`
	Kind           NotificationKind `json:"kind"`
	Payload        WebhookEvent     `json:"payload"`
	Attempts       int              `json:"attempts"`
	LastStatusCode *int             `json:"last_status_code" doc:"The last attempt's HTTP status; null when it got no answer or none was made."`
	LastError      string           `json:"last_error"`
	DeliveredAt    *time.Time       `json:"delivered_at"`
	CreatedAt      time.Time        `json:"created_at"`
	// Round counts the redeliveries (0: the first delivery).
	Round int `json:"round"`
}
