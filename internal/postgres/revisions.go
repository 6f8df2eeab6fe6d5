package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Revisioned documents: recipes and SOPs live the same life — revisions of
// a lineage, draft → approved → retired, an approval with an e-signature
// over the revision's signed content, a new version copied from an
// approved or retired revision. Revisions is that life, once; a
// revisionKind names what differs between the kinds (tables, columns,
// how a row scans, what a signature covers). Listing, creating and
// editing differ in their content and filters and stay in recipes.go and
// sops.go. Every method runs in the caller's tenant transaction; a
// revision of another organization, or a soft-deleted one, is
// CodeNotFound.

// revisionKind describes one kind of revisioned document.
type revisionKind[T spectra.Revisioned, A any] struct {
	what      string         // the kind in messages: "recipe", "SOP"
	route     string         // the UI's page of the kind: "/recipes"
	label     func(T) string // how people name a revision: "IV Sweep, revision 2"
	table     string         // "recipes"
	approvals string         // the approvals table, "recipe_approvals"
	ref       string         // the column naming the revision in approvals and signatures, "recipe_id"
	columns   string         // the columns scan reads, in its order
	scan      func(pgx.Row) (T, error)
	// copied lists the content columns a new version copies, and
	// copyArgs their values from the source revision, in that order.
	copied   string
	copyArgs func(T) []any
	// signed is what an approval signature covers.
	signed func(T) spectra.SignedContent
	// approval points into an approval: at the revision it approves and at
	// the shared part (id, approver, comment, time, signature).
	approval func(*A) (*uuid.UUID, *spectra.MethodApproval)
}

// approvalID is approval a's id.
func (k *revisionKind[T, A]) approvalID(a A) uuid.UUID {
	_, m := k.approval(&a)
	return m.ID
}

// Revisions is the life of one kind of revisioned document:
// db.Recipes() or db.SOPs().
type Revisions[T spectra.Revisioned, A any] struct {
	db   *DB
	kind *revisionKind[T, A]
}

// Get returns one revision.
func (r Revisions[T, A]) Get(ctx context.Context, t Tenant, id uuid.UUID) (T, error) {
	var out T
	err := r.db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		out, err = r.kind.get(ctx, tx, t.OrgID, id, false)
		return err
	})
	return out, err
}

func (k *revisionKind[T, A]) get(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (T, error) {
	q := `SELECT ` + k.columns + ` FROM ` + k.table + ` WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE`
	}
	x, err := k.scan(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return x, spectra.Errorf(spectra.CodeNotFound, "%s not found", k.what)
	}
	return x, err
}

// lockDraft locks a revision to edit it: ifMatch > 0 must be the row's
// version (CodePrecondition otherwise), as must version > 0 (CodeConflict
// otherwise); an approved or retired revision is CodeConflict.
func (k *revisionKind[T, A]) lockDraft(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, ifMatch, version int) (T, error) {
	cur, err := k.get(ctx, tx, org, id, true)
	if err != nil {
		return cur, err
	}
	h := spectra.Head(cur)
	if err := checkVersion(staleWording{what: k.what}, h.Version, ifMatch, version); err != nil {
		return cur, err
	}
	return cur, h.CanEdit()
}

// reviewColumns are the columns of a revision's review, in the order the
// kinds' scans read them after created_by: the marks of review and the
// organization's rule on independent approval (read with the row, so a
// revision's actions need nothing else).
const reviewColumns = `edited_by, submitted_at, submitted_by, rejected_at, rejected_by, review_note,
	(SELECT o.require_independent_approval FROM organizations o WHERE o.id = organization_id)`

// move changes a revision's state in one transaction (submit, withdraw,
// reject, retire): locked, at
// version ifMatch when > 0 (CodePrecondition otherwise), allowed by rule
// (the life's, in spectra), then set (an assignment list over $3…) with
// args.
func (r Revisions[T, A]) move(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int, rule func(spectra.RevisionHead) error,
	after func(pgx.Tx, T) error, set string, args ...any) (T, error) {
	k := r.kind
	var out T
	err := r.db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := k.get(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		h := spectra.Head(cur)
		if err := checkVersion(staleWording{what: k.what}, h.Version, ifMatch, 0); err != nil {
			return err
		}
		if err := rule(h); err != nil {
			return err
		}
		out, err = k.scan(tx.QueryRow(ctx, `UPDATE `+k.table+` SET `+set+`
			WHERE organization_id = $1 AND id = $2 RETURNING `+k.columns, append([]any{t.OrgID, id}, args...)...))
		if err != nil || after == nil {
			return mapError(err, k.what)
		}
		return after(tx, out)
	})
	return out, err
}

// Submit submits a draft for review (CodeConflict unless it is a draft not
// yet submitted); from then on it cannot change until it is withdrawn or
// rejected, and it is in the review queue.
func (r Revisions[T, A]) Submit(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) (T, error) {
	return r.move(ctx, t, id, ifMatch, spectra.RevisionHead.CanSubmit,
		func(tx pgx.Tx, rev T) error { return r.notifyReviewers(ctx, tx, t, rev) },
		`submitted_at = now(), submitted_by = $3`, t.UserID)
}

// notifyReviewers tells the organization's PIs and admins (who approve),
// but not the revision's authors, that rev awaits their review, in the
// transaction that submitted it; a second submission after a withdrawal
// or rejection notifies again (the key names the submission's version).
func (r Revisions[T, A]) notifyReviewers(ctx context.Context, tx pgx.Tx, t Tenant, rev T) error {
	k, h := r.kind, spectra.Head(rev)
	all, err := membersWithRoles(ctx, tx, t.OrgID, spectra.RolePI, spectra.RoleAdmin)
	if err != nil {
		return err
	}
	to := slices.DeleteFunc(all, func(u uuid.UUID) bool { return slices.Contains(h.Authors, u) || u == t.UserID })
	name := k.label(rev)
	_, err = notify(ctx, tx, t.OrgID, to, spectra.NewNotification{
		Kind:       spectra.NotifyReviewSubmitted,
		Subject:    fmt.Sprintf("For your review: %s %s", k.what, name),
		Body:       fmt.Sprintf("The %s %s was submitted for review and awaits approval.", k.what, name),
		Link:       k.route + "/" + h.ID.String(),
		Object:     spectra.ObjectRef{Kind: k.table, ID: h.ID},
		DedupeKey:  fmt.Sprintf("review:%s:%d", h.ID, h.Version),
		ObjectName: name, Detail: "submitted for review",
	})
	return err
}

// Withdraw takes a submitted draft back from review: the submitter's
// (CodeForbidden for anyone else, CodeConflict unless it awaits review).
func (r Revisions[T, A]) Withdraw(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) (T, error) {
	return r.move(ctx, t, id, ifMatch, func(h spectra.RevisionHead) error { return h.CanWithdraw(t.UserID) }, nil,
		`submitted_at = NULL, submitted_by = NULL`)
}

// Reject sends a submitted draft back to its authors with a reason,
// recorded on the revision (and in the audit log) until the next
// rejection. CodeConflict unless it awaits review; an empty reason is
// CodeInvalid.
func (r Revisions[T, A]) Reject(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int, reason string) (T, error) {
	if strings.TrimSpace(reason) == "" {
		return *new(T), &spectra.Error{Code: spectra.CodeInvalid, Message: "a rejection needs a reason",
			Fields: []spectra.FieldError{{Field: "reason", Message: "must not be empty"}}}
	}
	return r.move(ctx, t, id, ifMatch, spectra.RevisionHead.CanReject, nil,
		`submitted_at = NULL, submitted_by = NULL, rejected_at = now(), rejected_by = $3, review_note = $4`, t.UserID, reason)
}

// Approve approves a draft awaiting review, in one transaction: an e-signature over the
// revision's signed content (under CurrentScheme), the approval row, and
// the revision set to approved. version is the version the approver
// reviewed (and re-entered their password for): if the revision changed
// since, CodeConflict, since the signature must cover what they saw. A
// revision that is not a draft awaiting review is CodeConflict; one of
// its authors, when the organization requires independent approval,
// CodeForbidden (spectra.RevisionHead.CanApprove).
func (r Revisions[T, A]) Approve(ctx context.Context, t Tenant, id uuid.UUID, version int, a spectra.Approval) (T, A, error) {
	k := r.kind
	var out T
	var approval A
	err := r.db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := k.get(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		h := spectra.Head(cur)
		if err := h.CanApprove(t.UserID); err != nil {
			return err
		}
		if h.Version != version {
			return spectra.Errorf(spectra.CodeConflict, "the %s changed while you were signing (version %d, now %d); review it again", k.what, version, h.Version)
		}
		sig, err := insertMethodSignature(ctx, tx, t, k.ref, id, a, k.signed(cur))
		if err != nil {
			return err
		}
		var approvalID uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO `+k.approvals+` (organization_id, `+k.ref+`, approver_id, approver_role, comment, signature_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.OrgID, id, t.UserID, a.Role, a.Comment, sig).Scan(&approvalID); err != nil {
			return mapError(err, "approval")
		}
		out, err = k.scan(tx.QueryRow(ctx, `UPDATE `+k.table+` SET status = $4, approved_at = now(), approved_by = $3
			WHERE organization_id = $1 AND id = $2 RETURNING `+k.columns, t.OrgID, id, t.UserID, spectra.MethodStatusApproved))
		if err != nil {
			return mapError(err, k.what)
		}
		all, err := k.listApprovals(ctx, tx, t.OrgID, out, Page{Limit: MaxLimit})
		for _, x := range all {
			if k.approvalID(x) == approvalID {
				approval = x
			}
		}
		return err
	})
	return out, approval, err
}

// Retire retires an approved revision (CodeConflict otherwise); runs that
// used it keep pointing at it. ifMatch > 0 must be the row's version.
func (r Revisions[T, A]) Retire(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) (T, error) {
	return r.move(ctx, t, id, ifMatch, func(h spectra.RevisionHead) error { return h.Status.CanRetire() }, nil,
		`status = $3, retired_at = now()`, spectra.MethodStatusRetired)
}

// NewVersion starts a new draft from an approved or retired revision:
// same lineage, the next revision number, the content copied. The source
// stays as it is. A lineage has at most one open draft: while one exists,
// or when another new version wins a race, CodeConflict.
func (r Revisions[T, A]) NewVersion(ctx context.Context, t Tenant, id uuid.UUID) (T, error) {
	k := r.kind
	var out T
	err := r.db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// The lock queues new versions of the same revision; versions
		// started from different revisions of a lineage meet at the
		// unique keys instead.
		src, err := k.get(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		h := spectra.Head(src)
		if err := h.Status.CanVersion(); err != nil {
			return err
		}
		var open uuid.UUID
		var openRev int
		err = tx.QueryRow(ctx, `SELECT id, revision FROM `+k.table+` WHERE organization_id = $1 AND lineage_id = $2
			AND status = $3 AND deleted_at IS NULL`, t.OrgID, h.LineageID, spectra.MethodStatusDraft).Scan(&open, &openRev)
		if err == nil {
			return spectra.Errorf(spectra.CodeConflict, "revision %d of this %s (%s) is already an open draft: edit or approve it first", openRev, k.what, open)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Deleted revisions keep their numbers: the unique key counts them.
		args := append([]any{t.OrgID, h.LineageID}, k.copyArgs(src)...)
		marks := make([]string, 0, len(args)-1)
		for i := 3; i <= len(args)+1; i++ {
			marks = append(marks, fmt.Sprintf("$%d", i))
		}
		out, err = k.scan(tx.QueryRow(ctx, `INSERT INTO `+k.table+` (organization_id, lineage_id, revision, `+k.copied+`, created_by)
			SELECT $1, $2, max(revision) + 1, `+strings.Join(marks, ", ")+` FROM `+k.table+` WHERE organization_id = $1 AND lineage_id = $2
			RETURNING `+k.columns, append(args, t.UserID)...))
		if isUniqueViolation(err) {
			return spectra.Errorf(spectra.CodeConflict, "another new version of this %s was started at the same time; reload the list", k.what)
		}
		return mapError(err, k.what)
	})
	return out, err
}

// Approvals lists a revision's approvals with their signatures, newest
// first, and whether each signature still covers the revision's content.
// A revision is approved at most once, so the list is short, but it pages
// like every other.
func (r Revisions[T, A]) Approvals(ctx context.Context, t Tenant, id uuid.UUID, p Page) ([]A, string, error) {
	k := r.kind
	var out []A
	err := r.db.InTenant(ctx, t, func(tx pgx.Tx) error {
		x, err := k.get(ctx, tx, t.OrgID, id, false)
		if err != nil {
			return err
		}
		out, err = k.listApprovals(ctx, tx, t.OrgID, x, p)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, k.approvalID)
	return out, cursor, nil
}

func (k *revisionKind[T, A]) listApprovals(ctx context.Context, tx pgx.Tx, org uuid.UUID, x T, p Page) ([]A, error) {
	// LEFT JOIN users: an approver who has since left the organization
	// is no longer visible to it, but their approval still stands.
	rows, err := tx.Query(ctx, `SELECT a.id, a.`+k.ref+`, a.approver_id, coalesce(u.email, ''), coalesce(u.display_name, ''),
			a.approver_role, a.comment, a.approved_at,
			s.id, s.signer_id, s.signer_role, s.meaning, s.auth_method, s.signed_at, s.scheme, s.content_sha256
		FROM `+k.approvals+` a
		LEFT JOIN users u ON u.id = a.approver_id
		LEFT JOIN signatures s ON s.organization_id = a.organization_id AND s.id = a.signature_id
		WHERE a.organization_id = $1 AND a.`+k.ref+` = $2 AND a.id < $3
		ORDER BY a.id DESC LIMIT $4`, org, spectra.Head(x).ID, p.KeysetBound(), p.Limit+1)
	if err != nil {
		return nil, err
	}
	content := k.signed(x)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (A, error) {
		var a A
		ref, m := k.approval(&a)
		sig, err := scanMethodApproval(row, &m.ID, ref, &m.ApproverID, &m.ApproverEmail, &m.ApproverName, &m.ApproverRole, &m.Comment, &m.ApprovedAt)
		if sig != nil {
			sig.Matches = spectra.SignatureMatches(sig.Scheme, sig.stored, content)
			m.Signature = &sig.MethodSignature
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

// insertMethodSignature writes the approval signature of a revision
// (column names which kind) over its content, under the current scheme,
// and returns its id.
func insertMethodSignature(ctx context.Context, tx pgx.Tx, t Tenant, column string, id uuid.UUID, a spectra.Approval, c spectra.SignedContent) (uuid.UUID, error) {
	sum, err := spectra.SignatureDigest(spectra.CurrentScheme, c)
	if err != nil {
		return uuid.Nil, err
	}
	var sig uuid.UUID
	err = tx.QueryRow(ctx, `INSERT INTO signatures (organization_id, `+column+`, signer_id, signer_role, meaning, scheme, content_sha256, auth_method)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.OrgID, id, t.UserID, a.Role, spectra.MeaningApproved, spectra.CurrentScheme, sum[:], a.AuthMethod).Scan(&sig)
	return sig, mapError(err, "signature")
}

// The two kinds of revisioned document.

// recipeKind is the revisioned-document kind of recipes.
var recipeKind = &revisionKind[spectra.Recipe, spectra.RecipeApproval]{
	what: "recipe", table: "recipes", approvals: "recipe_approvals", ref: "recipe_id", route: "/recipes",
	label:   func(r spectra.Recipe) string { return fmt.Sprintf("%s, revision %d", r.Name, r.Revision) },
	columns: recipeColumns, scan: scanRecipe,
	copied: "name, description, parameters, instrument_kinds, extractions",
	copyArgs: func(r spectra.Recipe) []any {
		return []any{r.Name, r.Description, jsonb(r.Parameters), r.InstrumentKinds, jsonb(r.Extractions)}
	},
	signed: func(r spectra.Recipe) spectra.SignedContent { return r.SignedContent() },
	approval: func(a *spectra.RecipeApproval) (*uuid.UUID, *spectra.MethodApproval) {
		return &a.RecipeID, &a.MethodApproval
	},
}

// sopKind is the revisioned-document kind of SOPs; a new version keeps
// the code.
var sopKind = &revisionKind[spectra.SOP, spectra.SOPApproval]{
	what: "SOP", table: "sops", approvals: "sop_approvals", ref: "sop_id", route: "/sops",
	label:   func(s spectra.SOP) string { return fmt.Sprintf("%s %s, revision %d", s.Code, s.Title, s.Revision) },
	columns: sopColumns, scan: scanSOP,
	copied:   "code, title, body_markdown",
	copyArgs: func(s spectra.SOP) []any { return []any{s.Code, s.Title, s.BodyMarkdown} },
	signed:   func(s spectra.SOP) spectra.SignedContent { return s.SignedContent() },
	approval: func(a *spectra.SOPApproval) (*uuid.UUID, *spectra.MethodApproval) { return &a.SOPID, &a.MethodApproval },
}

// Recipes is the life of recipe revisions: get, approve, retire, new
// version, approvals.
func (db *DB) Recipes() Revisions[spectra.Recipe, spectra.RecipeApproval] {
	return Revisions[spectra.Recipe, spectra.RecipeApproval]{db: db, kind: recipeKind}
}

// SOPs is the life of SOP revisions: get, approve, retire, new version,
// approvals.
func (db *DB) SOPs() Revisions[spectra.SOP, spectra.SOPApproval] {
	return Revisions[spectra.SOP, spectra.SOPApproval]{db: db, kind: sopKind}
}

// ReviewQueue lists what awaits review in the organization — recipe and
// SOP drafts submitted and not withdrawn, rejected or approved — oldest
// first, at most MaxLimit: a queue to work through, not an archive.
// recipes and sops say which kinds the caller may review.
func (db *DB) ReviewQueue(ctx context.Context, t Tenant, recipes, sops bool) ([]spectra.ReviewItem, error) {
	var out []spectra.ReviewItem
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// users is visible to the organization through its members; a
		// submitter who has since left keeps their id, without a name.
		rows, err := tx.Query(ctx, `SELECT q.kind, q.id, q.lineage_id, q.revision, q.title, q.submitted_by, coalesce(u.display_name, ''),
				q.submitted_at, q.created_by, q.edited_by,
				(SELECT o.require_independent_approval FROM organizations o WHERE o.id = $1)
			FROM (
				SELECT 'recipe' AS kind, id, lineage_id, revision, name AS title, submitted_by, submitted_at, created_by, edited_by
				FROM recipes WHERE $2 AND organization_id = $1 AND status = 'draft' AND submitted_at IS NOT NULL AND deleted_at IS NULL
				UNION ALL
				SELECT 'sop', id, lineage_id, revision, code || ' ' || title, submitted_by, submitted_at, created_by, edited_by
				FROM sops WHERE $3 AND organization_id = $1 AND status = 'draft' AND submitted_at IS NOT NULL AND deleted_at IS NULL
			) q LEFT JOIN users u ON u.id = q.submitted_by
			ORDER BY q.submitted_at, q.id LIMIT $4`, t.OrgID, recipes, sops, MaxLimit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (spectra.ReviewItem, error) {
			var x spectra.ReviewItem
			k := spectra.RevisionKey{}
			st := spectra.RevisionState{Status: spectra.MethodStatusDraft}
			err := row.Scan(&x.Kind, &k.ID, &k.LineageID, &k.Revision, &x.Title, &st.SubmittedBy, &x.AuthorName,
				&st.SubmittedAt, &st.CreatedBy, &st.EditedBy, &st.IndependentApproval)
			if err != nil {
				return x, err
			}
			x.ID, x.LineageID, x.Revision, x.AuthorID, x.SubmittedAt, x.Head = k.ID, k.LineageID, k.Revision, *st.SubmittedBy, *st.SubmittedAt, st.Head(k)
			return x, err
		})
		return err
	})
	return out, err
}
