package spectra

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// A data series is a run's curve: named columns with units (an IV sweep's
// V [V] and I [A], a spectrum's wavelength [nm] and intensity, an XRD
// pattern's 2θ [deg] and counts) and up to MaxSeriesRows rows
// (PRODUCT.md §13). The first column is the x of every plot; each other
// column is a y.
const (
	MaxSeriesRows    = 1_000_000
	MaxSeriesColumns = 16
)

// SeriesColumn names one column of a series.
type SeriesColumn struct {
	Name string `json:"name" minLength:"1" maxLength:"128" doc:"e.g. V, I, wavelength, 2θ"`
	Unit string `json:"unit" maxLength:"32" doc:"e.g. V, A, nm, deg; empty for counts and ratios"`
}

// DataSeries is a stored series without its values.
type DataSeries struct {
	ID        uuid.UUID      `json:"id"`
	RunID     uuid.UUID      `json:"run_id"`
	Name      string         `json:"name"`
	Columns   []SeriesColumn `json:"columns"`
	Rows      int            `json:"rows"`
	SHA256    string         `json:"sha256" doc:"SHA-256 (hex) of the values: each column in order, each value as 8 bytes of IEEE 754, little-endian"`
	FileID    *uuid.UUID     `json:"file_id" nullable:"true" doc:"The raw file the series was read from (null: uploaded as JSON)"`
	CreatedBy *uuid.UUID     `json:"created_by"`
	CreatedAt time.Time      `json:"created_at"`
}

// NewDataSeries is a series to store: Values[c][r] is column c's value in row
// r.
type NewDataSeries struct {
	Name    string
	Columns []SeriesColumn
	Values  [][]float64
}

// Rows is the number of rows (that of the first column).
func (n NewDataSeries) Rows() int {
	if len(n.Values) == 0 {
		return 0
	}
	return len(n.Values[0])
}

// Validate checks a series before it is stored: a name, 2 to
// MaxSeriesColumns distinct named columns, 1 to MaxSeriesRows rows in
// every column, every value finite.
func (n NewDataSeries) Validate() error {
	var errs []FieldError
	if n.Name == "" || len(n.Name) > 200 || strings.TrimSpace(n.Name) != n.Name || !printable(n.Name) {
		errs = append(errs, FieldError{Field: "name", Message: "must be 1 to 200 printable characters without leading or trailing spaces"})
	}
	if len(n.Columns) < 2 || len(n.Columns) > MaxSeriesColumns {
		errs = append(errs, FieldError{Field: "columns", Message: fmt.Sprintf("must hold 2 to %d columns (an x and at least one y)", MaxSeriesColumns)})
		return fieldErrors("series", errs)
	}
	seen := map[string]bool{}
	for i, c := range n.Columns {
		at := fmt.Sprintf("columns[%d]", i)
		switch {
		case c.Name == "" || len(c.Name) > 128 || strings.TrimSpace(c.Name) != c.Name || !printable(c.Name):
			errs = append(errs, FieldError{Field: at + ".name", Message: "must be 1 to 128 printable characters without leading or trailing spaces"})
		case seen[c.Name]:
			errs = append(errs, FieldError{Field: at + ".name", Message: "names another column too: " + c.Name})
		}
		seen[c.Name] = true
		if len(c.Unit) > 32 || !printable(c.Unit) {
			errs = append(errs, FieldError{Field: at + ".unit", Message: "must be at most 32 printable characters"})
		}
	}
	if len(n.Values) != len(n.Columns) {
		errs = append(errs, FieldError{Field: "columns", Message: fmt.Sprintf("%d columns named, %d given", len(n.Columns), len(n.Values))})
		return fieldErrors("series", errs)
	}
	rows := n.Rows()
	if rows < 1 || rows > MaxSeriesRows {
		errs = append(errs, FieldError{Field: "columns[0].values", Message: fmt.Sprintf("must hold 1 to %d rows, not %d", MaxSeriesRows, rows)})
	}
	for c, vs := range n.Values {
		if len(vs) != rows {
			errs = append(errs, FieldError{Field: fmt.Sprintf("columns[%d].values", c), Message: fmt.Sprintf("holds %d rows, the first column %d", len(vs), rows)})
			continue
		}
		for r, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				errs = append(errs, FieldError{Field: fmt.Sprintf("columns[%d].values[%d]", c, r), Message: "must be a finite number"})
				break
			}
		}
	}
	return fieldErrors("series", errs)
}

// Plot is a series downsampled for drawing: one y column against the x
// column, at most the points asked for, chosen by largest-triangle-three-
// buckets from the rows in [XMin, XMax].
type Plot struct {
	SeriesID uuid.UUID    `json:"series_id"`
	X        SeriesColumn `json:"x"`
	Y        SeriesColumn `json:"y"`
	Rows     int          `json:"rows" doc:"rows of the series in the x range, before downsampling"`
	XValues  []float64    `json:"x_values"`
	YValues  []float64    `json:"y_values"`
}

// DataSeriesFilter narrows a list of series; zero values do not filter.
type DataSeriesFilter struct {
	RecipeID uuid.UUID // of runs of this recipe
	SampleID uuid.UUID // of runs on this sample
	Name     string    // exactly this name
}

// StoredSeries is a stored series with what its upload derived: the
// results of its recipe's extractions (and the SPC alerts they raised),
// and the extractions the curve could not give, with the reason.
type StoredSeries struct {
	DataSeries
	Derived []Result            `json:"derived"`
	Skipped []SkippedExtraction `json:"skipped"`
	Alerts  []SPCAlert          `json:"alerts"`
}

// SkippedExtraction is an extraction a curve did not give.
type SkippedExtraction struct {
	Metric string           `json:"metric"`
	Method ExtractionMethod `json:"method"`
	Reason string           `json:"reason"`
}
