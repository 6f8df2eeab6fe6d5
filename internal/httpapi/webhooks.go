package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

type createWebhookInput struct {
	Body struct {
		URL   string                     `json:"url" minLength:"8" maxLength:"2000" doc:"https, to a public address (the operator's SPECTRA_WEBHOOK_ALLOW_HTTP and SPECTRA_WEBHOOK_ALLOW_HOSTS widen it)."`
		Kinds []spectra.NotificationKind `json:"kinds" minItems:"1" maxItems:"5" uniqueItems:"true" doc:"The kinds of event it receives." enum:"calibration_warning,calibration_expired,review_submitted,spc_alert,run_blocked"`
	}
}

type webhookCreated struct {
	spectra.Webhook
	Secret string `json:"secret" doc:"Signs every delivery (Spectra-Webhook-Signature). It is shown this once and never again."`
}

type createWebhookOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         webhookCreated
}

type listWebhooksOutput struct {
	Body struct {
		Items []spectra.Webhook `json:"items"`
	}
}

type webhookIDInput struct {
	ID uuid.UUID `path:"id"`
}

type webhookDeliveriesInput struct {
	ID    uuid.UUID `path:"id"`
	Limit int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200: the newest deliveries."`
}

type webhookDeliveriesOutput struct {
	Body struct {
		Items []spectra.WebhookDelivery `json:"items"`
	}
}

type redeliverInput struct {
	ID         uuid.UUID `path:"id"`
	DeliveryID uuid.UUID `path:"delivery_id"`
}

type redeliverOutput struct {
	Body spectra.WebhookDelivery
}

func (s *server) createWebhook(ctx context.Context, in *createWebhookInput) (*createWebhookOutput, error) {
	if err := s.webhooks.CheckURL(ctx, in.Body.URL); err != nil {
		return nil, invalid("url", err.Error())
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := "whsec_" + hex.EncodeToString(raw)
	w, err := s.store.CreateWebhook(ctx, s.tenant(ctx), in.Body.URL, in.Body.Kinds, secret)
	if err != nil {
		return nil, err
	}
	return &createWebhookOutput{CacheControl: "no-store", Body: webhookCreated{Webhook: w, Secret: secret}}, nil
}

func (s *server) listWebhooks(ctx context.Context, _ *struct{}) (*listWebhooksOutput, error) {
	ws, err := s.store.ListWebhooks(ctx, s.tenant(ctx))
	if err != nil {
		return nil, err
	}
	out := &listWebhooksOutput{}
	out.Body.Items = append([]spectra.Webhook{}, ws...)
	return out, nil
}

func (s *server) deleteWebhook(ctx context.Context, in *webhookIDInput) (*struct{}, error) {
	return nil, s.store.DeleteWebhook(ctx, s.tenant(ctx), in.ID)
}

func (s *server) listWebhookDeliveries(ctx context.Context, in *webhookDeliveriesInput) (*webhookDeliveriesOutput, error) {
	ds, err := s.store.WebhookDeliveries(ctx, s.tenant(ctx), in.ID, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &webhookDeliveriesOutput{}
	out.Body.Items = append([]spectra.WebhookDelivery{}, ds...)
	return out, nil
}

func (s *server) redeliverWebhook(ctx context.Context, in *redeliverInput) (*redeliverOutput, error) {
	d, err := s.store.RedeliverWebhook(ctx, s.tenant(ctx), in.ID, in.DeliveryID)
	if err != nil {
		return nil, err
	}
	return &redeliverOutput{Body: d}, nil
}
