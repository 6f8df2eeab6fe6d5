package httpapi

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// The electronic lab notebook (/api/lims/eln): entries, full-text search,
// e-signatures, amendments and the signature manifest.

// listELNInput's 2000 is postgres.SearchWindow (a tag must be a literal).
type listELNInput struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page (of the same list or search)."`
	Q         string `query:"q" maxLength:"200" doc:"Full-text search in titles and bodies, web search syntax (words, \"a phrase\", or, -word). The list is then ranked, best first among the newest 2000 matching entries, and each hit has a snippet."`
	ProjectID string `query:"project_id" format:"uuid"`
	SampleID  string `query:"sample_id" format:"uuid" doc:"Only entries linked to this sample."`
	CreatedBy string `query:"created_by" format:"uuid" doc:"Only entries by this user."`
}

// elnDraftBody is an entry's content as a client writes it. The author,
// organization, lock and amendment are never taken from it.
type elnDraftBody struct {
	Title        string      `json:"title" minLength:"1" maxLength:"300"`
	BodyMarkdown string      `json:"body_markdown" maxLength:"1000000" doc:"Markdown."`
	ProjectID    *uuid.UUID  `json:"project_id,omitempty" format:"uuid" doc:"A project of the organization."`
	SampleIDs    []uuid.UUID `json:"sample_ids,omitempty" format:"uuid" maxItems:"100" uniqueItems:"true" doc:"Samples of the organization the entry is about."`
	RunIDs       []uuid.UUID `json:"run_ids,omitempty" format:"uuid" maxItems:"100" uniqueItems:"true" doc:"Runs of the organization the entry is about."`
}

func (b elnDraftBody) draft() spectra.ELNDraft {
	return spectra.ELNDraft{ProjectID: b.ProjectID, Title: b.Title, BodyMarkdown: b.BodyMarkdown, SampleIDs: b.SampleIDs, RunIDs: b.RunIDs}
}

type createELNInput struct {
	Body elnDraftBody
}

type updateELNInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the entry as last read; a stale one answers 412. Give this or version."`
	Body    elnUpdateBody
}

// elnUpdateBody is a whole entry as replaced by PUT (omitted links and
// project are removed), and the version read. The fields are spelled out:
// huma's unknown-property check does not see through an embedded struct.
type elnUpdateBody struct {
	Title        string      `json:"title" minLength:"1" maxLength:"300"`
	BodyMarkdown string      `json:"body_markdown" maxLength:"1000000" doc:"Markdown."`
	ProjectID    *uuid.UUID  `json:"project_id,omitempty" format:"uuid" doc:"A project of the organization; omitted: none."`
	SampleIDs    []uuid.UUID `json:"sample_ids,omitempty" format:"uuid" maxItems:"100" uniqueItems:"true" doc:"Samples of the organization the entry is about; omitted: none."`
	RunIDs       []uuid.UUID `json:"run_ids,omitempty" format:"uuid" maxItems:"100" uniqueItems:"true" doc:"Runs of the organization the entry is about; omitted: none."`
	Version      int         `json:"version,omitempty" minimum:"1" doc:"The version read; a stale one answers 409. Give this or If-Match."`
}

func (b elnUpdateBody) draft() spectra.ELNDraft {
	return spectra.ELNDraft{ProjectID: b.ProjectID, Title: b.Title, BodyMarkdown: b.BodyMarkdown, SampleIDs: b.SampleIDs, RunIDs: b.RunIDs}
}

type elnIDInput struct {
	ID uuid.UUID `path:"id" doc:"The entry's id."`
}

type signELNInput struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Meaning  spectra.Meaning `json:"meaning" enum:"authored,reviewed,approved" doc:"What the signer declares by signing."`
		Password string          `json:"password" minLength:"1" maxLength:"1024" doc:"The signer's password, entered again: who signs proves it at the moment of signing."`
	}
}

type amendELNInput struct {
	ID   uuid.UUID `path:"id" doc:"The entry to correct."`
	Body struct {
		Title        string `json:"title,omitempty" minLength:"1" maxLength:"300" doc:"The original's title when omitted."`
		BodyMarkdown string `json:"body_markdown" maxLength:"1000000" doc:"The corrected content, Markdown."`
	}
}

// textOK refuses text PostgreSQL cannot store (a NUL character, or bytes
// that are not UTF-8, which a query string may carry) with a 422 naming
// the field, rather than the database's error (a 500). Its arguments are
// pairs: field name, value.
func textOK(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := pairs[i+1]; strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
			return invalid(pairs[i], "must be UTF-8 text without NUL characters")
		}
	}
	return nil
}

type elnOutput struct {
	ETag string `header:"ETag"`
	Body spectra.ELNEntry
}

func outELN(e spectra.ELNEntry) *elnOutput { return &elnOutput{ETag: etag(e.Version), Body: e} }

type signatureOutput struct {
	Body spectra.ELNSignature
}

type manifestOutput struct {
	Body spectra.ELNManifest
}

func (s *server) listELN(ctx context.Context, in *listELNInput) (*listOutput[spectra.ELNEntry], error) {
	if err := textOK("query.q", in.Q); err != nil {
		return nil, err
	}
	f := spectra.ELNFilter{Q: strings.TrimSpace(in.Q)}
	// The formats are validated: these parse.
	if in.ProjectID != "" {
		f.ProjectID = uuid.MustParse(in.ProjectID)
	}
	if in.SampleID != "" {
		f.SampleID = uuid.MustParse(in.SampleID)
	}
	if in.CreatedBy != "" {
		f.CreatedBy = uuid.MustParse(in.CreatedBy)
	}
	var items []spectra.ELNEntry
	var cursor string
	if f.Q != "" {
		pg, err := postgres.NewRankPage(in.Limit, in.Cursor)
		if err != nil {
			return nil, err
		}
		if items, cursor, err = s.store.SearchELN(ctx, s.tenant(ctx), f, pg); err != nil {
			return nil, err
		}
	} else {
		pg, err := page(in.Limit, in.Cursor)
		if err != nil {
			return nil, err
		}
		if items, cursor, err = s.store.ListELN(ctx, s.tenant(ctx), f, pg); err != nil {
			return nil, err
		}
	}
	return &listOutput[spectra.ELNEntry]{Body: newList(items, cursor)}, nil
}

func (s *server) getELN(ctx context.Context, in *elnIDInput) (*elnOutput, error) {
	e, err := s.store.ELNEntry(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outELN(e), nil
}

func (s *server) createELN(ctx context.Context, in *createELNInput) (*elnOutput, error) {
	if err := textOK("title", in.Body.Title, "body_markdown", in.Body.BodyMarkdown); err != nil {
		return nil, err
	}
	e, err := s.store.CreateELNEntry(ctx, s.tenant(ctx), in.Body.draft())
	if err != nil {
		return nil, err
	}
	return outELN(e), nil
}

func (s *server) updateELN(ctx context.Context, in *updateELNInput) (*elnOutput, error) {
	ifVersion, err := updateVersion(in.IfMatch, in.Body.Version)
	if err != nil {
		return nil, err
	}
	if err := textOK("title", in.Body.Title, "body_markdown", in.Body.BodyMarkdown); err != nil {
		return nil, err
	}
	e, err := s.store.UpdateELNEntry(ctx, s.tenant(ctx), in.ID, in.Body.draft(), ifVersion, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outELN(e), nil
}

func (s *server) deleteELN(ctx context.Context, in *elnIDInput) (*struct{}, error) {
	return nil, s.store.DeleteELNEntry(ctx, s.tenant(ctx), in.ID)
}

func (s *server) amendELN(ctx context.Context, in *amendELNInput) (*elnOutput, error) {
	if err := textOK("title", in.Body.Title, "body_markdown", in.Body.BodyMarkdown); err != nil {
		return nil, err
	}
	e, err := s.store.AmendELNEntry(ctx, s.tenant(ctx), in.ID, in.Body.Title, in.Body.BodyMarkdown)
	if err != nil {
		return nil, err
	}
	return outELN(e), nil
}

// signELN is an e-signature (esign): the entry is looked up, the signer
// re-enters their password, then the signature is stored and the entry
// locked in one transaction.
func (s *server) signELN(ctx context.Context, in *signELNInput) (*signatureOutput, error) {
	sig, err := esign(ctx, s, in.Body.Password,
		func(t spectra.Tenant) (spectra.ELNEntry, error) { return s.store.ELNEntry(ctx, t, in.ID) },
		func(t spectra.Tenant, p spectra.Principal, _ spectra.ELNEntry) (spectra.ELNSignature, error) {
			return s.store.SignELNEntry(ctx, t, in.ID, in.Body.Meaning, p.Role, string(spectra.AuthPassword))
		})
	if err != nil {
		return nil, err
	}
	return &signatureOutput{Body: sig}, nil
}

func (s *server) elnSignatures(ctx context.Context, in *elnIDInput) (*manifestOutput, error) {
	m, err := s.store.ELNSignatures(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &manifestOutput{Body: m}, nil
}
