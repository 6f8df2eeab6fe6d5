package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// maxAPIKeyLifetime bounds a key's expiry: every key must lapse.
const maxAPIKeyLifetime = 2 * 365 * 24 * time.Hour

type createAPIKeyInput struct {
	Body struct {
		Name      string       `json:"name" minLength:"1" maxLength:"200"`
		Role      spectra.Role `json:"role" enum:"admin,pi,engineer,technician,viewer" doc:"No higher than the creator's role."`
		ExpiresAt time.Time    `json:"expires_at" doc:"Required; at most two years ahead."`
	}
}

type apiKeyCreated struct {
	spectra.APIKey
	Key string `json:"key" doc:"The key itself. It is shown this once and never again."`
}

type createAPIKeyOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         apiKeyCreated
}

type listAPIKeysOutput struct {
	Body struct {
		Items []spectra.APIKey `json:"items"`
	}
}

type apiKeyIDInput struct {
	ID uuid.UUID `path:"id"`
}

func (s *server) createAPIKey(ctx context.Context, in *createAPIKeyInput) (*createAPIKeyOutput, error) {
	p, _ := PrincipalFrom(ctx)
	now := s.now()
	switch {
	case !in.Body.ExpiresAt.After(now):
		return nil, invalid("expires_at", "must be in the future")
	case in.Body.ExpiresAt.After(now.Add(maxAPIKeyLifetime)):
		return nil, invalid("expires_at", "must be at most two years ahead")
	case !p.Role.AtLeast(in.Body.Role):
		return nil, &spectra.Error{Code: spectra.CodeForbidden, Message: "a key's role cannot be above your own (" + string(p.Role) + ")",
			Fields: []spectra.FieldError{{Field: "role", Message: "above your own role"}}}
	}
	key, o, err := auth.NewOpaque(auth.APIKeyPrefix, p.OrgID)
	if err != nil {
		return nil, err
	}
	k, err := s.store.CreateAPIKey(ctx, s.tenant(ctx), spectra.APIKey{ID: o.ID, Name: in.Body.Name, Prefix: auth.DisplayPrefix(key),
		Role: in.Body.Role, ExpiresAt: in.Body.ExpiresAt}, o.Hash())
	if err != nil {
		return nil, err
	}
	return &createAPIKeyOutput{CacheControl: "no-store", Body: apiKeyCreated{APIKey: k, Key: key}}, nil
}

func (s *server) listAPIKeys(ctx context.Context, _ *struct{}) (*listAPIKeysOutput, error) {
	keys, err := s.store.ListAPIKeys(ctx, s.tenant(ctx))
	if err != nil {
		return nil, err
	}
	out := &listAPIKeysOutput{}
	out.Body.Items = append([]spectra.APIKey{}, keys...)
	return out, nil
}

func (s *server) revokeAPIKey(ctx context.Context, in *apiKeyIDInput) (*struct{}, error) {
	return nil, s.store.RevokeAPIKey(ctx, s.tenant(ctx), in.ID)
}
