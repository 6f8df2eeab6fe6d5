package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Recipes: method templates, versioned by lineage_id + revision. Every
// method runs in the caller's tenant transaction; a recipe of another
// organization, or a soft-deleted one, is CodeNotFound.

const recipeColumns = `id, lineage_id, revision, name, description, parameters, instrument_kinds, extractions, status,
	approved_at, approved_by, retired_at, created_by, ` + reviewColumns + `, created_at, updated_at, version`

func scanRecipe(r pgx.Row) (spectra.Recipe, error) {
	var x spectra.Recipe
	err := r.Scan(&x.ID, &x.LineageID, &x.Revision, &x.Name, &x.Description, &x.Parameters, &x.InstrumentKinds, &x.Extractions, &x.Status,
		&x.ApprovedAt, &x.ApprovedBy, &x.RetiredAt, &x.CreatedBy, &x.EditedBy, &x.SubmittedAt, &x.SubmittedBy, &x.RejectedAt, &x.RejectedBy,
		&x.ReviewNote, &x.IndependentApproval, &x.CreatedAt, &x.UpdatedAt, &x.Version)
	if x.Parameters == nil {
		x.Parameters = []spectra.RecipeParam{}
	}
	if x.InstrumentKinds == nil {
		x.InstrumentKinds = []string{}
	}
	if x.Extractions == nil {
		x.Extractions = []spectra.Extraction{}
	}
	return x, err
}

// ListRecipes lists the organization's recipe revisions, newest first.
func (db *DB) ListRecipes(ctx context.Context, t Tenant, f spectra.RecipeFilter, p Page) ([]spectra.Recipe, string, error) {
	w := keyset("r", t, p, true)
	w.revisions("r", f.RevisionFilter)
	if f.Q != "" {
		w.and(`r.name ILIKE '%' || ? || '%'`, escapeLike(f.Q))
	}
	return listPage(ctx, db, t, p, w, recipeColumns, "recipes r", "r.id DESC", scanRecipe,
		func(r spectra.Recipe) uuid.UUID { return r.ID })
}

// CreateRecipe stores a new recipe: a draft, revision 1 of a new lineage.
func (db *DB) CreateRecipe(ctx context.Context, t Tenant, d spectra.RecipeDraft) (spectra.Recipe, error) {
	var out spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		lineage, err := uuid.NewV7()
		if err != nil {
			return err
		}
		out, err = scanRecipe(tx.QueryRow(ctx, `INSERT INTO recipes (organization_id, lineage_id, name, description, parameters, instrument_kinds, extractions, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+recipeColumns,
			t.OrgID, lineage, d.Name, d.Description, jsonb(d.Parameters), d.InstrumentKinds, jsonb(d.Extractions), t.UserID))
		return mapError(err, "recipe")
	})
	return out, err
}

// UpdateRecipe replaces a draft's content. ifMatch > 0 must be the row's
// version (CodePrecondition otherwise), as must version > 0 (CodeConflict
// otherwise); an approved or retired revision is CodeConflict.
func (db *DB) UpdateRecipe(ctx context.Context, t Tenant, id uuid.UUID, d spectra.RecipeDraft, ifMatch, version int) (spectra.Recipe, error) {
	var out spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := recipeKind.lockDraft(ctx, tx, t.OrgID, id, ifMatch, version); err != nil {
			return err
		}
		var err error
		out, err = scanRecipe(tx.QueryRow(ctx, `UPDATE recipes SET name = $3, description = $4, parameters = $5, instrument_kinds = $6, extractions = $7, edited_by = $8
			WHERE organization_id = $1 AND id = $2 RETURNING `+recipeColumns,
			t.OrgID, id, d.Name, d.Description, jsonb(d.Parameters), d.InstrumentKinds, jsonb(d.Extractions), t.UserID))
		return mapError(err, "recipe")
	})
	return out, err
}
