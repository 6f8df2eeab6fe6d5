package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Run reports: CSV for spreadsheets, HTML for printing. Both show the
// certificates that were effective when the run was created.

type reportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	CacheControl       string `header:"Cache-Control"`
	Body               []byte
}

func (s *server) runReportCSV(ctx context.Context, in *analysisIDInput) (*reportOutput, error) {
	d, err := s.store.RunDetail(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	// standing marks a row an amendment superseded (corrected: its
	// replacement is another row) or withdrew; amendment_id names the
	// amendment that added a row, superseded_by the one that superseded it.
	_ = w.Write([]string{"run_id", "recipe", "recipe_revision", "sample_barcode", "status", "metric", "value", "unit", "device_id", "measured_at",
		"standing", "amendment_id", "superseded_by"})
	id := func(u *uuid.UUID) string {
		if u == nil {
			return ""
		}
		return u.String()
	}
	for _, r := range d.Results {
		_ = w.Write([]string{d.ID.String(), csvSafe(d.RecipeName), strconv.Itoa(d.RecipeRevision), csvSafe(d.SampleBarcode), string(d.Status),
			csvSafe(r.Metric), strconv.FormatFloat(r.Value, 'g', -1, 64), csvSafe(r.Unit), id(r.DeviceID), r.MeasuredAt.UTC().Format(time.RFC3339Nano),
			r.Standing(), id(r.AmendmentID), id(r.SupersededBy)})
	}
	w.Flush()
	return &reportOutput{ContentType: "text/csv; charset=utf-8", CacheControl: "no-store",
		ContentDisposition: `attachment; filename="run-` + d.ID.String() + `.csv"`, Body: b.Bytes()}, nil
}

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

var runReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 MST")
	},
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	// ptr lets the time function take a result's non-pointer time.
	"ptr": func(t time.Time) *time.Time { return &t },
	// change words what an amendment did to one result.
	"change": func(c spectra.AmendmentChange) string {
		v := func(f *float64) string {
			if f == nil {
				return "—"
			}
			return strings.TrimSpace(strconv.FormatFloat(*f, 'g', -1, 64) + " " + c.Unit)
		}
		switch c.Kind {
		case spectra.ChangeCorrected:
			return "corrected " + v(c.OldValue) + " → " + v(c.NewValue)
		case spectra.ChangeWithdrawn:
			return "withdrew " + v(c.OldValue)
		}
		return "added " + v(c.NewValue)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Run {{.ID}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}
th,td{border:1px solid #999;padding:.25em .5em;text-align:left}@media print{a{color:inherit}}</style></head>
<body>
<h1>Run report</h1>
<table>
<tr><th>Run</th><td>{{.ID}}</td></tr>
<tr><th>Status</th><td>{{.Status}}{{with .BlockedReason}} ({{.}}){{end}}</td></tr>
<tr><th>Recipe</th><td>{{.RecipeName}}, revision {{.RecipeRevision}}</td></tr>
<tr><th>Sample</th><td>{{.SampleBarcode}} — {{.SampleName}}</td></tr>
<tr><th>Started</th><td>{{time .StartedAt}}</td></tr>
<tr><th>Finished</th><td>{{time .FinishedAt}}</td></tr>
<tr><th>Notes</th><td>{{.Notes}}</td></tr>
</table>
<h2>Parameters</h2>
<table><tr><th>Name</th><th>Value</th></tr>
{{range $k, $v := .Parameters}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>
{{end}}</table>
<h2>Instruments</h2>
<table><tr><th>Instrument</th><th>Kind</th><th>Serial</th><th>Certificate</th><th>Provider</th><th>Issued</th><th>Expires</th></tr>
{{range .Instruments}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Serial}}</td>
{{with .Certificate}}<td>{{.CertificateNumber}}</td><td>{{.Provider}}</td><td>{{date .IssuedAt}}</td><td>{{date .ExpiresAt}}</td>
{{else}}<td colspan="4">{{if .CalibrationRequired}}none{{else}}not required{{end}}</td>{{end}}</tr>
{{end}}</table>
<h2>Results</h2>
<table><tr><th>Metric</th><th>Value</th><th>Unit</th><th>Device</th><th>Measured</th><th>Standing</th></tr>
{{range .Results}}<tr><td>{{.Metric}}</td><td>{{if .SupersededBy}}<s>{{.Value}}</s>{{else}}{{.Value}}{{end}}</td><td>{{.Unit}}</td><td>{{with .DeviceID}}{{.}}{{end}}</td><td>{{time (ptr .MeasuredAt)}}</td><td>{{.Standing}}{{if .AmendmentID}} (by amendment){{end}}</td></tr>
{{else}}<tr><td colspan="6">No results.</td></tr>
{{end}}</table>
<h2>Amendments</h2>
{{range .Amendments}}<p><strong>{{time (ptr .CreatedAt)}}</strong>, {{or .AuthorName "system"}}: {{.Reason}}</p>
<ul>{{range .Changes}}<li>{{.Metric}}: {{change .}}</li>{{end}}</ul>
{{else}}<p>None.</p>
{{end}}</body></html>
`))

func (s *server) runReportHTML(ctx context.Context, in *analysisIDInput) (*reportOutput, error) {
	d, err := s.store.RunDetail(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := runReport.Execute(&b, d); err != nil {
		return nil, err
	}
	return &reportOutput{ContentType: "text/html; charset=utf-8", CacheControl: "no-store", Body: b.Bytes()}, nil
}
