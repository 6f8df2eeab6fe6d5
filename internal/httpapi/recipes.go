package httpapi

import (
	"context"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Recipes (/api/lims/recipes): what is a recipe's own — its list filters,
// fields, create and edit. Get, approval with an e-signature, retirement,
// new versions and approvals are the shared life (revisions.go).

// recipeFields are what a client writes of a recipe. An update (PUT)
// replaces the whole content, so an omitted field becomes empty, and adds
// the version it read; huma does not flatten an embedded struct in a body,
// so recipeUpdateFields repeats the fields.
type recipeFields struct {
	Name            string                `json:"name" minLength:"1" maxLength:"200"`
	Description     string                `json:"description,omitempty" maxLength:"20000"`
	Parameters      []spectra.RecipeParam `json:"parameters,omitempty" maxItems:"100" doc:"The parameters a run takes: name, unit, min, max, default."`
	InstrumentKinds []string              `json:"instrument_kinds,omitempty" maxItems:"20" doc:"The kinds of instrument a run needs, e.g. SMU."`
	Extractions     []spectra.Extraction  `json:"extractions,omitempty" maxItems:"20" doc:"Results derived from each data series uploaded to a run."`
}

type recipeUpdateFields struct {
	Name            string                `json:"name" minLength:"1" maxLength:"200"`
	Description     string                `json:"description,omitempty" maxLength:"20000"`
	Parameters      []spectra.RecipeParam `json:"parameters,omitempty" maxItems:"100" doc:"The parameters a run takes: name, unit, min, max, default."`
	InstrumentKinds []string              `json:"instrument_kinds,omitempty" maxItems:"20" doc:"The kinds of instrument a run needs, e.g. SMU."`
	Extractions     []spectra.Extraction  `json:"extractions,omitempty" maxItems:"20" doc:"Results derived from each data series uploaded to a run."`
	Version         int                   `json:"version,omitempty" minimum:"1" doc:"The version read, if not sent as If-Match; a stale one answers 409."`
}

// draft is the fields as the domain's normalized, validated draft.
func (f recipeFields) draft() (spectra.RecipeDraft, error) {
	d := spectra.RecipeDraft{Name: f.Name, Description: f.Description, Parameters: f.Parameters, InstrumentKinds: f.InstrumentKinds, Extractions: f.Extractions}.Normalize()
	return d, d.Validate()
}

type listRecipesInput struct {
	RevisionListParams
	Q string `query:"q" maxLength:"200" doc:"Part of the name."`
}

func (s *server) listRecipes(ctx context.Context, in *listRecipesInput) (*listOutput[spectra.Recipe], error) {
	return listRevisions(ctx, s, in.RevisionListParams, func(t spectra.Tenant, f spectra.RevisionFilter, pg spectra.Page) ([]spectra.Recipe, string, error) {
		return s.store.ListRecipes(ctx, t, spectra.RecipeFilter{RevisionFilter: f, Q: in.Q}, pg)
	})
}

func (s *server) createRecipe(ctx context.Context, in *createRevisionInput[recipeFields]) (*revisionOutput[spectra.Recipe], error) {
	d, err := in.Body.draft()
	if err != nil {
		return nil, err
	}
	r, err := s.store.CreateRecipe(ctx, s.tenant(ctx), d)
	if err != nil {
		return nil, err
	}
	return outRevision(ctx, r), nil
}

func (s *server) updateRecipe(ctx context.Context, in *updateRevisionInput[recipeUpdateFields]) (*revisionOutput[spectra.Recipe], error) {
	b := in.Body
	version, err := updateVersion(in.IfMatch, b.Version)
	if err != nil {
		return nil, err
	}
	d, err := recipeFields{Name: b.Name, Description: b.Description, Parameters: b.Parameters, InstrumentKinds: b.InstrumentKinds, Extractions: b.Extractions}.draft()
	if err != nil {
		return nil, err
	}
	r, err := s.store.UpdateRecipe(ctx, s.tenant(ctx), in.ID, d, version, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outRevision(ctx, r), nil
}
