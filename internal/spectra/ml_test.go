package spectra

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// fieldsOf lists the field names of err's field errors.
func fieldsOf(err error) map[string]bool {
	out := map[string]bool{}
	if e, ok := err.(*Error); ok {
		for _, f := range e.Fields {
			out[f.Field] = true
		}
	}
	return out
}

func TestFeatureSetDraftValidate(t *testing.T) {
	ok := FeatureSetDraft{Name: " IV features ", Features: []Feature{{Name: " vth ", Type: "Float"}, {Name: "material", Type: "category"}},
		Source: FeatureSource{Query: " SELECT 1 "}}.Normalize()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid draft: %v", err)
	}
	if ok.Name != "IV features" || ok.Features[0].Name != "vth" || ok.Features[0].Type != FeatureFloat || ok.Source.Query != "SELECT 1" {
		t.Fatalf("normalized: %+v", ok)
	}
	src := FeatureSource{Description: "the fab's MES"}
	cases := []struct {
		name  string
		d     FeatureSetDraft
		field string
	}{
		{"no name", FeatureSetDraft{Features: []Feature{{Name: "a", Type: FeatureInt}}, Source: src}, "name"},
		{"no features", FeatureSetDraft{Name: "x", Source: src}, "features"},
		{"unknown type", FeatureSetDraft{Name: "x", Features: []Feature{{Name: "a", Type: "tensor"}}, Source: src}, "features[0].type"},
		{"empty feature name", FeatureSetDraft{Name: "x", Features: []Feature{{Name: " ", Type: FeatureInt}}, Source: src}, "features[0].name"},
		{"control character", FeatureSetDraft{Name: "x", Features: []Feature{{Name: "a\x00", Type: FeatureInt}}, Source: src}, "features[0].name"},
		{"duplicate, any case", FeatureSetDraft{Name: "x", Features: []Feature{{Name: "Vth", Type: FeatureFloat}, {Name: "vth", Type: FeatureFloat}}, Source: src}, "features[1].name"},
		{"no source", FeatureSetDraft{Name: "x", Features: []Feature{{Name: "a", Type: FeatureBool}}}, "source"},
	}
	for _, c := range cases {
		err := c.d.Normalize().Validate()
		if ErrorCode(err) != CodeInvalid || !fieldsOf(err)[c.field] {
			t.Errorf("%s: %v, want invalid naming %s", c.name, err, c.field)
		}
	}
	for _, ty := range FeatureTypes {
		if !ty.Valid() {
			t.Errorf("%s not valid", ty)
		}
	}
}

func TestCheckArtifactURI(t *testing.T) {
	good := []string{"s3://bucket/models/m.onnx", "gs://b/k", "https://models.example.com/m/3", "file:///srv/models/m.pkl",
		"abfss://container@account.dfs.core.windows.net/m", "hdfs://namenode:8020/models/m", "runs:/0a1b2c/model", "models:/vth/3",
		"S3://Bucket/Key"}
	for _, u := range good {
		if msg := CheckArtifactURI(u); msg != "" {
			t.Errorf("%q: %s", u, msg)
		}
	}
	bad := []string{"bucket/models/m.onnx", "/srv/models/m.pkl", "javascript:alert(1)", "data:text/html,x", "ftp://host/m",
		"s3://", "s3:///key", "https://user:secret@host/m", "https://ghp_token@host/m", "abfss://c:key@account/m", "file://", "file:relative/path", "s3://bucket/with space",
		"models:", "https://host/\x7f"}
	for _, u := range bad {
		if msg := CheckArtifactURI(u); msg == "" {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestModelDraftValidate(t *testing.T) {
	fs := uuid.New()
	at := time.Date(2026, 1, 2, 3, 4, 5, 678912345, time.FixedZone("x", 3600))
	d := ModelDraft{Name: " vth ", FeatureSetID: fs, TrainedAt: &at}.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Status != ModelStatusDraft || d.Metrics == nil || d.Hyperparameters == nil || d.TrainedAt.Nanosecond() != 678912000 || d.TrainedAt.Location() != time.UTC {
		t.Fatalf("normalized: %+v", d)
	}
	cases := []struct {
		name  string
		d     ModelDraft
		field string
	}{
		{"bad artifact", ModelDraft{Name: "m", ArtifactURI: "not a uri"}, "artifact_uri"},
		{"validated without artifact", ModelDraft{Name: "m", Status: ModelStatusValidated}, "artifact_uri"},
		{"deployed without artifact", ModelDraft{Name: "m", Status: ModelStatusDeployed}, "artifact_uri"},
		{"unknown status", ModelDraft{Name: "m", Status: "training"}, "status"},
		{"empty metric name", ModelDraft{Name: "m", Metrics: map[string]float64{"": 1}}, "metrics."},
	}
	for _, c := range cases {
		err := c.d.Normalize().Validate()
		if ErrorCode(err) != CodeInvalid || !fieldsOf(err)[c.field] {
			t.Errorf("%s: %v, want invalid naming %s", c.name, err, c.field)
		}
	}
	if err := (ModelDraft{Name: "m", Status: ModelStatusRetired}).Normalize().Validate(); err != nil {
		t.Errorf("a draft retired without an artifact: %v", err)
	}
}

func TestModelStatusTransitions(t *testing.T) {
	allowed := map[[2]ModelStatus]bool{
		{ModelStatusDraft, ModelStatusValidated}: true, {ModelStatusDraft, ModelStatusRetired}: true,
		{ModelStatusValidated, ModelStatusDeployed}: true, {ModelStatusValidated, ModelStatusRetired}: true,
		{ModelStatusDeployed, ModelStatusRetired}: true,
	}
	for _, from := range ModelStatuses {
		for _, to := range ModelStatuses {
			err := from.CanBecome(to)
			want := from == to || allowed[[2]ModelStatus{from, to}]
			if (err == nil) != want || (err != nil && ErrorCode(err) != CodeConflict) {
				t.Errorf("%s → %s: %v, want allowed=%v", from, to, err, want)
			}
		}
	}
}

func TestCheckModelUpdate(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	cur := Model{FeatureSetID: uuid.New(), Algorithm: "gbm", Hyperparameters: map[string]any{"depth": float64(4), "loss": "l2"},
		Metrics: map[string]float64{"rmse": 0.5}, ArtifactURI: "s3://b/m", Status: ModelStatusValidated, TrainedAt: &at}
	later := at.In(time.FixedZone("x", 7200)) // the same instant
	same := ModelDraft{Name: "-", FeatureSetID: cur.FeatureSetID, Algorithm: "gbm", Hyperparameters: map[string]any{"loss": "l2", "depth": 4},
		Metrics: map[string]float64{"rmse": 0.5}, ArtifactURI: "s3://b/m", TrainedAt: &later, Status: ModelStatusDeployed}.Normalize()
	if err := CheckModelUpdate(cur, same); err != nil {
		t.Fatalf("status only: %v", err)
	}
	changed := same
	changed.Metrics = map[string]float64{"rmse": 0.4}
	if err := CheckModelUpdate(cur, changed); ErrorCode(err) != CodeConflict {
		t.Fatalf("content change past draft: %v", err)
	}
	cur.Status = ModelStatusDraft
	changed.Status = ModelStatusDraft
	if err := CheckModelUpdate(cur, changed); err != nil {
		t.Fatalf("content change in draft: %v", err)
	}
	changed.Status = ModelStatusDeployed
	if err := CheckModelUpdate(cur, changed); ErrorCode(err) != CodeConflict {
		t.Fatalf("draft → deployed: %v", err)
	}
}
