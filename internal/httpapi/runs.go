package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Runs: creation under the calibration lockout, the run life, results.

// lockoutProblem is the 409 of the calibration lockout: the standard
// problem fields plus the instruments that lock the run out. Problem
// cannot carry extra members, so this is its own huma.StatusError.
type lockoutProblem struct {
	Type        string                     `json:"type"`
	Title       string                     `json:"title"`
	Status      int                        `json:"status"`
	Detail      string                     `json:"detail"`
	Instance    string                     `json:"instance,omitempty"`
	RequestID   string                     `json:"request_id,omitempty"`
	Code        spectra.Code               `json:"code"`
	Instruments []spectra.LapsedInstrument `json:"instruments" doc:"Each instrument whose calibration has expired or is missing."`
}

func (p *lockoutProblem) Error() string { return p.Detail }

// GetStatus makes the lockout a huma.StatusError.
func (p *lockoutProblem) GetStatus() int { return p.Status }

// ContentType sends it as application/problem+json.
func (p *lockoutProblem) ContentType(string) string { return problemJSON }

// lockout turns the store's *spectra.LockoutError into the problem the
// client sees; any other error passes through.
func lockout(ctx context.Context, path string, err error) error {
	var lo *spectra.LockoutError
	if !errors.As(err, &lo) {
		return err
	}
	names := make([]string, len(lo.Instruments))
	for i, in := range lo.Instruments {
		names[i] = fmt.Sprintf("%s (calibration %s)", in.Name, in.State)
	}
	return &lockoutProblem{Type: "about:blank", Title: http.StatusText(http.StatusConflict), Status: http.StatusConflict,
		Detail:   "calibration lockout: " + strings.Join(names, ", ") + " may not be used until recalibrated",
		Instance: path, RequestID: RequestID(ctx), Code: spectra.CodeConflict, Instruments: lo.Instruments}
}

type listRunsInput struct {
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor   string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Status   string `query:"status" doc:"One of the run statuses (documentAnalysis lists them from the domain)."`
	SampleID string `query:"sample_id" format:"uuid"`
	RecipeID string `query:"recipe_id" format:"uuid"`
}

type createRunInput struct {
	Body struct {
		RecipeID      uuid.UUID      `json:"recipe_id" doc:"An approved recipe."`
		SampleID      uuid.UUID      `json:"sample_id"`
		InstrumentIDs []uuid.UUID    `json:"instrument_ids" minItems:"1" maxItems:"20" uniqueItems:"true"`
		Parameters    map[string]any `json:"parameters" doc:"Values of the recipe's parameters; a missing one takes its default."`
		Notes         string         `json:"notes,omitempty" maxLength:"10000"`
	}
}

type runTransitionInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the run as last read; a stale one answers 412."`
	Body    *struct {
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	}
}

type runOutput struct {
	ETag string `header:"ETag"`
	Body spectra.RunDetail
}

// runAnswer is the answer of a run for the caller: with the actions the
// domain allows them.
func runAnswer(ctx context.Context, d spectra.RunDetail) *runOutput {
	p, _ := PrincipalFrom(ctx)
	d.AllowedActions = d.Actions(p)
	return &runOutput{ETag: etag(d.Version), Body: d}
}

func (s *server) listRuns(ctx context.Context, in *listRunsInput) (*listOutput[spectra.Run], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.RunFilter{Status: spectra.RunStatus(in.Status)}
	if f.Status != "" && !f.Status.Valid() {
		return nil, invalid("status", "must be a run status")
	}
	if in.SampleID != "" {
		f.SampleID = uuid.MustParse(in.SampleID) // validated by the format
	}
	if in.RecipeID != "" {
		f.RecipeID = uuid.MustParse(in.RecipeID)
	}
	items, cursor, err := s.store.ListRuns(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	p, _ := PrincipalFrom(ctx)
	for i := range items {
		items[i].AllowedActions = items[i].Actions(p)
	}
	return &listOutput[spectra.Run]{Body: newList(items, cursor)}, nil
}

func (s *server) getRun(ctx context.Context, in *analysisIDInput) (*runOutput, error) {
	d, err := s.store.RunDetail(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return runAnswer(ctx, d), nil
}

func (s *server) createRun(ctx context.Context, in *createRunInput) (*runOutput, error) {
	b := in.Body
	if len(b.InstrumentIDs) == 0 {
		// null passes the schema's minItems; a run needs an instrument.
		return nil, invalid("instrument_ids", "name at least one instrument")
	}
	d, err := s.store.CreateRun(ctx, s.tenant(ctx), spectra.NewRun{RecipeID: b.RecipeID, SampleID: b.SampleID,
		InstrumentIDs: b.InstrumentIDs, Parameters: b.Parameters, Notes: b.Notes}, s.now())
	if err != nil {
		return nil, lockout(ctx, "/api/analysis/runs", err)
	}
	return runAnswer(ctx, d), nil
}

// runAction builds the handler of one step of the run life.
func (s *server) runAction(a spectra.RunAction) func(context.Context, *runTransitionInput) (*runOutput, error) {
	return func(ctx context.Context, in *runTransitionInput) (*runOutput, error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		c := spectra.RunChange{Action: a, IfVersion: version, Now: s.now()}
		if in.Body != nil {
			c.Reason = in.Body.Reason
		}
		d, err := s.store.TransitionRun(ctx, s.tenant(ctx), in.ID, c)
		if err != nil {
			return nil, lockout(ctx, "/api/analysis/runs/"+in.ID.String()+"/"+string(a), err)
		}
		return runAnswer(ctx, d), nil
	}
}

// maxResults bounds one upload.
const maxResults = 10000

type uploadResultsInput struct {
	ID          uuid.UUID `path:"id"`
	ContentType string    `header:"Content-Type"`
	RawBody     []byte    `contentType:"text/csv" doc:"{\"results\":[{metric, value, unit, device_id?, measured_at?}]}, or text/csv with the header metric,value,unit,device_id,measured_at (unit, device_id and measured_at optional)."`
}

type resultIn struct {
	Metric     string     `json:"metric" minLength:"1" maxLength:"128"`
	Value      *float64   `json:"value"`
	Unit       string     `json:"unit,omitempty" maxLength:"32"`
	DeviceID   *uuid.UUID `json:"device_id,omitempty"`
	MeasuredAt *time.Time `json:"measured_at,omitempty"`
}

type uploadResultsOutput struct {
	Body struct {
		Results []spectra.Result   `json:"results"`
		Alerts  []spectra.SPCAlert `json:"alerts" doc:"SPC alerts the new points raised."`
	}
}

func (s *server) uploadResults(ctx context.Context, in *uploadResultsInput) (*uploadResultsOutput, error) {
	mt, _, _ := mime.ParseMediaType(in.ContentType)
	var results []spectra.NewResult
	var err error
	switch mt {
	case "text/csv":
		results, err = parseResultsCSV(in.RawBody)
	case "application/json", "":
		if err := validateJSON[resultsUpload](s.api, in.RawBody); err != nil {
			return nil, err
		}
		results, err = parseResultsJSON(in.RawBody)
	default:
		return nil, invalid("header.Content-Type", "must be application/json or text/csv")
	}
	if err != nil {
		return nil, err
	}
	res, alerts, err := s.store.AddResults(ctx, s.tenant(ctx), in.ID, results, s.now())
	if err != nil {
		return nil, err
	}
	out := &uploadResultsOutput{}
	out.Body.Results = append([]spectra.Result{}, res...)
	out.Body.Alerts = append([]spectra.SPCAlert{}, alerts...)
	return out, nil
}

// resultsUpload is the JSON form of a results upload.
type resultsUpload struct {
	Results []resultIn `json:"results" minItems:"1" maxItems:"10000"`
}

func parseResultsJSON(raw []byte) ([]spectra.NewResult, error) {
	if err := checkJSONText(raw); err != nil {
		return nil, invalid("results", err.Error())
	}
	var body resultsUpload
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, invalid("results", "the body must be {\"results\":[…]} with known fields only ("+resultsJSONErrText(err)+")")
	}
	if dec.More() {
		return nil, invalid("results", "the body holds more than one JSON value")
	}
	if len(body.Results) == 0 || len(body.Results) > maxResults {
		return nil, invalid("results", fmt.Sprintf("must hold between 1 and %d results", maxResults))
	}
	out := make([]spectra.NewResult, len(body.Results))
	var fields []spectra.FieldError
	var se *spectra.Error
	if errors.As(checkValue("results", body.Results), &se) { // values at the edge
		fields = append(fields, se.Fields...)
	}
	for i, r := range body.Results {
		at := func(f string) string { return fmt.Sprintf("results[%d].%s", i, f) }
		if r.Value == nil {
			fields = append(fields, spectra.FieldError{Field: at("value"), Message: "required"})
		} else {
			out[i].Value = *r.Value
		}
		fields = append(fields, checkResult(r.Metric, r.Unit, at)...)
		out[i].Metric, out[i].Unit, out[i].DeviceID, out[i].MeasuredAt = r.Metric, r.Unit, r.DeviceID, r.MeasuredAt
	}
	if fields != nil {
		return nil, &spectra.Error{Code: spectra.CodeInvalid, Message: "some results are invalid", Fields: fields}
	}
	return out, nil
}

// resultsJSONErrText describes a decoding error without echoing values.
func resultsJSONErrText(err error) string {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return ute.Field + " has the wrong type"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "not valid JSON"
}

func checkResult(metric, unit string, at func(string) string) []spectra.FieldError {
	var fields []spectra.FieldError
	if metric == "" || len(metric) > 128 {
		fields = append(fields, spectra.FieldError{Field: at("metric"), Message: "required, at most 128 characters"})
	}
	if len(unit) > 32 {
		fields = append(fields, spectra.FieldError{Field: at("unit"), Message: "at most 32 characters"})
	}
	for _, fv := range [][2]string{{"metric", metric}, {"unit", unit}} {
		if msg := spectra.CheckText(fv[1]); msg != "" {
			fields = append(fields, spectra.FieldError{Field: at(fv[0]), Message: msg})
		}
	}
	return fields
}

// parseResultsCSV reads results from CSV with a header line. Errors name
// the line and column, e.g. "line 3.value".
func parseResultsCSV(raw []byte) ([]spectra.NewResult, error) {
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, invalid("line 1", "a header line (metric,value,unit,device_id,measured_at) is required")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "metric", "value", "unit", "device_id", "measured_at":
			if _, dup := col[h]; dup {
				return nil, invalid("line 1", "column "+h+" appears twice")
			}
			col[h] = i
		default:
			return nil, invalid("line 1", fmt.Sprintf("unknown column %q", h))
		}
	}
	if _, ok := col["metric"]; !ok {
		return nil, invalid("line 1", "the metric column is required")
	}
	if _, ok := col["value"]; !ok {
		return nil, invalid("line 1", "the value column is required")
	}
	var out []spectra.NewResult
	var fields []spectra.FieldError
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		at := func(f string) string { return fmt.Sprintf("line %d.%s", line, f) }
		if err != nil {
			return nil, invalid(fmt.Sprintf("line %d", line), "is not valid CSV")
		}
		if len(rec) != len(header) {
			fields = append(fields, spectra.FieldError{Field: fmt.Sprintf("line %d", line), Message: fmt.Sprintf("has %d fields; the header has %d", len(rec), len(header))})
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		nr := spectra.NewResult{Metric: get("metric"), Unit: get("unit")}
		fields = append(fields, checkResult(nr.Metric, nr.Unit, at)...)
		v, err := strconv.ParseFloat(get("value"), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			fields = append(fields, spectra.FieldError{Field: at("value"), Message: "must be a finite number"})
		}
		nr.Value = v
		if d := get("device_id"); d != "" {
			id, err := uuid.Parse(d)
			if err != nil {
				fields = append(fields, spectra.FieldError{Field: at("device_id"), Message: "must be a UUID"})
			}
			nr.DeviceID = &id
		}
		if m := get("measured_at"); m != "" {
			ts, err := time.Parse(time.RFC3339, m)
			if err != nil {
				fields = append(fields, spectra.FieldError{Field: at("measured_at"), Message: "must be an RFC 3339 time"})
			} else if msg := spectra.CheckTime(ts); msg != "" {
				fields = append(fields, spectra.FieldError{Field: at("measured_at"), Message: msg})
			}
			nr.MeasuredAt = &ts
		}
		out = append(out, nr)
		if len(out) > maxResults {
			return nil, invalid("results", fmt.Sprintf("at most %d results per upload", maxResults))
		}
	}
	if fields != nil {
		return nil, &spectra.Error{Code: spectra.CodeInvalid, Message: "some lines are invalid", Fields: fields}
	}
	if len(out) == 0 {
		return nil, invalid("results", "the CSV holds no results")
	}
	return out, nil
}
