package dataseries

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// ParseError is a file a parser cannot read, at a line (1-based) and, when
// one cell is to blame, a column (1-based).
type ParseError struct {
	Line, Column int
	Msg          string
	err          error // what kind of error, for errors.Is
}

func (e *ParseError) Unwrap() error { return e.err }

// errNoHeader: no data under a header row (ParseXY may read the file).
var errNoHeader = errors.New("dataseries: no header row")

func (e *ParseError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// ParseDelimited reads a delimited text file (CSV, TSV, or semicolons)
// whose data rows are numbers under a header row naming the columns, units
// in brackets or parentheses: "V [V],I [A]" or "Wavelength (nm)\tIntensity".
// Instruments write a preamble first (the test's name, the date, the
// settings), so the data begins at the first row of numbers and the header
// is the row before it; lines starting with # are comments anywhere.
// The delimiter is the header's: a tab, else a comma, else a semicolon
// (whose files may write decimal commas, 1,5). Every data row has the
// header's number of cells.
func ParseDelimited(data []byte) (columns []spectra.SeriesColumn, values [][]float64, err error) {
	if !isText(data) {
		return nil, nil, &ParseError{Line: 1, Msg: "the file is not UTF-8 text"}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var (
		header string // the last text row before the data
		delim  byte
		line   int
	)
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		line++
		text := strings.TrimSpace(string(bytes.TrimSuffix(raw, []byte("\r"))))
		if text == "" || text[0] == '#' {
			continue
		}
		if values == nil {
			// The first row of numbers, split as the row before it is,
			// begins the data.
			if d := delimiterOf(header); header == "" || d == 0 || !numeric(text, d) {
				if own := delimiterOf(text); header == "" && numeric(text, own) {
					return nil, nil, &ParseError{Line: line, Msg: "numbers before any header row naming the columns", err: errNoHeader}
				}
				header = text // preamble, or the header
				continue
			}
			delim = delimiterOf(header)
			columns = headerColumns(header, delim)
			values = make([][]float64, len(columns))
		}
		if len(values[0]) == spectra.MaxSeriesRows {
			return nil, nil, &ParseError{Line: line, Msg: fmt.Sprintf("more than %d data rows", spectra.MaxSeriesRows)}
		}
		if err := appendRow(values, text, delim, line); err != nil {
			return nil, nil, err
		}
	}
	if values == nil {
		return nil, nil, &ParseError{Line: max(line, 1), Msg: "no data rows: no line of numbers under a header row", err: errNoHeader}
	}
	return columns, values, nil
}

// delimiterOf is the delimiter of a row: a tab, else a comma, else a
// semicolon; 0 for a row of one cell.
func delimiterOf(text string) byte {
	for _, d := range []byte{'\t', ',', ';'} {
		if strings.IndexByte(text, d) >= 0 {
			return d
		}
	}
	return 0
}

// numeric reports whether every cell of text (split at d) is a number,
// but for an empty last one (a trailing delimiter).
func numeric(text string, d byte) bool {
	cells := strings.Split(text, string(d))
	if len(cells) > 1 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	for _, cell := range cells {
		if _, ok := number(strings.TrimSpace(cell), d); !ok {
			return false
		}
	}
	return true
}

func number(cell string, d byte) (float64, bool) {
	if d == ';' && strings.IndexByte(cell, ',') >= 0 && strings.IndexByte(cell, '.') < 0 {
		cell = strings.Replace(cell, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308 {
		return 0, false // NaN and ±Inf are no measurement a series stores
	}
	return v, true
}

// headerColumns splits the header into names and units (a trailing
// delimiter names no column).
func headerColumns(header string, d byte) []spectra.SeriesColumn {
	var cols []spectra.SeriesColumn
	cells := strings.Split(header, string(d))
	if len(cells) > 2 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	for _, cell := range cells {
		name, unit := splitUnit(strings.Trim(strings.TrimSpace(cell), `"'`))
		cols = append(cols, spectra.SeriesColumn{Name: name, Unit: unit})
	}
	return cols
}

// splitUnit splits "V [V]" or "Voltage (V)" into the name and the unit.
func splitUnit(cell string) (name, unit string) {
	for _, p := range [][2]string{{"[", "]"}, {"(", ")"}} {
		if strings.HasSuffix(cell, p[1]) {
			if i := strings.LastIndex(cell, p[0]); i >= 0 {
				return strings.TrimSpace(cell[:i]), strings.TrimSpace(cell[i+1 : len(cell)-1])
			}
		}
	}
	return cell, ""
}

func appendRow(values [][]float64, text string, d byte, line int) error {
	c := 0
	for cell := range strings.SplitSeq(text, string(d)) {
		cell = strings.TrimSpace(cell)
		if c == len(values) {
			if cell == "" {
				continue // a trailing delimiter
			}
			return &ParseError{Line: line, Column: c + 1, Msg: fmt.Sprintf("more cells than the header's %d columns", len(values))}
		}
		v, ok := number(cell, d)
		if !ok {
			msg := fmt.Sprintf("%q is not a finite number", cell)
			if cell == "" {
				msg = "an empty cell"
			}
			return &ParseError{Line: line, Column: c + 1, Msg: msg}
		}
		values[c] = append(values[c], v)
		c++
	}
	if c < len(values) {
		return &ParseError{Line: line, Column: c + 1, Msg: fmt.Sprintf("%d cells, the header names %d columns", c, len(values))}
	}
	return nil
}
