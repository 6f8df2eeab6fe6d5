package spectra

import (
	"time"

	"github.com/google/uuid"
)

// User is a person or service account; one identity across organizations.
type User struct {
	ID        uuid.UUID `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	IsService bool      `json:"is_service"`
	Active    bool      `json:"active"`
}

// Organization is a tenant: one lab.
type Organization struct {
	ID                     uuid.UUID     `json:"id"`
	Slug                   string        `json:"slug"`
	Name                   string        `json:"name"`
	CalibrationWarningDays int           `json:"calibration_warning_days"`
	AccessTokenTTL         time.Duration `json:"-"`
	RefreshTokenTTL        time.Duration `json:"-"`
}

// Membership is a user's role in one organization.
type Membership struct {
	Org    Organization
	Role   Role
	Active bool
}

// Member is a user as a member of one organization.
type Member struct {
	ID        uuid.UUID  `json:"id" doc:"The user's id."`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	Active    bool       `json:"active" doc:"False when the membership or the user is deactivated."`
	IsService bool       `json:"is_service" doc:"A service account (API key)."`
	Since     time.Time  `json:"member_since"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	Version   int        `json:"version" doc:"The membership's version, for If-Match."`
}

// MemberFilter narrows a member list.
type MemberFilter struct {
	Q      string // in email or name
	Role   Role
	Active *bool
}

// MemberUpdate is a partial update of a membership: nil fields stay.
type MemberUpdate struct {
	Role   *Role
	Active *bool
}

// OrgSettings are an organization's adjustable settings.
type OrgSettings struct {
	Name                   string `json:"name"`
	CalibrationWarningDays int    `json:"calibration_warning_days"`
	AccessTokenTTLSeconds  int    `json:"access_token_ttl_seconds"`
	RefreshTokenTTLSeconds int    `json:"refresh_token_ttl_seconds"`
	// RequireIndependentApproval bars the authors of a recipe or SOP
	// revision from approving it (RevisionHead.CanApprove).
	RequireIndependentApproval bool `json:"require_independent_approval" doc:"An author (creator, last editor or submitter) of a recipe or SOP revision may not approve it. On by default."`
	Version                    int  `json:"version"`
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID        uuid.UUID      `json:"id"`
	At        time.Time      `json:"at"`
	Table     string         `json:"table"`
	RowID     *uuid.UUID     `json:"row_id" nullable:"true"`
	Action    string         `json:"action"`
	Old       map[string]any `json:"old,omitempty"`
	New       map[string]any `json:"new,omitempty"`
	ActorID   *uuid.UUID     `json:"actor_id" nullable:"true"`
	Actor     string         `json:"actor" doc:"The actor's email, if known."`
	ActorAuth string         `json:"actor_auth" doc:"How the actor authenticated: password, oidc, api_key, cli, seed…"`
	RequestID string         `json:"request_id"`
}

// AuditFilter narrows the audit log; zero fields do not filter.
type AuditFilter struct {
	Table    string
	RowID    uuid.UUID
	ActorID  uuid.UUID
	Action   string
	From, To time.Time
}

// DeletedRow is a soft-deleted row, for the admin's restore list.
type DeletedRow struct {
	ID        uuid.UUID      `json:"id"`
	DeletedAt time.Time      `json:"deleted_at"`
	Row       map[string]any `json:"row"`
}

// Invitation is an organization's offer of a membership to whoever holds
// an e-mail address. It tells nothing about any account: whether the
// address has one is the person's business until they accept.
type Invitation struct {
	ID         uuid.UUID  `json:"id"`
	Email      string     `json:"email"`
	Role       Role       `json:"role"`
	Status     string     `json:"status" enum:"open,accepted,revoked,expired"`
	InvitedBy  *uuid.UUID `json:"invited_by" nullable:"true"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// InvitationStatus is the status of an invitation with these times at now.
func InvitationStatus(accepted, revoked *time.Time, expires, now time.Time) string {
	switch {
	case accepted != nil:
		return "accepted"
	case revoked != nil:
		return "revoked"
	case !expires.After(now):
		return "expired"
	}
	return "open"
}

// InvitationTTL is how long an invitation stays open.
const InvitationTTL = 14 * 24 * time.Hour

// PendingInvitation is an open invitation as its addressee sees it.
type PendingInvitation struct {
	ID           uuid.UUID `json:"id"`
	Organization string    `json:"organization" doc:"The inviting organization's slug."`
	OrgName      string    `json:"organization_name"`
	Role         Role      `json:"role"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// Acceptance is the acceptance of invitation (OrgID, InvitationID) by the
// account UserID with e-mail Email; with NewAccount set, the account is
// created first (name and password hash in it), as the organization's own.
type Acceptance struct {
	OrgID, InvitationID uuid.UUID
	TokenHash           []byte // when accepted with the invitation's token
	UserID              uuid.UUID
	Email               string
	NewAccount          *NewAccount
	RequestID           string
}

// NewAccount is an account made by accepting an invitation.
type NewAccount struct {
	Name, PasswordHash string
}
