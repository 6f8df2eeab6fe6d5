package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Run reports: CSV for spreadsheets; the printable HTML and the PDF, both
// rendered from the one spectra.RunReport that the store gathers
// (runReport), with the certificates in effect when the run started.

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

// runReport gathers the report of run id, its plots at reportPlotPoints.
func (s *server) runReport(ctx context.Context, id uuid.UUID) (spectra.RunReport, error) {
	return s.store.RunReport(ctx, s.tenant(ctx), id, reportPlotPoints, s.now())
}

//go:embed report.css
var reportCSS []byte

// reportCSSPath is where the report's stylesheet is served. The report
// links it rather than inlining it, so that it is styled under the app's
// Content-Security-Policy (style-src 'self', no inline styles).
const reportCSSPath = "/api/analysis/report.css"

type reportCSSOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

func (s *server) runReportStyles(context.Context, *struct{}) (*reportCSSOutput, error) {
	return &reportCSSOutput{ContentType: "text/css; charset=utf-8", CacheControl: "public, max-age=3600", Body: reportCSS}, nil
}

// reportTime formats a time as the reports print it, in UTC.
func reportTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

func reportTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return reportTime(*t)
}

// reportNumber prints a value with up to 6 significant digits.
func reportNumber(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// reportSource says where a result came from, in the reports' words.
func reportSource(r spectra.ReportResult) string {
	if r.Source != "derived" {
		return "measured"
	}
	if r.SeriesName != "" {
		return "derived: " + r.Method + " of " + r.SeriesName
	}
	return "derived: " + r.Method
}

// reportTransition prints a status change, "running → completed".
func reportTransition(h spectra.ReportTransition) string {
	if h.From == nil {
		return string(h.To)
	}
	return string(*h.From) + " → " + string(h.To)
}

// reportSummary is the run's key facts, as label–value rows: the first
// table of both renderings.
func reportSummary(r spectra.RunReport) [][2]string {
	d := r.Run
	status := string(d.Status)
	if d.BlockedReason != nil {
		status += " (" + *d.BlockedReason + ")"
	}
	rows := [][2]string{
		{"Lab", r.Lab},
		{"Run", d.ID.String()},
		{"Status", status},
		{"Sample", d.SampleBarcode + " — " + d.SampleName},
		{"Recipe", fmt.Sprintf("%s, revision %d (%s now)", r.Recipe.Name, r.Recipe.Revision, r.Recipe.Status)},
		{"Operator", r.Operator.Label()},
		{"Planned by", r.CreatedBy.Label() + ", " + reportTime(d.CreatedAt)},
		{"Started", reportTimePtr(d.StartedAt)},
		{"Finished", reportTimePtr(d.FinishedAt)},
	}
	if d.Notes != "" {
		rows = append(rows, [2]string{"Notes", d.Notes})
	}
	return rows
}

// reportApproval is the recipe revision's approval as label–value rows;
// none when it was never approved.
func reportApproval(r spectra.RunReport) [][2]string {
	a := r.Recipe.Approval
	if a == nil {
		return nil
	}
	by := a.ApproverName
	if by == "" {
		by = a.ApproverEmail
	}
	rows := [][2]string{{"Approved by", by + " (" + string(a.ApproverRole) + ")"}, {"Approved at", reportTime(a.ApprovedAt)}}
	if a.Comment != "" {
		rows = append(rows, [2]string{"Comment", a.Comment})
	}
	if s := a.Signature; s != nil {
		rows = append(rows, [2]string{"Signature", fmt.Sprintf("%s, %s, by %s", s.Meaning, reportTime(s.SignedAt), s.AuthMethod)},
			[2]string{"Signed content", signatureCheck(s.Matches)})
	} else {
		rows = append(rows, [2]string{"Signature", "none (approved before signatures were required)"})
	}
	return rows
}

func signatureCheck(matches bool) string {
	if matches {
		return "unchanged since signing"
	}
	return "CHANGED since signing"
}

// reportCertificate is an instrument's certificate in effect at the
// start, in one line.
func reportCertificate(i spectra.RunInstrument) string {
	c := i.Certificate
	switch {
	case c != nil:
		return fmt.Sprintf("%s (%s), %s to %s", c.CertificateNumber, c.Provider, c.IssuedAt.UTC().Format(time.DateOnly), c.ExpiresAt.UTC().Format(time.DateOnly))
	case i.CalibrationRequired:
		return "none"
	}
	return "not required"
}

// reportPage is what the HTML template reads.
type reportPage struct {
	spectra.RunReport
	Summary, Approval [][2]string
	Plots             []template.HTML
	Stylesheet        string
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": reportTime, "num": reportNumber, "source": reportSource, "transition": reportTransition,
	"certificate": reportCertificate, "check": signatureCheck,
	"person": func(p *spectra.Person) string { return p.Label() },
	"change": amendmentChange,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Run report {{.Run.ID}} — {{.Lab}}</title>
<link rel="stylesheet" href="{{.Stylesheet}}"></head>
<body class="report">
<header><h1>Run report</h1><p class="lab">{{.Lab}}</p>
<p class="generated">Generated {{time .GeneratedAt}}</p></header>
<section id="summary"><h2>Run</h2>
<table class="facts">{{range .Summary}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table></section>
<section id="recipe"><h2>Recipe and its approval</h2>
<p>{{.Recipe.Name}}, revision {{.Recipe.Revision}}{{with .Recipe.Description}}: {{.}}{{end}}</p>
{{if .Approval}}<table class="facts">{{range .Approval}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>{{else}}<p>This revision has no approval on record.</p>{{end}}</section>
<section id="instruments"><h2>Instruments and certificates in effect at the start</h2>
<table><thead><tr><th>Instrument</th><th>Kind</th><th>Serial</th><th>Certificate</th></tr></thead><tbody>
{{range .Run.Instruments}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Serial}}</td><td>{{certificate .}}</td></tr>
{{else}}<tr><td colspan="4">No instruments.</td></tr>
{{end}}</tbody></table></section>
<section id="parameters"><h2>Parameters</h2>
<table><thead><tr><th>Name</th><th>Value</th><th>Unit</th></tr></thead><tbody>
{{range .Parameters}}<tr><td>{{.Name}}</td><td class="num">{{num .Value}}</td><td>{{.Unit}}</td></tr>
{{else}}<tr><td colspan="3">No parameters.</td></tr>
{{end}}</tbody></table></section>
<section id="results"><h2>Results</h2>
<table><thead><tr><th>Metric</th><th>Value</th><th>Unit</th><th>Source</th><th>Measured</th><th>Standing</th></tr></thead><tbody>
{{range .Results}}<tr><td>{{.Metric}}</td><td class="num">{{if .SupersededBy}}<s>{{num .Value}}</s>{{else}}{{num .Value}}{{end}}</td><td>{{.Unit}}</td><td>{{source .}}</td><td>{{time .MeasuredAt}}</td><td>{{.Standing}}{{if .AmendmentID}} (by amendment){{end}}</td></tr>
{{else}}<tr><td colspan="6">No results.</td></tr>
{{end}}</tbody></table></section>
<section id="amendments"><h2>Amendments</h2>
{{range .Run.Amendments}}<p><strong>{{time .CreatedAt}}</strong>, {{or .AuthorName "system"}}: {{.Reason}}</p>
<ul>{{range .Changes}}<li>{{.Metric}}: {{change .}}</li>{{end}}</ul>
{{else}}<p>None.</p>
{{end}}</section>
<section id="data"><h2>Data</h2>
{{range .Plots}}{{.}}
{{else}}<p>No data series.</p>{{end}}</section>
<section id="signatures"><h2>Signatures</h2>
<table><thead><tr><th>Signed</th><th>Signer</th><th>Meaning</th><th>When</th><th>Content</th></tr></thead><tbody>
{{range .Signatures}}<tr><td>{{.Subject}}</td><td>{{.Signer.Label}} ({{.Role}})</td><td>{{.Meaning}}</td><td>{{time .SignedAt}}</td>
<td>{{check .Matches}}<br><code>{{.Scheme}} sha256 {{.ContentSHA256}}</code></td></tr>
{{else}}<tr><td colspan="5">No signatures.</td></tr>
{{end}}</tbody></table></section>
<section id="history"><h2>History</h2>
<table><thead><tr><th>Status</th><th>By</th><th>When</th><th>Reason</th></tr></thead><tbody>
{{range .History}}<tr><td>{{transition .}}</td><td>{{person .Actor}}</td><td>{{time .At}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table></section>
</body></html>
`))

func (s *server) runReportHTML(ctx context.Context, in *analysisIDInput) (*reportOutput, error) {
	r, err := s.runReport(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	page := reportPage{RunReport: r, Summary: reportSummary(r), Approval: reportApproval(r), Stylesheet: reportCSSPath}
	for i, p := range r.Plots {
		page.Plots = append(page.Plots, plotSVG(newPlotFrame(seriesName(r, p), p), i))
	}
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, page); err != nil {
		return nil, err
	}
	return &reportOutput{ContentType: "text/html; charset=utf-8", CacheControl: "no-store", Body: b.Bytes()}, nil
}

// seriesName is the name of the series plot p draws.
func seriesName(r spectra.RunReport, p spectra.Plot) string {
	for _, s := range r.Run.Series {
		if s.ID == p.SeriesID {
			return s.Name
		}
	}
	return p.SeriesID.String()
}

// plotSVG draws a plot as inline SVG (presentation attributes and classes
// only: the CSP forbids inline styles).
func plotSVG(f plotFrame, n int) template.HTML {
	const w, h, left, right, top, bottom = 720.0, 380.0, 80.0, 20.0, 16.0, 52.0
	pw, ph := w-left-right, h-top-bottom
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="plot" data-series="%s" data-points="%d"><figcaption>%s — %s against %s, %d rows</figcaption>`,
		esc(f.Title), f.Points, esc(f.Title), esc(f.YLabel), esc(f.XLabel), f.Rows)
	fmt.Fprintf(&b, `<svg viewBox="0 0 %g %g" role="img" aria-label="%s">`, w, h, esc(f.Title+": "+f.YLabel+" against "+f.XLabel))
	fmt.Fprintf(&b, `<defs><clipPath id="plot-clip-%d"><rect x="%g" y="%g" width="%g" height="%g"/></clipPath></defs>`, n, left, top, pw, ph)
	for _, t := range f.X.Ticks {
		x := left + f.X.scale(t.At, pw, false)
		fmt.Fprintf(&b, `<line class="grid" x1="%.2f" y1="%g" x2="%.2f" y2="%g"/><text class="tick" x="%.2f" y="%g" text-anchor="middle">%s</text>`,
			x, top, x, top+ph, x, top+ph+16, esc(t.Label))
	}
	for _, t := range f.Y.Ticks {
		y := top + f.Y.scale(t.At, ph, true)
		fmt.Fprintf(&b, `<line class="grid" x1="%g" y1="%.2f" x2="%g" y2="%.2f"/><text class="tick" x="%g" y="%.2f" text-anchor="end">%s</text>`,
			left, y, left+pw, y, left-6, y+4, esc(t.Label))
	}
	fmt.Fprintf(&b, `<rect class="frame" x="%g" y="%g" width="%g" height="%g"/>`, left, top, pw, ph)
	fmt.Fprintf(&b, `<text class="label" x="%g" y="%g" text-anchor="middle">%s</text>`, left+pw/2, h-8, esc(f.XLabel))
	fmt.Fprintf(&b, `<text class="label" transform="translate(16 %g) rotate(-90)" text-anchor="middle">%s</text>`, top+ph/2, esc(f.YLabel))
	fmt.Fprintf(&b, `<g clip-path="url(#plot-clip-%d)">`, n)
	for _, seg := range f.Segments {
		b.WriteString(`<polyline class="curve" points="`)
		for _, p := range seg {
			fmt.Fprintf(&b, "%.2f,%.2f ", left+f.X.scale(p[0], pw, false), top+f.Y.scale(p[1], ph, true))
		}
		b.WriteString(`"/>`)
	}
	b.WriteString(`</g></svg></figure>`)
	return template.HTML(b.String()) // every text in it escaped above
}

// amendmentChange words what an amendment did to one result: "corrected
// 0.45 V → 0.47 V", "withdrew 1e-9 A", "added 3 V".
func amendmentChange(c spectra.AmendmentChange) string {
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
}
