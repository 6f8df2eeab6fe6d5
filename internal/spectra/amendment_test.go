package spectra

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNewAmendmentValidate(t *testing.T) {
	id, v, inf, nan := uuid.New(), 1.5, math.Inf(1), math.NaN()
	far := time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := []Supersession{{ResultID: id, Value: &v}}
	cases := []struct {
		name  string
		a     NewAmendment
		field string // "" when valid
	}{
		{"a correction", NewAmendment{Reason: "typo", Supersede: ok}, ""},
		{"a withdrawal", NewAmendment{Reason: "typo", Supersede: []Supersession{{ResultID: id, Withdraw: true}}}, ""},
		{"an addition", NewAmendment{Reason: "missed", Add: []NewResult{{Metric: "m", Value: 1}}}, ""},
		{"a reason of 2000 characters", NewAmendment{Reason: strings.Repeat("ü", MaxAmendmentReason), Supersede: ok}, ""},
		{"no reason", NewAmendment{Supersede: ok}, "reason"},
		{"a blank reason", NewAmendment{Reason: "\t \n", Supersede: ok}, "reason"},
		{"a reason too long", NewAmendment{Reason: strings.Repeat("ü", MaxAmendmentReason+1), Supersede: ok}, "reason"},
		{"a NUL in the reason", NewAmendment{Reason: "a\x00b", Supersede: ok}, "reason"},
		{"no change", NewAmendment{Reason: "r"}, "supersede"},
		{"no result id", NewAmendment{Reason: "r", Supersede: []Supersession{{Value: &v}}}, "supersede[0].result_id"},
		{"twice", NewAmendment{Reason: "r", Supersede: append(ok, ok...)}, "supersede[1].result_id"},
		{"neither", NewAmendment{Reason: "r", Supersede: []Supersession{{ResultID: id}}}, "supersede[0].value"},
		{"both", NewAmendment{Reason: "r", Supersede: []Supersession{{ResultID: id, Value: &v, Withdraw: true}}}, "supersede[0].value"},
		{"infinite", NewAmendment{Reason: "r", Supersede: []Supersession{{ResultID: id, Value: &inf}}}, "supersede[0].value"},
		{"NaN", NewAmendment{Reason: "r", Supersede: []Supersession{{ResultID: id, Value: &nan}}}, "supersede[0].value"},
		{"an added result without metric", NewAmendment{Reason: "r", Add: []NewResult{{Value: 1}}}, "results[0].metric"},
		{"an added NaN", NewAmendment{Reason: "r", Add: []NewResult{{Metric: "m", Value: nan}}}, "results[0].value"},
		{"an added time out of range", NewAmendment{Reason: "r", Add: []NewResult{{Metric: "m", Value: 1, MeasuredAt: &far}}}, "results[0].measured_at"},
	}
	for _, c := range cases {
		err := c.a.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		e, isErr := err.(*Error)
		if !isErr || e.Code != CodeInvalid || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v, want invalid naming %s", c.name, err, c.field)
		}
	}
	a := NewAmendment{Reason: "  padded  ", Supersede: ok}
	if err := a.Validate(); err != nil || a.Reason != "padded" {
		t.Errorf("the reason is not trimmed: %q %v", a.Reason, err)
	}
}

func TestResultStanding(t *testing.T) {
	a, r := uuid.New(), uuid.New()
	for _, c := range []struct {
		res  Result
		want string
	}{{Result{}, "current"}, {Result{SupersededBy: &a, ReplacedBy: &r}, "superseded"}, {Result{SupersededBy: &a}, "withdrawn"},
		{Result{AmendmentID: &a}, "current"}} {
		if got := c.res.Standing(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.res, got, c.want)
		}
	}
}
