package dataseries

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/spectra"
)

const jcampAFFN = `##TITLE=polystyrene film, test
##JCAMP-DX=4.24
##DATA TYPE=INFRARED SPECTRUM
##XUNITS=1/CM
##YUNITS=ABSORBANCE
##FIRSTX=400
##LASTX=403
##YFACTOR=0.001
##NPOINTS=4
##XYDATA=(X++(Y..Y))
400 100 200 $$ a comment
402 300 -4.5E+02
##END=
`

// jcampDIFDUP is 100 102 102 102 99 95 in ASDF: SQZ (A00 = 100), DIF
// (K = +2, % = 0, l = -3, m = -4), DUP (T: twice), and line 2's Y check
// value (A02) repeating line 1's last Y.
const jcampDIFDUP = "##TITLE=compressed\r\n##JCAMP-DX=5.01\r\n##XUNITS=NANOMETERS\r\n##YUNITS=COUNTS\r\n##FIRSTX=1\r\n##LASTX=6\r\n##NPOINTS=6\r\n" +
	"##XYDATA=(X++(Y..Y))\r\n1A00K%T\r\n4A02lm\r\n##END=\r\n"

func TestParseJCAMP(t *testing.T) {
	for _, c := range []struct {
		name, file string
		columns    []spectra.SeriesColumn
		values     [][]float64
	}{
		{"AFFN with a factor", jcampAFFN, []spectra.SeriesColumn{{Name: "wavenumber", Unit: "cm⁻¹"}, {Name: "absorbance"}},
			[][]float64{{400, 401, 402, 403}, {0.1, 0.2, 0.3, -0.45}}},
		{"ASDF: SQZ, DIF, DUP and the Y check", jcampDIFDUP, []spectra.SeriesColumn{{Name: "wavelength", Unit: "nm"}, {Name: "counts"}},
			[][]float64{{1, 2, 3, 4, 5, 6}, {100, 102, 102, 102, 99, 95}}},
		{"XY pairs", "##TITLE=peaks\n##XUNITS=DEGREES\n##YUNITS=COUNTS\n##XYPOINTS=(XY..XY)\n20.5, 10; 21.25, 12\n22,15\n##END=\n",
			[]spectra.SeriesColumn{{Name: "2θ", Unit: "deg"}, {Name: "counts"}}, [][]float64{{20.5, 21.25, 22}, {10, 12, 15}}},
	} {
		cols, vals, err := ParseJCAMP([]byte(c.file))
		if err != nil || !reflect.DeepEqual(cols, c.columns) || !close2(vals, c.values) {
			t.Errorf("%s: %+v %v %v; want %+v %v", c.name, cols, vals, err, c.columns, c.values)
		}
	}
	for _, c := range []struct{ file, says string }{
		{"##TITLE=x\n##END=\n", "no ##XYDATA"},
		{"##XYDATA=(X++(R..R))\n1 2\n", "is not read"},
		{"##FIRSTX=1\n##LASTX=2\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1 5 6\n", "##NPOINTS=3, the table holds 2"},
		{"##XYDATA=(X++(Y..Y))\n1 5 6\n", "FIRSTX"},
		{"##FIRSTX=1\n##LASTX=2\n##XYDATA=(X++(Y..Y))\n1 5 #\n", "line 4"},
		{"##FIRSTX=1\n##LASTX=2\n##XYDATA=(X++(Y..Y))\nS\n", "nothing to repeat"},
	} {
		_, _, err := ParseJCAMP([]byte(c.file))
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Error(), c.says) {
			t.Errorf("%q: %v, want an error saying %q", c.file, err, c.says)
		}
	}
}

func close2(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Abs(a[i][j]-b[i][j]) > 1e-12*math.Max(1, math.Abs(b[i][j])) {
				return false
			}
		}
	}
	return true
}

func TestParseXY(t *testing.T) {
	cols, vals, err := ParseXY([]byte("# Bruker D8, Cu Ka\n2Theta Intensity\n10.00 120\n10.02\t131\n"))
	if err != nil || !reflect.DeepEqual(cols, []spectra.SeriesColumn{{Name: "2Theta"}, {Name: "Intensity"}}) || !reflect.DeepEqual(vals, [][]float64{{10, 10.02}, {120, 131}}) {
		t.Fatalf("with a header: %+v %v %v", cols, vals, err)
	}
	cols, vals, err = ParseXY([]byte("10 1 7\n11 2 8\n"))
	if err != nil || !reflect.DeepEqual(cols, []spectra.SeriesColumn{{Name: "x"}, {Name: "y"}, {Name: "y2"}}) || len(vals[2]) != 2 {
		t.Fatalf("without: %+v %v %v", cols, vals, err)
	}
	_, _, err = ParseXY([]byte("10 1\n11 x\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Column != 2 {
		t.Fatalf("a bad value: %v", err)
	}
}

func TestParseSniffsTheFormat(t *testing.T) {
	for _, c := range []struct {
		file string
		want Format
	}{
		{jcampAFFN, FormatJCAMP},
		{"\uFEFF  \n" + jcampDIFDUP, FormatJCAMP},
		{"V [V],I [A]\n1,2\n", FormatDelimited},
		{"10.0 120\n10.1 130\n", FormatXY},
		{"1,2\n3,4\n", FormatXY},
	} {
		f, _, _, err := Parse([]byte(c.file))
		if err != nil || f != c.want {
			t.Errorf("%.30q: %s %v, want %s", c.file, f, err, c.want)
		}
	}
}

// FuzzParse: whatever the file, Parse answers equal-length columns of
// finite values (at least two columns), or a ParseError naming a line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{jcampAFFN, jcampDIFDUP, "V,I\n1,2\n", "10 1\n11 2\n", "##XYPOINTS=(XY..XY)\n1,2;3,4\n", "##FIRSTX=0\n##LASTX=1\n##XYDATA=(X++(Y..Y))\n0@J%jS9\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, cols, vals, err := Parse(data)
		checkParsed(t, data, cols, vals, err)
	})
}
