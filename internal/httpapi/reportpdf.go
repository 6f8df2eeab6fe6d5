package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The run report as a PDF, drawn by fpdf from the same spectra.RunReport
// and plot geometry (plotFrame) as the HTML: A4 portrait, the Go fonts
// embedded (subset) so that any UTF-8 text prints — 2θ, µA, Ω, names in
// any script they cover — and each plot's curve as one vector path per
// segment.

const (
	pdfMargin = 15.0  // mm
	pdfWidth  = 180.0 // A4's 210 mm less the margins
	pdfLine   = 5.0   // the height of a table row's line
)

func (s *server) runReportPDF(ctx context.Context, in *analysisIDInput) (*reportOutput, error) {
	r, err := s.runReport(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	body, err := reportPDF(r, true)
	if err != nil {
		return nil, err
	}
	return &reportOutput{ContentType: "application/pdf", CacheControl: "no-store",
		ContentDisposition: `attachment; filename="run-` + r.Run.ID.String() + `.pdf"`, Body: body}, nil
}

// reportPDF renders report r; compress false leaves the page streams
// readable (for tests and debugging).
func reportPDF(r spectra.RunReport, compress bool) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.SetCreationDate(r.GeneratedAt)
	pdf.SetModificationDate(r.GeneratedAt)
	pdf.SetCatalogSort(true)
	pdf.SetTitle("Run report "+r.Run.ID.String(), true)
	pdf.SetAuthor(r.Lab, true)
	pdf.SetCreator("SPECTRA-Lab", true)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("gomono", "", gomono.TTF)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfMargin+5)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfMargin)
		pdf.SetFont("go", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(pdfWidth/2, 4, r.Lab+" · run "+r.Run.ID.String(), "", 0, "L", false, 0, "")
		pdf.CellFormat(pdfWidth/2, 4, "Page "+strconv.Itoa(pdf.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	d := pdfDoc{pdf}
	pdf.AddPage()

	pdf.SetFont("go", "B", 18)
	pdf.SetTextColor(31, 78, 121)
	pdf.CellFormat(pdfWidth, 9, "Run report", "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("go", "B", 12)
	pdf.CellFormat(pdfWidth, 6, r.Lab, "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 8.5)
	pdf.CellFormat(pdfWidth, 5, "Generated "+reportTime(r.GeneratedAt), "", 1, "L", false, 0, "")
	pdf.SetDrawColor(31, 78, 121)
	pdf.SetLineWidth(0.6)
	pdf.Line(pdfMargin, pdf.GetY()+1, pdfMargin+pdfWidth, pdf.GetY()+1)
	pdf.Ln(4)

	d.section("Run", 40)
	d.facts(reportSummary(r))

	d.section("Recipe and its approval", 30)
	line := fmt.Sprintf("%s, revision %d", r.Recipe.Name, r.Recipe.Revision)
	if r.Recipe.Description != "" {
		line += ": " + r.Recipe.Description
	}
	d.text(line)
	if a := reportApproval(r); a != nil {
		d.facts(a)
	} else {
		d.text("This revision has no approval on record.")
	}

	d.section("Instruments and certificates in effect at the start", 25)
	rows := [][]string{}
	for _, i := range r.Run.Instruments {
		rows = append(rows, []string{i.Name, i.Kind, i.Serial, reportCertificate(i)})
	}
	d.table([]string{"Instrument", "Kind", "Serial", "Certificate"}, []float64{45, 25, 30, 80}, rows, "No instruments.")

	d.section("Parameters", 25)
	rows = [][]string{}
	for _, p := range r.Parameters {
		rows = append(rows, []string{p.Name, reportNumber(p.Value), p.Unit})
	}
	d.table([]string{"Name", "Value", "Unit"}, []float64{70, 60, 50}, rows, "No parameters.")

	d.section("Results", 25)
	rows = [][]string{}
	for _, x := range r.Results {
		rows = append(rows, []string{x.Metric, reportNumber(x.Value), x.Unit, reportSource(x), reportTime(x.MeasuredAt), x.Standing()})
	}
	d.table([]string{"Metric", "Value", "Unit", "Source", "Measured", "Standing"}, []float64{34, 20, 12, 62, 34, 18}, rows, "No results.")

	d.section("Amendments", 25)
	rows = [][]string{}
	for _, a := range r.Run.Amendments {
		changes := make([]string, len(a.Changes))
		for i, c := range a.Changes {
			changes[i] = c.Metric + ": " + amendmentChange(c)
		}
		author := a.AuthorName
		if author == "" {
			author = "system"
		}
		rows = append(rows, []string{reportTime(a.CreatedAt), author, a.Reason, strings.Join(changes, "; ")})
	}
	d.table([]string{"When", "By", "Reason", "Changes"}, []float64{36, 36, 54, 54}, rows, "None.")

	d.section("Data", 110)
	if len(r.Plots) == 0 {
		d.text("No data series.")
	}
	for _, p := range r.Plots {
		d.plot(newPlotFrame(seriesName(r, p), p))
	}

	d.section("Signatures", 25)
	rows = [][]string{}
	for _, sg := range r.Signatures {
		rows = append(rows, []string{sg.Subject, sg.Signer.Label() + " (" + string(sg.Role) + ")", sg.Meaning, reportTime(sg.SignedAt),
			signatureCheck(sg.Matches) + "; " + string(sg.Scheme) + " sha256 " + sg.ContentSHA256})
	}
	d.table([]string{"Signed", "Signer", "Meaning", "When", "Content"}, []float64{42, 36, 18, 39, 45}, rows, "No signatures.")

	d.section("History", 25)
	rows = [][]string{}
	for _, h := range r.History {
		rows = append(rows, []string{reportTransition(h), h.Actor.Label(), reportTime(h.At), h.Reason})
	}
	d.table([]string{"Status", "By", "When", "Reason"}, []float64{42, 45, 40, 53}, rows, "No status changes.")

	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("report pdf: %w", err)
	}
	return b.Bytes(), nil
}

// pdfDoc draws the report's parts on an fpdf document.
type pdfDoc struct{ *fpdf.Fpdf }

// room starts a new page unless h mm are left above the bottom margin.
func (d pdfDoc) room(h float64) {
	_, ph := d.GetPageSize()
	if d.GetY()+h > ph-pdfMargin-5 {
		d.AddPage()
	}
}

// section heads a section, on a new page unless need mm are left for its
// start: a heading never ends a page.
func (d pdfDoc) section(title string, need float64) {
	d.room(need)
	d.Ln(2)
	d.SetFont("go", "B", 12.5)
	d.SetTextColor(31, 78, 121)
	d.CellFormat(pdfWidth, 7, title, "B", 1, "L", false, 0, "")
	d.SetTextColor(0, 0, 0)
	d.Ln(2)
}

func (d pdfDoc) text(s string) {
	d.SetFont("go", "", 9.5)
	d.MultiCell(pdfWidth, pdfLine, s, "", "L", false)
	d.Ln(1)
}

// facts draws label–value rows.
func (d pdfDoc) facts(rows [][2]string) {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r[0], r[1]}
	}
	d.rows([]float64{45, 135}, out, true)
	d.Ln(2)
}

// table draws a table with a header row, repeated on each new page.
func (d pdfDoc) table(head []string, widths []float64, rows [][]string, empty string) {
	if len(rows) == 0 {
		rows = [][]string{{empty}}
		widths = []float64{pdfWidth}
		head = nil
	}
	header := func() {
		if head == nil {
			return
		}
		d.SetFont("go", "B", 9)
		d.SetFillColor(232, 238, 244)
		d.SetDrawColor(154, 169, 184)
		d.SetLineWidth(0.2)
		for i, h := range head {
			d.CellFormat(widths[i], pdfLine+1, h, "1", 0, "L", true, 0, "")
		}
		d.Ln(-1)
	}
	header()
	d.SetFont("go", "", 9)
	for _, r := range rows {
		if d.rowHeight(widths, r) > d.left() {
			d.AddPage()
			header()
		}
		d.rows(widths, [][]string{r}, false)
	}
	d.Ln(2)
}

// left is how many mm are left above the bottom margin.
func (d pdfDoc) left() float64 {
	_, ph := d.GetPageSize()
	return ph - pdfMargin - 5 - d.GetY()
}

func (d pdfDoc) rowHeight(widths []float64, r []string) float64 {
	lines := 1
	for i, c := range r {
		lines = max(lines, len(d.SplitText(c, widths[i])))
	}
	return float64(lines) * pdfLine
}

// rows draws rows of wrapped cells, each row as high as its tallest cell;
// boldFirst sets the first column in bold on a tint (a label column).
func (d pdfDoc) rows(widths []float64, rows [][]string, boldFirst bool) {
	d.SetDrawColor(154, 169, 184)
	d.SetLineWidth(0.2)
	for _, r := range rows {
		d.SetFont("go", "", 9)
		h := d.rowHeight(widths, r)
		if h > d.left() {
			d.AddPage()
		}
		x, y := d.GetX(), d.GetY()
		for i, c := range r {
			d.SetXY(x, y)
			fill := boldFirst && i == 0
			if fill {
				d.SetFont("go", "B", 9)
				d.SetFillColor(243, 246, 249)
			} else {
				d.SetFont("go", "", 9)
			}
			d.Rect(x, y, widths[i], h, map[bool]string{true: "FD", false: "D"}[fill])
			d.MultiCell(widths[i], pdfLine, c, "", "L", false)
			x += widths[i]
		}
		d.SetXY(pdfMargin, y+h)
	}
}

// plot draws one plot: a caption, the frame with grid lines and tick
// labels, the axis labels with their units, and the curve.
func (d pdfDoc) plot(f plotFrame) {
	const h, left, bottom, top = 95.0, 20.0, 14.0, 8.0
	pw, ph := pdfWidth-left-2, h-top-bottom
	d.room(h + 4)
	x0, y0 := pdfMargin, d.GetY()
	d.SetFont("go", "B", 10)
	d.CellFormat(pdfWidth, 6, fmt.Sprintf("%s — %s against %s, %d rows", f.Title, f.YLabel, f.XLabel, f.Rows), "", 1, "L", false, 0, "")
	px, py := x0+left, y0+top
	d.SetFont("go", "", 7.5)
	d.SetDrawColor(221, 227, 234)
	d.SetLineWidth(0.15)
	for _, t := range f.X.Ticks {
		x := px + f.X.scale(t.At, pw, false)
		d.Line(x, py, x, py+ph)
		w := d.GetStringWidth(t.Label)
		d.Text(x-w/2, py+ph+4, t.Label)
	}
	for _, t := range f.Y.Ticks {
		y := py + f.Y.scale(t.At, ph, true)
		d.Line(px, y, px+pw, y)
		w := d.GetStringWidth(t.Label)
		d.Text(px-w-1.5, y+1.2, t.Label)
	}
	d.SetDrawColor(51, 51, 51)
	d.SetLineWidth(0.3)
	d.Rect(px, py, pw, ph, "D")
	d.SetFont("go", "", 9)
	w := d.GetStringWidth(f.XLabel)
	d.Text(px+pw/2-w/2, py+ph+10, f.XLabel)
	w = d.GetStringWidth(f.YLabel)
	d.TransformBegin()
	d.TransformRotate(90, x0+4, py+ph/2+w/2)
	d.Text(x0+4, py+ph/2+w/2, f.YLabel)
	d.TransformEnd()

	d.ClipRect(px, py, pw, ph, false)
	d.SetDrawColor(31, 111, 181)
	d.SetLineWidth(0.35)
	d.SetLineJoinStyle("round")
	for _, seg := range f.Segments {
		for i, p := range seg {
			x, y := px+f.X.scale(p[0], pw, false), py+f.Y.scale(p[1], ph, true)
			if i == 0 {
				d.MoveTo(x, y)
			} else {
				d.LineTo(x, y)
			}
		}
		if len(seg) == 1 {
			d.LineTo(px+f.X.scale(seg[0][0], pw, false)+0.2, py+f.Y.scale(seg[0][1], ph, true))
		}
		d.DrawPath("D")
	}
	d.ClipEnd()
	d.SetLineJoinStyle("miter")
	d.SetXY(pdfMargin, y0+h+4)
}
