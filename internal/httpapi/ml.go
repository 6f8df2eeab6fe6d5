package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// ML metadata (/api/analysis): feature sets and the models trained on
// them, each versioned by name + revision.

type listFeatureSetsInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Name   string `query:"name" maxLength:"200" doc:"Exactly this name: every revision of it."`
	Q      string `query:"q" maxLength:"200" doc:"Part of the name."`
}

// featureSetFields are what a client writes of a feature set. POST with a
// name already used creates that name's next revision; PUT replaces a
// revision's content (not its name), so an omitted field becomes empty,
// and adds the version it read.
type featureSetFields struct {
	Name        string                `json:"name" minLength:"1" maxLength:"200" doc:"A name already used creates its next revision."`
	Description string                `json:"description,omitempty" maxLength:"20000"`
	Features    []spectra.Feature     `json:"features" minItems:"1" maxItems:"1000"`
	Source      spectra.FeatureSource `json:"source" doc:"Where the data comes from: a query, a description, or both."`
}

type featureSetUpdateFields struct {
	Description string                `json:"description,omitempty" maxLength:"20000"`
	Features    []spectra.Feature     `json:"features" minItems:"1" maxItems:"1000"`
	Source      spectra.FeatureSource `json:"source" doc:"Where the data comes from: a query, a description, or both."`
	Version     int                   `json:"version,omitempty" minimum:"1" doc:"The version read, if not sent as If-Match; a stale one answers 409."`
}

type createFeatureSetInput struct {
	Body featureSetFields
}

type updateFeatureSetInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision as last read; a stale one answers 412."`
	Body    featureSetUpdateFields
}

type featureSetOutput struct {
	ETag string `header:"ETag"`
	Body spectra.FeatureSet
}

func outFeatureSet(f spectra.FeatureSet) *featureSetOutput {
	return &featureSetOutput{ETag: etag(f.Version), Body: f}
}

func (s *server) listFeatureSets(ctx context.Context, in *listFeatureSetsInput) (*listOutput[spectra.FeatureSet], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListFeatureSets(ctx, s.tenant(ctx), spectra.FeatureSetFilter{Name: in.Name, Q: in.Q}, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.FeatureSet]{Body: newList(items, cursor)}, nil
}

func (s *server) getFeatureSet(ctx context.Context, in *analysisIDInput) (*featureSetOutput, error) {
	f, err := s.store.FeatureSet(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outFeatureSet(f), nil
}

func (s *server) createFeatureSet(ctx context.Context, in *createFeatureSetInput) (*featureSetOutput, error) {
	b := in.Body
	d := spectra.FeatureSetDraft{Name: b.Name, Description: b.Description, Features: b.Features, Source: b.Source}.Normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	f, err := s.store.CreateFeatureSet(ctx, s.tenant(ctx), d)
	if err != nil {
		return nil, err
	}
	return outFeatureSet(f), nil
}

func (s *server) updateFeatureSet(ctx context.Context, in *updateFeatureSetInput) (*featureSetOutput, error) {
	b := in.Body
	version, err := updateVersion(in.IfMatch, b.Version)
	if err != nil {
		return nil, err
	}
	// The name is the revision's own; "-" stands in for it to validate
	// the rest.
	d := spectra.FeatureSetDraft{Name: "-", Description: b.Description, Features: b.Features, Source: b.Source}.Normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	f, err := s.store.UpdateFeatureSet(ctx, s.tenant(ctx), in.ID, d, version, b.Version)
	if err != nil {
		return nil, err
	}
	return outFeatureSet(f), nil
}

type listModelsInput struct {
	Limit        int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor       string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Name         string `query:"name" maxLength:"200" doc:"Exactly this name: every revision of it."`
	Q            string `query:"q" maxLength:"200" doc:"Part of the name or algorithm."`
	Status       string `query:"status" enum:"draft,validated,deployed,retired,"`
	FeatureSetID string `query:"feature_set_id" format:"uuid" doc:"Only models trained on this feature-set revision."`
}

// modelFields are what a client writes of a model. POST with a name
// already used creates that name's next revision, as a draft.
type modelFields struct {
	Name            string             `json:"name" minLength:"1" maxLength:"200" doc:"A name already used creates its next revision."`
	FeatureSetID    uuid.UUID          `json:"feature_set_id" doc:"The feature-set revision the model is trained on; it becomes immutable."`
	Algorithm       string             `json:"algorithm,omitempty" maxLength:"200" doc:"e.g. gradient_boosting, random_forest, mlp."`
	Hyperparameters map[string]any     `json:"hyperparameters,omitempty" doc:"Any JSON object."`
	Metrics         map[string]float64 `json:"metrics,omitempty" doc:"Metric name → number, e.g. {\"rmse\": 0.012}."`
	ArtifactURI     string             `json:"artifact_uri,omitempty" maxLength:"2000" doc:"Where the trained model is stored: an absolute URI with scheme s3, gs, az, abfs, abfss, wasbs, hdfs, dbfs, http, https, file, runs or models (MLflow), e.g. s3://bucket/models/vth/3/model.onnx; no credentials."`
	TrainedAt       *time.Time         `json:"trained_at,omitempty"`
}

// modelUpdateFields replace a model's content and move its status.
type modelUpdateFields struct {
	FeatureSetID    uuid.UUID          `json:"feature_set_id"`
	Algorithm       string             `json:"algorithm,omitempty" maxLength:"200"`
	Hyperparameters map[string]any     `json:"hyperparameters,omitempty" doc:"Any JSON object."`
	Metrics         map[string]float64 `json:"metrics,omitempty" doc:"Metric name → number."`
	ArtifactURI     string             `json:"artifact_uri,omitempty" maxLength:"2000" doc:"As at creation; required once validated or deployed."`
	TrainedAt       *time.Time         `json:"trained_at,omitempty"`
	Status          string             `json:"status" enum:"draft,validated,deployed,retired" doc:"draft → validated → deployed; draft, validated and deployed → retired; any other change answers 409. Past draft only the status may change."`
	Version         int                `json:"version,omitempty" minimum:"1" doc:"The version read, if not sent as If-Match; a stale one answers 409."`
}

type createModelInput struct {
	Body modelFields
}

type updateModelInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the model as last read; a stale one answers 412."`
	Body    modelUpdateFields
}

type modelOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Model
}

func outModel(m spectra.Model) *modelOutput { return &modelOutput{ETag: etag(m.Version), Body: m} }

func (s *server) listModels(ctx context.Context, in *listModelsInput) (*listOutput[spectra.Model], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.ModelFilter{Name: in.Name, Q: in.Q, Status: spectra.ModelStatus(in.Status)}
	if in.FeatureSetID != "" {
		f.FeatureSetID = uuid.MustParse(in.FeatureSetID) // validated by the format
	}
	items, cursor, err := s.store.ListModels(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Model]{Body: newList(items, cursor)}, nil
}

func (s *server) getModel(ctx context.Context, in *analysisIDInput) (*modelOutput, error) {
	m, err := s.store.Model(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outModel(m), nil
}

func (s *server) createModel(ctx context.Context, in *createModelInput) (*modelOutput, error) {
	b := in.Body
	d := spectra.ModelDraft{Name: b.Name, FeatureSetID: b.FeatureSetID, Algorithm: b.Algorithm, Hyperparameters: b.Hyperparameters,
		Metrics: b.Metrics, ArtifactURI: b.ArtifactURI, TrainedAt: b.TrainedAt}.Normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	m, err := s.store.CreateModel(ctx, s.tenant(ctx), d)
	if err != nil {
		return nil, err
	}
	return outModel(m), nil
}

func (s *server) updateModel(ctx context.Context, in *updateModelInput) (*modelOutput, error) {
	b := in.Body
	version, err := updateVersion(in.IfMatch, b.Version)
	if err != nil {
		return nil, err
	}
	// The name is the revision's own; "-" stands in for it to validate
	// the rest.
	d := spectra.ModelDraft{Name: "-", FeatureSetID: b.FeatureSetID, Algorithm: b.Algorithm, Hyperparameters: b.Hyperparameters,
		Metrics: b.Metrics, ArtifactURI: b.ArtifactURI, TrainedAt: b.TrainedAt, Status: spectra.ModelStatus(b.Status)}.Normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	m, err := s.store.UpdateModel(ctx, s.tenant(ctx), in.ID, d, version, b.Version)
	if err != nil {
		return nil, err
	}
	return outModel(m), nil
}
