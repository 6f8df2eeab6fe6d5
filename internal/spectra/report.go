package spectra

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// A run report is everything a lab files about one run (PRODUCT.md §13):
// who measured it in which lab, the recipe revision and its approval, the
// instruments and the certificates in effect at the start, the parameters
// with their units, the results with their source, every curve as a plot,
// the signatures and the run's history. One store method gathers it; the
// printable HTML and the PDF both render this one value.

// RunReport is the whole report of one run.
type RunReport struct {
	Run         RunDetail
	Lab         string  // the organization's name
	Operator    *Person // who started the run; nil before it started
	CreatedBy   *Person // who planned it
	Recipe      ReportRecipe
	Parameters  []ReportParameter
	Results     []ReportResult
	Plots       []Plot // every y column of every series, downsampled
	Signatures  []ReportSignature
	History     []ReportTransition
	GeneratedAt time.Time
}

// Person is a user as a report names them.
type Person struct {
	ID    uuid.UUID
	Name  string // the display name; empty for a user no longer in the organization
	Email string
}

// Label is how a report prints the person: the name, else the email, else
// the id (a user who has left the organization).
func (p *Person) Label() string {
	switch {
	case p == nil:
		return "—"
	case p.Name != "":
		return p.Name
	case p.Email != "":
		return p.Email
	}
	return p.ID.String()
}

// ReportRecipe is the recipe revision a run followed, and its approval.
type ReportRecipe struct {
	Name        string
	Revision    int
	Description string
	Status      MethodStatus // now, not when the run was planned
	Approval    *MethodApproval
}

// ReportParameter is one parameter value of a run with the unit its
// recipe declares (empty when it declares none).
type ReportParameter struct {
	Name  string
	Value float64
	Unit  string
}

// ReportParameters lists a run's parameter values in the recipe's
// declaration order with their units; values the recipe no longer
// declares follow, by name, without a unit.
func ReportParameters(values map[string]float64, decls []RecipeParam) []ReportParameter {
	out := make([]ReportParameter, 0, len(values))
	seen := map[string]bool{}
	for _, d := range decls {
		if v, ok := values[d.Name]; ok {
			out = append(out, ReportParameter{Name: d.Name, Value: v, Unit: d.Unit})
			seen[d.Name] = true
		}
	}
	var rest []string
	for k := range values {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		out = append(out, ReportParameter{Name: k, Value: values[k]})
	}
	return out
}

// ReportResult is one scalar result with where it came from.
type ReportResult struct {
	Result
	Source     string // "measured", or "derived"
	Method     string // a derived result's method, e.g. "threshold voltage"
	SeriesName string // the series it was derived from
}

// ReportResults marks each result measured or derived, naming a derived
// one's method and series.
func ReportResults(results []Result, series []DataSeries) []ReportResult {
	names := map[uuid.UUID]string{}
	for _, s := range series {
		names[s.ID] = s.Name
	}
	out := make([]ReportResult, len(results))
	for i, r := range results {
		out[i] = ReportResult{Result: r, Source: "measured"}
		if d := r.Derivation; d != nil {
			out[i].Source = "derived"
			out[i].Method = strings.ReplaceAll(string(d.Method), "_", " ")
			out[i].SeriesName = names[d.SeriesID]
		}
	}
	return out
}

// ReportSignature is one e-signature bearing on the run: the approval of
// its recipe revision, or a signature of a notebook entry about the run.
type ReportSignature struct {
	Subject       string // "recipe IV Sweep rev. 2", "notebook entry “…”"
	Signer        Person
	Role          Role
	Meaning       string
	AuthMethod    string
	SignedAt      time.Time
	Scheme        SignatureScheme
	ContentSHA256 string
	Matches       bool // the content still has the signed digest
}

// ReportTransition is one status change of the run, with who made it.
type ReportTransition struct {
	RunTransition
	Actor *Person
}

// IsCurrentUnit says whether a column's unit is a current's: its plot has
// a logarithmic |y| axis, since a current spans decades (the UI's
// plotdata.logByDefault says the same).
func IsCurrentUnit(unit string) bool {
	switch strings.TrimSpace(unit) {
	case "A", "mA", "µA", "uA", "nA", "pA":
		return true
	}
	return false
}
