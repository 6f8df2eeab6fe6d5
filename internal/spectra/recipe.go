package spectra

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// RecipeParam declares one parameter of a recipe: its name, unit and the
// range a run's value must fall in.
type RecipeParam struct {
	Name    string   `json:"name" minLength:"1" maxLength:"64" pattern:"^[A-Za-z][A-Za-z0-9_]*$"`
	Unit    string   `json:"unit" maxLength:"32"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Default *float64 `json:"default,omitempty"`
}

// ValidateParamDecls checks a recipe's declarations: unique names, min not
// above max, a default within the range. Field names are
// parameters[i].name and so on.
func ValidateParamDecls(decls []RecipeParam) []FieldError {
	var errs []FieldError
	seen := map[string]bool{}
	for i, d := range decls {
		at := func(f string) string { return fmt.Sprintf("parameters[%d].%s", i, f) }
		if seen[d.Name] {
			errs = append(errs, FieldError{Field: at("name"), Message: "declared twice"})
		}
		seen[d.Name] = true
		if d.Min != nil && d.Max != nil && *d.Min > *d.Max {
			errs = append(errs, FieldError{Field: at("max"), Message: "below min"})
		}
		if d.Default != nil && !inRange(*d.Default, d) {
			errs = append(errs, FieldError{Field: at("default"), Message: "outside min…max"})
		}
	}
	return errs
}

// ValidateRunParameters checks a run's parameter values against its
// recipe's declarations: every value is a declared, finite number within
// its range; a missing value takes the declared default, and a missing
// value without a default is an error. It returns the values to store.
// Field names are parameters.<name>.
func ValidateRunParameters(values map[string]any, decls []RecipeParam) (map[string]float64, []FieldError) {
	out := map[string]float64{}
	var errs []FieldError
	declared := map[string]RecipeParam{}
	for _, d := range decls {
		declared[d.Name] = d
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		field := "parameters." + k
		d, ok := declared[k]
		if !ok {
			errs = append(errs, FieldError{Field: field, Message: "not a parameter of the recipe"})
			continue
		}
		v, ok := values[k].(float64)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, FieldError{Field: field, Message: "must be a number"})
			continue
		}
		if !inRange(v, d) {
			errs = append(errs, FieldError{Field: field, Message: rangeText(d)})
			continue
		}
		out[k] = v
	}
	for _, d := range decls {
		if _, given := values[d.Name]; given {
			continue
		}
		if d.Default == nil {
			errs = append(errs, FieldError{Field: "parameters." + d.Name, Message: "required (the recipe declares no default)"})
			continue
		}
		out[d.Name] = *d.Default
	}
	return out, errs
}

func inRange(v float64, d RecipeParam) bool {
	return (d.Min == nil || v >= *d.Min) && (d.Max == nil || v <= *d.Max)
}

func rangeText(d RecipeParam) string {
	switch {
	case d.Min != nil && d.Max != nil:
		return fmt.Sprintf("must be between %g and %g %s", *d.Min, *d.Max, d.Unit)
	case d.Min != nil:
		return fmt.Sprintf("must be at least %g %s", *d.Min, d.Unit)
	default:
		return fmt.Sprintf("must be at most %g %s", *d.Max, d.Unit)
	}
}

// Recipe is one revision of a method template as the API shows it.
type Recipe struct {
	RevisionKey
	Name            string        `json:"name"`
	Description     string        `json:"description"`
	Parameters      []RecipeParam `json:"parameters" doc:"The parameters a run of this recipe takes, with their units and ranges."`
	InstrumentKinds []string      `json:"instrument_kinds" doc:"The kinds of instrument a run needs (SMU, spectrometer, …)."`
	Extractions     []Extraction  `json:"extractions" doc:"The results derived from each data series uploaded to a run (threshold voltage, a value at an x, a peak's position or width); each is stored as a result with its method and inputs, and feeds the SPC series of its metric."`
	RevisionState
}

// ExtractionMethod is how a derived result is computed from a curve
// (internal/dataseries).
type ExtractionMethod string

// The extraction methods.
const (
	ExtractThresholdVoltage ExtractionMethod = "threshold_voltage" // linear extrapolation at the steepest rise
	ExtractValueAt          ExtractionMethod = "value_at"          // y at x = at, interpolated
	ExtractPeakPosition     ExtractionMethod = "peak_position"     // the highest point's x
	ExtractPeakWidth        ExtractionMethod = "peak_fwhm"         // its full width at half maximum
)

// Extraction names one derived result of a recipe.
type Extraction struct {
	Method ExtractionMethod `json:"method" enum:"threshold_voltage,value_at,peak_position,peak_fwhm" doc:"threshold_voltage: linear extrapolation of the I–V curve at its steepest rise; value_at: y at x = at; peak_position, peak_fwhm: the highest peak's position and full width at half maximum."`
	Metric string           `json:"metric" minLength:"1" maxLength:"128" doc:"The result's metric, e.g. threshold_voltage."`
	Unit   string           `json:"unit,omitempty" maxLength:"32"`
	Series string           `json:"series,omitempty" maxLength:"200" doc:"Only series of this name; empty: every series."`
	Y      string           `json:"y,omitempty" maxLength:"128" doc:"The y column by name; empty: the first y column."`
	At     *float64         `json:"at,omitempty" doc:"value_at: the x at which y is read."`
}

// Kind is the recipes' permissions.
func (Recipe) Kind() RevisionKind { return RecipeKind }

// RecipeDraft is the content of a recipe as a client writes it.
type RecipeDraft struct {
	Name            string
	Description     string
	Parameters      []RecipeParam
	InstrumentKinds []string
	Extractions     []Extraction
}

// Normalize trims the instrument kinds and turns absent lists into empty
// ones, so that a draft is stored (and signed) the same however it came.
func (d RecipeDraft) Normalize() RecipeDraft {
	kinds := make([]string, 0, len(d.InstrumentKinds))
	for _, k := range d.InstrumentKinds {
		kinds = append(kinds, strings.TrimSpace(k))
	}
	d.InstrumentKinds = kinds
	if d.Parameters == nil {
		d.Parameters = []RecipeParam{}
	}
	if d.Extractions == nil {
		d.Extractions = []Extraction{}
	}
	return d
}

// Validate checks a (normalized) draft beyond what the request schema
// says: the parameter declarations, and instrument kinds that are neither
// empty nor repeated. Field names are parameters[i].max, instrument_kinds[i].
func (d RecipeDraft) Validate() error {
	errs := ValidateParamDecls(d.Parameters)
	seen := map[string]bool{}
	for i, k := range d.InstrumentKinds {
		field := fmt.Sprintf("instrument_kinds[%d]", i)
		switch {
		case k == "" || len(k) > 64:
			errs = append(errs, FieldError{Field: field, Message: "between 1 and 64 characters"})
		case seen[strings.ToLower(k)]:
			errs = append(errs, FieldError{Field: field, Message: "listed twice"})
		}
		seen[strings.ToLower(k)] = true
	}
	metrics := map[string]bool{}
	for i, x := range d.Extractions {
		at := func(f string) string { return fmt.Sprintf("extractions[%d].%s", i, f) }
		switch x.Method {
		case ExtractThresholdVoltage, ExtractPeakPosition, ExtractPeakWidth:
			if x.At != nil {
				errs = append(errs, FieldError{Field: at("at"), Message: "only value_at reads at an x"})
			}
		case ExtractValueAt:
			if x.At == nil || math.IsNaN(*x.At) || math.IsInf(*x.At, 0) {
				errs = append(errs, FieldError{Field: at("at"), Message: "value_at needs the x to read at, a number"})
			}
		default:
			errs = append(errs, FieldError{Field: at("method"), Message: "must be threshold_voltage, value_at, peak_position or peak_fwhm"})
		}
		key := x.Series + "\x00" + x.Metric
		if x.Metric == "" || len(x.Metric) > 128 || !printable(x.Metric) {
			errs = append(errs, FieldError{Field: at("metric"), Message: "must be 1 to 128 printable characters"})
		} else if metrics[key] {
			errs = append(errs, FieldError{Field: at("metric"), Message: "derived twice from the same series"})
		}
		metrics[key] = true
	}
	if len(errs) > 0 {
		return &Error{Code: CodeInvalid, Message: "the recipe is invalid: " + errs[0].Field + " " + errs[0].Message, Fields: errs}
	}
	return nil
}

// RecipeFilter narrows a recipe list; zero values do not filter.
type RecipeFilter struct {
	RevisionFilter
	Q string // part of the name, case-insensitive
}

// RecipeApproval is one approval of a recipe revision.
type RecipeApproval struct {
	RecipeID uuid.UUID `json:"recipe_id"`
	MethodApproval
}
