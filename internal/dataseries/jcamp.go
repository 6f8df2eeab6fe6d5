package dataseries

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// ParseJCAMP reads the first spectrum of a JCAMP-DX file (IUPAC's
// exchange format for spectra, versions 4.24 and 5): its ##XYDATA=(X++(Y..Y))
// table, in plain numbers (AFFN) or compressed (ASDF: SQZ, DIF and DUP
// forms, with DIF's Y check values), with the abscissa from ##FIRSTX,
// ##LASTX and ##NPOINTS and the ordinate times ##YFACTOR; or its
// ##XYPOINTS=(XY..XY) pairs. ##XUNITS and ##YUNITS name the columns.
func ParseJCAMP(data []byte) (columns []spectra.SeriesColumn, values [][]float64, err error) {
	if !isText(data) {
		return nil, nil, &ParseError{Line: 1, Msg: "the file is not UTF-8 text"}
	}
	labels := map[string]string{}
	var (
		table     string // XYDATA or XYPOINTS, once its records begin
		tableLine int
		ys, xs    []float64
		lastY     float64
		dif       bool // the previous line ended with a DIF value: the next begins with its Y check
		lines     = bytes.Split(data, []byte("\n"))
	)
	for n, raw := range lines {
		line := n + 1
		text := strings.TrimSpace(string(bytes.TrimSuffix(raw, []byte("\r"))))
		if i := strings.Index(text, "$$"); i >= 0 {
			text = strings.TrimSpace(text[:i]) // a comment
		}
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "##") {
			if table != "" {
				break // the table ends at the next label
			}
			name, value, _ := strings.Cut(text[2:], "=")
			name = normalLabel(name)
			value = strings.TrimSpace(value)
			if _, seen := labels[name]; !seen {
				labels[name] = value
			}
			switch {
			case name == "XYDATA" && strings.ReplaceAll(value, " ", "") == "(X++(Y..Y))":
				table, tableLine = "XYDATA", line
			case name == "XYPOINTS" && strings.ReplaceAll(value, " ", "") == "(XY..XY)":
				table, tableLine = "XYPOINTS", line
			case name == "XYDATA" || name == "XYPOINTS":
				return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("the %s form %s is not read (only (X++(Y..Y)) and (XY..XY))", name, value)}
			}
			continue
		}
		if table == "" {
			continue // text of a label that spans lines
		}
		if len(ys) >= spectra.MaxSeriesRows {
			return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("more than %d points", spectra.MaxSeriesRows)}
		}
		if table == "XYPOINTS" {
			// x,y pairs: "x, y; x, y" or "x,y x,y", a whole number of them per line.
			nums := strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' })
			if len(nums)%2 != 0 {
				return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("%d numbers: not a whole number of x,y pairs", len(nums))}
			}
			for k := 0; k < len(nums); k += 2 {
				x, errX := strconv.ParseFloat(nums[k], 64)
				y, errY := strconv.ParseFloat(nums[k+1], 64)
				if errX != nil || errY != nil || !finite(x) || !finite(y) {
					return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("%q, %q is not an x,y pair of numbers", nums[k], nums[k+1])}
				}
				xs, ys = append(xs, x), append(ys, y)
			}
			continue
		}
		vals, endsDIF, err := asdfLine(text, lastY)
		if err != nil {
			return nil, nil, &ParseError{Line: line, Msg: err.Error()}
		}
		if len(vals) < 1 {
			continue
		}
		vals = vals[1:] // the line's X: the abscissa comes from FIRSTX and LASTX
		if dif && len(vals) > 0 && len(ys) > 0 {
			vals = vals[1:] // the Y check value repeats the previous line's last Y
		}
		if len(ys)+len(vals) > spectra.MaxSeriesRows {
			return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("more than %d points", spectra.MaxSeriesRows)}
		}
		ys = append(ys, vals...)
		if len(ys) > 0 {
			lastY = ys[len(ys)-1]
		}
		dif = endsDIF
	}
	if table == "" {
		return nil, nil, &ParseError{Line: max(1, len(lines)), Msg: "no ##XYDATA=(X++(Y..Y)) or ##XYPOINTS=(XY..XY) table"}
	}
	if len(ys) == 0 {
		return nil, nil, &ParseError{Line: tableLine, Msg: "the table holds no values"}
	}
	yFactor, err := labelNumber(labels, "YFACTOR", 1, tableLine)
	if err != nil {
		return nil, nil, err
	}
	if table == "XYDATA" {
		first, err1 := labelNumber(labels, "FIRSTX", math.NaN(), tableLine)
		last, err2 := labelNumber(labels, "LASTX", math.NaN(), tableLine)
		if err1 != nil || err2 != nil || math.IsNaN(first) || math.IsNaN(last) {
			return nil, nil, &ParseError{Line: tableLine, Msg: "##XYDATA needs numeric ##FIRSTX and ##LASTX"}
		}
		if np, ok := labels["NPOINTS"]; ok {
			if n, err := strconv.Atoi(strings.TrimSpace(np)); err != nil || n != len(ys) {
				return nil, nil, &ParseError{Line: tableLine, Msg: fmt.Sprintf("##NPOINTS=%s, the table holds %d values", np, len(ys))}
			}
		}
		xs = make([]float64, len(ys))
		for i := range xs {
			if len(ys) == 1 {
				xs[i] = first
			} else {
				xs[i] = first + (last-first)*float64(i)/float64(len(ys)-1)
			}
		}
	} else {
		xFactor, err := labelNumber(labels, "XFACTOR", 1, tableLine)
		if err != nil {
			return nil, nil, err
		}
		for i := range xs {
			xs[i] *= xFactor
		}
	}
	for i := range ys {
		ys[i] *= yFactor
		if !finite(ys[i]) || !finite(xs[i]) {
			return nil, nil, &ParseError{Line: tableLine, Msg: "a value overflows once scaled by ##XFACTOR or ##YFACTOR"}
		}
	}
	xName, xUnit := jcampAxis(labels["XUNITS"], "x")
	yName, yUnit := jcampAxis(labels["YUNITS"], "y")
	if yName == xName {
		yName = "y"
	}
	return []spectra.SeriesColumn{{Name: xName, Unit: xUnit}, {Name: yName, Unit: yUnit}}, [][]float64{xs, ys}, nil
}

// normalLabel is a label's name as the standard compares them: upper case
// without spaces, dashes, slashes or underscores.
func normalLabel(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '/', '_', '\t':
			return -1
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func labelNumber(labels map[string]string, name string, def float64, line int) (float64, error) {
	s, ok := labels[name]
	if !ok || strings.TrimSpace(s) == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !finite(v) {
		return 0, &ParseError{Line: line, Msg: fmt.Sprintf("##%s=%s is not a number", name, s)}
	}
	return v, nil
}

// jcampAxis names a column from its ##XUNITS or ##YUNITS.
func jcampAxis(units, fallback string) (name, unit string) {
	switch normalLabel(units) {
	case "1CM", "CM1", "CM-1":
		return "wavenumber", "cm⁻¹"
	case "NANOMETERS", "NM":
		return "wavelength", "nm"
	case "MICROMETERS", "UM":
		return "wavelength", "µm"
	case "HZ":
		return "frequency", "Hz"
	case "PPM":
		return "shift", "ppm"
	case "SECONDS", "S":
		return "time", "s"
	case "DEGREES", "DEG", "2THETA":
		return "2θ", "deg"
	case "ABSORBANCE":
		return "absorbance", ""
	case "TRANSMITTANCE":
		return "transmittance", ""
	case "COUNTS", "ARBITRARYUNITS":
		return "counts", ""
	case "":
		return fallback, ""
	}
	u := strings.TrimSpace(units)
	if len(u) > 32 || !isText([]byte(u)) {
		return fallback, ""
	}
	return fallback, u
}

// asdfLine reads one line of an (X++(Y..Y)) table in AFFN or ASDF form:
// its values (X first) and whether its last value was a DIF one.
func asdfLine(text string, prevY float64) (vals []float64, endsDIF bool, err error) {
	const (
		none = iota
		abs
		diff
	)
	var (
		num     []byte // the token being read, as a plain number
		kind    = none // what num is
		last    = prevY
		lastDif float64 // the last DIF step, for DUP after DIF
	)
	flush := func() error {
		if kind == none {
			return nil
		}
		v, err := strconv.ParseFloat(string(num), 64)
		if err != nil || !finite(v) {
			return fmt.Errorf("%q is not a number", string(num))
		}
		if kind == diff {
			lastDif = v
			v = last + v
		}
		vals = append(vals, v)
		last = v
		endsDIF = kind == diff
		num, kind = num[:0], none
		return nil
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
			if kind == none {
				kind = abs
			}
			num = append(num, c)
		case (c == 'E' || c == 'e') && kind == abs && i+2 < len(text) && (text[i+1] == '+' || text[i+1] == '-') && text[i+2] >= '0' && text[i+2] <= '9':
			// An AFFN exponent, E+05 or e-3 (a bare E is SQZ's 5).
			num = append(num, c, text[i+1])
			i++
		case c == '+' || c == '-':
			if err := flush(); err != nil {
				return nil, false, err
			}
			kind, num = abs, append(num, c)
		case c == ' ' || c == ',' || c == '\t' || c == ';':
			if err := flush(); err != nil {
				return nil, false, err
			}
		case c == '@' || c >= 'A' && c <= 'I' || c >= 'a' && c <= 'i': // SQZ
			if err := flush(); err != nil {
				return nil, false, err
			}
			kind, num = abs, append(num, sqzDigit(c)...)
		case c == '%' || c >= 'J' && c <= 'R' || c >= 'j' && c <= 'r': // DIF
			if err := flush(); err != nil {
				return nil, false, err
			}
			kind, num = diff, append(num, difDigit(c)...)
		case c >= 'S' && c <= 'Z' || c == 's': // DUP
			wasDif := kind == diff
			if err := flush(); err != nil {
				return nil, false, err
			}
			count := int(c-'S') + 1
			if c == 's' {
				count = 9
			}
			for i+1 < len(text) && text[i+1] >= '0' && text[i+1] <= '9' {
				i++
				count = count*10 + int(text[i]-'0')
				if count > spectra.MaxSeriesRows {
					return nil, false, fmt.Errorf("a repeat count over %d", spectra.MaxSeriesRows)
				}
			}
			if len(vals) == 0 {
				return nil, false, fmt.Errorf("a repeat (%c) with nothing to repeat", c)
			}
			if len(vals)+count > spectra.MaxSeriesRows+1 {
				return nil, false, fmt.Errorf("more than %d points", spectra.MaxSeriesRows)
			}
			for k := 1; k < count; k++ {
				if wasDif {
					last += lastDif
				}
				vals = append(vals, last)
			}
			endsDIF = wasDif
		default:
			return nil, false, fmt.Errorf("%q is no character of a JCAMP-DX number", c)
		}
	}
	if err := flush(); err != nil {
		return nil, false, err
	}
	return vals, endsDIF, nil
}

func sqzDigit(c byte) []byte {
	switch {
	case c == '@':
		return []byte("0")
	case c >= 'A' && c <= 'I':
		return []byte{c - 'A' + '1'}
	default:
		return []byte{'-', c - 'a' + '1'}
	}
}

func difDigit(c byte) []byte {
	switch {
	case c == '%':
		return []byte("0")
	case c >= 'J' && c <= 'R':
		return []byte{c - 'J' + '1'}
	default:
		return []byte{'-', c - 'j' + '1'}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func isText(b []byte) bool { return utf8.Valid(b) }
