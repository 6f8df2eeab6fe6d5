package spectra

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// ML metadata: feature sets and the models trained on them. Both are
// versioned by name + revision: creating one under a name already used
// makes that name's next revision. A feature-set revision is immutable
// once a model refers to it; a model's content is immutable once it has
// left draft (only its status moves on), so what was validated is what
// is deployed.

// FeatureType is the type of one feature's values.
type FeatureType string

// The feature types.
const (
	FeatureFloat    FeatureType = "float"
	FeatureInt      FeatureType = "int"
	FeatureString   FeatureType = "string"
	FeatureBool     FeatureType = "bool"
	FeatureCategory FeatureType = "category"
	FeatureDatetime FeatureType = "datetime"
)

// FeatureTypes lists every feature type.
var FeatureTypes = []FeatureType{FeatureFloat, FeatureInt, FeatureString, FeatureBool, FeatureCategory, FeatureDatetime}

// Valid reports whether t is one of FeatureTypes.
func (t FeatureType) Valid() bool {
	for _, x := range FeatureTypes {
		if t == x {
			return true
		}
	}
	return false
}

// Feature is one column of a feature set.
type Feature struct {
	Name        string      `json:"name" minLength:"1" maxLength:"128"`
	Type        FeatureType `json:"type" enum:"float,int,string,bool,category,datetime"`
	Description string      `json:"description,omitempty" maxLength:"2000"`
}

// FeatureSource says where a feature set's data comes from: the query
// that extracts it, or a description, or both.
type FeatureSource struct {
	Query       string `json:"query,omitempty" maxLength:"20000" doc:"The query that extracts the features, e.g. SQL."`
	Description string `json:"description,omitempty" maxLength:"4000" doc:"Where the data comes from, in words."`
}

// The limits of a feature set.
const (
	MaxFeatures      = 1000
	maxFeatureName   = 128
	maxMetrics       = 200
	maxHyperparams   = 200
	maxArtifactURI   = 2000
	maxHyperparamLen = 64 << 10 // bytes of JSON
)

// FeatureSet is one revision of a named feature set.
type FeatureSet struct {
	ID          uuid.UUID     `json:"id"`
	Name        string        `json:"name"`
	Revision    int           `json:"revision" doc:"1 for the first revision of the name; unique per name."`
	Description string        `json:"description"`
	Features    []Feature     `json:"features"`
	Source      FeatureSource `json:"source"`
	Locked      bool          `json:"locked" doc:"A model refers to this revision, so it can no longer change: create the next revision instead."`
	CreatedBy   *uuid.UUID    `json:"created_by" nullable:"true"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	Version     int           `json:"version" doc:"The row's version, for If-Match (not the revision)."`
}

// FeatureSetDraft is the content of a feature-set revision as a client
// writes it.
type FeatureSetDraft struct {
	Name        string
	Description string
	Features    []Feature
	Source      FeatureSource
}

// Normalize trims names and the source, so that equal content is stored
// the same however it came.
func (d FeatureSetDraft) Normalize() FeatureSetDraft {
	d.Name = strings.TrimSpace(d.Name)
	fs := make([]Feature, len(d.Features))
	for i, f := range d.Features {
		fs[i] = Feature{Name: strings.TrimSpace(f.Name), Type: FeatureType(strings.ToLower(strings.TrimSpace(string(f.Type)))),
			Description: strings.TrimSpace(f.Description)}
	}
	d.Features = fs
	d.Source.Query = strings.TrimSpace(d.Source.Query)
	d.Source.Description = strings.TrimSpace(d.Source.Description)
	return d
}

// Validate checks a (normalized) draft: a name, at least one feature,
// feature names present, printable and unique, known types, and a source
// with a query or a description. Field names are name, features,
// features[i].name, features[i].type, source.
func (d FeatureSetDraft) Validate() error {
	var errs []FieldError
	if d.Name == "" || len(d.Name) > 200 {
		errs = append(errs, FieldError{Field: "name", Message: "between 1 and 200 characters"})
	}
	switch {
	case len(d.Features) == 0:
		errs = append(errs, FieldError{Field: "features", Message: "at least one feature"})
	case len(d.Features) > MaxFeatures:
		errs = append(errs, FieldError{Field: "features", Message: fmt.Sprintf("at most %d features", MaxFeatures)})
	}
	seen := map[string]bool{}
	for i, f := range d.Features {
		at := func(s string) string { return fmt.Sprintf("features[%d].%s", i, s) }
		switch {
		case f.Name == "" || len(f.Name) > maxFeatureName || !printable(f.Name):
			errs = append(errs, FieldError{Field: at("name"), Message: fmt.Sprintf("between 1 and %d printable characters", maxFeatureName)})
		case seen[strings.ToLower(f.Name)]:
			errs = append(errs, FieldError{Field: at("name"), Message: "listed twice"})
		}
		seen[strings.ToLower(f.Name)] = true
		if !f.Type.Valid() {
			errs = append(errs, FieldError{Field: at("type"), Message: "one of " + joinTypes()})
		}
	}
	if d.Source.Query == "" && d.Source.Description == "" {
		errs = append(errs, FieldError{Field: "source", Message: "needs a query or a description"})
	}
	return fieldErrors("feature set", errs)
}

func joinTypes() string {
	s := make([]string, len(FeatureTypes))
	for i, t := range FeatureTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// fieldErrors is nil or a CodeInvalid error naming each field.
func fieldErrors(what string, errs []FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "the " + what + " is invalid: " + errs[0].Field + " " + errs[0].Message, Fields: errs}
}

// FeatureSetFilter narrows a feature-set list; zero values do not filter.
type FeatureSetFilter struct {
	Name string // exactly this name (every revision of it)
	Q    string // part of the name, case-insensitive
}

// ModelStatus is where a model revision is in its life.
type ModelStatus string

// The model statuses.
const (
	ModelStatusDraft     ModelStatus = "draft"
	ModelStatusValidated ModelStatus = "validated"
	ModelStatusDeployed  ModelStatus = "deployed"
	ModelStatusRetired   ModelStatus = "retired"
)

// ModelStatuses lists every status in life order.
var ModelStatuses = []ModelStatus{ModelStatusDraft, ModelStatusValidated, ModelStatusDeployed, ModelStatusRetired}

// modelTransitions is the model life: draft → validated → deployed, and
// retired from any of them. Nothing leaves retired, and nothing goes back:
// a model to change is a new revision.
var modelTransitions = map[ModelStatus][]ModelStatus{
	ModelStatusDraft:     {ModelStatusValidated, ModelStatusRetired},
	ModelStatusValidated: {ModelStatusDeployed, ModelStatusRetired},
	ModelStatusDeployed:  {ModelStatusRetired},
	ModelStatusRetired:   {},
}

// Valid reports whether s is one of ModelStatuses.
func (s ModelStatus) Valid() bool {
	_, ok := modelTransitions[s]
	return ok
}

// CanBecome fails with CodeConflict unless a model may go from s to to;
// staying in s is not a transition and always allowed.
func (s ModelStatus) CanBecome(to ModelStatus) error {
	if s == to {
		return nil
	}
	for _, x := range modelTransitions[s] {
		if x == to {
			return nil
		}
	}
	return Errorf(CodeConflict, "a %s model cannot become %s (allowed: draft → validated → deployed, any → retired)", s, to)
}

// Model is one revision of a named model, trained on one feature-set
// revision.
type Model struct {
	ID                 uuid.UUID          `json:"id"`
	Name               string             `json:"name"`
	Revision           int                `json:"revision" doc:"1 for the first revision of the name; unique per name."`
	FeatureSetID       uuid.UUID          `json:"feature_set_id"`
	FeatureSetName     string             `json:"feature_set_name"`
	FeatureSetRevision int                `json:"feature_set_revision"`
	Algorithm          string             `json:"algorithm"`
	Hyperparameters    map[string]any     `json:"hyperparameters"`
	Metrics            map[string]float64 `json:"metrics"`
	ArtifactURI        string             `json:"artifact_uri"`
	Status             ModelStatus        `json:"status" enum:"draft,validated,deployed,retired"`
	TrainedAt          *time.Time         `json:"trained_at"`
	CreatedBy          *uuid.UUID         `json:"created_by" nullable:"true"`
	CreatedAt          time.Time          `json:"created_at"`
	UpdatedAt          time.Time          `json:"updated_at"`
	Version            int                `json:"version" doc:"The row's version, for If-Match (not the revision)."`
}

// ModelDraft is a model's content as a client writes it; Name counts only
// at creation, Status only on update.
type ModelDraft struct {
	Name            string
	FeatureSetID    uuid.UUID
	Algorithm       string
	Hyperparameters map[string]any
	Metrics         map[string]float64
	ArtifactURI     string
	TrainedAt       *time.Time
	Status          ModelStatus
}

// Normalize trims text, makes absent objects empty and keeps trained_at to
// the database's microseconds in UTC, so a draft compares equal to what
// was stored from it.
func (d ModelDraft) Normalize() ModelDraft {
	d.Name = strings.TrimSpace(d.Name)
	d.Algorithm = strings.TrimSpace(d.Algorithm)
	d.ArtifactURI = strings.TrimSpace(d.ArtifactURI)
	if d.Hyperparameters == nil {
		d.Hyperparameters = map[string]any{}
	}
	if d.Metrics == nil {
		d.Metrics = map[string]float64{}
	}
	if d.TrainedAt != nil {
		t := d.TrainedAt.UTC().Truncate(time.Microsecond)
		d.TrainedAt = &t
	}
	if d.Status == "" {
		d.Status = ModelStatusDraft
	}
	return d
}

// Validate checks a (normalized) draft: name, algorithm, the sizes of
// hyperparameters and metrics, the artifact URI, and that a model past
// draft (validated or deployed) has an artifact. Field names are name,
// algorithm, hyperparameters, metrics, metrics.<name>, artifact_uri,
// status.
func (d ModelDraft) Validate() error {
	var errs []FieldError
	if d.Name == "" || len(d.Name) > 200 {
		errs = append(errs, FieldError{Field: "name", Message: "between 1 and 200 characters"})
	}
	if len(d.Algorithm) > 200 {
		errs = append(errs, FieldError{Field: "algorithm", Message: "at most 200 characters"})
	}
	if len(d.Hyperparameters) > maxHyperparams {
		errs = append(errs, FieldError{Field: "hyperparameters", Message: fmt.Sprintf("at most %d entries", maxHyperparams)})
	} else if b, err := json.Marshal(d.Hyperparameters); err != nil || len(b) > maxHyperparamLen {
		errs = append(errs, FieldError{Field: "hyperparameters", Message: fmt.Sprintf("at most %d KiB of JSON", maxHyperparamLen>>10)})
	}
	if len(d.Metrics) > maxMetrics {
		errs = append(errs, FieldError{Field: "metrics", Message: fmt.Sprintf("at most %d metrics", maxMetrics)})
	}
	for k := range d.Metrics {
		if k == "" || len(k) > maxFeatureName || !printable(k) {
			errs = append(errs, FieldError{Field: "metrics." + k, Message: fmt.Sprintf("a metric's name has 1 to %d printable characters", maxFeatureName)})
		}
	}
	if d.ArtifactURI != "" {
		if msg := CheckArtifactURI(d.ArtifactURI); msg != "" {
			errs = append(errs, FieldError{Field: "artifact_uri", Message: msg})
		}
	} else if d.Status == ModelStatusValidated || d.Status == ModelStatusDeployed {
		errs = append(errs, FieldError{Field: "artifact_uri", Message: "required once a model is " + string(d.Status)})
	}
	if !d.Status.Valid() {
		errs = append(errs, FieldError{Field: "status", Message: "one of draft, validated, deployed, retired"})
	}
	return fieldErrors("model", errs)
}

// ArtifactSchemes are the URI schemes an artifact may be stored under:
// object stores, HDFS, HTTP(S), local files, and MLflow's runs:/ and
// models:/. Anything else (javascript:, data:, …) is refused, since the
// UI shows the URI as a link.
var ArtifactSchemes = []string{"s3", "gs", "az", "abfs", "abfss", "wasbs", "hdfs", "dbfs", "http", "https", "file", "runs", "models"}

// CheckArtifactURI returns why uri is not an artifact location, or "": an
// absolute URI with one of ArtifactSchemes, a bucket or host where the
// scheme has one, a path for file:, no credentials and no whitespace.
func CheckArtifactURI(uri string) string {
	if len(uri) > maxArtifactURI {
		return fmt.Sprintf("at most %d characters", maxArtifactURI)
	}
	if strings.IndexFunc(uri, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return "must not contain spaces or control characters"
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return "must be an absolute URI with a scheme, e.g. s3://bucket/path"
	}
	scheme := strings.ToLower(u.Scheme)
	known := false
	for _, s := range ArtifactSchemes {
		known = known || s == scheme
	}
	if !known {
		return "scheme " + u.Scheme + " is not one of " + strings.Join(ArtifactSchemes, ", ")
	}
	// abfs(s) and wasbs name a container as container@account; anywhere
	// else, and with a password anywhere, userinfo is a credential.
	if _, password := u.User.Password(); u.User != nil && (password || !strings.HasPrefix(scheme, "abfs") && scheme != "wasbs") {
		return "must not carry credentials"
	}
	switch scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" || !strings.HasPrefix(u.Path, "/") || u.Path == "/" {
			return "a file URI names an absolute path, e.g. file:///models/m.pkl"
		}
	case "runs", "models", "dbfs":
		if strings.Trim(u.Opaque+u.Path, "/") == "" {
			return "needs a path after " + scheme + ":"
		}
	default:
		if u.Host == "" {
			return "needs a bucket or host after " + scheme + "://"
		}
	}
	return ""
}

// SameContent reports whether d (normalized) carries m's content: feature
// set, algorithm, hyperparameters, metrics, artifact and training time.
func (m Model) SameContent(d ModelDraft) bool {
	sameTime := (m.TrainedAt == nil) == (d.TrainedAt == nil) && (m.TrainedAt == nil || m.TrainedAt.Equal(*d.TrainedAt))
	return m.FeatureSetID == d.FeatureSetID && m.Algorithm == d.Algorithm && m.ArtifactURI == d.ArtifactURI && sameTime &&
		sameJSON(m.Hyperparameters, d.Hyperparameters) && sameJSON(m.Metrics, d.Metrics)
}

// sameJSON compares two values as JSON documents, so that a number read
// back from the database equals the one that was written.
func sameJSON(a, b any) bool {
	var x, y any
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil || json.Unmarshal(ja, &x) != nil || json.Unmarshal(jb, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// CheckModelUpdate says whether a model in its current state may take the
// update d: the status change must follow the model's life (CodeConflict),
// and past draft the content is frozen (CodeConflict): only the status may
// change.
func CheckModelUpdate(cur Model, d ModelDraft) error {
	if err := cur.Status.CanBecome(d.Status); err != nil {
		return err
	}
	if cur.Status != ModelStatusDraft && !cur.SameContent(d) {
		return Errorf(CodeConflict, "a %s model's content cannot change, only its status; create the next revision instead", cur.Status)
	}
	return nil
}

// ModelFilter narrows a model list; zero values do not filter.
type ModelFilter struct {
	Name         string // exactly this name (every revision of it)
	Q            string // part of the name or algorithm, case-insensitive
	Status       ModelStatus
	FeatureSetID uuid.UUID
}
