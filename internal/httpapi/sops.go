package httpapi

import (
	"context"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// SOPs (/api/lims/sops): what is an SOP's own — its list filters, fields,
// create and edit; the rest of its life is shared with recipes
// (revisions.go).

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

type listSOPsInput struct {
	RevisionListParams
	Q    string `query:"q" maxLength:"200" doc:"Part of the code or title."`
	Code string `query:"code" maxLength:"64" doc:"Only the revisions with this exact code."`
}

func (s *server) listSOPs(ctx context.Context, in *listSOPsInput) (*listOutput[spectra.SOP], error) {
	return listRevisions(ctx, s, in.RevisionListParams, func(t spectra.Tenant, f spectra.RevisionFilter, pg spectra.Page) ([]spectra.SOP, string, error) {
		return s.store.ListSOPs(ctx, t, spectra.SOPFilter{RevisionFilter: f, Q: in.Q, Code: in.Code}, pg)
	})
}

func (s *server) createSOP(ctx context.Context, in *createRevisionInput[sopFields]) (*revisionOutput[spectra.SOP], error) {
	x, err := s.store.CreateSOP(ctx, s.tenant(ctx), in.Body.draft())
	if err != nil {
		return nil, err
	}
	return outRevision(ctx, x), nil
}

func (s *server) updateSOP(ctx context.Context, in *updateRevisionInput[sopUpdateFields]) (*revisionOutput[spectra.SOP], error) {
	version, err := updateVersion(in.IfMatch, in.Body.Version)
	if err != nil {
		return nil, err
	}
	x, err := s.store.UpdateSOP(ctx, s.tenant(ctx), in.ID,
		spectra.SOPDraft{Code: in.Body.Code, Title: in.Body.Title, BodyMarkdown: in.Body.BodyMarkdown}, version, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outRevision(ctx, x), nil
}
