package httpapi

import (
	"net/http"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// addMethodRoutes registers recipes and SOPs, their approvals, versions and retirement (/api/lims).
func (s *server) addMethodRoutes() {
	// Recipes: everyone reads; engineers draft; PIs and admins approve and retire.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/recipes", Permission: string(spectra.PermRecipeRead),
		OperationID: "list-recipes", Summary: "List recipe revisions, newest first"}, s.listRecipes)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/recipes", Permission: string(spectra.PermRecipeDraft),
		OperationID: "create-recipe", Summary: "Draft a new recipe (revision 1 of a new lineage)", Status: http.StatusCreated}, s.createRecipe)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/recipes/{id}", Permission: string(spectra.PermRecipeRead),
		OperationID: "get-recipe", Summary: "One recipe revision"}, getRevision[recipeIDInput](s, recipeAPI))
	register(s, Route{Method: http.MethodPut, Path: "/api/lims/recipes/{id}", Permission: string(spectra.PermRecipeDraft),
		OperationID: "update-recipe", Summary: "Edit a draft recipe (approved and retired revisions are immutable)"}, s.updateRecipe)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/recipes/{id}/approve", Permission: string(spectra.PermRecipeApprove),
		OperationID: "approve-recipe", Summary: "Approve a draft recipe with an e-signature (password re-entered)"}, recipeAPI.approve(s))
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/recipes/{id}/retire", Permission: string(spectra.PermRecipeApprove),
		OperationID: "retire-recipe", Summary: "Retire an approved recipe revision"}, recipeAPI.retire(s))
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/recipes/{id}/versions", Permission: string(spectra.PermRecipeDraft),
		OperationID: "new-recipe-version", Summary: "Start the next revision, a draft copied from an approved or retired one", Status: http.StatusCreated}, newRevisionVersion[recipeIDInput](s, recipeAPI))
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/recipes/{id}/approvals", Permission: string(spectra.PermRecipeRead),
		OperationID: "list-recipe-approvals", Summary: "A recipe revision's approvals and their signatures"}, recipeAPI.approvals(s))

	// SOPs: the same life as recipes.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/sops", Permission: string(spectra.PermSOPRead),
		OperationID: "list-sops", Summary: "List SOP revisions, newest first"}, s.listSOPs)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/sops", Permission: string(spectra.PermSOPDraft),
		OperationID: "create-sop", Summary: "Draft a new SOP (revision 1 of a new lineage)", Status: http.StatusCreated}, s.createSOP)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/sops/{id}", Permission: string(spectra.PermSOPRead),
		OperationID: "get-sop", Summary: "One SOP revision"}, getRevision[sopIDInput](s, sopAPI))
	register(s, Route{Method: http.MethodPut, Path: "/api/lims/sops/{id}", Permission: string(spectra.PermSOPDraft),
		OperationID: "update-sop", Summary: "Edit a draft SOP (approved and retired revisions are immutable)"}, s.updateSOP)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/sops/{id}/approve", Permission: string(spectra.PermSOPApprove),
		OperationID: "approve-sop", Summary: "Approve a draft SOP with an e-signature (password re-entered)"}, sopAPI.approve(s))
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/sops/{id}/retire", Permission: string(spectra.PermSOPApprove),
		OperationID: "retire-sop", Summary: "Retire an approved SOP revision"}, sopAPI.retire(s))
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/sops/{id}/versions", Permission: string(spectra.PermSOPDraft),
		OperationID: "new-sop-version", Summary: "Start the next revision, a draft copied from an approved or retired one", Status: http.StatusCreated}, newRevisionVersion[sopIDInput](s, sopAPI))
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/sops/{id}/approvals", Permission: string(spectra.PermSOPRead),
		OperationID: "list-sop-approvals", Summary: "An SOP revision's approvals and their signatures"}, sopAPI.approvals(s))
}
