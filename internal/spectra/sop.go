package spectra

import (
	"github.com/google/uuid"
)

// SOP is one revision of a standard operating procedure as the API shows
// it. It lives like a recipe: draft → approved → retired, and a change to
// an approved SOP is a new revision of the same lineage and code.
type SOP struct {
	RevisionKey
	Code         string `json:"code" doc:"The procedure's document code, e.g. SOP-IV-001; the same for every revision."`
	Title        string `json:"title"`
	BodyMarkdown string `json:"body_markdown"`
	RevisionState
}

// Kind is the SOPs' permissions.
func (SOP) Kind() RevisionKind { return SOPKind }

// SOPDraft is the content of an SOP as a client writes it.
type SOPDraft struct {
	Code         string
	Title        string
	BodyMarkdown string
}

// SOPFilter narrows an SOP list; zero values do not filter.
type SOPFilter struct {
	RevisionFilter
	Q    string // part of the code or title, case-insensitive
	Code string
}

// SOPApproval is one approval of an SOP revision.
type SOPApproval struct {
	SOPID uuid.UUID `json:"sop_id"`
	MethodApproval
}
