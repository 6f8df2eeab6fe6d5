package httpapi

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Amendments: the one way to correct a completed run's results
// (spectra/amendment.go).

type amendRunInput struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Reason    string        `json:"reason" maxLength:"2000" doc:"Why the results are corrected (required, not blank); shown in the run's history and its report."`
		Results   []resultIn    `json:"results,omitempty" maxItems:"1000" doc:"Results to add."`
		Supersede []supersedeIn `json:"supersede,omitempty" maxItems:"1000" doc:"Results to correct (value) or withdraw (withdraw: true)."`
	}
}

type supersedeIn struct {
	ResultID uuid.UUID `json:"result_id" doc:"A current result of this run."`
	Value    *float64  `json:"value,omitempty" doc:"The corrected value (the result's metric, unit, device and time are kept)."`
	Withdraw bool      `json:"withdraw,omitempty" doc:"Withdraw the result: nothing replaces it."`
}

type amendRunOutput struct {
	Body struct {
		Amendment spectra.RunAmendment `json:"amendment"`
		Alerts    []spectra.SPCAlert   `json:"alerts" doc:"SPC alerts the corrected or added values raised."`
	}
}

func (s *server) amendRun(ctx context.Context, in *amendRunInput) (*amendRunOutput, error) {
	b := in.Body
	na := spectra.NewAmendment{Reason: b.Reason, Add: make([]spectra.NewResult, len(b.Results)), Supersede: make([]spectra.Supersession, len(b.Supersede))}
	var fields []spectra.FieldError
	for i, r := range b.Results {
		at := func(f string) string { return fmt.Sprintf("results[%d].%s", i, f) }
		if r.Value == nil {
			fields = append(fields, spectra.FieldError{Field: at("value"), Message: "required"})
		} else {
			na.Add[i].Value = *r.Value
		}
		fields = append(fields, checkResult(r.Metric, r.Unit, at)...)
		na.Add[i].Metric, na.Add[i].Unit, na.Add[i].DeviceID, na.Add[i].MeasuredAt = r.Metric, r.Unit, r.DeviceID, r.MeasuredAt
	}
	if fields != nil {
		return nil, &spectra.Error{Code: spectra.CodeInvalid, Message: fields[0].Field + " " + fields[0].Message, Fields: fields}
	}
	for i, x := range b.Supersede {
		na.Supersede[i] = spectra.Supersession{ResultID: x.ResultID, Value: x.Value, Withdraw: x.Withdraw}
	}
	a, alerts, err := s.store.AmendRun(ctx, s.tenant(ctx), in.ID, na, s.now())
	if err != nil {
		return nil, err
	}
	out := &amendRunOutput{}
	out.Body.Amendment = a
	out.Body.Alerts = append([]spectra.SPCAlert{}, alerts...)
	return out, nil
}
