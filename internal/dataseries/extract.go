package dataseries

import (
	"errors"
	"fmt"
	"math"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The extractions a recipe may name (PRODUCT.md §13, derived results):
// scalar results computed from a run's curve, each returned with the
// inputs it used, so that the stored result records how it was derived.

// ErrNotExtractable is a curve from which an extraction cannot be made
// (too few points, no rise, a voltage outside the sweep, no peak).
var ErrNotExtractable = errors.New("dataseries: the curve does not give this result")

func notExtractable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotExtractable, fmt.Sprintf(format, args...))
}

// ThresholdVoltage extracts a threshold voltage by linear extrapolation
// (the extrapolation-in-the-linear-region method): the tangent to the
// I–V curve at its steepest rise, the largest dI/dV by centred
// differences, extrapolated to zero current: Vth = V* − I*/g*. Inputs
// record V*, I* and g* (the transconductance or slope there).
func ThresholdVoltage(v, i []float64) (float64, map[string]float64, error) {
	n := min(len(v), len(i))
	if n < 3 {
		return 0, nil, notExtractable("%d points; linear extrapolation needs at least 3", n)
	}
	best, slope := -1, 0.0
	for k := 1; k < n-1; k++ {
		dv := v[k+1] - v[k-1]
		if dv == 0 {
			continue
		}
		if g := (i[k+1] - i[k-1]) / dv; g > slope {
			best, slope = k, g
		}
	}
	if best < 0 || !(slope > 0) {
		return 0, nil, notExtractable("the current never rises with the voltage")
	}
	vth := v[best] - i[best]/slope
	if !finite(vth) {
		return 0, nil, notExtractable("the extrapolation does not meet zero current")
	}
	return vth, map[string]float64{"v_at_max_slope": v[best], "i_at_max_slope": i[best], "max_slope": slope}, nil
}

// ValueAt interpolates y at x = at linearly between the two points of the
// curve around it (the first such pair in the curve's order: a current at
// a voltage, an intensity at a wavelength). Inputs record the pair.
func ValueAt(x, y []float64, at float64) (float64, map[string]float64, error) {
	n := min(len(x), len(y))
	for k := 0; k < n; k++ {
		if x[k] == at {
			return y[k], map[string]float64{"at": at, "x0": x[k], "x1": x[k]}, nil
		}
		if k+1 < n && (x[k] < at) != (x[k+1] < at) && x[k+1] != at {
			t := (at - x[k]) / (x[k+1] - x[k])
			return y[k] + t*(y[k+1]-y[k]), map[string]float64{"at": at, "x0": x[k], "x1": x[k+1]}, nil
		}
	}
	return 0, nil, notExtractable("x = %g is outside the curve", at)
}

// Peak finds the highest point of a spectrum or pattern and measures it:
// its position, refined by the parabola through it and its neighbours,
// and its full width at half maximum above the baseline (the curve's
// least value), the half-maximum crossings interpolated linearly on each
// side. Inputs record the height, the baseline and the crossings. The x
// values must ascend.
func Peak(x, y []float64) (position, fwhm float64, inputs map[string]float64, err error) {
	n := min(len(x), len(y))
	if n < 3 {
		return 0, 0, nil, notExtractable("%d points; a peak needs at least 3", n)
	}
	top, base := 0, y[0]
	for k := 0; k < n; k++ {
		if y[k] > y[top] {
			top = k
		}
		base = math.Min(base, y[k])
		if k > 0 && !(x[k] > x[k-1]) {
			return 0, 0, nil, notExtractable("x does not ascend at point %d", k)
		}
	}
	height := y[top] - base
	if !(height > 0) || top == 0 || top == n-1 {
		return 0, 0, nil, notExtractable("no peak inside the curve")
	}
	// The vertex of the parabola through the top and its neighbours.
	position = x[top]
	x0, x1, x2, y0, y1, y2 := x[top-1], x[top], x[top+1], y[top-1], y[top], y[top+1]
	if d := (x0 - x1) * (x0 - x2) * (x1 - x2); d != 0 {
		a := (x2*(y1-y0) + x1*(y0-y2) + x0*(y2-y1)) / d
		b := (x2*x2*(y0-y1) + x1*x1*(y2-y0) + x0*x0*(y1-y2)) / d
		if a < 0 {
			if p := -b / (2 * a); p > x0 && p < x2 {
				position = p
			}
		}
	}
	half := base + height/2
	left, right := math.NaN(), math.NaN()
	for k := top; k > 0; k-- {
		if y[k-1] <= half {
			left = x[k-1] + (half-y[k-1])/(y[k]-y[k-1])*(x[k]-x[k-1])
			break
		}
	}
	for k := top; k < n-1; k++ {
		if y[k+1] <= half {
			right = x[k] + (y[k]-half)/(y[k]-y[k+1])*(x[k+1]-x[k])
			break
		}
	}
	if math.IsNaN(left) || math.IsNaN(right) {
		return 0, 0, nil, notExtractable("the peak does not fall to half its height on both sides")
	}
	return position, right - left, map[string]float64{"height": height, "baseline": base, "half_left": left, "half_right": right}, nil
}

// Derive computes extraction x from a series (columns and values, the
// first column the x): its value and the inputs it used. The y column is
// x.Y by name, or the first y column.
func Derive(columns []spectra.SeriesColumn, values [][]float64, x spectra.Extraction) (float64, map[string]float64, error) {
	y := 1
	if x.Y != "" {
		y = -1
		for c := 1; c < len(columns); c++ {
			if columns[c].Name == x.Y {
				y = c
			}
		}
		if y < 0 {
			return 0, nil, notExtractable("the series has no column %q", x.Y)
		}
	}
	if len(values) <= y {
		return 0, nil, notExtractable("the series has no y column")
	}
	xs, ys := values[0], values[y]
	switch x.Method {
	case spectra.ExtractThresholdVoltage:
		return ThresholdVoltage(xs, ys)
	case spectra.ExtractValueAt:
		if x.At == nil {
			return 0, nil, notExtractable("value_at without an x")
		}
		return ValueAt(xs, ys, *x.At)
	case spectra.ExtractPeakPosition, spectra.ExtractPeakWidth:
		pos, fwhm, in, err := Peak(xs, ys)
		if x.Method == spectra.ExtractPeakWidth {
			return fwhm, in, err
		}
		return pos, in, err
	}
	return 0, nil, notExtractable("no method %q", x.Method)
}
