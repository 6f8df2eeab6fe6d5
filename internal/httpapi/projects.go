package httpapi

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Projects (/api/lims/projects): PI and above manage them, everyone reads.

type listProjectsInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Q      string `query:"q" maxLength:"200" doc:"Part of the code or name."`
	Status string `query:"status" enum:"active,archived,"`
}

type projectOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Project
}

func outProject(p spectra.Project) *projectOutput {
	return &projectOutput{ETag: etag(p.Version), Body: p}
}

type projectIDInput struct {
	ID uuid.UUID `path:"id" doc:"The project's id."`
}

// ProjectFields are a project's writable fields, the body of a create
// and part of an update's. (Exported because huma flattens only exported
// embedded structs into a body's schema.)
type ProjectFields struct {
	Code        string                `json:"code" minLength:"1" maxLength:"64" pattern:"^\\S(.*\\S)?$" patternDescription:"no leading or trailing spaces" doc:"Unique in the organization."`
	Name        string                `json:"name" minLength:"1" maxLength:"200"`
	Description string                `json:"description,omitempty" maxLength:"10000"`
	Status      spectra.ProjectStatus `json:"status,omitempty" enum:"active,archived" doc:"When not given: active for a new project, unchanged by an edit."`
}

func (f ProjectFields) check() error {
	return noNUL("code", f.Code, "name", f.Name, "description", f.Description)
}

func (f ProjectFields) draft() spectra.ProjectDraft {
	return spectra.ProjectDraft{Code: f.Code, Name: f.Name, Description: f.Description, Status: f.Status}
}

type createProjectInput struct {
	Body ProjectFields
}

type updateProjectInput struct {
	ID      uuid.UUID `path:"id" doc:"The project's id."`
	IfMatch string    `header:"If-Match" doc:"The ETag of the project as last read; a stale one answers 412."`
	Body    struct {
		ProjectFields
		Version int `json:"version,omitempty" minimum:"1" doc:"The version read; a stale one answers 409. Give it or If-Match."`
	}
}

type deleteProjectInput struct {
	ID      uuid.UUID `path:"id" doc:"The project's id."`
	IfMatch string    `header:"If-Match" doc:"The ETag of the project as last read; a stale one answers 412."`
}

func (s *server) listProjects(ctx context.Context, in *listProjectsInput) (*listOutput[spectra.Project], error) {
	if err := noNUL("query.q", in.Q); err != nil {
		return nil, err
	}
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListProjects(ctx, s.tenant(ctx), spectra.ProjectFilter{Q: in.Q, Status: spectra.ProjectStatus(in.Status)}, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Project]{Body: newList(items, cursor)}, nil
}

func (s *server) getProject(ctx context.Context, in *projectIDInput) (*projectOutput, error) {
	p, err := s.store.Project(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outProject(p), nil
}

func (s *server) createProject(ctx context.Context, in *createProjectInput) (*projectOutput, error) {
	if err := in.Body.check(); err != nil {
		return nil, err
	}
	p, err := s.store.CreateProject(ctx, s.tenant(ctx), in.Body.draft())
	if err != nil {
		return nil, err
	}
	return outProject(p), nil
}

func (s *server) updateProject(ctx context.Context, in *updateProjectInput) (*projectOutput, error) {
	match, err := updateVersion(in.IfMatch, in.Body.Version)
	if err != nil {
		return nil, err
	}
	if err := in.Body.check(); err != nil {
		return nil, err
	}
	p, err := s.store.UpdateProject(ctx, s.tenant(ctx), in.ID, in.Body.draft(), match, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outProject(p), nil
}

func (s *server) deleteProject(ctx context.Context, in *deleteProjectInput) (*struct{}, error) {
	match, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	return nil, s.store.DeleteProject(ctx, s.tenant(ctx), in.ID, match)
}

// noNUL answers 422 naming the first of the (name, value) pairs whose
// value holds a NUL character, which PostgreSQL text cannot store.
func noNUL(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.ContainsRune(pairs[i+1], 0) {
			return invalid(pairs[i], "may not contain NUL characters")
		}
	}
	return nil
}
