package spectra

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Amendments (PRODUCT.md §13): a completed run's results are immutable; a
// correction is an amendment with a reason. It may correct a result (a new
// result with the corrected value replaces it), withdraw one (nothing
// replaces it) and add results. The superseded result is kept as it was
// and marked superseded; the run's history and its report show the
// amendment. Correcting a measured result does not recompute the results
// derived from the run's data series (a derivation reads the series, not
// the scalar); an SPC point of a superseded result leaves the control
// chart, and a correction's value takes its place (same time).

// MaxAmendmentReason bounds an amendment's reason, in characters.
const MaxAmendmentReason = 2000

// ChangeKind says what an amendment did to one result.
type ChangeKind string

// The kinds of change.
const (
	ChangeCorrected ChangeKind = "corrected"
	ChangeWithdrawn ChangeKind = "withdrawn"
	ChangeAdded     ChangeKind = "added"
)

// RunAmendment is one correction of a completed run.
type RunAmendment struct {
	ID         uuid.UUID         `json:"id"`
	RunID      uuid.UUID         `json:"run_id"`
	Reason     string            `json:"reason"`
	AuthorID   *uuid.UUID        `json:"author_id" nullable:"true"`
	AuthorName string            `json:"author_name" doc:"The author's display name (empty for a system actor)."`
	CreatedAt  time.Time         `json:"created_at"`
	Changes    []AmendmentChange `json:"changes" doc:"What the amendment changed, result by result."`
}

// AmendmentChange is what an amendment did to one result: the value
// before (corrected, withdrawn) and after (corrected, added).
type AmendmentChange struct {
	Kind        ChangeKind `json:"kind" enum:"corrected,withdrawn,added"`
	Metric      string     `json:"metric"`
	Unit        string     `json:"unit"`
	ResultID    *uuid.UUID `json:"result_id" nullable:"true" doc:"The superseded result; null for an addition."`
	NewResultID *uuid.UUID `json:"new_result_id" nullable:"true" doc:"The result the amendment added (the correction, or the addition); null for a withdrawal."`
	OldValue    *float64   `json:"old_value"`
	NewValue    *float64   `json:"new_value"`
}

// NewAmendment is a correction to write: why, the results it adds and
// the results it supersedes.
type NewAmendment struct {
	Reason    string
	Add       []NewResult
	Supersede []Supersession
}

// Supersession supersedes one result: with Value, by a correction; with
// Withdraw, by nothing.
type Supersession struct {
	ResultID uuid.UUID
	Value    *float64
	Withdraw bool
}

// Validate checks an amendment on its own (the store checks it against
// the run): a reason that is not blank and at most MaxAmendmentReason
// characters, at least one change, each supersession either a finite
// value or a withdrawal, no result named twice, each added result a
// metric and a finite value. Errors are CodeInvalid naming the field as
// the API's body names it (reason, supersede[1].value, results[0].metric).
func (a *NewAmendment) Validate() error {
	var fields []FieldError
	add := func(field, msg string) { fields = append(fields, FieldError{Field: field, Message: msg}) }
	a.Reason = strings.TrimSpace(a.Reason)
	switch {
	case a.Reason == "":
		add("reason", "required: say why the run's results are corrected")
	case CheckText(a.Reason) != "":
		add("reason", CheckText(a.Reason))
	case utf8.RuneCountInString(a.Reason) > MaxAmendmentReason:
		add("reason", fmt.Sprintf("at most %d characters", MaxAmendmentReason))
	}
	if len(a.Add) == 0 && len(a.Supersede) == 0 {
		add("supersede", "an amendment corrects, withdraws or adds at least one result")
	}
	seen := map[uuid.UUID]bool{}
	for i, s := range a.Supersede {
		at := func(f string) string { return fmt.Sprintf("supersede[%d].%s", i, f) }
		switch {
		case s.ResultID == uuid.Nil:
			add(at("result_id"), "required")
		case seen[s.ResultID]:
			add(at("result_id"), "names a result already named in this amendment")
		}
		seen[s.ResultID] = true
		switch {
		case s.Withdraw && s.Value != nil:
			add(at("value"), "a withdrawn result takes no value")
		case !s.Withdraw && s.Value == nil:
			add(at("value"), "required, unless withdraw is true")
		case s.Value != nil && CheckFloat(*s.Value) != "":
			add(at("value"), CheckFloat(*s.Value))
		}
	}
	for i, r := range a.Add {
		at := func(f string) string { return fmt.Sprintf("results[%d].%s", i, f) }
		if r.Metric == "" || utf8.RuneCountInString(r.Metric) > 128 || CheckText(r.Metric) != "" {
			add(at("metric"), "required, at most 128 characters of text")
		}
		if msg := CheckFloat(r.Value); msg != "" {
			add(at("value"), msg)
		}
		if len(r.Unit) > 32 || CheckText(r.Unit) != "" {
			add(at("unit"), "at most 32 characters of text")
		}
		if r.MeasuredAt != nil && CheckTime(*r.MeasuredAt) != "" {
			add(at("measured_at"), CheckTime(*r.MeasuredAt))
		}
	}
	if fields != nil {
		return &Error{Code: CodeInvalid, Message: fields[0].Field + " " + fields[0].Message, Fields: fields}
	}
	return nil
}

// Standing says whether a result is current, corrected (an amendment
// replaced its value) or withdrawn (an amendment withdrew it): the one
// wording the reports use.
func (r Result) Standing() string {
	switch {
	case r.SupersededBy == nil:
		return "current"
	case r.ReplacedBy != nil:
		return "superseded"
	}
	return "withdrawn"
}
