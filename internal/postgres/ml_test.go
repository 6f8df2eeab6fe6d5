package postgres_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func mlTenant(t *testing.T, db *postgres.DB, slug string) postgres.Tenant {
	t.Helper()
	var ten postgres.Tenant
	if err := db.Pool().QueryRow(context.Background(), `SELECT id FROM organizations WHERE slug = $1`, slug).Scan(&ten.OrgID); err != nil {
		t.Fatal(err)
	}
	ten.Auth = "system"
	return ten
}

func mlFeatureDraft(name string) spectra.FeatureSetDraft {
	return spectra.FeatureSetDraft{Name: name, Features: []spectra.Feature{{Name: "vth", Type: spectra.FeatureFloat}},
		Source: spectra.FeatureSource{Query: "SELECT 1"}}.Normalize()
}

// Creations under one name queue on the advisory lock: each gets its own
// revision, none fails on the unique key.
func TestFeatureSetRevisionsUnderConcurrency(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	ten := mlTenant(t, db, "demo-lab")
	const n = 8
	revs := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := db.CreateFeatureSet(ctx, ten, mlFeatureDraft("race"))
			revs[i], errs[i] = f.Revision, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Ints(revs)
	for i, r := range revs {
		if r != i+1 {
			t.Fatalf("revisions %v, want 1…%d", revs, n)
		}
	}
	// Models number their revisions the same way, per name.
	fs, _, err := db.ListFeatureSets(ctx, ten, spectra.FeatureSetFilter{Name: "race"}, postgres.Page{Limit: 1})
	if err != nil || len(fs) != 1 || fs[0].Revision != n {
		t.Fatalf("newest revision of race: %v, %v", fs, err)
	}
	for want := 1; want <= 2; want++ {
		m, err := db.CreateModel(ctx, ten, spectra.ModelDraft{Name: "race-model", FeatureSetID: fs[0].ID}.Normalize())
		if err != nil || m.Revision != want || m.Status != spectra.ModelStatusDraft || m.FeatureSetRevision != n {
			t.Fatalf("model revision %d: %+v, %v", want, m, err)
		}
	}
}

// A feature-set revision a model refers to cannot change, and another
// organization's feature set is neither visible nor usable.
func TestFeatureSetFrozenByModel(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	ten := mlTenant(t, db, "demo-lab")
	f, err := db.CreateFeatureSet(ctx, ten, mlFeatureDraft("frozen"))
	if err != nil || f.Locked {
		t.Fatalf("create: %+v, %v", f, err)
	}
	d := mlFeatureDraft("frozen")
	d.Description = "edited"
	if f, err = db.UpdateFeatureSet(ctx, ten, f.ID, d, f.Version, 0); err != nil || f.Description != "edited" || f.Version != 2 {
		t.Fatalf("edit before use: %+v, %v", f, err)
	}
	if _, err := db.UpdateFeatureSet(ctx, ten, f.ID, d, 1, 0); spectra.ErrorCode(err) != spectra.CodePrecondition {
		t.Fatalf("stale If-Match: %v", err)
	}
	if _, err := db.UpdateFeatureSet(ctx, ten, f.ID, d, 0, 1); spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Fatalf("stale body version: %v", err)
	}
	if _, err := db.CreateModel(ctx, ten, spectra.ModelDraft{Name: "m", FeatureSetID: f.ID}.Normalize()); err != nil {
		t.Fatal(err)
	}
	if f, err = db.FeatureSet(ctx, ten, f.ID); err != nil || !f.Locked {
		t.Fatalf("after a model: %+v, %v", f, err)
	}
	if _, err := db.UpdateFeatureSet(ctx, ten, f.ID, d, f.Version, 0); spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Fatalf("edit after use: %v", err)
	}

	other := mlTenant(t, db, "test-org")
	if _, err := db.FeatureSet(ctx, other, f.ID); spectra.ErrorCode(err) != spectra.CodeNotFound {
		t.Fatalf("another organization's feature set: %v", err)
	}
	_, err = db.CreateModel(ctx, other, spectra.ModelDraft{Name: "m", FeatureSetID: f.ID}.Normalize())
	if e, ok := err.(*spectra.Error); !ok || e.Code != spectra.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "feature_set_id" {
		t.Fatalf("model on another organization's feature set: %v", err)
	}
}

// The table holds the new life and the rules of the data even for a
// writer that skips the store (the owner, here).
func TestModelsConstraints(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	org := mlTenant(t, db, "demo-lab").OrgID
	fs := postgres.SeedID("demo-lab", "feature-set", "iv-features")
	var def string
	if err := db.Pool().QueryRow(ctx, `SELECT column_default FROM information_schema.columns WHERE table_name = 'models' AND column_name = 'status'`).Scan(&def); err != nil || !strings.Contains(def, "draft") {
		t.Fatalf("status default %q, %v", def, err)
	}
	cases := []struct {
		name, status, artifact, metrics, constraint string
	}{
		{"an old status", "training", "", `{}`, "models_status_check"},
		{"validated without artifact", "validated", "", `{}`, "models_artifact_required_check"},
		{"deployed without artifact", "deployed", "", `{}`, "models_artifact_required_check"},
		{"no scheme", "draft", "bucket/key", `{}`, "models_artifact_uri_check"},
		{"a metric that is no number", "draft", "", `{"auc":"high"}`, "models_metrics_numbers_check"},
	}
	for i, c := range cases {
		err := pgtest.OwnerExec(ctx, db, org, `INSERT INTO models (organization_id, name, feature_set_id, status, artifact_uri, metrics)
			VALUES ($1, $2, $3, $4, $5, $6)`, org, fmt.Sprint("c", i), fs, c.status, c.artifact, c.metrics)
		if err == nil || !strings.Contains(err.Error(), c.constraint) {
			t.Errorf("%s: %v, want %s", c.name, err, c.constraint)
		}
	}
	if err := pgtest.OwnerExec(ctx, db, org, `INSERT INTO models (organization_id, name, feature_set_id, artifact_uri, metrics)
		VALUES ($1, 'ok', $2, 's3://b/k', '{"auc":0.9}')`, org, fs); err != nil {
		t.Fatal(err)
	}
}

// A model list by feature set is an index probe.
func TestModelsByFeatureSetUsesTheIndex(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	ten := mlTenant(t, db, "demo-lab")
	var plan []string
	err := db.InTenant(ctx, ten, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `EXPLAIN SELECT id FROM models WHERE organization_id = $1 AND feature_set_id = $2 ORDER BY id DESC LIMIT 50`,
			ten.OrgID, uuid.New())
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "models_feature_set_idx") {
		t.Fatalf("plan:\n%s", text)
	}
}

// The demo data holds a feature set frozen by a validated model.
func TestSeededMLMetadata(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	for _, slug := range []string{"demo-lab", "test-org"} {
		ten := mlTenant(t, db, slug)
		m, err := db.Model(ctx, ten, postgres.SeedID(slug, "model", "iv-yield"))
		if err != nil || m.Status != spectra.ModelStatusValidated || m.Metrics["auc"] != 0.91 || !strings.HasPrefix(m.ArtifactURI, "s3://"+slug) {
			t.Fatalf("%s model: %+v, %v", slug, m, err)
		}
		f, err := db.FeatureSet(ctx, ten, m.FeatureSetID)
		if err != nil || !f.Locked || len(f.Features) != 5 || f.Source.Query == "" {
			t.Fatalf("%s feature set: %+v, %v", slug, f, err)
		}
	}
}

// A feature-set update racing models created on the revision never
// lands after a model: the model's FOR SHARE and the update's FOR UPDATE
// serialize them, and the update re-reads under its lock.
func TestFeatureSetUpdateRacingModels(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	ten := mlTenant(t, db, "demo-lab")
	f, err := db.CreateFeatureSet(ctx, ten, mlFeatureDraft("raced"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, _ = db.CreateModel(ctx, ten, spectra.ModelDraft{Name: fmt.Sprint("raced-", i), FeatureSetID: f.ID}.Normalize())
				return
			}
			d := mlFeatureDraft("raced")
			d.Description = fmt.Sprint("edit ", i)
			_, err := db.UpdateFeatureSet(ctx, ten, f.ID, d, 0, 0)
			if err != nil && spectra.ErrorCode(err) != spectra.CodeConflict {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var late int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log u WHERE u.table_name = 'feature_sets' AND u.row_id = $1 AND u.action = 'UPDATE'
		AND u.at > (SELECT min(m.at) FROM audit_log m WHERE m.table_name = 'models' AND m.action = 'INSERT'
			AND m.new_values->>'feature_set_id' = $1::text)`, f.ID).Scan(&late); err != nil {
		t.Fatal(err)
	}
	if late != 0 {
		t.Fatalf("%d feature-set updates landed after a model referred to it", late)
	}
}
