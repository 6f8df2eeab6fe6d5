package spectra

import (
	"time"

	"github.com/google/uuid"
)

// AuthMethod says how a principal proved who they are.
type AuthMethod string

// The ways to authenticate.
const (
	AuthPassword AuthMethod = "password" // our own access token, from a password login
	AuthOIDC     AuthMethod = "oidc"     // the identity provider's access token, or our token from an OIDC login
	AuthAPIKey   AuthMethod = "api_key"  // a service account's API key
)

// Principal is the authenticated caller of one request: who, in which
// organization, with which role, by which credential.
type Principal struct {
	UserID  uuid.UUID
	OrgID   uuid.UUID
	Role    Role
	Auth    AuthMethod
	TokenID uuid.UUID // the access token's jti (uuid.Nil for API keys and IdP tokens without one)
	Session uuid.UUID // the refresh family the access token belongs to (uuid.Nil if none)
	APIKey  uuid.UUID // the API key's id, for API-key principals
	Expires time.Time // when the credential stops being valid
	// IssuedAt is when an identity provider issued its access token (zero
	// if it did not say): a token issued before a membership's revocation
	// is dead. Our own tokens belong to sessions, revoked row by row.
	IssuedAt time.Time
}

// Can reports whether the principal's role holds permission p.
func (p Principal) Can(perm Permission) bool { return p.Role.Can(perm) }
