package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// The review life in the store: submit, the queue (per organization,
// oldest first, per kind), approve from review only and not by an author
// while the organization requires independent approval, reject with a
// reason, withdraw.
func TestReviewLife(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewSeededDB(t)
	org, other := postgres.SeedID("org", "demo-lab"), postgres.SeedID("org", "test-org")
	as := func(email string, role spectra.Role) postgres.Tenant {
		return postgres.Tenant{OrgID: org, UserID: postgres.SeedID("user", email), Auth: "system", Role: role}
	}
	eng, pi, admin := as("engineer@demo.lab", spectra.RoleEngineer), as("pi@demo.lab", spectra.RolePI), as("admin@demo.lab", spectra.RoleAdmin)
	outsider := postgres.Tenant{OrgID: other, UserID: postgres.SeedID("user", "admin@test.org"), Auth: "system", Role: spectra.RoleAdmin}
	sign := func(t postgres.Tenant) spectra.Approval {
		return spectra.Approval{Role: t.Role, AuthMethod: string(spectra.AuthPassword)}
	}
	tb := t
	queue := func(t postgres.Tenant, recipes, sops bool) []spectra.ReviewItem {
		items, err := db.ReviewQueue(ctx, t, recipes, sops)
		if err != nil {
			tb.Fatal(err)
		}
		return items
	}

	// The seed's draft recipe is the engineer's; a new SOP is the PI's.
	var optical uuid.UUID
	pgtest.InOrg(t, db, org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM recipes WHERE name = 'Optical Transmission Spectrum'`).Scan(&optical)
	})
	sop, err := db.CreateSOP(ctx, pi, spectra.SOPDraft{Code: "SOP-REV-001", Title: "Review"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Recipes().Approve(ctx, pi, optical, 1, sign(pi)); spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Fatalf("approve a draft not submitted: %v", err)
	}
	r, err := db.Recipes().Submit(ctx, eng, optical, 1)
	if err != nil || r.SubmittedAt == nil || *r.SubmittedBy != eng.UserID || r.Version != 2 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	if _, err := db.SOPs().Submit(ctx, pi, sop.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Recipes().Submit(ctx, eng, optical, 0); spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Errorf("submit twice: %v", err)
	}
	// The reviewers hear of each submission, the authors do not: the PI and
	// the admin of the engineer's recipe, only the admin of the PI's SOP.
	inbox := func(who postgres.Tenant) (kinds []string) {
		items, _, _, err := db.Inbox(ctx, who, false, postgres.Page{Limit: 50})
		if err != nil {
			tb.Fatal(err)
		}
		for _, n := range items {
			if n.Kind == spectra.NotifyReviewSubmitted {
				kinds = append(kinds, n.Object.Kind)
			}
		}
		slices.Sort(kinds)
		return kinds
	}
	for who, want := range map[postgres.Tenant][]string{pi: {"recipes"}, admin: {"recipes", "sops"}, eng: nil} {
		if got := inbox(who); !slices.Equal(got, want) {
			t.Errorf("%s's review notifications: %v, want %v", who.Role, got, want)
		}
	}
	if _, err := db.UpdateRecipe(ctx, eng, optical, spectra.RecipeDraft{Name: "Changed"}, 0, 2); spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Errorf("edit a submitted draft: %v", err)
	}

	// The queue: oldest first, each kind only when asked, never another
	// organization's; its ids are not found there.
	items := queue(pi, true, true)
	if len(items) != 2 || items[0].ID != optical || items[0].Kind != "recipe" || items[0].AuthorName == "" ||
		items[1].ID != sop.ID || items[1].Title != "SOP-REV-001 Review" || !items[0].SubmittedAt.Before(items[1].SubmittedAt) {
		t.Fatalf("queue: %+v", items)
	}
	if got := queue(pi, false, true); len(got) != 1 || got[0].Kind != "sop" {
		t.Errorf("SOPs only: %+v", got)
	}
	if got := queue(outsider, true, true); len(got) != 0 {
		t.Errorf("test-org's queue: %+v", got)
	}
	if _, err := db.Recipes().Reject(ctx, outsider, optical, 0, "no"); spectra.ErrorCode(err) != spectra.CodeNotFound {
		t.Errorf("test-org rejects demo-lab's: %v", err)
	}
	if _, _, err := db.Recipes().Approve(ctx, outsider, optical, 2, sign(outsider)); spectra.ErrorCode(err) != spectra.CodeNotFound {
		t.Errorf("test-org approves demo-lab's: %v", err)
	}

	// Separation of duties: the authors are refused, another approver not.
	if _, _, err := db.Recipes().Approve(ctx, eng, optical, 2, sign(eng)); spectra.ErrorCode(err) != spectra.CodeForbidden {
		t.Errorf("the submitter approves: %v", err)
	}
	if _, _, err := db.SOPs().Approve(ctx, pi, sop.ID, 2, sign(pi)); spectra.ErrorCode(err) != spectra.CodeForbidden {
		t.Errorf("the PI approves their own SOP: %v", err)
	}
	approved, a, err := db.Recipes().Approve(ctx, pi, optical, 2, sign(pi))
	if err != nil || approved.Status != spectra.MethodStatusApproved || a.ApproverID != pi.UserID {
		t.Fatalf("approve from the queue: %+v %v", approved, err)
	}

	// Reject: a reason is required; it goes back to draft with the reason.
	if _, err := db.SOPs().Withdraw(ctx, admin, sop.ID, 0); spectra.ErrorCode(err) != spectra.CodeForbidden {
		t.Errorf("withdraw another's submission: %v", err)
	}
	if _, err := db.SOPs().Reject(ctx, admin, sop.ID, 0, "  "); spectra.ErrorCode(err) != spectra.CodeInvalid {
		t.Errorf("reject without a reason: %v", err)
	}
	rej, err := db.SOPs().Reject(ctx, admin, sop.ID, 0, "Say which field.")
	if err != nil || rej.SubmittedAt != nil || rej.ReviewNote != "Say which field." || rej.RejectedBy == nil || *rej.RejectedBy != admin.UserID {
		t.Fatalf("reject: %+v %v", rej, err)
	}
	if got := queue(pi, true, true); len(got) != 0 {
		t.Errorf("queue after approval and rejection: %+v", got)
	}
	if _, err := db.SOPs().Withdraw(ctx, pi, sop.ID, 0); spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Errorf("withdraw a rejected draft: %v", err)
	}

	// With the organization's rule off, the PI approves their own SOP.
	st, err := db.OrgSettings(ctx, admin)
	if err != nil || !st.RequireIndependentApproval {
		t.Fatalf("the default: %+v %v", st, err)
	}
	off := false
	if _, err := db.UpdateOrgSettings(ctx, admin, st, &off); err != nil {
		t.Fatal(err)
	}
	sub, err := db.SOPs().Submit(ctx, pi, sop.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := spectra.Head(sub); got.IndependentApproval {
		t.Errorf("the revision reads the rule as on: %+v", got)
	}
	if _, _, err := db.SOPs().Approve(ctx, pi, sop.ID, sub.Version, sign(pi)); err != nil {
		t.Errorf("self-approval with the rule off: %v", err)
	}
}
