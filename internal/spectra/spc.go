package spectra

import (
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
)

// SPCSeries is a control chart: a metric with its centre line and limits.
type SPCSeries struct {
	ID           uuid.UUID  `json:"id"`
	Name         string     `json:"name"`
	Metric       string     `json:"metric" doc:"Run results with this metric are appended as points."`
	Unit         string     `json:"unit"`
	InstrumentID *uuid.UUID `json:"instrument_id" nullable:"true" doc:"If set, only results of runs on this instrument feed the series."`
	RecipeID     *uuid.UUID `json:"recipe_id" nullable:"true" doc:"If set, only results of runs of this recipe feed the series."`
	CenterLine   float64    `json:"center_line"`
	Sigma        float64    `json:"sigma"`
	UCL          float64    `json:"ucl" doc:"Upper control limit: center_line + 3 sigma."`
	LCL          float64    `json:"lcl" doc:"Lower control limit: center_line - 3 sigma."`
	BaselineSize *int       `json:"baseline_size" doc:"How many results the limits were computed from, if computed."`
	CreatedAt    time.Time  `json:"created_at"`
	Version      int        `json:"version"`
}

// SPCPoint is one value on a control chart.
type SPCPoint struct {
	ID          uuid.UUID  `json:"id"`
	SeriesID    uuid.UUID  `json:"series_id"`
	TS          time.Time  `json:"ts"`
	Value       float64    `json:"value"`
	RunID       *uuid.UUID `json:"run_id" nullable:"true"`
	RunResultID *uuid.UUID `json:"run_result_id" nullable:"true"`
}

// SPCAlert is one violation of a Western Electric rule.
type SPCAlert struct {
	ID             uuid.UUID   `json:"id"`
	SeriesID       uuid.UUID   `json:"series_id"`
	Rule           string      `json:"rule" enum:"WE1,WE2,WE3,WE4"`
	PointIDs       []uuid.UUID `json:"point_ids" doc:"The points that break the rule, oldest first."`
	Message        string      `json:"message"`
	RaisedAt       time.Time   `json:"raised_at"`
	AcknowledgedAt *time.Time  `json:"acknowledged_at"`
	AcknowledgedBy *uuid.UUID  `json:"acknowledged_by" nullable:"true"`
	Comment        *string     `json:"ack_comment"`
	Version        int         `json:"version"`
}

// SPCAlertFilter narrows an alert list. Acknowledged nil means open ones
// only, the default a dashboard wants.
type SPCAlertFilter struct {
	SeriesID     uuid.UUID
	Acknowledged *bool
}

// Violation is one broken rule at the newest point of a window.
type Violation struct {
	Rule    string
	Points  []int // indexes into the window, oldest first
	Message string
}

// WEWindow is how many of the latest points the rules look at.
const WEWindow = 8

// WesternElectric evaluates the four Western Electric rules at the newest
// point of values (oldest first), for a chart with centre c and sigma s.
// Each rule is raised only when the newest point takes part in the
// violation, so a point that arrives later does not raise again what an
// earlier one already did.
func WesternElectric(values []float64, c, s float64) []Violation {
	var out []Violation
	for _, r := range []func([]float64, float64, float64) *Violation{we1, we2, we3, we4} {
		if v := r(values, c, s); v != nil {
			out = append(out, *v)
		}
	}
	return out
}

// side is +1 above the centre beyond k sigma, -1 below, 0 within.
func side(v, c, s, k float64) int {
	switch {
	case v > c+k*s:
		return 1
	case v < c-k*s:
		return -1
	}
	return 0
}

func sideName(d int) string {
	if d > 0 {
		return "upper"
	}
	return "lower"
}

// we1: one point beyond 3 sigma.
func we1(vs []float64, c, s float64) *Violation {
	n := len(vs)
	if n == 0 {
		return nil
	}
	if d := side(vs[n-1], c, s, 3); d != 0 {
		return &Violation{Rule: "WE1", Points: []int{n - 1},
			Message: fmt.Sprintf("Rule 1: one point beyond the 3σ control limit (%s).", sideName(d))}
	}
	return nil
}

// kOfM finds at least k of the last m points beyond j sigma on the newest
// point's side.
func kOfM(vs []float64, c, s float64, k, m int, j float64) ([]int, int) {
	n := len(vs)
	if n < k {
		return nil, 0
	}
	d := side(vs[n-1], c, s, j)
	if d == 0 {
		return nil, 0
	}
	var idx []int
	for i := max(0, n-m); i < n; i++ {
		if side(vs[i], c, s, j) == d {
			idx = append(idx, i)
		}
	}
	if len(idx) < k {
		return nil, 0
	}
	return idx, d
}

// we2: two of three consecutive points beyond 2 sigma on the same side.
func we2(vs []float64, c, s float64) *Violation {
	if idx, d := kOfM(vs, c, s, 2, 3, 2); idx != nil {
		return &Violation{Rule: "WE2", Points: idx,
			Message: fmt.Sprintf("Rule 2: two of three consecutive points beyond 2σ (%s).", sideName(d))}
	}
	return nil
}

// we3: four of five consecutive points beyond 1 sigma on the same side.
func we3(vs []float64, c, s float64) *Violation {
	if idx, d := kOfM(vs, c, s, 4, 5, 1); idx != nil {
		return &Violation{Rule: "WE3", Points: idx,
			Message: fmt.Sprintf("Rule 3: four of five consecutive points beyond 1σ (%s).", sideName(d))}
	}
	return nil
}

// we4: eight consecutive points on one side of the centre line.
func we4(vs []float64, c, s float64) *Violation {
	n := len(vs)
	if n < 8 {
		return nil
	}
	d := side(vs[n-1], c, s, 0)
	if d == 0 {
		return nil
	}
	idx := make([]int, 0, 8)
	for i := n - 8; i < n; i++ {
		if side(vs[i], c, s, 0) != d {
			return nil
		}
		idx = append(idx, i)
	}
	return &Violation{Rule: "WE4", Points: idx,
		Message: fmt.Sprintf("Rule 4: eight consecutive points on one side of the centre line (%s).", sideName(d))}
}

// ControlLimits are the upper and lower control limits of a chart with
// centre c and sigma s: c ± 3s. Limits that overflow to ±Inf could be
// stored but never returned (JSON has no infinity), so they are
// CodeInvalid naming sigma.
func ControlLimits(c, s float64) (ucl, lcl float64, err error) {
	ucl, lcl = c+3*s, c-3*s
	if CheckFloat(ucl) != "" || CheckFloat(lcl) != "" {
		return 0, 0, &Error{Code: CodeInvalid, Message: "the control limits center_line ± 3 sigma overflow",
			Fields: []FieldError{{Field: "sigma", Message: "center_line ± 3 sigma must be a finite number"}}}
	}
	return ucl, lcl, nil
}

// Baseline is the mean and sample standard deviation of values: the centre
// line and sigma of a chart computed from history. It fails with
// CodeInvalid when there are fewer than two values or they do not vary.
func Baseline(values []float64) (center, sigma float64, err error) {
	if len(values) < 2 {
		return 0, 0, &Error{Code: CodeInvalid, Message: fmt.Sprintf("a baseline needs at least two values; %d found", len(values)),
			Fields: []FieldError{{Field: "baseline_size", Message: "not enough results of the metric to compute the limits"}}}
	}
	for _, v := range values {
		center += v
	}
	center /= float64(len(values))
	for _, v := range values {
		sigma += (v - center) * (v - center)
	}
	sigma = math.Sqrt(sigma / float64(len(values)-1))
	if sigma == 0 {
		return 0, 0, &Error{Code: CodeInvalid, Message: "the baseline values do not vary: sigma would be zero",
			Fields: []FieldError{{Field: "baseline_size", Message: "the baseline has no spread"}}}
	}
	if _, _, err := ControlLimits(center, sigma); err != nil || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		return 0, 0, &Error{Code: CodeInvalid, Message: "the baseline values are too large: the control limits would overflow",
			Fields: []FieldError{{Field: "baseline_size", Message: "the limits computed from the baseline are not finite"}}}
	}
	return center, sigma, nil
}

// NewSPCPoint is a value to append to a series.
type NewSPCPoint struct {
	TS          time.Time
	Value       float64
	RunID       *uuid.UUID
	RunResultID *uuid.UUID
}
