package dataseries

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// ParseXY reads columns of numbers separated by white space (or commas,
// tabs, semicolons) without the header ParseDelimited needs: an XRD
// pattern's .xy, a spectrometer's two-column export. Lines starting with
// #, !, ; or ' are comments; words before the data are a preamble, and the
// row just before the data names the columns if it has one word per
// column (2θ counts), else they are x, y, y2, y3….
func ParseXY(data []byte) (columns []spectra.SeriesColumn, values [][]float64, err error) {
	if !isText(data) {
		return nil, nil, &ParseError{Line: 1, Msg: "the file is not UTF-8 text"}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var header []string
	line := 0
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		line++
		text := strings.TrimSpace(string(bytes.TrimSuffix(raw, []byte("\r"))))
		if text == "" || strings.ContainsRune("#!;'", rune(text[0])) {
			continue
		}
		cells := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == ';' })
		nums := make([]float64, 0, len(cells))
		for _, c := range cells {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil || !finite(v) {
				break
			}
			nums = append(nums, v)
		}
		if values == nil {
			if len(nums) != len(cells) || len(cells) < 2 {
				header = cells // a preamble line, or the header
				continue
			}
			if len(cells) > spectra.MaxSeriesColumns {
				return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("%d columns, at most %d", len(cells), spectra.MaxSeriesColumns)}
			}
			values = make([][]float64, len(cells))
			columns = xyColumns(header, len(cells))
		}
		if len(nums) != len(cells) {
			return nil, nil, &ParseError{Line: line, Column: len(nums) + 1, Msg: fmt.Sprintf("%q is not a finite number", cells[len(nums)])}
		}
		if len(cells) != len(values) {
			return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("%d values, the data began with %d", len(cells), len(values))}
		}
		if len(values[0]) == spectra.MaxSeriesRows {
			return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("more than %d data rows", spectra.MaxSeriesRows)}
		}
		for c, v := range nums {
			values[c] = append(values[c], v)
		}
	}
	if values == nil {
		return nil, nil, &ParseError{Line: max(line, 1), Msg: "no data rows: no line of two or more numbers"}
	}
	return columns, values, nil
}

func xyColumns(header []string, n int) []spectra.SeriesColumn {
	cols := make([]spectra.SeriesColumn, n)
	if len(header) == n {
		for i, h := range header {
			name, unit := splitUnit(strings.Trim(h, `"'`))
			cols[i] = spectra.SeriesColumn{Name: name, Unit: unit}
		}
		return cols
	}
	for i := range cols {
		switch i {
		case 0:
			cols[i].Name = "x"
		case 1:
			cols[i].Name = "y"
		default:
			cols[i].Name = fmt.Sprintf("y%d", i)
		}
	}
	return cols
}

// Format names what Parse read a file as.
type Format string

// The formats Parse reads.
const (
	FormatDelimited Format = "delimited" // CSV, TSV: ParseDelimited
	FormatXY        Format = "xy"        // columns of numbers: ParseXY
	FormatJCAMP     Format = "jcamp-dx"  // JCAMP-DX: ParseJCAMP
)

// Parse reads an instrument's data file in whichever format it is: a
// JCAMP-DX file begins with ##; a delimited file with a header row is
// ParseDelimited's; numbers without a header row are ParseXY's.
func Parse(data []byte) (Format, []spectra.SeriesColumn, [][]float64, error) {
	if bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n"), []byte("##")) {
		cols, vals, err := ParseJCAMP(data)
		return FormatJCAMP, cols, vals, err
	}
	cols, vals, err := ParseDelimited(data)
	if errors.Is(err, errNoHeader) {
		xc, xv, xerr := ParseXY(data)
		return FormatXY, xc, xv, xerr
	}
	return FormatDelimited, cols, vals, err
}
