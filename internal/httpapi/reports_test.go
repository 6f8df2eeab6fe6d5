package httpapi

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// pdfStreams are the streams of a PDF, inflated where they are
// Flate-compressed (fpdf compresses page contents and fonts).
func pdfStreams(t *testing.T, pdf []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for rest := pdf; ; {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			return out
		}
		dict := rest[max(0, bytes.LastIndex(rest[:i], []byte("<<"))):i]
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			t.Fatalf("a stream without its end")
		}
		data := rest[:j]
		rest = rest[j+len("endstream"):]
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if data, err = io.ReadAll(r); err != nil {
				t.Fatalf("inflate: %v", err)
			}
		}
		out = append(out, data)
	}
}

var (
	pdfShown = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
	// pdfPath is a path of straight segments: a move, then line-tos.
	pdfPath = regexp.MustCompile(`-?[\d.]+ -?[\d.]+ m\n((?:-?[\d.]+ -?[\d.]+ l\n)+)S`)
)

// pdfText is the text a PDF's pages show, one shown string a line
// (fpdf writes UTF-8 fonts' strings as escaped UTF-16BE).
func pdfText(streams [][]byte) string {
	var b strings.Builder
	for _, s := range streams {
		for _, m := range pdfShown.FindAllSubmatch(s, -1) {
			var raw []byte
			for k := 0; k < len(m[1]); k++ {
				c := m[1][k]
				if c == '\\' && k+1 < len(m[1]) {
					k++
					c = map[byte]byte{'r': '\r', 'n': '\n'}[m[1][k]]
					if c == 0 {
						c = m[1][k]
					}
				}
				raw = append(raw, c)
			}
			u := make([]uint16, len(raw)/2)
			for k := range u {
				u[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
			}
			b.WriteString(string(utf16.Decode(u)) + "\n")
		}
	}
	return b.String()
}

// pdfLongestPath is the number of line segments of the longest straight
// path the pages draw: a plotted curve's.
func pdfLongestPath(streams [][]byte) int {
	longest := 0
	for _, s := range streams {
		for _, m := range pdfPath.FindAllSubmatch(s, -1) {
			longest = max(longest, bytes.Count(m[1], []byte(" l\n")))
		}
	}
	return longest
}

// TestRunReportPDF: a run with an uploaded IV curve, a measured and a
// derived result, a signed notebook entry about it, and UTF-8 text in its
// notes gives a PDF with all the report's parts and the curve drawn as a
// vector path of the downsampled points on a log |I| axis; the HTML report
// has the same parts, the curve as SVG, and links its stylesheet.
func TestRunReportPDF(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	body := runBody(anSMU)
	body["notes"] = "Sheet 12 Ω/□, leakage in µA, then a 2θ scan"
	run := e.call(http.MethodPost, "/api/analysis/runs", eng, body).str("id")
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+run+"/start", eng, map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	const rows = 5000
	if r := sendRaw(e, http.MethodPost, "/api/analysis/runs/"+run+"/series?name=IV+W7", eng, "text/csv", ivCSV(rows)); r.Status != http.StatusCreated {
		t.Fatalf("series: %d %s", r.Status, r.Raw)
	}
	if r := sendRaw(e, http.MethodPost, "/api/analysis/runs/"+run+"/results", eng, "text/csv", "metric,value,unit\nleakage_current,1.5e-9,A\n"); r.Status != http.StatusCreated {
		t.Fatalf("results: %d %s", r.Status, r.Raw)
	}
	entry := e.call(http.MethodPost, "/api/lims/eln", eng, map[string]any{"title": "IV of W7", "body_markdown": "Looks fine.", "run_ids": []string{run}})
	if r := e.call(http.MethodPost, "/api/lims/eln/"+entry.str("id")+"/sign", eng, map[string]any{"meaning": "authored", "password": "eng123"}); r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("sign: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/api/analysis/runs/"+run+"/complete", eng, map[string]any{"reason": "sweep done"}); r.Status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.Status, r.Raw)
	}

	res := e.call(http.MethodGet, "/api/analysis/runs/"+run+"/report.pdf", viewer, nil)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="run-`+run+`.pdf"` || !bytes.HasPrefix(res.Raw, []byte("%PDF-")) {
		t.Fatalf("PDF: %d %v %.40q", res.Status, res.Header, res.Raw)
	}
	streams := pdfStreams(t, res.Raw)
	text := pdfText(streams)
	for _, want := range []string{
		"Demo Lab",                     // the lab
		"IV Sweep, revision 1",         // the recipe revision
		"Demo Lab Engineer",            // the operator, by name
		"Demo Lab PI (pi)",             // the recipe's approver
		"Reviewed against SOP-IV-001.", // the approval's comment
		"CERT-SMU-2450-001",            // the certificate in effect
		"v_start", "step",              // parameters…
		"leakage_current", "1.5e-09", // a measured result
		"threshold_voltage",                                    // a derived one…
		"derived: threshold voltage of IV W7",                  // …with its method and series
		"IV W7 — |Current| [A] against Voltage [V], 5000 rows", // the plot's caption
		"Voltage [V]", "|Current| [A]", "1e-9", // axis labels with units, log ticks
		"notebook entry “IV of W7”", "authored", "unchanged since signing", // a signature
		"running → completed", "sweep done", // the history
		"Sheet 12 Ω/□, leakage in µA, then a 2θ scan", // UTF-8 text
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not show %q", want)
		}
	}
	if t.Failed() {
		t.Logf("the PDF shows:\n%s", text)
	}
	// The curve: one path of the downsampled points (not of every row).
	if n := pdfLongestPath(streams); n < reportPlotPoints-20 || n >= rows {
		t.Errorf("the longest path has %d segments, want about %d (the plot's points)", n, reportPlotPoints)
	}
	// Parameters carry the recipe's units.
	if !regexp.MustCompile(`v_start\n-1\nV\n`).MatchString(text) {
		t.Errorf("the parameter v_start is not shown as -1 V:\n%s", text)
	}

	h := e.call(http.MethodGet, "/api/analysis/runs/"+run+"/report", viewer, nil)
	html := string(h.Raw)
	for _, want := range []string{`<link rel="stylesheet" href="/api/analysis/report.css">`, "Demo Lab Engineer", "CERT-SMU-2450-001",
		"derived: threshold voltage of IV W7", `<figure class="plot" data-series="IV W7"`, "<polyline", "|Current| [A]", "Ω/□", "running → completed"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	if strings.Contains(html, "<style") || strings.Contains(html, "style=") {
		t.Errorf("the HTML report has inline styles, which the app's CSP blocks")
	}
	css := e.call(http.MethodGet, "/api/analysis/report.css", "", nil)
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || !strings.Contains(string(css.Raw), "@page") {
		t.Errorf("stylesheet: %d %s", css.Status, css.Header)
	}
}

// TestRunReportPDFAccess: the PDF needs the same permission as the HTML
// report; another organization's run is a 404 (TestCrossOrganization
// asks every role of test-org), and no credentials a 401.
func TestRunReportPDFAccess(t *testing.T) {
	e := newAPIEnv(t)
	perms := map[string]spectra.Permission{}
	for _, r := range Routes() {
		perms[r.Method+" "+r.Path] = r.Permission
	}
	if p := perms["GET /api/analysis/runs/{id}/report.pdf"]; p != spectra.PermReportDownload || p != perms["GET /api/analysis/runs/{id}/report"] {
		t.Fatalf("the PDF route needs %q, the HTML report %q", p, perms["GET /api/analysis/runs/{id}/report"])
	}
	for role, u := range demoUsers {
		tok := e.token(strings.Replace(u[0], "demo.lab", "test.org", 1), u[1])
		if r := e.call(http.MethodGet, "/api/analysis/runs/"+anRun+"/report.pdf", tok, nil); r.Status != http.StatusNotFound {
			t.Errorf("test-org's %s reads demo-lab's PDF: %d", role, r.Status)
		}
		own := e.call(http.MethodGet, "/api/analysis/runs/"+anRun+"/report.pdf", e.token(u[0], u[1]), nil)
		if want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[role.Can(spectra.PermReportDownload)]; own.Status != want {
			t.Errorf("demo-lab's %s: %d, want %d", role, own.Status, want)
		}
	}
	if r := e.call(http.MethodGet, "/api/analysis/runs/"+anRun+"/report.pdf", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("without credentials: %d", r.Status)
	}
}
