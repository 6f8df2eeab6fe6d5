package spectra

import (
	"time"

	"github.com/google/uuid"
)

// SOP is one revision of a standard operating procedure as the API shows
// it. It lives like a recipe: draft → approved → retired, and a change to
// an approved SOP is a new revision of the same lineage and code.
type SOP struct {
	ID           uuid.UUID `json:"id"`
	LineageID    uuid.UUID `json:"lineage_id" doc:"Shared by every revision of the same procedure."`
	Revision     int       `json:"revision" doc:"The procedure's revision number, 1 for the first; unique within the lineage and the code."`
	Code         string    `json:"code" doc:"The procedure's document code, e.g. SOP-IV-001; the same for every revision."`
	Title        string    `json:"title"`
	BodyMarkdown string    `json:"body_markdown"`
	RevisionState
}

// Head is what s's life as a revision reads.
func (s SOP) Head() RevisionHead {
	return RevisionHead{ID: s.ID, LineageID: s.LineageID, Status: s.Status, Version: s.Version}
}

// SOPDraft is the content of an SOP as a client writes it.
type SOPDraft struct {
	Code         string
	Title        string
	BodyMarkdown string
}

// SOPFilter narrows an SOP list; zero values do not filter.
type SOPFilter struct {
	Status    MethodStatus
	Q         string // part of the code or title, case-insensitive
	Code      string
	LineageID uuid.UUID
}

// SOPApproval is one approval of an SOP revision.
type SOPApproval struct {
	ID            uuid.UUID        `json:"id"`
	SOPID         uuid.UUID        `json:"sop_id"`
	ApproverID    uuid.UUID        `json:"approver_id"`
	ApproverEmail string           `json:"approver_email"`
	ApproverName  string           `json:"approver_name"`
	ApproverRole  Role             `json:"approver_role" doc:"admin or pi, when they approved."`
	Comment       string           `json:"comment"`
	ApprovedAt    time.Time        `json:"approved_at"`
	Signature     *MethodSignature `json:"signature" doc:"The e-signature; null for approvals recorded without one."`
}
