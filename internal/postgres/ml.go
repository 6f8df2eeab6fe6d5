package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// ML metadata: feature sets and models, each versioned by name +
// revision. Every method runs in the caller's tenant transaction and also
// filters by the tenant's organization; another organization's row, or a
// soft-deleted one, is CodeNotFound.
//
// Locks: a model's creation or change holds its feature-set revision FOR
// SHARE, and a feature-set update holds the revision FOR UPDATE before it
// asks whether a model refers to it, so a revision cannot change under a
// model that is being created on it. The next revision of a name is
// numbered under a transaction-scoped advisory lock on (table,
// organization, name), so concurrent creations under one name queue and
// each gets its own number instead of one failing on the unique key.

const featureSetColumns = `f.id, f.name, f.revision, f.description, f.features, f.source,
	EXISTS (SELECT FROM models m WHERE m.organization_id = f.organization_id AND m.feature_set_id = f.id),
	f.created_by, f.created_at, f.updated_at, f.version`

func scanFeatureSet(r pgx.Row) (spectra.FeatureSet, error) {
	var f spectra.FeatureSet
	err := r.Scan(&f.ID, &f.Name, &f.Revision, &f.Description, &f.Features, &f.Source, &f.Locked,
		&f.CreatedBy, &f.CreatedAt, &f.UpdatedAt, &f.Version)
	if f.Features == nil {
		f.Features = []spectra.Feature{}
	}
	return f, err
}

// ListFeatureSets lists the organization's feature-set revisions, newest
// first.
func (db *DB) ListFeatureSets(ctx context.Context, t Tenant, fl spectra.FeatureSetFilter, p Page) ([]spectra.FeatureSet, string, error) {
	w := keyset("f", t, p, true)
	if fl.Name != "" {
		w.and(`f.name = ?`, fl.Name)
	}
	if fl.Q != "" {
		w.and(`f.name ILIKE '%' || ? || '%'`, escapeLike(fl.Q))
	}
	return listPage(ctx, db, t, p, w, featureSetColumns, "feature_sets f", "f.id DESC", scanFeatureSet,
		func(f spectra.FeatureSet) uuid.UUID { return f.ID })
}

// FeatureSet returns one feature-set revision.
func (db *DB) FeatureSet(ctx context.Context, t Tenant, id uuid.UUID) (spectra.FeatureSet, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.FeatureSet, error) { return featureSet(ctx, tx, t.OrgID, id, "") })
}

// featureSet reads one revision, with lock "" or a locking clause.
func featureSet(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock string) (spectra.FeatureSet, error) {
	f, err := scanFeatureSet(tx.QueryRow(ctx, `SELECT `+featureSetColumns+` FROM feature_sets f
		WHERE f.organization_id = $1 AND f.id = $2 AND f.deleted_at IS NULL `+lock, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, spectra.Errorf(spectra.CodeNotFound, "feature set not found")
	}
	return f, err
}

// lockName queues the transaction behind any other that numbers a
// revision of the same name in the same table and organization.
func lockName(ctx context.Context, tx pgx.Tx, table string, org uuid.UUID, name string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 0))`, table, org.String(), name)
	return err
}

// CreateFeatureSet stores a feature set: revision 1 of a new name, or the
// next revision of a name already used (soft-deleted revisions keep their
// numbers).
func (db *DB) CreateFeatureSet(ctx context.Context, t Tenant, d spectra.FeatureSetDraft) (spectra.FeatureSet, error) {
	var out spectra.FeatureSet
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if err := lockName(ctx, tx, "feature_sets", t.OrgID, d.Name); err != nil {
			return err
		}
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO feature_sets (organization_id, name, revision, description, features, source, created_by)
			SELECT $1, $2, coalesce(max(revision), 0) + 1, $3, $4, $5, $6 FROM feature_sets WHERE organization_id = $1 AND name = $2
			RETURNING id`, t.OrgID, d.Name, d.Description, jsonb(d.Features), jsonb(d.Source), nilUUID(t.UserID)).Scan(&id)
		if err != nil {
			return mapError(err, "feature set")
		}
		out, err = featureSet(ctx, tx, t.OrgID, id, "")
		return err
	})
	return out, err
}

// UpdateFeatureSet replaces a revision's description, features and
// source (its name and revision stay). ifMatch > 0 must be the row's
// version (CodePrecondition otherwise), as must version > 0 (CodeConflict
// otherwise); a revision a model refers to is CodeConflict.
func (db *DB) UpdateFeatureSet(ctx context.Context, t Tenant, id uuid.UUID, d spectra.FeatureSetDraft, ifMatch, version int) (spectra.FeatureSet, error) {
	var out spectra.FeatureSet
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := featureSet(ctx, tx, t.OrgID, id, "FOR UPDATE OF f")
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "feature set"}, cur.Version, ifMatch, version); err != nil {
			return err
		}
		// Read again under the lock: a model created on the revision just
		// before the lock was granted has committed by now.
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM models WHERE organization_id = $1 AND feature_set_id = $2)`,
			t.OrgID, id).Scan(&locked); err != nil {
			return err
		}
		if locked {
			return spectra.Errorf(spectra.CodeConflict, "revision %d of %q is used by a model and cannot change; create the next revision instead",
				cur.Revision, cur.Name)
		}
		if _, err := tx.Exec(ctx, `UPDATE feature_sets SET description = $3, features = $4, source = $5
			WHERE organization_id = $1 AND id = $2`, t.OrgID, id, d.Description, jsonb(d.Features), jsonb(d.Source)); err != nil {
			return mapError(err, "feature set")
		}
		out, err = featureSet(ctx, tx, t.OrgID, id, "")
		return err
	})
	return out, err
}

const modelColumns = `m.id, m.name, m.revision, m.feature_set_id, f.name, f.revision, m.algorithm, m.hyperparameters, m.metrics,
	m.artifact_uri, m.status, m.trained_at, m.created_by, m.created_at, m.updated_at, m.version`

const modelTables = `models m JOIN feature_sets f ON f.organization_id = m.organization_id AND f.id = m.feature_set_id`

const modelFrom = ` FROM ` + modelTables

func scanModel(r pgx.Row) (spectra.Model, error) {
	var m spectra.Model
	err := r.Scan(&m.ID, &m.Name, &m.Revision, &m.FeatureSetID, &m.FeatureSetName, &m.FeatureSetRevision, &m.Algorithm,
		&m.Hyperparameters, &m.Metrics, &m.ArtifactURI, &m.Status, &m.TrainedAt, &m.CreatedBy, &m.CreatedAt, &m.UpdatedAt, &m.Version)
	if m.Hyperparameters == nil {
		m.Hyperparameters = map[string]any{}
	}
	if m.Metrics == nil {
		m.Metrics = map[string]float64{}
	}
	return m, err
}

// ListModels lists the organization's model revisions, newest first.
func (db *DB) ListModels(ctx context.Context, t Tenant, fl spectra.ModelFilter, p Page) ([]spectra.Model, string, error) {
	w := keyset("m", t, p, true)
	if fl.Name != "" {
		w.and(`m.name = ?`, fl.Name)
	}
	if fl.Q != "" {
		w.and(`(m.name ILIKE '%' || ? || '%' OR m.algorithm ILIKE '%' || ? || '%')`, escapeLike(fl.Q))
	}
	if fl.Status != "" {
		w.and(`m.status = ?`, string(fl.Status))
	}
	if fl.FeatureSetID != uuid.Nil {
		w.and(`m.feature_set_id = ?`, fl.FeatureSetID)
	}
	return listPage(ctx, db, t, p, w, modelColumns, modelTables, "m.id DESC", scanModel,
		func(m spectra.Model) uuid.UUID { return m.ID })
}

// Model returns one model revision.
func (db *DB) Model(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Model, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Model, error) { return model(ctx, tx, t.OrgID, id, "") })
}

// model reads one revision, with lock "" or a locking clause.
func model(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock string) (spectra.Model, error) {
	m, err := scanModel(tx.QueryRow(ctx, `SELECT `+modelColumns+modelFrom+`
		WHERE m.organization_id = $1 AND m.id = $2 AND m.deleted_at IS NULL `+lock, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, spectra.Errorf(spectra.CodeNotFound, "model not found")
	}
	return m, err
}

// shareFeatureSet holds a feature-set revision FOR SHARE while a model is
// written on it; a missing one is CodeInvalid naming feature_set_id.
func shareFeatureSet(ctx context.Context, tx pgx.Tx, org, id uuid.UUID) error {
	var found uuid.UUID
	err := tx.QueryRow(ctx, `SELECT id FROM feature_sets WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL FOR SHARE`,
		org, id).Scan(&found)
	if errors.Is(err, pgx.ErrNoRows) {
		return spectra.FieldErr(spectra.CodeInvalid, "feature_set_id", "no such feature set")
	}
	return err
}

// CreateModel stores a draft model on a feature-set revision: revision 1
// of a new name, or the next revision of a name already used. An unknown
// feature set is CodeInvalid naming feature_set_id.
func (db *DB) CreateModel(ctx context.Context, t Tenant, d spectra.ModelDraft) (spectra.Model, error) {
	var out spectra.Model
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if err := shareFeatureSet(ctx, tx, t.OrgID, d.FeatureSetID); err != nil {
			return err
		}
		if err := lockName(ctx, tx, "models", t.OrgID, d.Name); err != nil {
			return err
		}
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO models (organization_id, name, revision, feature_set_id, algorithm, hyperparameters,
				metrics, artifact_uri, status, trained_at, created_by)
			SELECT $1, $2, coalesce(max(revision), 0) + 1, $3, $4, $5, $6, $7, $10, $8, $9 FROM models WHERE organization_id = $1 AND name = $2
			RETURNING id`, t.OrgID, d.Name, d.FeatureSetID, d.Algorithm, jsonb(d.Hyperparameters), jsonb(d.Metrics), d.ArtifactURI, d.TrainedAt,
			nilUUID(t.UserID), spectra.ModelStatusDraft).Scan(&id)
		if err != nil {
			return mapError(err, "model")
		}
		out, err = model(ctx, tx, t.OrgID, id, "")
		return err
	})
	return out, err
}

// UpdateModel replaces a model's content and status (its name and
// revision stay). ifMatch > 0 must be the row's version (CodePrecondition
// otherwise), as must version > 0 (CodeConflict otherwise). A status the
// model's life does not allow next, or a content change past draft, is
// CodeConflict (spectra.CheckModelUpdate).
func (db *DB) UpdateModel(ctx context.Context, t Tenant, id uuid.UUID, d spectra.ModelDraft, ifMatch, version int) (spectra.Model, error) {
	var out spectra.Model
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := model(ctx, tx, t.OrgID, id, "FOR UPDATE OF m")
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "model"}, cur.Version, ifMatch, version); err != nil {
			return err
		}
		if err := spectra.CheckModelUpdate(cur, d); err != nil {
			return err
		}
		if d.FeatureSetID != cur.FeatureSetID {
			if err := shareFeatureSet(ctx, tx, t.OrgID, d.FeatureSetID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE models SET feature_set_id = $3, algorithm = $4, hyperparameters = $5, metrics = $6,
				artifact_uri = $7, status = $8, trained_at = $9
			WHERE organization_id = $1 AND id = $2`, t.OrgID, id, d.FeatureSetID, d.Algorithm, jsonb(d.Hyperparameters), jsonb(d.Metrics),
			d.ArtifactURI, string(d.Status), d.TrainedAt); err != nil {
			return mapError(err, "model")
		}
		out, err = model(ctx, tx, t.OrgID, id, "")
		return err
	})
	return out, err
}
