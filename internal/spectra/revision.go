package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Revisioned documents — recipes and SOPs — share one life: revisions of
// a lineage, draft → (submitted for review) → approved → retired,
// approved with an e-signature over the revision's signed content; a
// change to an approved revision is a new revision.
//
// Review: a draft is submitted for review (submit) before it can be
// approved; while submitted it cannot be edited (withdraw it first, or a
// reviewer rejects it with a reason), so what the reviewer sees is what
// they sign. Withdraw is the submitter's; reject and approve are the
// approvers'. Separation of duties: when the organization requires
// independent approval (on by default), an author of the revision — whoever
// created it, last edited it or submitted it — may not approve it.
// Submitted is a mark on a draft, not a status of its own: the status
// stays draft (one open draft per lineage, the status filters) and
// ReviewState says where in review it is.

// Revisioned is a revision of a revisioned document: Recipe, SOP. A type
// is one by embedding RevisionKey and RevisionState (whose methods it then
// has) and naming its RevisionKind.
type Revisioned interface {
	revisionKey() RevisionKey
	revisionState() RevisionState
	Kind() RevisionKind
}

// Head is what the shared life reads of revision x.
func Head(x Revisioned) RevisionHead { return x.revisionState().Head(x.revisionKey()) }

// Head is what the shared life reads of the revision k in state s.
func (s RevisionState) Head(k RevisionKey) RevisionHead {
	h := RevisionHead{ID: k.ID, LineageID: k.LineageID, Status: s.Status, Version: s.Version,
		Submitted: s.SubmittedAt != nil, IndependentApproval: s.IndependentApproval}
	if s.SubmittedBy != nil {
		h.Submitter = *s.SubmittedBy
	}
	for _, a := range []*uuid.UUID{s.CreatedBy, s.EditedBy, s.SubmittedBy} {
		if a != nil {
			h.Authors = append(h.Authors, *a)
		}
	}
	return h
}

// WithActions is x with the actions principal p may take on it filled in
// (RevisionKind.Actions); every answer of a revision carries them.
func WithActions[T Revisioned](x T, p Principal) T {
	// Every Revisioned embeds RevisionState, whose SetActions *T promotes.
	any(&x).(interface{ SetActions([]RevisionAction) }).SetActions(x.Kind().Actions(p, Head(x)))
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
	EditedBy   *uuid.UUID   `json:"edited_by" nullable:"true" doc:"Who last edited the draft (null if nobody has since it was created)."`
	// Review: set while a draft awaits review; a rejection clears them
	// and records who, when and why.
	SubmittedAt *time.Time `json:"submitted_at" doc:"When the draft was submitted for review; null unless it awaits review."`
	SubmittedBy *uuid.UUID `json:"submitted_by" nullable:"true"`
	RejectedAt  *time.Time `json:"rejected_at" doc:"When a reviewer last sent the draft back; null if never."`
	RejectedBy  *uuid.UUID `json:"rejected_by" nullable:"true"`
	ReviewNote  string     `json:"review_note" doc:"The reason of the last rejection (empty if none)."`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int        `json:"version" doc:"The row's version, for If-Match (not the revision)."`
	// IndependentApproval is the organization's rule, read with the row:
	// an author may not approve their own revision.
	IndependentApproval bool `json:"-"`
	// AllowedActions is what the caller may do to the revision now
	// (RevisionKind.Actions), filled in for each answer.
	AllowedActions []RevisionAction `json:"actions" nullable:"false" enum:"edit,submit,withdraw,reject,approve,retire,new_version" doc:"What the caller may do to the revision now, for their role and its status; a client offers exactly these."`
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
	// Submitted says a draft awaits review, Submitter who submitted it.
	Submitted bool
	Submitter uuid.UUID
	// Authors are who created, last edited and submitted the revision;
	// IndependentApproval whether the organization bars them from
	// approving it.
	Authors             []uuid.UUID
	IndependentApproval bool
}

// CanEdit fails with CodeConflict unless the revision is a draft that is
// not awaiting review: a submitted draft is withdrawn (or rejected)
// before it changes, so a reviewer signs what they reviewed.
func (h RevisionHead) CanEdit() error {
	if err := h.Status.CanEdit(); err != nil {
		return err
	}
	if h.Submitted {
		return Errorf(CodeConflict, "this draft is submitted for review and cannot change; withdraw it first")
	}
	return nil
}

// CanSubmit fails with CodeConflict unless the revision is a draft not yet
// submitted.
func (h RevisionHead) CanSubmit() error {
	if err := h.Status.CanEdit(); err != nil {
		return err
	}
	if h.Submitted {
		return Errorf(CodeConflict, "this draft is already submitted for review")
	}
	return nil
}

// inReview fails with CodeConflict unless the revision is a draft
// awaiting review; what names the move in the message.
func (h RevisionHead) inReview(what string) error {
	if h.Status != MethodStatusDraft {
		return Errorf(CodeConflict, "only a draft submitted for review can be %s; this revision is %s", what, h.Status)
	}
	if !h.Submitted {
		return Errorf(CodeConflict, "only a draft submitted for review can be %s; submit this draft first", what)
	}
	return nil
}

// CanWithdraw fails unless user may take the draft back from review: it
// must await review (CodeConflict) and they must have submitted it
// (CodeForbidden; a reviewer rejects instead).
func (h RevisionHead) CanWithdraw(user uuid.UUID) error {
	if err := h.inReview("withdrawn"); err != nil {
		return err
	}
	if h.Submitter != user {
		return Errorf(CodeForbidden, "only the submitter may withdraw this draft from review; a reviewer rejects it instead")
	}
	return nil
}

// CanReject fails with CodeConflict unless the draft awaits review.
func (h RevisionHead) CanReject() error { return h.inReview("rejected") }

// CanApprove fails unless user may approve the revision: it must be a
// draft awaiting review (CodeConflict; a revision is approved once, and
// what was approved stays as it was) and, when the organization requires
// independent approval, user must not be one of its authors
// (CodeForbidden, naming the rule).
func (h RevisionHead) CanApprove(user uuid.UUID) error {
	if err := h.inReview("approved"); err != nil {
		return err
	}
	if h.IndependentApproval {
		for _, a := range h.Authors {
			if a == user {
				return Errorf(CodeForbidden, "separation of duties: you created, edited or submitted this revision, and the organization requires independent approval (require_independent_approval); another approver must approve it")
			}
		}
	}
	return nil
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
	RevisionSubmit     RevisionAction = "submit"
	RevisionWithdraw   RevisionAction = "withdraw"
	RevisionReject     RevisionAction = "reject"
	RevisionApprove    RevisionAction = "approve"
	RevisionRetire     RevisionAction = "retire"
	RevisionNewVersion RevisionAction = "new_version"
)

// RevisionActions lists every revision action in order.
var RevisionActions = []RevisionAction{RevisionEdit, RevisionSubmit, RevisionWithdraw, RevisionReject, RevisionApprove, RevisionRetire, RevisionNewVersion}

// RevisionKind is what differs between the kinds of revisioned document
// in their shared life: the permissions to read, to draft (edit, start
// versions, submit and withdraw) and to approve (reject, approve, retire).
// The routes and the actions both read them.
type RevisionKind struct {
	Read, Draft, Approve Permission
}

// The revisioned kinds.
var (
	RecipeKind = RevisionKind{Read: PermRecipeRead, Draft: PermRecipeDraft, Approve: PermRecipeApprove}
	SOPKind    = RevisionKind{Read: PermSOPRead, Draft: PermSOPDraft, Approve: PermSOPApprove}
)

// Check says whether principal p may do a to revision h: CodeForbidden
// below the action's permission (or, for approve and withdraw, when who p
// is rules it out), CodeConflict when the revision's state does not allow
// it (RevisionHead.CanEdit and the others).
func (k RevisionKind) Check(p Principal, h RevisionHead, a RevisionAction) error {
	perm, rule := k.Draft, h.CanEdit
	switch a {
	case RevisionEdit:
	case RevisionSubmit:
		rule = h.CanSubmit
	case RevisionWithdraw:
		rule = func() error { return h.CanWithdraw(p.UserID) }
	case RevisionReject:
		perm, rule = k.Approve, h.CanReject
	case RevisionApprove:
		perm, rule = k.Approve, func() error { return h.CanApprove(p.UserID) }
	case RevisionRetire:
		perm, rule = k.Approve, h.Status.CanRetire
	case RevisionNewVersion:
		rule = h.Status.CanVersion
	default:
		return Errorf(CodeInvalid, "unknown revision action %q", a)
	}
	if !p.Can(perm) {
		return Errorf(CodeForbidden, "the %s role may not %s", p.Role, perm)
	}
	return rule()
}

// Actions lists, in RevisionActions order, what p may do to revision h:
// exactly the actions Check allows.
func (k RevisionKind) Actions(p Principal, h RevisionHead) []RevisionAction {
	return allowed(RevisionActions, func(a RevisionAction) error { return k.Check(p, h, a) })
}

// ReviewItem is one revision awaiting review, as the review queue lists
// it: its kind, id, title, author and when it was submitted.
type ReviewItem struct {
	Kind        string    `json:"kind" enum:"recipe,sop"`
	ID          uuid.UUID `json:"id"`
	LineageID   uuid.UUID `json:"lineage_id"`
	Revision    int       `json:"revision"`
	Title       string    `json:"title" doc:"The recipe's name, or the SOP's code and title."`
	AuthorID    uuid.UUID `json:"author_id" doc:"Who submitted it."`
	AuthorName  string    `json:"author_name"`
	SubmittedAt time.Time `json:"submitted_at"`
	CanApprove  bool      `json:"can_approve" doc:"Whether the caller may approve it (false for its own authors when the organization requires independent approval)."`
	// Head is the revision's life, for CanApprove.
	Head RevisionHead `json:"-"`
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
