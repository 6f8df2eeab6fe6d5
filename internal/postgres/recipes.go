package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Recipes: method templates, versioned by lineage_id + revision. Every
// method runs in the caller's tenant transaction; a recipe of another
// organization, or a soft-deleted one, is CodeNotFound.

const recipeColumns = `id, lineage_id, revision, name, description, parameters, instrument_kinds, status,
	approved_at, approved_by, retired_at, created_by, created_at, updated_at, version`

func scanRecipe(r pgx.Row) (spectra.Recipe, error) {
	var x spectra.Recipe
	err := r.Scan(&x.ID, &x.LineageID, &x.Revision, &x.Name, &x.Description, &x.Parameters, &x.InstrumentKinds, &x.Status,
		&x.ApprovedAt, &x.ApprovedBy, &x.RetiredAt, &x.CreatedBy, &x.CreatedAt, &x.UpdatedAt, &x.Version)
	if x.Parameters == nil {
		x.Parameters = []spectra.RecipeParam{}
	}
	if x.InstrumentKinds == nil {
		x.InstrumentKinds = []string{}
	}
	return x, err
}

// ListRecipes lists the organization's recipe revisions, newest first.
func (db *DB) ListRecipes(ctx context.Context, t Tenant, f spectra.RecipeFilter, p Page) ([]spectra.Recipe, string, error) {
	var out []spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+recipeColumns+` FROM recipes
			WHERE organization_id = $1 AND deleted_at IS NULL AND id < $2
			  AND ($3 = '' OR status = $3)
			  AND ($4 = '' OR name ILIKE '%' || $4 || '%')
			  AND ($5::uuid = '00000000-0000-0000-0000-000000000000' OR lineage_id = $5)
			ORDER BY id DESC LIMIT $6`,
			t.OrgID, p.after(), string(f.Status), escapeLike(f.Q), f.LineageID, p.Limit+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.Recipe, error) { return scanRecipe(r) })
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, func(r spectra.Recipe) uuid.UUID { return r.ID })
	return out, cursor, nil
}

// Recipe returns one recipe revision.
func (db *DB) Recipe(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Recipe, error) {
	var out spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		out, err = recipe(ctx, tx, t.OrgID, id, false)
		return err
	})
	return out, err
}

func recipe(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (spectra.Recipe, error) {
	q := `SELECT ` + recipeColumns + ` FROM recipes WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE`
	}
	r, err := scanRecipe(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, spectra.Errorf(spectra.CodeNotFound, "recipe not found")
	}
	return r, err
}

// CreateRecipe stores a new recipe: a draft, revision 1 of a new lineage.
func (db *DB) CreateRecipe(ctx context.Context, t Tenant, d spectra.RecipeDraft) (spectra.Recipe, error) {
	var out spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		lineage, err := uuid.NewV7()
		if err != nil {
			return err
		}
		out, err = scanRecipe(tx.QueryRow(ctx, `INSERT INTO recipes (organization_id, lineage_id, name, description, parameters, instrument_kinds, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+recipeColumns,
			t.OrgID, lineage, d.Name, d.Description, jsonb(d.Parameters), d.InstrumentKinds, t.UserID))
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
		cur, err := recipe(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := methodVersion(cur.Version, ifMatch, version, "recipe"); err != nil {
			return err
		}
		if err := cur.Status.CanEdit(); err != nil {
			return err
		}
		out, err = scanRecipe(tx.QueryRow(ctx, `UPDATE recipes SET name = $3, description = $4, parameters = $5, instrument_kinds = $6
			WHERE organization_id = $1 AND id = $2 RETURNING `+recipeColumns,
			t.OrgID, id, d.Name, d.Description, jsonb(d.Parameters), d.InstrumentKinds))
		return mapError(err, "recipe")
	})
	return out, err
}

// methodVersion compares the row's version with an If-Match version
// (CodePrecondition when stale) and a body version (CodeConflict).
func methodVersion(current, ifMatch, version int, what string) error {
	if ifMatch > 0 && ifMatch != current {
		return spectra.Errorf(spectra.CodePrecondition, "the %s changed since version %d (now %d); reload it", what, ifMatch, current)
	}
	if version > 0 && version != current {
		return spectra.Errorf(spectra.CodeConflict, "the %s changed since version %d (now %d); reload it", what, version, current)
	}
	return nil
}

// ApproveRecipe approves a draft, in one transaction: an e-signature over
// the revision's signed content (Recipe.SignedContent, CurrentScheme), the
// approval row, and the revision set to approved. version is the version
// the approver reviewed (and re-entered their password for): if the
// recipe changed since, CodeConflict, since the signature must cover what
// they saw. A revision that is not a draft is CodeConflict.
func (db *DB) ApproveRecipe(ctx context.Context, t Tenant, id uuid.UUID, version int, a spectra.Approval) (spectra.Recipe, spectra.RecipeApproval, error) {
	var out spectra.Recipe
	var approval spectra.RecipeApproval
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := recipe(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := cur.Status.CanApprove(); err != nil {
			return err
		}
		if cur.Version != version {
			return spectra.Errorf(spectra.CodeConflict, "the recipe changed while you were signing (version %d, now %d); review it again", version, cur.Version)
		}
		sig, err := insertMethodSignature(ctx, tx, t, "recipe_id", id, a, cur.SignedContent())
		if err != nil {
			return err
		}
		var approvalID uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO recipe_approvals (organization_id, recipe_id, approver_id, approver_role, comment, signature_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.OrgID, id, t.UserID, a.Role, a.Comment, sig).Scan(&approvalID); err != nil {
			return mapError(err, "approval")
		}
		out, err = scanRecipe(tx.QueryRow(ctx, `UPDATE recipes SET status = 'approved', approved_at = now(), approved_by = $3
			WHERE organization_id = $1 AND id = $2 RETURNING `+recipeColumns, t.OrgID, id, t.UserID))
		if err != nil {
			return mapError(err, "recipe")
		}
		all, err := recipeApprovals(ctx, tx, t.OrgID, out, Page{Limit: MaxLimit, After: uuid.Max})
		for _, x := range all {
			if x.ID == approvalID {
				approval = x
			}
		}
		return err
	})
	return out, approval, err
}

// RetireRecipe retires an approved revision (CodeConflict otherwise); runs
// that used it keep pointing at it. ifMatch > 0 must be the row's version.
func (db *DB) RetireRecipe(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) (spectra.Recipe, error) {
	var out spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := recipe(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := methodVersion(cur.Version, ifMatch, 0, "recipe"); err != nil {
			return err
		}
		if err := cur.Status.CanRetire(); err != nil {
			return err
		}
		out, err = scanRecipe(tx.QueryRow(ctx, `UPDATE recipes SET status = 'retired', retired_at = now()
			WHERE organization_id = $1 AND id = $2 RETURNING `+recipeColumns, t.OrgID, id))
		return mapError(err, "recipe")
	})
	return out, err
}

// NewRecipeVersion starts a new draft from an approved or retired
// revision: same lineage, the next revision number, the content copied.
// The source stays as it is. A lineage has at most one open draft: while
// one exists, or when another new version wins a race, CodeConflict.
func (db *DB) NewRecipeVersion(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Recipe, error) {
	var out spectra.Recipe
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// The lock queues new versions of the same revision; versions
		// started from different revisions of a lineage meet at the
		// unique keys instead.
		src, err := recipe(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := src.Status.CanVersion(); err != nil {
			return err
		}
		var open uuid.UUID
		var openRev int
		err = tx.QueryRow(ctx, `SELECT id, revision FROM recipes WHERE organization_id = $1 AND lineage_id = $2
			AND status = 'draft' AND deleted_at IS NULL`, t.OrgID, src.LineageID).Scan(&open, &openRev)
		if err == nil {
			return spectra.Errorf(spectra.CodeConflict, "revision %d of this recipe (%s) is already an open draft: edit or approve it first", openRev, open)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Deleted revisions keep their numbers: the unique key counts them.
		out, err = scanRecipe(tx.QueryRow(ctx, `INSERT INTO recipes (organization_id, lineage_id, revision, name, description, parameters, instrument_kinds, created_by)
			SELECT $1, $2, max(revision) + 1, $3, $4, $5, $6, $7 FROM recipes WHERE organization_id = $1 AND lineage_id = $2
			RETURNING `+recipeColumns,
			t.OrgID, src.LineageID, src.Name, src.Description, jsonb(src.Parameters), src.InstrumentKinds, t.UserID))
		if spectra.ErrorCode(mapError(err, "")) == spectra.CodeConflict {
			return spectra.Errorf(spectra.CodeConflict, "another new version of this recipe was started at the same time; reload the list")
		}
		return mapError(err, "recipe")
	})
	return out, err
}

// RecipeApprovals lists a recipe revision's approvals with their
// signatures, newest first, and whether each signature still covers the
// revision's content. A revision is approved at most once, so the list is
// short, but it pages like every other.
func (db *DB) RecipeApprovals(ctx context.Context, t Tenant, id uuid.UUID, p Page) ([]spectra.RecipeApproval, string, error) {
	var out []spectra.RecipeApproval
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		r, err := recipe(ctx, tx, t.OrgID, id, false)
		if err != nil {
			return err
		}
		out, err = recipeApprovals(ctx, tx, t.OrgID, r, p)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, func(a spectra.RecipeApproval) uuid.UUID { return a.ID })
	return out, cursor, nil
}

func recipeApprovals(ctx context.Context, tx pgx.Tx, org uuid.UUID, r spectra.Recipe, p Page) ([]spectra.RecipeApproval, error) {
	// LEFT JOIN users: an approver who has since left the organization
	// is no longer visible to it, but their approval still stands.
	rows, err := tx.Query(ctx, `SELECT a.id, a.recipe_id, a.approver_id, coalesce(u.email, ''), coalesce(u.display_name, ''),
			a.approver_role, a.comment, a.approved_at,
			s.id, s.signer_id, s.signer_role, s.meaning, s.auth_method, s.signed_at, s.scheme, s.content_sha256
		FROM recipe_approvals a
		LEFT JOIN users u ON u.id = a.approver_id
		LEFT JOIN signatures s ON s.organization_id = a.organization_id AND s.id = a.signature_id
		WHERE a.organization_id = $1 AND a.recipe_id = $2 AND a.id < $3
		ORDER BY a.id DESC LIMIT $4`, org, r.ID, p.after(), p.Limit+1)
	if err != nil {
		return nil, err
	}
	content := r.SignedContent()
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (spectra.RecipeApproval, error) {
		var a spectra.RecipeApproval
		sig, err := scanMethodApproval(row, &a.ID, &a.RecipeID, &a.ApproverID, &a.ApproverEmail, &a.ApproverName,
			&a.ApproverRole, &a.Comment, &a.ApprovedAt)
		if sig != nil {
			sig.Matches = spectra.SignatureMatches(sig.Scheme, sig.stored, content)
			a.Signature = &sig.MethodSignature
		}
		return a, err
	})
}

// methodSignatureRow is a signature as read, with its raw digest.
type methodSignatureRow struct {
	spectra.MethodSignature
	stored []byte
}

// scanMethodApproval scans an approval's own columns into dest and the joined
// signature's into the result (nil when the approval has none).
func scanMethodApproval(row pgx.Row, dest ...any) (*methodSignatureRow, error) {
	var (
		id, signer           *uuid.UUID
		role, meaning, authM *string
		scheme               *string
		signedAt             *time.Time
		digest               []byte
	)
	if err := row.Scan(append(dest, &id, &signer, &role, &meaning, &authM, &signedAt, &scheme, &digest)...); err != nil || id == nil {
		return nil, err
	}
	s := &methodSignatureRow{stored: digest}
	s.ID, s.SignerID, s.SignerRole, s.Meaning, s.AuthMethod, s.SignedAt = *id, *signer, spectra.Role(*role), *meaning, *authM, *signedAt
	s.Scheme = spectra.SignatureScheme(*scheme)
	s.ContentSHA256 = hex.EncodeToString(digest)
	return s, nil
}

// insertMethodSignature writes the approval signature of a recipe or SOP
// revision (column names which) over its content, under the current
// scheme, and returns its id.
func insertMethodSignature(ctx context.Context, tx pgx.Tx, t Tenant, column string, id uuid.UUID, a spectra.Approval, c spectra.SignedContent) (uuid.UUID, error) {
	sum, err := spectra.SignatureDigest(spectra.CurrentScheme, c)
	if err != nil {
		return uuid.Nil, err
	}
	var sig uuid.UUID
	err = tx.QueryRow(ctx, `INSERT INTO signatures (organization_id, `+column+`, signer_id, signer_role, meaning, scheme, content_sha256, auth_method)
		VALUES ($1, $2, $3, $4, 'approved', $5, $6, $7) RETURNING id`,
		t.OrgID, id, t.UserID, a.Role, spectra.CurrentScheme, sum[:], a.AuthMethod).Scan(&sig)
	return sig, mapError(err, "signature")
}
