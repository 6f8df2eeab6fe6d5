package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestSignatureSchemeMigration: signatures written by a release before
// migration 00010 (no scheme column, the old encodings) still verify after
// it, named v1; a new signature is v2; and the two entries of issue 10,
// which shared a v1 digest, have different v2 digests.
func TestSignatureSchemeMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, true)
	m, err := postgres.OpenMigrations(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.UpTo(ctx, 9); err != nil {
		t.Fatal(err)
	}

	// What the older release wrote, with the digests it computed: the
	// v1 bytes are spelled out here, not derived from the code under test.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	org, user, entry, sop, lineage := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	// The session's tenant, for the owner's writes below: an owner that is
	// no superuser is under the tables' forced row-level security.
	exec(`SELECT set_config('app.org_id', $1, false)`, org.String())
	exec(`INSERT INTO organizations (id, slug, name) VALUES ($1, 'old-lab', 'Old lab')`, org)
	exec(`INSERT INTO users (id, email, display_name) VALUES ($1, 'old@example.org', 'Old')`, user)
	exec(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'pi')`, org, user)
	exec(`INSERT INTO eln_entries (organization_id, id, title, body_markdown, created_by, locked_at) VALUES ($1, $2, $3, $4, $5, now())`,
		org, entry, "Result\n\nPASS", "batch 7", user)
	elnV1 := sha256.Sum256([]byte("Result\n\nPASS\n\nbatch 7"))
	exec(`INSERT INTO signatures (organization_id, eln_entry_id, signer_id, signer_role, meaning, content_sha256, auth_method)
		VALUES ($1, $2, $3, 'pi', 'authored', $4, 'password')`, org, entry, user, elnV1[:])
	exec(`INSERT INTO sops (organization_id, id, lineage_id, code, title, body_markdown, status, approved_at, approved_by, created_by)
		VALUES ($1, $2, $3, 'SOP-OLD-001', 'Old <procedure>', E'# Steps\n', 'approved', now(), $4, $4)`, org, sop, lineage, user)
	sopV1 := sha256.Sum256([]byte(`{"body_markdown":"# Steps\n","code":"SOP-OLD-001","revision":1,"title":"Old \u003cprocedure\u003e"}`))
	var sig uuid.UUID
	if err := conn.QueryRow(ctx, `INSERT INTO signatures (organization_id, sop_id, signer_id, signer_role, meaning, content_sha256, auth_method)
		VALUES ($1, $2, $3, 'pi', 'approved', $4, 'password') RETURNING id`, org, sop, user, sopV1[:]).Scan(&sig); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO sop_approvals (organization_id, sop_id, approver_id, approver_role, signature_id) VALUES ($1, $2, $3, 'pi', $4)`, org, sop, user, sig)

	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tenant := postgres.Tenant{OrgID: org, UserID: user, Auth: "password", RequestID: "scheme-test"}

	man, err := db.ELNSignatures(ctx, tenant, entry)
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Signatures) != 1 || man.Signatures[0].Scheme != spectra.SchemeV1 || !man.Signatures[0].Matches ||
		man.Signatures[0].ContentSHA256 != hex.EncodeToString(elnV1[:]) {
		t.Fatalf("the old ELN signature after the migration: %+v", man.Signatures)
	}
	approvals, _, err := db.SOPs().Approvals(ctx, tenant, sop, postgres.Page{Limit: 10, After: uuid.Max})
	if err != nil {
		t.Fatal(err)
	}
	if len(approvals) != 1 || approvals[0].Signature == nil || approvals[0].Signature.Scheme != spectra.SchemeV1 || !approvals[0].Signature.Matches {
		t.Fatalf("the old SOP signature after the migration: %+v", approvals)
	}

	// A new signature of the same entry: v2, matching, and its digest is
	// the manifest's (the one function both call).
	s, err := db.SignELNEntry(ctx, tenant, entry, spectra.MeaningReviewed, spectra.RolePI, "password")
	if err != nil {
		t.Fatal(err)
	}
	if s.Scheme != spectra.SchemeV2 || !s.Matches || s.ContentSHA256 == hex.EncodeToString(elnV1[:]) {
		t.Fatalf("new signature: %+v", s)
	}
	if man, err = db.ELNSignatures(ctx, tenant, entry); err != nil || man.Scheme != spectra.SchemeV2 || man.ContentSHA256 != s.ContentSHA256 {
		t.Fatalf("manifest after a new signature: %+v %v", man, err)
	}

	// The DBA moves text from the title into the body. The old scheme
	// cannot tell (which is why nothing is signed with it any more); the
	// new one can.
	exec(`UPDATE eln_entries SET title = 'Result', body_markdown = E'PASS\n\nbatch 7' WHERE id = $1`, entry)
	man, err = db.ELNSignatures(ctx, tenant, entry)
	if err != nil || len(man.Signatures) != 2 {
		t.Fatalf("manifest after tampering: %+v %v", man, err)
	}
	for _, sg := range man.Signatures {
		if want := sg.Scheme == spectra.SchemeV1; sg.Matches != want {
			t.Errorf("after moving text from the title into the body, the %s signature matches = %v", sg.Scheme, sg.Matches)
		}
	}
	if man.ContentSHA256 == s.ContentSHA256 {
		t.Errorf("the two entries of issue 10 share a %s digest", spectra.CurrentScheme)
	}
}
