package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// SOPs: standard operating procedures, versioned like recipes (lineage_id
// + revision; the code is the same for every revision). Every method runs
// in the caller's tenant transaction; an SOP of another organization, or a
// soft-deleted one, is CodeNotFound.

const sopColumns = `id, lineage_id, revision, code, title, body_markdown, status,
	approved_at, approved_by, retired_at, created_by, ` + reviewColumns + `, created_at, updated_at, version`

func scanSOP(r pgx.Row) (spectra.SOP, error) {
	var x spectra.SOP
	err := r.Scan(&x.ID, &x.LineageID, &x.Revision, &x.Code, &x.Title, &x.BodyMarkdown, &x.Status,
		&x.ApprovedAt, &x.ApprovedBy, &x.RetiredAt, &x.CreatedBy, &x.EditedBy, &x.SubmittedAt, &x.SubmittedBy, &x.RejectedAt, &x.RejectedBy,
		&x.ReviewNote, &x.IndependentApproval, &x.CreatedAt, &x.UpdatedAt, &x.Version)
	return x, err
}

// ListSOPs lists the organization's SOP revisions, newest first.
func (db *DB) ListSOPs(ctx context.Context, t Tenant, f spectra.SOPFilter, p Page) ([]spectra.SOP, string, error) {
	w := keyset("s", t, p, true)
	w.revisions("s", f.RevisionFilter)
	if f.Q != "" {
		w.and(`(s.code ILIKE '%' || ? || '%' OR s.title ILIKE '%' || ? || '%')`, escapeLike(f.Q))
	}
	if f.Code != "" {
		w.and(`s.code = ?`, f.Code)
	}
	return listPage(ctx, db, t, p, w, sopColumns, "sops s", "s.id DESC", scanSOP,
		func(s spectra.SOP) uuid.UUID { return s.ID })
}

// sopCodeTaken is the answer to a code another SOP already uses.
func sopCodeTaken(code string, cause error) error {
	return &spectra.Error{Code: spectra.CodeConflict, Message: "another SOP already has the code " + code, Err: cause,
		Fields: []spectra.FieldError{{Field: "code", Message: "taken"}}}
}

// sopCodeUsed reports whether any SOP revision has code.
func sopCodeUsed(ctx context.Context, tx pgx.Tx, org uuid.UUID, code string) (bool, error) {
	var taken bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM sops WHERE organization_id = $1 AND code = $2)`, org, code).Scan(&taken)
	return taken, err
}

// CreateSOP stores a new SOP: a draft, revision 1 of a new lineage. A code
// another SOP already uses is CodeConflict.
func (db *DB) CreateSOP(ctx context.Context, t Tenant, d spectra.SOPDraft) (spectra.SOP, error) {
	var out spectra.SOP
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// Codes are unique per revision in the schema; a new SOP must not
		// take the code of another lineage at any revision either.
		if taken, err := sopCodeUsed(ctx, tx, t.OrgID, d.Code); err != nil || taken {
			if err == nil {
				err = sopCodeTaken(d.Code, nil)
			}
			return err
		}
		lineage, err := uuid.NewV7()
		if err != nil {
			return err
		}
		out, err = scanSOP(tx.QueryRow(ctx, `INSERT INTO sops (organization_id, lineage_id, code, title, body_markdown, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+sopColumns,
			t.OrgID, lineage, d.Code, d.Title, d.BodyMarkdown, t.UserID))
		if isUniqueViolation(err) { // the code: the revision is computed, the id generated
			return sopCodeTaken(d.Code, err)
		}
		return mapError(err, "SOP")
	})
	return out, err
}

// UpdateSOP replaces a draft's content. ifMatch > 0 must be the row's
// version (CodePrecondition otherwise), as must version > 0 (CodeConflict
// otherwise); an approved or retired revision is CodeConflict. The code
// belongs to the lineage: only a first revision may change it.
func (db *DB) UpdateSOP(ctx context.Context, t Tenant, id uuid.UUID, d spectra.SOPDraft, ifMatch, version int) (spectra.SOP, error) {
	var out spectra.SOP
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sopKind.lockDraft(ctx, tx, t.OrgID, id, ifMatch, version)
		if err != nil {
			return err
		}
		if d.Code != cur.Code {
			if cur.Revision > 1 {
				return &spectra.Error{Code: spectra.CodeInvalid, Message: "the code of an SOP cannot change after its first revision",
					Fields: []spectra.FieldError{{Field: "code", Message: "must stay " + cur.Code}}}
			}
			if taken, err := sopCodeUsed(ctx, tx, t.OrgID, d.Code); err != nil || taken {
				if err == nil {
					err = sopCodeTaken(d.Code, nil)
				}
				return err
			}
		}
		out, err = scanSOP(tx.QueryRow(ctx, `UPDATE sops SET code = $3, title = $4, body_markdown = $5, edited_by = $6
			WHERE organization_id = $1 AND id = $2 RETURNING `+sopColumns,
			t.OrgID, id, d.Code, d.Title, d.BodyMarkdown, t.UserID))
		if isUniqueViolation(err) { // the code: the revision is computed, the id generated
			return sopCodeTaken(d.Code, err)
		}
		return mapError(err, "SOP")
	})
	return out, err
}
