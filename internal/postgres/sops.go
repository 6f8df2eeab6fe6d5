package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// SOPs: standard operating procedures, versioned like recipes (lineage_id
// + revision; the code is the same for every revision). Every method runs
// in the caller's tenant transaction; an SOP of another organization, or a
// soft-deleted one, is CodeNotFound.

const sopColumns = `id, lineage_id, revision, code, title, body_markdown, status,
	approved_at, approved_by, retired_at, created_by, created_at, updated_at, version`

func scanSOP(r pgx.Row) (spectra.SOP, error) {
	var x spectra.SOP
	err := r.Scan(&x.ID, &x.LineageID, &x.Revision, &x.Code, &x.Title, &x.BodyMarkdown, &x.Status,
		&x.ApprovedAt, &x.ApprovedBy, &x.RetiredAt, &x.CreatedBy, &x.CreatedAt, &x.UpdatedAt, &x.Version)
	return x, err
}

// ListSOPs lists the organization's SOP revisions, newest first.
func (db *DB) ListSOPs(ctx context.Context, t Tenant, f spectra.SOPFilter, p Page) ([]spectra.SOP, string, error) {
	var out []spectra.SOP
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		q := escapeLike(f.Q)
		rows, err := tx.Query(ctx, `SELECT `+sopColumns+` FROM sops
			WHERE organization_id = $1 AND deleted_at IS NULL AND id < $2
			  AND ($3 = '' OR status = $3)
			  AND ($4 = '' OR code ILIKE '%' || $4 || '%' OR title ILIKE '%' || $4 || '%')
			  AND ($5 = '' OR code = $5)
			  AND ($6::uuid = '00000000-0000-0000-0000-000000000000' OR lineage_id = $6)
			ORDER BY id DESC LIMIT $7`,
			t.OrgID, p.after(), string(f.Status), q, f.Code, f.LineageID, p.Limit+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.SOP, error) { return scanSOP(r) })
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, func(s spectra.SOP) uuid.UUID { return s.ID })
	return out, cursor, nil
}

// SOP returns one SOP revision.
func (db *DB) SOP(ctx context.Context, t Tenant, id uuid.UUID) (spectra.SOP, error) {
	var out spectra.SOP
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		out, err = sop(ctx, tx, t.OrgID, id, false)
		return err
	})
	return out, err
}

func sop(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (spectra.SOP, error) {
	q := `SELECT ` + sopColumns + ` FROM sops WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE`
	}
	s, err := scanSOP(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, spectra.Errorf(spectra.CodeNotFound, "SOP not found")
	}
	return s, err
}

// sopCodeTaken is the answer to a code another SOP already uses.
func sopCodeTaken(code string, cause error) error {
	return &spectra.Error{Code: spectra.CodeConflict, Message: "another SOP already has the code " + code, Err: cause,
		Fields: []spectra.FieldError{{Field: "code", Message: "taken"}}}
}

// mapSOPError maps a write's error; a unique violation can only be the code
// (the revision is computed, the id generated).
func mapSOPError(err error, code string) error {
	if spectra.ErrorCode(mapError(err, "")) == spectra.CodeConflict {
		return sopCodeTaken(code, err)
	}
	return mapError(err, "SOP")
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
		return mapSOPError(err, d.Code)
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
		cur, err := sop(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := methodVersion(cur.Version, ifMatch, version, "SOP"); err != nil {
			return err
		}
		if err := cur.Status.CanEdit(); err != nil {
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
		out, err = scanSOP(tx.QueryRow(ctx, `UPDATE sops SET code = $3, title = $4, body_markdown = $5
			WHERE organization_id = $1 AND id = $2 RETURNING `+sopColumns,
			t.OrgID, id, d.Code, d.Title, d.BodyMarkdown))
		return mapSOPError(err, d.Code)
	})
	return out, err
}

// ApproveSOP approves a draft, in one transaction: an e-signature over the
// revision's signed content (SOP.SignedContent, CurrentScheme), the approval row,
// and the revision set to approved. version is the version the approver
// reviewed: if the SOP changed since, CodeConflict. A revision that is not
// a draft is CodeConflict.
func (db *DB) ApproveSOP(ctx context.Context, t Tenant, id uuid.UUID, version int, a spectra.Approval) (spectra.SOP, spectra.SOPApproval, error) {
	var out spectra.SOP
	var approval spectra.SOPApproval
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sop(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := cur.Status.CanApprove(); err != nil {
			return err
		}
		if cur.Version != version {
			return spectra.Errorf(spectra.CodeConflict, "the SOP changed while you were signing (version %d, now %d); review it again", version, cur.Version)
		}
		sig, err := insertMethodSignature(ctx, tx, t, "sop_id", id, a, cur.SignedContent())
		if err != nil {
			return err
		}
		var approvalID uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO sop_approvals (organization_id, sop_id, approver_id, approver_role, comment, signature_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.OrgID, id, t.UserID, a.Role, a.Comment, sig).Scan(&approvalID); err != nil {
			return mapError(err, "approval")
		}
		out, err = scanSOP(tx.QueryRow(ctx, `UPDATE sops SET status = 'approved', approved_at = now(), approved_by = $3
			WHERE organization_id = $1 AND id = $2 RETURNING `+sopColumns, t.OrgID, id, t.UserID))
		if err != nil {
			return mapError(err, "SOP")
		}
		all, err := sopApprovals(ctx, tx, t.OrgID, out, Page{Limit: MaxLimit})
		for _, x := range all {
			if x.ID == approvalID {
				approval = x
			}
		}
		return err
	})
	return out, approval, err
}

// RetireSOP retires an approved revision (CodeConflict otherwise). ifMatch
// > 0 must be the row's version.
func (db *DB) RetireSOP(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) (spectra.SOP, error) {
	var out spectra.SOP
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sop(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := methodVersion(cur.Version, ifMatch, 0, "SOP"); err != nil {
			return err
		}
		if err := cur.Status.CanRetire(); err != nil {
			return err
		}
		out, err = scanSOP(tx.QueryRow(ctx, `UPDATE sops SET status = 'retired', retired_at = now()
			WHERE organization_id = $1 AND id = $2 RETURNING `+sopColumns, t.OrgID, id))
		return mapError(err, "SOP")
	})
	return out, err
}

// NewSOPVersion starts a new draft from an approved or retired revision:
// same lineage and code, the next revision number, the content copied. A
// lineage has at most one open draft: while one exists, or when another
// new version wins a race, CodeConflict.
func (db *DB) NewSOPVersion(ctx context.Context, t Tenant, id uuid.UUID) (spectra.SOP, error) {
	var out spectra.SOP
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		src, err := sop(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := src.Status.CanVersion(); err != nil {
			return err
		}
		var open uuid.UUID
		var openRev int
		err = tx.QueryRow(ctx, `SELECT id, revision FROM sops WHERE organization_id = $1 AND lineage_id = $2
			AND status = 'draft' AND deleted_at IS NULL`, t.OrgID, src.LineageID).Scan(&open, &openRev)
		if err == nil {
			return spectra.Errorf(spectra.CodeConflict, "revision %d of this SOP (%s) is already an open draft: edit or approve it first", openRev, open)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		out, err = scanSOP(tx.QueryRow(ctx, `INSERT INTO sops (organization_id, lineage_id, revision, code, title, body_markdown, created_by)
			SELECT $1, $2, max(revision) + 1, $3, $4, $5, $6 FROM sops WHERE organization_id = $1 AND lineage_id = $2
			RETURNING `+sopColumns,
			t.OrgID, src.LineageID, src.Code, src.Title, src.BodyMarkdown, t.UserID))
		if spectra.ErrorCode(mapError(err, "")) == spectra.CodeConflict {
			return spectra.Errorf(spectra.CodeConflict, "another new version of this SOP was started at the same time; reload the list")
		}
		return mapError(err, "SOP")
	})
	return out, err
}

// SOPApprovals lists an SOP revision's approvals with their signatures,
// newest first, and whether each signature still covers the revision.
func (db *DB) SOPApprovals(ctx context.Context, t Tenant, id uuid.UUID, p Page) ([]spectra.SOPApproval, string, error) {
	var out []spectra.SOPApproval
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		s, err := sop(ctx, tx, t.OrgID, id, false)
		if err != nil {
			return err
		}
		out, err = sopApprovals(ctx, tx, t.OrgID, s, p)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, func(a spectra.SOPApproval) uuid.UUID { return a.ID })
	return out, cursor, nil
}

func sopApprovals(ctx context.Context, tx pgx.Tx, org uuid.UUID, s spectra.SOP, p Page) ([]spectra.SOPApproval, error) {
	rows, err := tx.Query(ctx, `SELECT a.id, a.sop_id, a.approver_id, coalesce(u.email, ''), coalesce(u.display_name, ''),
			a.approver_role, a.comment, a.approved_at,
			g.id, g.signer_id, g.signer_role, g.meaning, g.auth_method, g.signed_at, g.scheme, g.content_sha256
		FROM sop_approvals a
		LEFT JOIN users u ON u.id = a.approver_id
		LEFT JOIN signatures g ON g.organization_id = a.organization_id AND g.id = a.signature_id
		WHERE a.organization_id = $1 AND a.sop_id = $2 AND a.id < $3
		ORDER BY a.id DESC LIMIT $4`, org, s.ID, p.after(), p.Limit+1)
	if err != nil {
		return nil, err
	}
	content := s.SignedContent()
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (spectra.SOPApproval, error) {
		var a spectra.SOPApproval
		sig, err := scanMethodApproval(row, &a.ID, &a.SOPID, &a.ApproverID, &a.ApproverEmail, &a.ApproverName,
			&a.ApproverRole, &a.Comment, &a.ApprovedAt)
		if sig != nil {
			sig.Matches = spectra.SignatureMatches(sig.Scheme, sig.stored, content)
			a.Signature = &sig.MethodSignature
		}
		return a, err
	})
}
