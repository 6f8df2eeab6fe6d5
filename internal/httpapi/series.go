package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"mime"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// A run's data series (PRODUCT.md §13): uploaded as delimited text or JSON,
// read back whole (JSON or CSV) or downsampled for a plot.

type createDataSeriesInput struct {
	ID          uuid.UUID `path:"id"`
	Name        string    `query:"name" maxLength:"200" doc:"The series' name, for a text/csv body (a JSON body names it itself); default: the first y column's name."`
	ContentType string    `header:"Content-Type"`
	RawBody     []byte    `contentType:"text/csv" doc:"An instrument's file, read by its content: delimited text (CSV, TSV, semicolons) with a header row naming the columns, units in brackets (V [V],I [A]), then rows of numbers, an instrument's preamble and # comments skipped; columns of numbers without a header (an XRD .xy: x, y); or JCAMP-DX (##XYDATA=(X++(Y..Y)) in AFFN or ASDF, or ##XYPOINTS). Or JSON: {name, columns:[{name, unit, values:[…]}]}. At most 1,000,000 rows and 16 columns; the first column is the x. A file no parser reads is refused naming the line."`
}

type dataSeriesOutput struct {
	Body spectra.StoredSeries
}

// dataSeriesUpload is the JSON form of a series upload.
type dataSeriesUpload struct {
	Name    string               `json:"name" minLength:"1" maxLength:"200"`
	Columns []dataSeriesColumnIn `json:"columns" minItems:"2" maxItems:"16"`
}

type dataSeriesColumnIn struct {
	Name   string    `json:"name" minLength:"1" maxLength:"128"`
	Unit   string    `json:"unit,omitempty" maxLength:"32"`
	Values []float64 `json:"values" minItems:"1" maxItems:"1000000"`
}

func (s *server) createDataSeries(ctx context.Context, in *createDataSeriesInput) (*dataSeriesOutput, error) {
	ns, err := parseDataSeriesUpload(in.ContentType, in.Name, in.RawBody)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(in.ContentType)
	if s.files == nil || mt == "application/json" || mt == "" {
		ds, err := s.store.CreateDataSeries(ctx, s.tenant(ctx), in.ID, ns)
		if err != nil {
			return nil, err
		}
		return &dataSeriesOutput{Body: ds}, nil
	}
	// An instrument's file: the series keeps it (PRODUCT.md §13).
	t := s.tenant(ctx)
	owner := spectra.FileOwner{Kind: spectra.FileOfRun, ID: in.ID}
	if err := s.store.CheckFileOwner(ctx, t, owner, true); err != nil {
		return nil, err
	}
	key := blobstore.NewKey()
	if _, err := s.files.Put(ctx, key, bytes.NewReader(in.RawBody)); err != nil {
		return nil, err
	}
	name := spectra.FileName(ns.Name + seriesFileExt[mt])
	out, reused, err := s.store.AttachFile(ctx, t, spectra.NewFile{Owner: owner, Name: name, MediaType: mt,
		Size: int64(len(in.RawBody)), SHA256: sha256.Sum256(in.RawBody), StorageKey: key}, &ns)
	if err != nil {
		s.removeObject(key)
		return nil, err
	}
	if reused != "" {
		s.removeObject(reused)
	}
	return &dataSeriesOutput{Body: *out.Series}, nil
}

// seriesFileExt names the raw file of a series uploaded as a body.
var seriesFileExt = map[string]string{"text/csv": ".csv", "text/tab-separated-values": ".tsv", "text/plain": ".txt",
	"chemical/x-jcamp-dx": ".jdx", "application/octet-stream": ".dat"}

// parseDataSeriesUpload reads an upload's body by its media type.
func parseDataSeriesUpload(contentType, name string, body []byte) (spectra.NewDataSeries, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "text/csv", "text/tab-separated-values", "text/plain", "chemical/x-jcamp-dx", "application/octet-stream":
		_, cols, values, err := dataseries.Parse(body)
		var pe *dataseries.ParseError
		if errors.As(err, &pe) {
			return spectra.NewDataSeries{}, invalid("body", pe.Error())
		}
		if err != nil {
			return spectra.NewDataSeries{}, err
		}
		if name == "" && len(cols) > 1 {
			name = cols[1].Name
		}
		return spectra.NewDataSeries{Name: name, Columns: cols, Values: values}, nil
	case "application/json", "":
		if err := checkJSONText(body); err != nil {
			return spectra.NewDataSeries{}, invalid("body", err.Error())
		}
		var up dataSeriesUpload
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&up); err != nil {
			return spectra.NewDataSeries{}, invalid("body", "the body must be {\"name\", \"columns\":[{\"name\", \"unit\", \"values\":[numbers]}]} with known fields only ("+resultsJSONErrText(err)+")")
		}
		if dec.More() {
			return spectra.NewDataSeries{}, invalid("body", "the body holds more than one JSON value")
		}
		if name != "" && up.Name != "" && name != up.Name {
			return spectra.NewDataSeries{}, invalid("query.name", "names the series otherwise than the body does")
		}
		ns := spectra.NewDataSeries{Name: up.Name}
		if ns.Name == "" {
			ns.Name = name
		}
		for _, c := range up.Columns {
			ns.Columns = append(ns.Columns, spectra.SeriesColumn{Name: c.Name, Unit: c.Unit})
			ns.Values = append(ns.Values, c.Values)
		}
		return ns, nil
	default:
		return spectra.NewDataSeries{}, invalid("header.Content-Type", "must be text/csv, text/tab-separated-values, text/plain, chemical/x-jcamp-dx, application/octet-stream (an instrument file, read by its content) or application/json")
	}
}

type dataSeriesIDInput struct {
	ID uuid.UUID `path:"id"`
}

type dataSeriesValuesOutput struct {
	Body struct {
		spectra.DataSeries
		Values [][]float64 `json:"values" doc:"values[c][r]: column c's value in row r, columns in the order of columns"`
	}
}

func (s *server) getDataSeries(ctx context.Context, in *dataSeriesIDInput) (*dataSeriesValuesOutput, error) {
	ds, values, err := s.store.DataSeriesValues(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	out := &dataSeriesValuesOutput{}
	out.Body.DataSeries, out.Body.Values = ds, values
	return out, nil
}

// dataSeriesCSV writes the series as the delimited text it could be uploaded
// as: the header with units in brackets, then the rows.
func (s *server) dataSeriesCSV(ctx context.Context, in *dataSeriesIDInput) (*reportOutput, error) {
	ds, values, err := s.store.DataSeriesValues(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 24*len(values)*ds.Rows+256)
	for c, col := range ds.Columns {
		if c > 0 {
			b = append(b, ',')
		}
		cell := col.Name
		if col.Unit != "" {
			cell += " [" + col.Unit + "]"
		}
		b = append(b, csvCell(cell)...)
	}
	b = append(b, '\n')
	for r := 0; r < ds.Rows; r++ {
		for c := range values {
			if c > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, values[c][r], 'g', -1, 64)
		}
		b = append(b, '\n')
	}
	return &reportOutput{ContentType: "text/csv; charset=utf-8", CacheControl: "no-store",
		ContentDisposition: `attachment; filename="series-` + ds.ID.String() + `.csv"`, Body: b}, nil
}

// csvCell quotes a header cell that holds a comma, a quote or a line
// break, and defuses one a spreadsheet would run as a formula.
func csvCell(s string) string {
	s = csvSafe(s)
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

type dataSeriesPlotInput struct {
	ID     uuid.UUID `path:"id"`
	Y      int       `query:"y" minimum:"1" maximum:"15" default:"1" doc:"The y column (1 is the column after the x)."`
	Points int       `query:"points" minimum:"3" maximum:"20000" default:"2000" doc:"At most this many points (largest-triangle-three-buckets)."`
	XMin   string    `query:"x_min" doc:"Only rows whose x is at least this (a number)."`
	XMax   string    `query:"x_max" doc:"Only rows whose x is at most this (a number)."`
}

type dataSeriesPlotOutput struct {
	Body spectra.Plot
}

func (s *server) dataSeriesPlot(ctx context.Context, in *dataSeriesPlotInput) (*dataSeriesPlotOutput, error) {
	req := postgres.PlotRequest{Y: in.Y, Points: in.Points}
	for _, b := range []struct {
		field, text string
		dst         **float64
	}{{"query.x_min", in.XMin, &req.XMin}, {"query.x_max", in.XMax, &req.XMax}} {
		if b.text == "" {
			continue
		}
		v, err := strconv.ParseFloat(b.text, 64)
		if err != nil || v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308 {
			return nil, invalid(b.field, "must be a finite number")
		}
		*b.dst = &v
	}
	if req.XMin != nil && req.XMax != nil && *req.XMin > *req.XMax {
		return nil, invalid("query.x_max", "must not be below x_min")
	}
	p, err := s.store.DataSeriesPlot(ctx, s.tenant(ctx), in.ID, req)
	if err != nil {
		return nil, err
	}
	return &dataSeriesPlotOutput{Body: p}, nil
}

type listDataSeriesInput struct {
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor   string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	RecipeID string `query:"recipe_id" format:"uuid" doc:"Series of runs of this recipe."`
	SampleID string `query:"sample_id" format:"uuid" doc:"Series of runs on this sample."`
	Name     string `query:"name" maxLength:"200" doc:"Series of exactly this name."`
}

func (s *server) listDataSeries(ctx context.Context, in *listDataSeriesInput) (*listOutput[spectra.DataSeries], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.DataSeriesFilter{Name: in.Name}
	if in.RecipeID != "" {
		f.RecipeID = uuid.MustParse(in.RecipeID) // validated by the format
	}
	if in.SampleID != "" {
		f.SampleID = uuid.MustParse(in.SampleID)
	}
	items, cursor, err := s.store.ListDataSeries(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.DataSeries]{Body: newList(items, cursor)}, nil
}
