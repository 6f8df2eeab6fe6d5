package dataseries

import (
	"errors"
	"math"
	"testing"
)

// TestThresholdVoltage: a device with no current below 0.45 V and a
// linear rise above it, under a leakage and a soft knee; linear
// extrapolation finds 0.45 V; a flat curve gives no threshold.
func TestThresholdVoltage(t *testing.T) {
	var v, i []float64
	for k := 0; k <= 80; k++ {
		x := -2 + 0.05*float64(k)
		v = append(v, x)
		i = append(i, 5e-4*0.03*math.Log1p(math.Exp((x-0.45)/0.03))+1e-9*x)
	}
	vth, in, err := ThresholdVoltage(v, i)
	if err != nil || math.Abs(vth-0.45) > 0.005 || in["max_slope"] < 4.9e-4 || in["max_slope"] > 5.1e-4 {
		t.Fatalf("Vth %v (inputs %v), %v; want 0.45 V at a slope of 5e-4", vth, in, err)
	}
	if _, _, err := ThresholdVoltage([]float64{0, 1, 2, 3}, []float64{1e-9, 1e-9, 1e-9, 1e-9}); !errors.Is(err, ErrNotExtractable) {
		t.Fatalf("a flat curve: %v", err)
	}
	if _, _, err := ThresholdVoltage([]float64{0, 1}, []float64{0, 1}); !errors.Is(err, ErrNotExtractable) {
		t.Fatalf("two points: %v", err)
	}
}

func TestValueAt(t *testing.T) {
	v := []float64{-1, 0, 1, 2}
	i := []float64{-2e-9, 0, 1e-6, 3e-6}
	for _, c := range []struct{ at, want float64 }{{1, 1e-6}, {1.5, 2e-6}, {-0.5, -1e-9}, {2, 3e-6}} {
		got, _, err := ValueAt(v, i, c.at)
		if err != nil || math.Abs(got-c.want) > 1e-18 {
			t.Errorf("I at %v V: %v, %v; want %v", c.at, got, err, c.want)
		}
	}
	if _, _, err := ValueAt(v, i, 5); !errors.Is(err, ErrNotExtractable) {
		t.Fatalf("outside the sweep: %v", err)
	}
	// A descending sweep is read in its own order.
	if got, _, err := ValueAt([]float64{2, 1, 0}, []float64{4, 2, 0}, 0.5); err != nil || got != 1 {
		t.Fatalf("descending: %v %v", got, err)
	}
}

// TestPeak: a Gaussian peak of σ = 0.08° at 28.44° over a baseline; its
// position and FWHM (2√(2 ln 2) σ) come back within the sampling's error.
func TestPeak(t *testing.T) {
	var x, y []float64
	const center, sigma = 28.443, 0.08
	for k := 0; k <= 1000; k++ {
		t := 26 + 0.005*float64(k)
		x = append(x, t)
		y = append(y, 120+5200*math.Exp(-(t-center)*(t-center)/(2*sigma*sigma)))
	}
	pos, fwhm, in, err := Peak(x, y)
	want := 2 * math.Sqrt(2*math.Ln2) * sigma
	if err != nil || math.Abs(pos-center) > 1e-3 || math.Abs(fwhm-want) > 2e-3 || math.Abs(in["height"]-5200) > 5 {
		t.Fatalf("peak at %v, FWHM %v (inputs %v), %v; want %v and %v", pos, fwhm, in, err, center, want)
	}
	if _, _, _, err := Peak([]float64{0, 1, 2}, []float64{1, 2, 3}); !errors.Is(err, ErrNotExtractable) {
		t.Fatalf("a rising edge: %v", err)
	}
	if _, _, _, err := Peak([]float64{0, 2, 1}, []float64{1, 3, 1}); !errors.Is(err, ErrNotExtractable) {
		t.Fatalf("x not ascending: %v", err)
	}
}
