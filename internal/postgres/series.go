package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// A run's data series (migration 00014): the series row, and its values in
// chunks of dataseries.ChunkRows rows (level 0) beside a downsampled copy of
// each y column (level 1) for plots of the whole curve.

const (
	levelRows     = 0
	levelOverview = 1
)

// chunkRows are the chunks of one level, column by column, ready for one
// INSERT … SELECT FROM unnest.
type chunkRows struct {
	level       []int16
	chunk, rows []int32
	xMin, xMax  []float64
	data        [][]byte
}

func (c *chunkRows) add(level int16, chunk int, x []float64, data []byte) {
	lo, hi := dataseries.Bounds(x)
	c.level, c.chunk, c.rows = append(c.level, level), append(c.chunk, int32(chunk)), append(c.rows, int32(len(x)))
	c.xMin, c.xMax, c.data = append(c.xMin, lo), append(c.xMax, hi), append(c.data, data)
}

// dataSeriesChunks encodes ns: level 0, every chunk of rows with each column's
// values in turn; level 1, chunk c, y column c downsampled to
// dataseries.OverviewPoints, its x values then its y values.
func dataSeriesChunks(ns spectra.NewDataSeries) chunkRows {
	var c chunkRows
	rows := ns.Rows()
	for from, i := 0, 0; from < rows; from, i = from+dataseries.ChunkRows, i+1 {
		to := min(rows, from+dataseries.ChunkRows)
		data := make([]byte, 0, 8*(to-from)*len(ns.Values))
		for _, col := range ns.Values {
			data = dataseries.AppendFloats(data, col[from:to])
		}
		c.add(levelRows, i, ns.Values[0][from:to], data)
	}
	x := ns.Values[0]
	for yc := 1; yc < len(ns.Values); yc++ {
		idx := dataseries.LTTB(x, ns.Values[yc], dataseries.OverviewPoints)
		xs, ys := dataseries.Pick(x, idx), dataseries.Pick(ns.Values[yc], idx)
		c.add(levelOverview, yc, xs, dataseries.AppendFloats(dataseries.AppendFloats(make([]byte, 0, 16*len(idx)), xs), ys))
	}
	return c
}

// insertChunksSQL writes a series' chunks ($1 organization, $2 series,
// then chunkRows' columns): the store's and the seed's one statement.
const insertChunksSQL = `INSERT INTO run_series_chunks (organization_id, series_id, level, chunk, row_count, x_min, x_max, data)
	SELECT $1, $2, c.* FROM unnest($3::smallint[], $4::integer[], $5::integer[], $6::float8[], $7::float8[], $8::bytea[]) AS c`

const dataSeriesColumns = `s.id, s.run_id, s.name, s.columns, s.row_count, s.sha256, s.file_id, s.created_by, s.created_at`

func scanDataSeries(r pgx.Row) (spectra.DataSeries, error) {
	var s spectra.DataSeries
	var cols []byte
	if err := r.Scan(&s.ID, &s.RunID, &s.Name, &cols, &s.Rows, &s.SHA256, &s.FileID, &s.CreatedBy, &s.CreatedAt); err != nil {
		return s, err
	}
	return s, json.Unmarshal(cols, &s.Columns)
}

// CreateDataSeries stores ns on a run that takes measurements (as results do:
// a running or failed run, by whoever may upload results), in one
// transaction: the series row (audited, with the values' digest), its
// chunks, and the results its recipe's extractions derive from it (each
// with its method and inputs, feeding the SPC series of its metric). A
// name the run already has is CodeConflict; an extraction the curve does
// not give is skipped, with the reason, and stores nothing.
func (db *DB) CreateDataSeries(ctx context.Context, t Tenant, runID uuid.UUID, ns spectra.NewDataSeries) (spectra.StoredSeries, error) {
	w, err := prepareSeries(ns)
	if err != nil {
		return spectra.StoredSeries{}, err
	}
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.StoredSeries, error) {
		run, err := runForResults(ctx, tx, t, runID)
		if err != nil {
			return spectra.StoredSeries{}, err
		}
		return insertSeries(ctx, tx, t, run, w, nil)
	})
}

// seriesWrite is a validated series with its encoding and digest, made
// before a transaction so that it holds the run's share lock only while
// it writes.
type seriesWrite struct {
	ns     spectra.NewDataSeries
	chunks chunkRows
	digest string
}

func prepareSeries(ns spectra.NewDataSeries) (seriesWrite, error) {
	if err := ns.Validate(); err != nil {
		return seriesWrite{}, err
	}
	return seriesWrite{ns: ns, chunks: dataSeriesChunks(ns), digest: dataseries.Digest(ns.Values)}, nil
}

// insertSeries writes w on run (locked by runForResults), read from file
// fileID if not nil, with the results its recipe's extractions derive.
func insertSeries(ctx context.Context, tx pgx.Tx, t Tenant, run spectra.Run, w seriesWrite, fileID *uuid.UUID) (spectra.StoredSeries, error) {
	ns, chunks, runID := w.ns, w.chunks, run.ID
	out := spectra.StoredSeries{Derived: []spectra.Result{}, Skipped: []spectra.SkippedExtraction{}, Alerts: []spectra.SPCAlert{}}
	var err error
	out.DataSeries, err = scanDataSeries(tx.QueryRow(ctx, `INSERT INTO run_series AS s (organization_id, run_id, name, columns, row_count, sha256, file_id, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+dataSeriesColumns,
		t.OrgID, runID, ns.Name, jsonb(ns.Columns), ns.Rows(), w.digest, fileID, nilUUID(t.UserID)))
	if err != nil {
		return out, mapError(err, "series")
	}
	if _, err = tx.Exec(ctx, insertChunksSQL,
		t.OrgID, out.ID, chunks.level, chunks.chunk, chunks.rows, chunks.xMin, chunks.xMax, chunks.data); err != nil {
		return out, mapError(err, "series")
	}
	var extractions []spectra.Extraction
	if err := tx.QueryRow(ctx, `SELECT extractions FROM recipes WHERE organization_id = $1 AND id = $2`, t.OrgID, run.RecipeID).Scan(&extractions); err != nil {
		return out, err
	}
	for _, x := range extractions {
		if x.Series != "" && x.Series != ns.Name {
			continue
		}
		v, inputs, err := dataseries.Derive(ns.Columns, ns.Values, x)
		if errors.Is(err, dataseries.ErrNotExtractable) {
			out.Skipped = append(out.Skipped, spectra.SkippedExtraction{Metric: x.Metric, Method: x.Method, Reason: err.Error()})
			continue
		}
		if err != nil {
			return out, err
		}
		d := &spectra.Derivation{SeriesID: out.ID, Method: x.Method, Inputs: inputs}
		r := spectra.Result{Derivation: d}
		err = tx.QueryRow(ctx, `INSERT INTO run_results (organization_id, run_id, metric, value, unit, measured_at, metadata, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, run_id, device_id, metric, value, unit, measured_at, created_by`,
			t.OrgID, runID, x.Metric, v, x.Unit, out.CreatedAt, jsonb(d), nilUUID(t.UserID)).
			Scan(&r.ID, &r.RunID, &r.DeviceID, &r.Metric, &r.Value, &r.Unit, &r.MeasuredAt, &r.CreatedBy)
		if err != nil {
			return out, mapError(err, "result")
		}
		out.Derived = append(out.Derived, r)
	}
	if len(out.Derived) > 0 {
		if out.Alerts, err = feedSeries(ctx, tx, t.OrgID, runID, run.RecipeID, out.Derived); err != nil {
			return out, err
		}
		if out.Alerts == nil {
			out.Alerts = []spectra.SPCAlert{}
		}
	}
	return out, nil
}

// runForResults locks the run (FOR SHARE: its status holds until the
// transaction ends) and checks that t may add measurements to it now.
func runForResults(ctx context.Context, tx pgx.Tx, t Tenant, runID uuid.UUID) (spectra.Run, error) {
	run, err := lockRun(ctx, tx, t.OrgID, runID, "FOR SHARE OF r")
	if err != nil {
		return run, err
	}
	return run, run.Check(t.Principal(), spectra.ActUploadResults)
}

// runDataSeries are a run's series, oldest first.
func runDataSeries(ctx context.Context, tx pgx.Tx, org, run uuid.UUID) ([]spectra.DataSeries, error) {
	rows, err := tx.Query(ctx, `SELECT `+dataSeriesColumns+` FROM run_series s WHERE s.organization_id = $1 AND s.run_id = $2 ORDER BY s.id`, org, run)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.DataSeries, error) { return scanDataSeries(r) })
}

// errSeriesNotFound: a missing series, or another organization's.
var errSeriesNotFound = spectra.Errorf(spectra.CodeNotFound, "series not found")

// queueSeriesRow queues the read of series id into s, setting found when
// the organization has it (a missing series is not an error here: the
// caller answers errSeriesNotFound once the read is over).
func queueSeriesRow(b *pgx.Batch, t Tenant, id uuid.UUID, s *spectra.DataSeries, found *bool) {
	b.Queue(`SELECT `+dataSeriesColumns+` FROM run_series s WHERE s.organization_id = $1 AND s.id = $2`, t.OrgID, id).
		Query(func(r pgx.Rows) error {
			var err error
			*s, err = pgx.CollectExactlyOneRow(r, func(r pgx.CollectableRow) (spectra.DataSeries, error) { return scanDataSeries(r) })
			*found = err == nil
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		})
}

// DataSeriesValues reads a series with all its values (Values[c][r]), in one
// round trip, and checks them against the stored digest.
func (db *DB) DataSeriesValues(ctx context.Context, t Tenant, id uuid.UUID) (spectra.DataSeries, [][]float64, error) {
	var s spectra.DataSeries
	var values [][]float64
	found := false
	err := db.read(ctx, t, func(b *pgx.Batch) {
		queueSeriesRow(b, t, id, &s, &found)
		b.Queue(`SELECT row_count, data FROM run_series_chunks WHERE organization_id = $1 AND series_id = $2 AND level = 0 ORDER BY chunk`, t.OrgID, id).
			Query(func(r pgx.Rows) error {
				var rows int
				var data []byte
				_, err := pgx.ForEachRow(r, []any{&rows, &data}, func() error {
					if len(data) == 0 || len(data)%(8*rows) != 0 {
						return fmt.Errorf("postgres: series %s: a chunk of %d bytes for %d rows", id, len(data), rows)
					}
					if values == nil {
						values = make([][]float64, len(data)/(8*rows))
					}
					if len(data) != 8*rows*len(values) {
						return fmt.Errorf("postgres: series %s: chunks of different widths", id)
					}
					for c := range values {
						var err error
						if values[c], err = dataseries.AppendDecoded(values[c], data[c*8*rows:(c+1)*8*rows]); err != nil {
							return err
						}
					}
					return nil
				})
				return err
			})
	})
	if err != nil {
		return s, nil, err
	}
	if !found {
		return s, nil, errSeriesNotFound
	}
	if got := dataseries.Digest(values); got != s.SHA256 || len(values) != len(s.Columns) || len(values[0]) != s.Rows {
		return s, nil, &spectra.Error{Code: spectra.CodeInternal, Message: "the series' stored values do not match their digest",
			Err: fmt.Errorf("postgres: series %s: digest %s, stored %s; %d columns of %d rows", id, got, s.SHA256, len(values), len(values[0]))}
	}
	return s, values, nil
}

// PlotRequest asks for y column Y of a series downsampled to at most
// Points points, from the rows whose x lies in [XMin, XMax] (nil: no
// bound).
type PlotRequest struct {
	Y          int
	Points     int
	XMin, XMax *float64
}

// DataSeriesPlot downsamples a series for drawing (largest-triangle-three-
// buckets). A plot of the whole curve at no more than
// dataseries.OverviewPoints points is made from the stored overview; a zoomed
// or denser one from the rows of the chunks whose x range meets the
// request's, reading of each chunk only the x and y columns (the values
// are stored uncompressed, so PostgreSQL fetches just those bytes).
func (db *DB) DataSeriesPlot(ctx context.Context, t Tenant, id uuid.UUID, req PlotRequest) (spectra.Plot, error) {
	p := spectra.Plot{SeriesID: id}
	var s spectra.DataSeries
	found := false
	var xs, ys []float64
	whole := req.XMin == nil && req.XMax == nil && req.Points <= dataseries.OverviewPoints
	lo, hi := -1.7976931348623157e308, 1.7976931348623157e308
	if req.XMin != nil {
		lo = *req.XMin
	}
	if req.XMax != nil {
		hi = *req.XMax
	}
	err := db.read(ctx, t, func(b *pgx.Batch) {
		queueSeriesRow(b, t, id, &s, &found)
		var q string
		if whole {
			q = `SELECT row_count, substring(data FROM 1 FOR 8 * row_count), substring(data FROM 1 + 8 * row_count FOR 8 * row_count)
				FROM run_series_chunks WHERE organization_id = $1 AND series_id = $2 AND level = 1 AND chunk = $3`
		} else {
			q = `SELECT row_count, substring(data FROM 1 FOR 8 * row_count), substring(data FROM 1 + $3 * 8 * row_count FOR 8 * row_count)
				FROM run_series_chunks WHERE organization_id = $1 AND series_id = $2 AND level = 0 AND x_max >= $4 AND x_min <= $5
				ORDER BY chunk`
		}
		args := []any{t.OrgID, id, req.Y}
		if !whole {
			args = append(args, lo, hi)
		}
		b.Queue(q, args...).Query(func(r pgx.Rows) error {
			var rows int
			var xb, yb []byte
			_, err := pgx.ForEachRow(r, []any{&rows, &xb, &yb}, func() error {
				if len(xb) != 8*rows || len(yb) != 8*rows {
					return nil // no such column: answered below, from the series' columns
				}
				cx, err := dataseries.AppendDecoded(nil, xb)
				if err != nil {
					return err
				}
				cy, err := dataseries.AppendDecoded(nil, yb)
				if err != nil {
					return err
				}
				for i, x := range cx {
					if whole || (x >= lo && x <= hi) {
						xs, ys = append(xs, x), append(ys, cy[i])
					}
				}
				return nil
			})
			return err
		})
	})
	if err != nil {
		return p, err
	}
	if !found {
		return p, errSeriesNotFound
	}
	if req.Y < 1 || req.Y >= len(s.Columns) {
		return p, &spectra.Error{Code: spectra.CodeInvalid, Message: fmt.Sprintf("the series has y columns 1 to %d", len(s.Columns)-1),
			Fields: []spectra.FieldError{{Field: "y", Message: fmt.Sprintf("must be a y column of the series, 1 to %d", len(s.Columns)-1)}}}
	}
	p.X, p.Y, p.Rows = s.Columns[0], s.Columns[req.Y], len(xs)
	if whole {
		p.Rows = s.Rows
	}
	idx := dataseries.LTTB(xs, ys, req.Points)
	p.XValues, p.YValues = dataseries.Pick(xs, idx), dataseries.Pick(ys, idx)
	return p, nil
}

// ListDataSeries lists the organization's series, newest first, of runs of
// a recipe or of a sample, by name: what a plot overlays.
func (db *DB) ListDataSeries(ctx context.Context, t Tenant, f spectra.DataSeriesFilter, p Page) ([]spectra.DataSeries, string, error) {
	w := keyset("s", t, p, false)
	w.also(`r.deleted_at IS NULL`)
	if f.RecipeID != uuid.Nil {
		w.and(`r.recipe_id = ?`, f.RecipeID)
	}
	if f.SampleID != uuid.Nil {
		w.and(`r.sample_id = ?`, f.SampleID)
	}
	if f.Name != "" {
		w.and(`s.name = ?`, f.Name)
	}
	return listPage(ctx, db, t, p, w, dataSeriesColumns, `run_series s JOIN runs r ON r.organization_id = s.organization_id AND r.id = s.run_id`,
		"s.id DESC", func(r pgx.Row) (spectra.DataSeries, error) { return scanDataSeries(r) }, func(s spectra.DataSeries) uuid.UUID { return s.ID })
}
