package httpapi

// addMethodRoutes registers recipes and SOPs (/api/lims/recipes, /api/lims/sops):
// for each, list, create, get, update, approve, retire, versions and
// approvals, as addRevisionRoutes lists them (revisions.go).
func (s *server) addMethodRoutes() {
	// Recipes: everyone reads; engineers draft; PIs and admins approve and retire.
	addRevisionRoutes(s, recipeAPI, s.listRecipes, s.createRecipe, s.updateRecipe)
	// SOPs: the same life as recipes.
	addRevisionRoutes(s, sopAPI, s.listSOPs, s.createSOP, s.updateSOP)
}
