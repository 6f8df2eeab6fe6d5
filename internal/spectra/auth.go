package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Account is what password login needs to know about a user.
type Account struct {
	User         User
	PasswordHash string       // PHC string; empty for users who sign in only through the identity provider
	Memberships  []Membership // active ones, oldest first: the first is the default organization
}

// Failures counts recent failed logins.
type Failures struct {
	Account            int       // of the account name since its last success
	LastAccountFailure time.Time // zero if none
	ClientIP           int       // from the client address
}

// Attempt is one login attempt, for the brute-force counters and the audit log.
type Attempt struct {
	Username, ClientIP, Reason, RequestID string
	Succeeded                             bool
	At                                    time.Time
	UserID, OrgID                         uuid.UUID // when known: the failure is audited there
}

// NewSession is a refresh token about to be stored: a new session's first,
// or the next one of a rotation.
type NewSession struct {
	OrgID, UserID, Family, TokenID uuid.UUID
	TokenHash                      []byte
	At, Expires                    time.Time // At: when it is issued (the server's clock)
	Auth                           AuthMethod
	UserAgent, ClientIP, RequestID string
}

// RefreshGrace is how long after its rotation a spent refresh token may be
// presented again without being taken for a stolen one: a page reloaded
// while its refresh was in flight cut off the response that carried the
// successor, and presents the spent token again. Within the grace, and only
// while the successor itself is unspent, the token rotates again; after it, or once the successor was used,
// a spent token revokes its whole session. The window follows Ory Hydra's
// refresh-token rotation grace period and Auth0's reuse interval.
const RefreshGrace = 10 * time.Second

// Rotated is what a refresh-token rotation tells about its session.
type Rotated struct {
	UserID, Family uuid.UUID
	Role           Role
	Auth           AuthMethod
}

// KeyRecord is a valid API key's stored facts.
type KeyRecord struct {
	UserID  uuid.UUID
	Role    Role
	Expires time.Time
}

// Profile is the caller's user and organization, and every organization
// they belong to.
type Profile struct {
	User        User
	Org         Organization
	Memberships []Membership
}

// ExternalUser is an identity provider's user as spectra provisions it:
// matched by issuer and subject, a member of Org (a slug) with Role.
type ExternalUser struct {
	Issuer, Subject, Email, Name string
	Org                          string
	Role                         Role
	// IssuedAt is when the provider vouched for this role (the token's
	// iat; zero if unknown). A demotion it brings revokes what the
	// provider issued before it.
	IssuedAt time.Time
}

// APIKey is a service account's key, as listed (the secret is never kept).
type APIKey struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"The key's first characters, to recognize it."`
	Role       Role       `json:"role"`
	UserID     uuid.UUID  `json:"service_account_id"`
	CreatedBy  uuid.UUID  `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// ResetRequest is one request for a password reset link (POST
// /auth/password/forgot), recorded whether the address has an account or
// not: the rate limit counts them.
type ResetRequest struct {
	Email, ClientIP string
	At, Expires     time.Time
	// UserID is set for an account that gets a link; Mail is then its
	// e-mail, queued in the same transaction (the job makes the token).
	UserID uuid.UUID
	Mail   *EmailMessage
}

// ResetCounts are the requests since a time: for one address and from one
// client address.
type ResetCounts struct {
	Email, ClientIP int
}

// ErrResetLink is the one answer to a password reset token that cannot be
// used: malformed, unknown, used, superseded or expired look the same.
var ErrResetLink = &Error{Code: CodeUnauthenticated, Message: "the reset link is invalid or has expired",
	Fields: []FieldError{{Field: "token", Message: "invalid, used or expired"}}}
