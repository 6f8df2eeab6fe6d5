package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// SPC: series, points and the alerts of the Western Electric rules.

type listSeriesInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Metric string `query:"metric" maxLength:"128"`
}

type createSeriesInput struct {
	Body struct {
		Name         string     `json:"name" minLength:"1" maxLength:"200"`
		Metric       string     `json:"metric" minLength:"1" maxLength:"128" doc:"Run results of this metric become points."`
		Unit         string     `json:"unit,omitempty" maxLength:"32"`
		InstrumentID *uuid.UUID `json:"instrument_id,omitempty" doc:"Only runs on this instrument feed the series."`
		RecipeID     *uuid.UUID `json:"recipe_id,omitempty" doc:"Only runs of this recipe feed the series."`
		CenterLine   *float64   `json:"center_line,omitempty" doc:"With sigma; or give baseline_size instead."`
		Sigma        *float64   `json:"sigma,omitempty" exclusiveMinimum:"0"`
		BaselineSize int        `json:"baseline_size,omitempty" minimum:"2" maximum:"10000" doc:"Compute centre line and sigma from this many latest results of the metric."`
	}
}

type seriesOutput struct {
	Body spectra.SPCSeries
}

type seriesPointsInput struct {
	ID    uuid.UUID `path:"id"`
	Limit int       `query:"limit" minimum:"1" maximum:"10000" default:"1000" doc:"The latest this many points."`
}

type seriesPointsOutput struct {
	Body struct {
		Items []spectra.SPCPoint `json:"items" doc:"Newest first."`
	}
}

// PointIn is one measurement added to a series by hand.
type PointIn struct {
	TS    *time.Time `json:"ts,omitempty" doc:"Default: now."`
	Value float64    `json:"value"`
}

type addPointsInput struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Points []PointIn `json:"points" minItems:"1" maxItems:"1000"`
	}
}

type addPointsOutput struct {
	Body struct {
		Points []spectra.SPCPoint `json:"points"`
		Alerts []spectra.SPCAlert `json:"alerts" doc:"Alerts the new points raised."`
	}
}

type listAlertsInput struct {
	Limit        int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor       string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	SeriesID     string `query:"series_id" format:"uuid"`
	Acknowledged string `query:"acknowledged" enum:"true,false," doc:"Default false: open alerts."`
}

type acknowledgeInput struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Comment string `json:"comment" minLength:"1" maxLength:"2000" doc:"What was found, what was done."`
	}
}

type alertOutput struct {
	Body spectra.SPCAlert
}

func (s *server) listSeries(ctx context.Context, in *listSeriesInput) (*listOutput[spectra.SPCSeries], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListSeries(ctx, s.tenant(ctx), in.Metric, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.SPCSeries]{Body: newList(items, cursor)}, nil
}

func (s *server) getSeries(ctx context.Context, in *analysisIDInput) (*seriesOutput, error) {
	se, err := s.store.Series(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &seriesOutput{Body: se}, nil
}

func (s *server) createSeries(ctx context.Context, in *createSeriesInput) (*seriesOutput, error) {
	b := in.Body
	se := spectra.SPCSeries{Name: b.Name, Metric: b.Metric, Unit: b.Unit, InstrumentID: b.InstrumentID, RecipeID: b.RecipeID}
	switch {
	case b.BaselineSize > 0 && (b.CenterLine != nil || b.Sigma != nil):
		return nil, invalid("baseline_size", "give either baseline_size or center_line and sigma, not both")
	case b.BaselineSize == 0 && b.CenterLine == nil:
		return nil, invalid("center_line", "required unless baseline_size is given")
	case b.BaselineSize == 0 && b.Sigma == nil:
		return nil, invalid("sigma", "required unless baseline_size is given")
	case b.BaselineSize == 0:
		se.CenterLine, se.Sigma = *b.CenterLine, *b.Sigma
	}
	out, err := s.store.CreateSeries(ctx, s.tenant(ctx), se, b.BaselineSize)
	if err != nil {
		return nil, err
	}
	return &seriesOutput{Body: out}, nil
}

func (s *server) seriesPoints(ctx context.Context, in *seriesPointsInput) (*seriesPointsOutput, error) {
	items, err := s.store.SeriesPoints(ctx, s.tenant(ctx), in.ID, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &seriesPointsOutput{}
	out.Body.Items = append([]spectra.SPCPoint{}, items...)
	return out, nil
}

func (s *server) addPoints(ctx context.Context, in *addPointsInput) (*addPointsOutput, error) {
	now := s.now()
	points := make([]spectra.NewSPCPoint, len(in.Body.Points))
	for i, p := range in.Body.Points {
		points[i] = spectra.NewSPCPoint{TS: now, Value: p.Value}
		if p.TS != nil {
			points[i].TS = *p.TS
		}
	}
	ps, alerts, err := s.store.AddPoints(ctx, s.tenant(ctx), in.ID, points)
	if err != nil {
		return nil, err
	}
	out := &addPointsOutput{}
	out.Body.Points = append([]spectra.SPCPoint{}, ps...)
	out.Body.Alerts = append([]spectra.SPCAlert{}, alerts...)
	return out, nil
}

func (s *server) listAlerts(ctx context.Context, in *listAlertsInput) (*listOutput[spectra.SPCAlert], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	var f spectra.SPCAlertFilter
	if in.SeriesID != "" {
		f.SeriesID = uuid.MustParse(in.SeriesID) // validated by the format
	}
	if in.Acknowledged != "" {
		a := in.Acknowledged == "true"
		f.Acknowledged = &a
	}
	items, cursor, err := s.store.ListAlerts(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.SPCAlert]{Body: newList(items, cursor)}, nil
}

func (s *server) acknowledgeAlert(ctx context.Context, in *acknowledgeInput) (*alertOutput, error) {
	a, err := s.store.AcknowledgeAlert(ctx, s.tenant(ctx), in.ID, in.Body.Comment)
	if err != nil {
		return nil, err
	}
	return &alertOutput{Body: a}, nil
}
