package dataseries

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestFloatsRoundTrip(t *testing.T) {
	vs := []float64{0, math.Copysign(0, -1), 1.5, -2e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-12}
	b := AppendFloats(nil, vs)
	if len(b) != 8*len(vs) {
		t.Fatalf("%d bytes for %d values", len(b), len(vs))
	}
	back, err := AppendDecoded(nil, b)
	if err != nil || !reflect.DeepEqual(back, vs) || math.Signbit(back[1]) != true {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if _, err := AppendDecoded(nil, b[:9]); !errors.Is(err, errLength) {
		t.Fatalf("9 bytes decoded: %v", err)
	}
}

func TestDigestIsOfTheValuesInOrder(t *testing.T) {
	a := [][]float64{{1, 2, 3}, {4, 5, 6}}
	b := [][]float64{{1, 2, 3}, {4, 5, 7}}
	c := [][]float64{{4, 5, 6}, {1, 2, 3}}
	if Digest(a) == Digest(b) || Digest(a) == Digest(c) || Digest(a) != Digest([][]float64{{1, 2, 3}, {4, 5, 6}}) {
		t.Fatal("the digest does not tell the values apart, or is not stable")
	}
	// Chunked hashing is the hash of the whole: a column longer than a chunk.
	long := make([]float64, ChunkRows*2+3)
	for i := range long {
		long[i] = float64(i)
	}
	if got, want := Digest([][]float64{long}), Digest([][]float64{long[:ChunkRows], long[ChunkRows:]}); got != want {
		t.Fatalf("a column's digest depends on where it is cut: %s vs %s", got, want)
	}
}

// TestLTTBKeepsTheShape: the ends and the extremes of a curve survive
// downsampling, the indexes ascend, and at most n come back.
func TestLTTBKeepsTheShape(t *testing.T) {
	n := 100_000
	x, y := make([]float64, n), make([]float64, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x {
		x[i] = float64(i)
		y[i] = math.Sin(float64(i)/5000) + rng.NormFloat64()*0.01
	}
	y[31337] = 50 // a spike, as a breakdown shows in an IV sweep
	y[77777] = -50
	idx := LTTB(x, y, 500)
	if len(idx) != 500 || idx[0] != 0 || idx[len(idx)-1] != n-1 {
		t.Fatalf("%d indexes from %d to %d; want 500 from 0 to %d", len(idx), idx[0], idx[len(idx)-1], n-1)
	}
	for i := 1; i < len(idx); i++ {
		if idx[i] <= idx[i-1] {
			t.Fatalf("indexes not ascending at %d: %d, %d", i, idx[i-1], idx[i])
		}
	}
	has := map[int]bool{}
	for _, i := range idx {
		has[i] = true
	}
	if !has[31337] || !has[77777] {
		t.Fatal("the spikes were dropped")
	}
	if got := LTTB(x[:10], y[:10], 500); len(got) != 10 {
		t.Fatalf("fewer points than asked: %d indexes, want all 10", len(got))
	}
	if got := Pick([]float64{5, 6, 7}, []int{0, 2}); !reflect.DeepEqual(got, []float64{5, 7}) {
		t.Fatalf("Pick: %v", got)
	}
}

func TestParseDelimited(t *testing.T) {
	for _, c := range []struct {
		name, file string
		columns    []spectra.SeriesColumn
		values     [][]float64
	}{
		{"csv with units in brackets", "V [V],I [A]\n-1,-1e-9\n0,0\n1,2.5e-6\n",
			[]spectra.SeriesColumn{{Name: "V", Unit: "V"}, {Name: "I", Unit: "A"}}, [][]float64{{-1, 0, 1}, {-1e-9, 0, 2.5e-6}}},
		{"an instrument's preamble, CRLF, a comment and a trailing delimiter",
			"Keithley 2450 sweep\r\nDate,2026-12-01\r\n# settings: compliance 1 mA\r\n\"Voltage (V)\",\"Current (A)\",\r\n-2.0,-3.1e-10,\r\n2.0,4.2e-4,\r\n",
			[]spectra.SeriesColumn{{Name: "Voltage", Unit: "V"}, {Name: "Current", Unit: "A"}}, [][]float64{{-2, 2}, {-3.1e-10, 4.2e-4}}},
		{"tsv without units", "wavelength\tintensity\tref\n400\t10\t1\n401\t12\t1\n",
			[]spectra.SeriesColumn{{Name: "wavelength"}, {Name: "intensity"}, {Name: "ref"}}, [][]float64{{400, 401}, {10, 12}, {1, 1}}},
		{"semicolons with decimal commas", "2θ [deg];counts\n10,5;120\n10,52;131\n",
			[]spectra.SeriesColumn{{Name: "2θ", Unit: "deg"}, {Name: "counts"}}, [][]float64{{10.5, 10.52}, {120, 131}}},
	} {
		cols, vals, err := ParseDelimited([]byte(c.file))
		if err != nil || !reflect.DeepEqual(cols, c.columns) || !reflect.DeepEqual(vals, c.values) {
			t.Errorf("%s: %+v %v %v; want %+v %v", c.name, cols, vals, err, c.columns, c.values)
		}
	}
}

func TestParseDelimitedNamesTheLine(t *testing.T) {
	for _, c := range []struct {
		file         string
		line, column int
		says         string
	}{
		{"V,I\n1,2\n3,x\n", 3, 2, `"x" is not a finite number`},
		{"V,I\n1,2\n3\n", 3, 2, "1 cells, the header names 2"},
		{"V,I\n1,2\n3,4,5\n", 3, 3, "more cells"},
		{"V,I\n1,2\n3,NaN\n", 3, 2, "not a finite number"},
		{"V,I\n1,2\n,4\n", 3, 1, "an empty cell"},
		{"1,2\n3,4\n", 1, 0, "numbers before any header"},
		{"V,I\n", 1, 0, "no data rows"},
		{"", 1, 0, "no data rows"},
		{"V,I\n\xff,1\n", 1, 0, "not UTF-8"},
	} {
		_, _, err := ParseDelimited([]byte(c.file))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != c.line || pe.Column != c.column || !strings.Contains(pe.Msg, c.says) {
			t.Errorf("%q: %v; want line %d column %d saying %q", c.file, err, c.line, c.column, c.says)
		}
	}
}

// FuzzParseDelimited: whatever the file, the parser answers a series
// whose columns all hold the same number of finite values, or a
// ParseError naming a line of the file.
func FuzzParseDelimited(f *testing.F) {
	for _, s := range []string{"V [V],I [A]\n-1,-1e-9\n0,0\n", "a\tb\n1\t2\n", "x;y\n1,5;2\n", "p\nV,I\n1,2,\n", "#c\n\n", "1,2\n", "V,I\n1,2\n3,x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cols, vals, err := ParseDelimited(data)
		checkParsed(t, data, cols, vals, err)
	})
}

// checkParsed holds a parser's answer to its contract: at least two
// columns of equal length, finite values, at most MaxSeriesRows rows; or a
// ParseError naming a line of the file.
func checkParsed(t *testing.T, data []byte, cols []spectra.SeriesColumn, vals [][]float64, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line < 1 || pe.Line > strings.Count(string(data), "\n")+1 {
			t.Fatalf("error %v does not name a line of the file", err)
		}
		return
	}
	if len(cols) < 2 || len(cols) != len(vals) {
		t.Fatalf("%d columns named, %d of values", len(cols), len(vals))
	}
	for _, vs := range vals {
		if len(vs) != len(vals[0]) || len(vs) == 0 || len(vs) > spectra.MaxSeriesRows {
			t.Fatalf("ragged or empty columns: %d vs %d", len(vs), len(vals[0]))
		}
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("a non-finite value %v", v)
			}
		}
	}
}
