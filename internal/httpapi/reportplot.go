package httpapi

import (
	"math"
	"strconv"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The geometry of a report's plots, shared by the HTML's SVG and the
// PDF's vector paths, so both draw the same axes, ticks and curve: x
// against y, a current's y on a logarithmic |y| axis (as the run page's
// SeriesPlot does), ticks at round numbers or decades.

// reportPlotPoints is how many points a report's plot of one column
// draws: about two per printed millimetre across an A4 page's width.
const reportPlotPoints = 800

// plotFrame is one plot ready to draw in any unit of length.
type plotFrame struct {
	Title          string
	XLabel, YLabel string
	Log            bool // y is log10 |y|
	Rows, Points   int  // rows of the series, points drawn
	X, Y           axis
	// Segments are runs of points (in axis units: log10 |y| on a log
	// axis); a zero y on a log axis breaks the line.
	Segments [][][2]float64
}

// axis is one axis' range and ticks, in axis units.
type axis struct {
	Min, Max float64
	Ticks    []tick
}

type tick struct {
	At    float64
	Label string
}

// axisLabel is a column's name with its unit in brackets, |name| on a log
// axis of a signed quantity (the UI's plotdata.axisLabel).
func axisLabel(c spectra.SeriesColumn, magnitude bool) string {
	n := c.Name
	if magnitude {
		n = "|" + n + "|"
	}
	if c.Unit != "" {
		return n + " [" + c.Unit + "]"
	}
	return n
}

// newPlotFrame lays out plot p of series name.
func newPlotFrame(name string, p spectra.Plot) plotFrame {
	f := plotFrame{Title: name, Log: spectra.IsCurrentUnit(p.Y.Unit), Rows: p.Rows}
	f.XLabel, f.YLabel = axisLabel(p.X, false), axisLabel(p.Y, f.Log)
	var seg [][2]float64
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, x := range p.XValues {
		y := p.YValues[i]
		if f.Log {
			if y == 0 {
				if len(seg) > 0 {
					f.Segments = append(f.Segments, seg)
				}
				seg = nil
				continue
			}
			y = math.Log10(math.Abs(y))
		}
		seg = append(seg, [2]float64{x, y})
		f.Points++
		xlo, xhi, ylo, yhi = math.Min(xlo, x), math.Max(xhi, x), math.Min(ylo, y), math.Max(yhi, y)
	}
	if len(seg) > 0 {
		f.Segments = append(f.Segments, seg)
	}
	if f.Points == 0 {
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	f.X = linearAxis(xlo, xhi)
	if f.Log {
		f.Y = logAxis(ylo, yhi)
	} else {
		f.Y = linearAxis(ylo, yhi)
	}
	return f
}

// linearAxis spans [lo, hi] with 4 to 10 ticks at 1, 2 or 5 × 10^k.
func linearAxis(lo, hi float64) axis {
	if hi <= lo {
		pad := math.Max(math.Abs(lo)*0.05, 1e-12)
		lo, hi = lo-pad, hi+pad
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	a := axis{Min: math.Floor(lo/step) * step, Max: math.Ceil(hi/step) * step}
	digits := max(0, -int(math.Floor(math.Log10(step))))
	for v := a.Min; v <= a.Max+step/2; v += step {
		r := math.Round(v/step) * step
		if math.Abs(r) < step/1e6 {
			r = 0
		}
		a.Ticks = append(a.Ticks, tick{At: r, Label: linearTickLabel(r, digits)})
	}
	return a
}

func linearTickLabel(v float64, digits int) string {
	if v != 0 && (math.Abs(v) >= 1e5 || math.Abs(v) < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// logAxis spans decades around [lo, hi] (log10 units), labelled 1e-9 and
// so on, with at most 8 ticks.
func logAxis(lo, hi float64) axis {
	a := axis{Min: math.Floor(lo), Max: math.Ceil(hi)}
	if a.Max == a.Min {
		a.Max++
	}
	step := math.Ceil((a.Max - a.Min) / 8)
	for d := a.Min; d <= a.Max; d += step {
		a.Ticks = append(a.Ticks, tick{At: d, Label: "1e" + strconv.Itoa(int(d))})
	}
	return a
}

// scale maps axis units into [0, size] of a drawing, y pointing down when
// flip is set (SVG and PDF page coordinates both do).
func (a axis) scale(v, size float64, flip bool) float64 {
	t := (v - a.Min) / (a.Max - a.Min)
	if flip {
		t = 1 - t
	}
	return t * size
}
