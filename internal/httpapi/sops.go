package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// SOPs (/api/lims/sops): the same life as recipes — drafts, approval with
// an e-signature, retirement and new versions.

type listSOPsInput struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Status    string `query:"status" enum:"draft,approved,retired,"`
	Q         string `query:"q" maxLength:"200" doc:"Part of the code or title."`
	Code      string `query:"code" maxLength:"64" doc:"Only the revisions with this exact code."`
	LineageID string `query:"lineage_id" format:"uuid" doc:"Only the revisions of this procedure."`
}

type sopOutput struct {
	ETag string `header:"ETag"`
	Body spectra.SOP
}

func outSOP(x spectra.SOP) *sopOutput { return &sopOutput{ETag: etag(x.Version), Body: x} }

type sopIDInput struct {
	ID uuid.UUID `path:"id" doc:"The SOP revision's id."`
}

// sopFields are what a client writes of an SOP; an update adds the
// version it read (sopUpdateFields: huma does not flatten embedded structs).
type sopFields struct {
	Code         string `json:"code" minLength:"1" maxLength:"64" pattern:"^[A-Za-z0-9][A-Za-z0-9._-]*$" doc:"The document code, e.g. SOP-IV-001."`
	Title        string `json:"title" minLength:"1" maxLength:"200"`
	BodyMarkdown string `json:"body_markdown,omitempty" maxLength:"200000"`
}

type sopUpdateFields struct {
	Code         string `json:"code" minLength:"1" maxLength:"64" pattern:"^[A-Za-z0-9][A-Za-z0-9._-]*$" doc:"The document code; only a first revision may change it."`
	Title        string `json:"title" minLength:"1" maxLength:"200"`
	BodyMarkdown string `json:"body_markdown,omitempty" maxLength:"200000"`
	Version      int    `json:"version,omitempty" minimum:"1" doc:"The version read, if not sent as If-Match; a stale one answers 409."`
}

func (f sopFields) draft() spectra.SOPDraft {
	return spectra.SOPDraft{Code: f.Code, Title: f.Title, BodyMarkdown: f.BodyMarkdown}
}

type createSOPInput struct {
	Body sopFields
}

type updateSOPInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the SOP as last read; a stale one answers 412."`
	Body    sopUpdateFields
}

type sopApprovedBody struct {
	SOP      spectra.SOP         `json:"sop"`
	Approval spectra.SOPApproval `json:"approval"`
}

type sopApprovedOutput struct {
	ETag string `header:"ETag"`
	Body sopApprovedBody
}

func (s *server) listSOPs(ctx context.Context, in *listSOPsInput) (*listOutput[spectra.SOP], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.SOPFilter{Status: spectra.MethodStatus(in.Status), Q: in.Q, Code: in.Code}
	if in.LineageID != "" {
		f.LineageID = uuid.MustParse(in.LineageID) // validated by the format
	}
	items, cursor, err := s.store.ListSOPs(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.SOP]{Body: newList(items, cursor)}, nil
}

func (s *server) getSOP(ctx context.Context, in *sopIDInput) (*sopOutput, error) {
	x, err := s.store.SOP(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outSOP(x), nil
}

func (s *server) createSOP(ctx context.Context, in *createSOPInput) (*sopOutput, error) {
	x, err := s.store.CreateSOP(ctx, s.tenant(ctx), in.Body.draft())
	if err != nil {
		return nil, err
	}
	return outSOP(x), nil
}

func (s *server) updateSOP(ctx context.Context, in *updateSOPInput) (*sopOutput, error) {
	version, err := updateVersion(in.IfMatch, in.Body.Version)
	if err != nil {
		return nil, err
	}
	x, err := s.store.UpdateSOP(ctx, s.tenant(ctx), in.ID,
		spectra.SOPDraft{Code: in.Body.Code, Title: in.Body.Title, BodyMarkdown: in.Body.BodyMarkdown}, version, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outSOP(x), nil
}

// approveSOP checks the revision, then the password, then approves: see
// approveRecipe for why in that order and outside one transaction.
func (s *server) approveSOP(ctx context.Context, in *approveMethodInput) (*sopApprovedOutput, error) {
	p, _ := PrincipalFrom(ctx)
	want, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	t := s.tenant(ctx)
	cur, err := s.store.SOP(ctx, t, in.ID)
	if err != nil {
		return nil, err
	}
	if err := cur.Status.CanApprove(); err != nil {
		return nil, err
	}
	if want > 0 && want != cur.Version {
		return nil, spectra.Errorf(spectra.CodePrecondition, "the SOP changed since version %d (now %d); review it again", want, cur.Version)
	}
	if err := s.reauthApprover(ctx, p, in.Body.Password); err != nil {
		return nil, err
	}
	x, a, err := s.store.ApproveSOP(ctx, t, in.ID, cur.Version,
		spectra.Approval{Role: p.Role, Comment: in.Body.Comment, AuthMethod: string(spectra.AuthPassword)})
	if err != nil {
		return nil, err
	}
	return &sopApprovedOutput{ETag: etag(x.Version), Body: sopApprovedBody{SOP: x, Approval: a}}, nil
}

func (s *server) retireSOP(ctx context.Context, in *retireMethodInput) (*sopOutput, error) {
	version, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	x, err := s.store.RetireSOP(ctx, s.tenant(ctx), in.ID, version)
	if err != nil {
		return nil, err
	}
	return outSOP(x), nil
}

func (s *server) newSOPVersion(ctx context.Context, in *sopIDInput) (*sopOutput, error) {
	x, err := s.store.NewSOPVersion(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outSOP(x), nil
}

func (s *server) listSOPApprovals(ctx context.Context, in *listMethodApprovalsInput) (*listOutput[spectra.SOPApproval], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.SOPApprovals(ctx, s.tenant(ctx), in.ID, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.SOPApproval]{Body: newList(items, cursor)}, nil
}
