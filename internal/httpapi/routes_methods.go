package httpapi

import (
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
