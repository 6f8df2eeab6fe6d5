package httpapi

import (
	"context"
	"net/http"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// addMethodRoutes registers recipes and SOPs (/api/lims/recipes, /api/lims/sops):
// for each, list, create, get, update, approve, retire, versions and
// approvals, as addRevisionRoutes lists them (revisions.go).
func (s *server) addMethodRoutes() {
	// Recipes: everyone reads; engineers draft; PIs and admins approve and retire.
	addRevisionRoutes(s, recipeAPI, s.listRecipes, s.createRecipe, s.updateRecipe)
	// SOPs: the same life as recipes.
	addRevisionRoutes(s, sopAPI, s.listSOPs, s.createSOP, s.updateSOP)
	// The review queue of both kinds: for those who approve.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/review", Permission: spectra.RecipeKind.Approve,
		OperationID: "list-review", Summary: "Recipes and SOPs awaiting review, oldest first"}, s.listReview)
}

type reviewOutput struct {
	Body struct {
		Items []spectra.ReviewItem `json:"items" nullable:"false" doc:"Oldest submitted first; at most 200."`
	}
}

// listReview answers the review queue: the kinds the caller may approve,
// each item saying whether they may approve it themselves.
func (s *server) listReview(ctx context.Context, _ *struct{}) (*reviewOutput, error) {
	p, _ := PrincipalFrom(ctx)
	items, err := s.store.ReviewQueue(ctx, s.tenant(ctx), p.Can(spectra.RecipeKind.Approve), p.Can(spectra.SOPKind.Approve))
	if err != nil {
		return nil, err
	}
	out := &reviewOutput{}
	out.Body.Items = make([]spectra.ReviewItem, len(items))
	for i, x := range items {
		kind := spectra.RecipeKind
		if x.Kind == "sop" {
			kind = spectra.SOPKind
		}
		x.CanApprove = kind.Check(p, x.Head, spectra.RevisionApprove) == nil
		out.Body.Items[i] = x
	}
	return out, nil
}

// The two kinds, as the shared life serves them: their names, paths,
// permissions (the domain's RevisionKind), store and approval answer.
var (
	recipeAPI = revisionAPI[spectra.Recipe, spectra.RecipeApproval, recipeApprovedBody]{
		what: "recipe", aWhat: "A recipe", slug: "recipe", path: "/api/lims/recipes", kind: spectra.RecipeKind,
		store: (*postgres.DB).Recipes, approved: func(r spectra.Recipe, a spectra.RecipeApproval) recipeApprovedBody { return recipeApprovedBody{r, a} },
	}
	sopAPI = revisionAPI[spectra.SOP, spectra.SOPApproval, sopApprovedBody]{
		what: "SOP", aWhat: "An SOP", slug: "sop", path: "/api/lims/sops", kind: spectra.SOPKind,
		store: (*postgres.DB).SOPs, approved: func(x spectra.SOP, a spectra.SOPApproval) sopApprovedBody { return sopApprovedBody{x, a} },
	}
)

// What an approval answers: the approved revision and its approval.
type (
	recipeApprovedBody struct {
		Recipe   spectra.Recipe         `json:"recipe"`
		Approval spectra.RecipeApproval `json:"approval"`
	}
	sopApprovedBody struct {
		SOP      spectra.SOP         `json:"sop"`
		Approval spectra.SOPApproval `json:"approval"`
	}
)
