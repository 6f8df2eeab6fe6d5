package spectra

import (
	"encoding/base64"
	"time"

	"github.com/google/uuid"
)

// Tenant says whose data a transaction may touch and on whose behalf.
type Tenant struct {
	OrgID     uuid.UUID
	UserID    uuid.UUID // uuid.Nil for system work (seed, operator commands)
	Auth      string    // how the actor authenticated: password, api_key, oidc, system…
	RequestID string

	// Authorize makes the transaction's first round trip also check, with
	// spectra_authorize, that the principal may still act (membership and
	// role, denied token, ended session, revoked key).
	Authorize bool
	Role      Role
	Session   uuid.UUID
	TokenID   uuid.UUID
	APIKey    uuid.UUID
	IssuedAt  time.Time // an identity provider token's iat (zero: unknown)
}

// Principal is the caller the tenant acts for, as the domain's rules
// (Run.Check) see it: who, where, with which role.
func (t Tenant) Principal() Principal {
	return Principal{UserID: t.UserID, OrgID: t.OrgID, Role: t.Role}
}

// TenantOf is the tenant of a request made by principal p.
func TenantOf(p Principal, requestID string) Tenant {
	return Tenant{OrgID: p.OrgID, UserID: p.UserID, Auth: string(p.Auth), RequestID: requestID,
		Authorize: true, Role: p.Role, Session: p.Session, TokenID: p.TokenID, APIKey: p.APIKey, IssuedAt: p.IssuedAt}
}

// Page asks for one page of a list, newest first: at most Limit rows with
// ids below After (keyset pagination: stable under inserts, and an index
// probe however deep the page).
type Page struct {
	Limit int
	After uuid.UUID // uuid.Nil: the first page
}

// The limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// NewPage validates limit and cursor. The cursor is opaque to clients.
func NewPage(limit int, cursor string) (Page, error) {
	p := Page{Limit: limit}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return Page{}, &Error{Code: CodeInvalid, Message: "limit must be between 1 and 200",
			Fields: []FieldError{{Field: "limit", Message: "between 1 and 200"}}}
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			p.After, err = uuid.FromBytes(b)
		}
		if err != nil {
			return Page{}, &Error{Code: CodeInvalid, Message: "cursor is not one this server gave",
				Fields: []FieldError{{Field: "cursor", Message: "not a cursor of this list"}}}
		}
	}
	return p, nil
}

// KeysetBound is the keyset bound: ids below it are on the page (the
// largest possible id on the first page).
func (p Page) KeysetBound() uuid.UUID {
	if p.After == uuid.Nil {
		return uuid.Max
	}
	return p.After
}
