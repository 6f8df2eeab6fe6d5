package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// Recipes (/api/lims/recipes): drafts, approval with an e-signature,
// retirement and new versions.

type listRecipesInput struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Status    string `query:"status" enum:"draft,approved,retired,"`
	Q         string `query:"q" maxLength:"200" doc:"Part of the name."`
	LineageID string `query:"lineage_id" format:"uuid" doc:"Only the revisions of this method."`
}

type recipeOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Recipe
}

func outRecipe(r spectra.Recipe) *recipeOutput { return &recipeOutput{ETag: etag(r.Version), Body: r} }

type recipeIDInput struct {
	ID uuid.UUID `path:"id" doc:"The recipe revision's id."`
}

// recipeFields are what a client writes of a recipe. An update (PUT)
// replaces the whole content, so an omitted field becomes empty, and adds
// the version it read; huma does not flatten an embedded struct in a body,
// so recipeUpdateFields repeats the fields.
type recipeFields struct {
	Name            string                `json:"name" minLength:"1" maxLength:"200"`
	Description     string                `json:"description,omitempty" maxLength:"20000"`
	Parameters      []spectra.RecipeParam `json:"parameters,omitempty" maxItems:"100" doc:"The parameters a run takes: name, unit, min, max, default."`
	InstrumentKinds []string              `json:"instrument_kinds,omitempty" maxItems:"20" doc:"The kinds of instrument a run needs, e.g. SMU."`
}

type recipeUpdateFields struct {
	Name            string                `json:"name" minLength:"1" maxLength:"200"`
	Description     string                `json:"description,omitempty" maxLength:"20000"`
	Parameters      []spectra.RecipeParam `json:"parameters,omitempty" maxItems:"100" doc:"The parameters a run takes: name, unit, min, max, default."`
	InstrumentKinds []string              `json:"instrument_kinds,omitempty" maxItems:"20" doc:"The kinds of instrument a run needs, e.g. SMU."`
	Version         int                   `json:"version,omitempty" minimum:"1" doc:"The version read, if not sent as If-Match; a stale one answers 409."`
}

// draft is the fields as the domain's normalized, validated draft.
func (f recipeFields) draft() (spectra.RecipeDraft, error) {
	d := spectra.RecipeDraft{Name: f.Name, Description: f.Description, Parameters: f.Parameters, InstrumentKinds: f.InstrumentKinds}.Normalize()
	return d, d.Validate()
}

type createRecipeInput struct {
	Body recipeFields
}

type updateRecipeInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the recipe as last read; a stale one answers 412."`
	Body    recipeUpdateFields
}

// approveMethodInput is an approval: the approver re-enters their password, so
// the signature is theirs and made knowingly (21 CFR 11.200).
type approveMethodInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision the approver reviewed; a stale one answers 412."`
	Body    struct {
		Comment  string `json:"comment,omitempty" maxLength:"2000"`
		Password string `json:"password" minLength:"1" maxLength:"1024" doc:"The approver's own password, re-entered to sign."`
	}
}

type retireMethodInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision as last read; a stale one answers 412."`
}

type recipeApprovedBody struct {
	Recipe   spectra.Recipe         `json:"recipe"`
	Approval spectra.RecipeApproval `json:"approval"`
}

type recipeApprovedOutput struct {
	ETag string `header:"ETag"`
	Body recipeApprovedBody
}

type listMethodApprovalsInput struct {
	ID     uuid.UUID `path:"id"`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string    `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

func (s *server) listRecipes(ctx context.Context, in *listRecipesInput) (*listOutput[spectra.Recipe], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.RecipeFilter{Status: spectra.MethodStatus(in.Status), Q: in.Q}
	if in.LineageID != "" {
		f.LineageID = uuid.MustParse(in.LineageID) // validated by the format
	}
	items, cursor, err := s.store.ListRecipes(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Recipe]{Body: newList(items, cursor)}, nil
}

func (s *server) getRecipe(ctx context.Context, in *recipeIDInput) (*recipeOutput, error) {
	r, err := s.store.Recipe(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outRecipe(r), nil
}

func (s *server) createRecipe(ctx context.Context, in *createRecipeInput) (*recipeOutput, error) {
	d, err := in.Body.draft()
	if err != nil {
		return nil, err
	}
	r, err := s.store.CreateRecipe(ctx, s.tenant(ctx), d)
	if err != nil {
		return nil, err
	}
	return outRecipe(r), nil
}

func (s *server) updateRecipe(ctx context.Context, in *updateRecipeInput) (*recipeOutput, error) {
	b := in.Body
	version, err := updateVersion(in.IfMatch, b.Version)
	if err != nil {
		return nil, err
	}
	d, err := recipeFields{Name: b.Name, Description: b.Description, Parameters: b.Parameters, InstrumentKinds: b.InstrumentKinds}.draft()
	if err != nil {
		return nil, err
	}
	r, err := s.store.UpdateRecipe(ctx, s.tenant(ctx), in.ID, d, version, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outRecipe(r), nil
}

// approveRecipe checks the revision before the password, so that a missing
// or foreign id (404) or a revision past draft (409) costs no login
// attempt; the password is checked outside any tenant transaction, since
// re-authentication uses connections of its own and must not wait for one
// while holding another. The store then re-checks the revision under a
// lock, at the version the approver reviewed.
func (s *server) approveRecipe(ctx context.Context, in *approveMethodInput) (*recipeApprovedOutput, error) {
	p, _ := PrincipalFrom(ctx)
	want, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	t := s.tenant(ctx)
	cur, err := s.store.Recipe(ctx, t, in.ID)
	if err != nil {
		return nil, err
	}
	if err := cur.Status.CanApprove(); err != nil {
		return nil, err
	}
	if want > 0 && want != cur.Version {
		return nil, spectra.Errorf(spectra.CodePrecondition, "the recipe changed since version %d (now %d); review it again", want, cur.Version)
	}
	if err := s.reauthApprover(ctx, p, in.Body.Password); err != nil {
		return nil, err
	}
	r, a, err := s.store.ApproveRecipe(ctx, t, in.ID, cur.Version,
		spectra.Approval{Role: p.Role, Comment: in.Body.Comment, AuthMethod: string(spectra.AuthPassword)})
	if err != nil {
		return nil, err
	}
	return &recipeApprovedOutput{ETag: etag(r.Version), Body: recipeApprovedBody{Recipe: r, Approval: a}}, nil
}

// reauthApprover checks the caller's password once more, to sign; a wrong
// one is 401 naming the field password, and counts as a failed login.
func (s *server) reauthApprover(ctx context.Context, p spectra.Principal, password string) error {
	c := clientFrom(ctx)
	return s.auth.Reauthenticate(ctx, p, password, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
}

func (s *server) retireRecipe(ctx context.Context, in *retireMethodInput) (*recipeOutput, error) {
	version, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	r, err := s.store.RetireRecipe(ctx, s.tenant(ctx), in.ID, version)
	if err != nil {
		return nil, err
	}
	return outRecipe(r), nil
}

func (s *server) newRecipeVersion(ctx context.Context, in *recipeIDInput) (*recipeOutput, error) {
	r, err := s.store.NewRecipeVersion(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outRecipe(r), nil
}

func (s *server) listRecipeApprovals(ctx context.Context, in *listMethodApprovalsInput) (*listOutput[spectra.RecipeApproval], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.RecipeApprovals(ctx, s.tenant(ctx), in.ID, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.RecipeApproval]{Body: newList(items, cursor)}, nil
}
