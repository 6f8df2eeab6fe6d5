package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Revisioned documents — recipes and SOPs — share one life: revisions of
// a lineage, draft → approved → retired, approved with an e-signature
// over the revision's signed content; a change to an approved revision is
// a new revision.

// Revisioned is a revision of a revisioned document: Recipe, SOP. A type
// is one by embedding RevisionKey and RevisionState (whose methods it then
// has) and naming its RevisionKind.
type Revisioned interface {
	revisionKey() RevisionKey
	revisionState() RevisionState
	Kind() RevisionKind
}

// Head is what the shared life reads of revision x.
func Head(x Revisioned) RevisionHead {
	k, s := x.revisionKey(), x.revisionState()
	return RevisionHead{ID: k.ID, LineageID: k.LineageID, Status: s.Status, Version: s.Version}
}

// WithActions is x with the actions principal p may take on it filled in
// (RevisionKind.Actions); every answer of a revision carries them.
func WithActions[T Revisioned](x T, p Principal) T {
	// Every Revisioned embeds RevisionState, whose SetActions *T promotes.
	any(&x).(interface{ SetActions([]RevisionAction) }).SetActions(x.Kind().Actions(p, Head(x).Status))
	return x
}

// RevisionKey names a revision: its id, its lineage (every revision of one
// document) and its number in it; the fields every revisioned document has
// before its content.
type RevisionKey struct {
	ID        uuid.UUID `json:"id"`
	LineageID uuid.UUID `json:"lineage_id" doc:"Shared by every revision of the same recipe or SOP."`
	Revision  int       `json:"revision" doc:"The revision number, 1 for the first; unique within the lineage (and, for an SOP, its code)."`
}

func (k RevisionKey) revisionKey() RevisionKey { return k }

// RevisionState is where a revision is in its life and who moved it
// there: the fields every revisioned document has after its content.
type RevisionState struct {
	Status     MethodStatus `json:"status" enum:"draft,approved,retired"`
	ApprovedAt *time.Time   `json:"approved_at"`
	ApprovedBy *uuid.UUID   `json:"approved_by" nullable:"true"`
	RetiredAt  *time.Time   `json:"retired_at"`
	CreatedBy  *uuid.UUID   `json:"created_by" nullable:"true"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	Version    int          `json:"version" doc:"The row's version, for If-Match (not the revision)."`
	// AllowedActions is what the caller may do to the revision now
	// (RevisionKind.Actions), filled in for each answer.
	AllowedActions []RevisionAction `json:"actions" nullable:"false" enum:"edit,approve,retire,new_version" doc:"What the caller may do to the revision now, for their role and its status; a client offers exactly these."`
}

func (s RevisionState) revisionState() RevisionState { return s }

// SetActions fills in the allowed actions of an answer.
func (s *RevisionState) SetActions(a []RevisionAction) { s.AllowedActions = a }

// RevisionHead is what the shared life reads of a revision.
type RevisionHead struct {
	ID        uuid.UUID
	LineageID uuid.UUID
	Status    MethodStatus
	Version   int // the row's version, for If-Match (not the revision)
}

// MethodStatus is where a recipe or SOP revision is in its life:
// draft → approved → retired. Only a draft can change; an approved
// revision is immutable, and a change to it is a new revision.
type MethodStatus string

// The states of a recipe or SOP revision.
const (
	MethodStatusDraft    MethodStatus = "draft"
	MethodStatusApproved MethodStatus = "approved"
	MethodStatusRetired  MethodStatus = "retired"
)

// CanEdit fails with CodeConflict unless the revision is a draft.
func (s MethodStatus) CanEdit() error {
	if s != MethodStatusDraft {
		return Errorf(CodeConflict, "this revision is %s and cannot change; start a new version instead", s)
	}
	return nil
}

// CanApprove fails with CodeConflict unless the revision is a draft: a
// revision is approved once, and what was approved stays as it was.
func (s MethodStatus) CanApprove() error {
	if s != MethodStatusDraft {
		return Errorf(CodeConflict, "only a draft can be approved; this revision is %s", s)
	}
	return nil
}

// CanRetire fails with CodeConflict unless the revision is approved.
func (s MethodStatus) CanRetire() error {
	if s != MethodStatusApproved {
		return Errorf(CodeConflict, "only an approved revision can be retired; this one is %s", s)
	}
	return nil
}

// CanVersion fails with CodeConflict unless a new draft may start from the
// revision: from an approved or retired one. A draft is edited in place.
func (s MethodStatus) CanVersion() error {
	if s == MethodStatusDraft {
		return Errorf(CodeConflict, "this revision is still a draft: edit it instead of starting a new version")
	}
	return nil
}

// RevisionAction is something a caller may do to a revision.
type RevisionAction string

// The revision actions, in the order clients show them.
const (
	RevisionEdit       RevisionAction = "edit"
	RevisionApprove    RevisionAction = "approve"
	RevisionRetire     RevisionAction = "retire"
	RevisionNewVersion RevisionAction = "new_version"
)

// RevisionActions lists every revision action in order.
var RevisionActions = []RevisionAction{RevisionEdit, RevisionApprove, RevisionRetire, RevisionNewVersion}

// RevisionKind is what differs between the kinds of revisioned document
// in their shared life: the permissions to read, to draft (edit, start
// versions) and to approve (approve, retire). The routes and the actions
// both read them.
type RevisionKind struct {
	Read, Draft, Approve Permission
}

// The revisioned kinds.
var (
	RecipeKind = RevisionKind{Read: PermRecipeRead, Draft: PermRecipeDraft, Approve: PermRecipeApprove}
	SOPKind    = RevisionKind{Read: PermSOPRead, Draft: PermSOPDraft, Approve: PermSOPApprove}
)

// Check says whether principal p may do a to a revision in status s:
// CodeForbidden below the action's permission, CodeConflict when the
// status does not allow it (MethodStatus.CanEdit and the others).
func (k RevisionKind) Check(p Principal, s MethodStatus, a RevisionAction) error {
	perm, rule := k.Draft, s.CanEdit
	switch a {
	case RevisionEdit:
	case RevisionApprove:
		perm, rule = k.Approve, s.CanApprove
	case RevisionRetire:
		perm, rule = k.Approve, s.CanRetire
	case RevisionNewVersion:
		rule = s.CanVersion
	default:
		return Errorf(CodeInvalid, "unknown revision action %q", a)
	}
	if !p.Can(perm) {
		return Errorf(CodeForbidden, "the %s role may not %s", p.Role, perm)
	}
	return rule()
}

// Actions lists, in RevisionActions order, what p may do to a revision in
// status s: exactly the actions Check allows.
func (k RevisionKind) Actions(p Principal, s MethodStatus) []RevisionAction {
	return allowed(RevisionActions, func(a RevisionAction) error { return k.Check(p, s, a) })
}

// MethodSignature is the e-signature behind an approval: what the signer
// declared, how they proved who they were, and the digest of what they
// signed.
type MethodSignature struct {
	ID            uuid.UUID       `json:"id"`
	SignerID      uuid.UUID       `json:"signer_id"`
	SignerRole    Role            `json:"signer_role"`
	Meaning       string          `json:"meaning" doc:"What the signer declared: approved."`
	AuthMethod    string          `json:"auth_method" doc:"How the signer proved who they were at signing (password: re-entered)."`
	SignedAt      time.Time       `json:"signed_at"`
	Scheme        SignatureScheme `json:"scheme" enum:"v1,v2" doc:"How the digest was computed: v2 hashes canonical JSON of every signed field of the revision; v1 (signatures made before v2) a fixed set of them."`
	ContentSHA256 string          `json:"content_sha256" doc:"SHA-256 (hex) of the signed content, encoded as its scheme says."`
	Matches       bool            `json:"matches" doc:"Whether the revision's current content, encoded by this signature's scheme, still has this digest."`
}

// Approval is what an approver states: their role at the time, a comment,
// and how they re-authenticated to sign.
type Approval struct {
	Role       Role
	Comment    string
	AuthMethod string
}

// MethodApproval is one approval of a recipe or SOP revision: who
// approved it, in which role, when, and the e-signature that went with it.
// RecipeApproval and SOPApproval add the revision's id.
type MethodApproval struct {
	ID            uuid.UUID        `json:"id"`
	ApproverID    uuid.UUID        `json:"approver_id"`
	ApproverEmail string           `json:"approver_email"`
	ApproverName  string           `json:"approver_name"`
	ApproverRole  Role             `json:"approver_role" doc:"admin or pi, when they approved."`
	Comment       string           `json:"comment"`
	ApprovedAt    time.Time        `json:"approved_at"`
	Signature     *MethodSignature `json:"signature" doc:"The e-signature; null for approvals recorded before signatures were required."`
}

// RevisionFilter narrows a list of revisions of any kind; zero values do
// not filter. RecipeFilter and SOPFilter add the kind's own.
type RevisionFilter struct {
	Status    MethodStatus
	LineageID uuid.UUID
}
