package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// BenchmarkSeriesLayouts is the evidence for migration 00014's layout: a
// 1,000,000-row, two-column series written and read back whole in three
// layouts, as plain tables (no row-level security, no audit, the same for
// all three), with the space each takes:
//
//	go test ./internal/postgres -run '^$' -bench SeriesLayouts -benchtime 3x
//
// "rows": a table row per point (series, index, x, y); "float8[]": a row
// per column chunk of 16,384 values as a float8[]; "bytea": the chosen
// one, a row per chunk of every column's 8-byte little-endian floats,
// stored uncompressed out of line.
func BenchmarkSeriesLayouts(b *testing.B) {
	db := pgtest.NewDB(b)
	ctx := context.Background()
	const rows = 1_000_000
	in := ivSweep("layouts", rows)
	x, y := in.Values[0], in.Values[1]
	idx := make([]int32, rows)
	for i := range idx {
		idx[i] = int32(i)
	}
	if _, err := db.Pool().Exec(ctx, `
		CREATE TABLE layout_rows (series_id uuid, i integer, x float8, y float8, PRIMARY KEY (series_id, i));
		CREATE TABLE layout_arrays (series_id uuid, col smallint, chunk integer, v float8[], PRIMARY KEY (series_id, col, chunk));
		CREATE TABLE layout_bytea (series_id uuid, chunk integer, data bytea, PRIMARY KEY (series_id, chunk));
		ALTER TABLE layout_bytea ALTER COLUMN data SET STORAGE EXTERNAL;`); err != nil {
		b.Fatal(err)
	}
	type layout struct {
		name, table string
		write       func(id uuid.UUID) error
		read        func(id uuid.UUID) (int, error)
	}
	layouts := []layout{
		{"rows", "layout_rows", func(id uuid.UUID) error {
			_, err := db.Pool().Exec(ctx, `INSERT INTO layout_rows SELECT $1, * FROM unnest($2::integer[], $3::float8[], $4::float8[])`, id, idx, x, y)
			return err
		}, func(id uuid.UUID) (int, error) {
			r, err := db.Pool().Query(ctx, `SELECT x, y FROM layout_rows WHERE series_id = $1 ORDER BY i`, id)
			if err != nil {
				return 0, err
			}
			xs, ys := make([]float64, 0, rows), make([]float64, 0, rows)
			var a, c float64
			_, err = pgx.ForEachRow(r, []any{&a, &c}, func() error { xs, ys = append(xs, a), append(ys, c); return nil })
			return len(xs), err
		}},
		{"float8[]", "layout_arrays", func(id uuid.UUID) error {
			var cols []int16
			var chunks []int32
			var vs [][]float64
			for c, col := range [][]float64{x, y} {
				for from, k := 0, 0; from < rows; from, k = from+dataseries.ChunkRows, k+1 {
					cols, chunks, vs = append(cols, int16(c)), append(chunks, int32(k)), append(vs, col[from:min(rows, from+dataseries.ChunkRows)])
				}
			}
			// A float8[] per chunk: pgx sends each as an array parameter.
			batch := &pgx.Batch{}
			for i := range vs {
				batch.Queue(`INSERT INTO layout_arrays VALUES ($1, $2, $3, $4)`, id, cols[i], chunks[i], vs[i])
			}
			return db.Pool().SendBatch(ctx, batch).Close()
		}, func(id uuid.UUID) (int, error) {
			r, err := db.Pool().Query(ctx, `SELECT col, v FROM layout_arrays WHERE series_id = $1 ORDER BY col, chunk`, id)
			if err != nil {
				return 0, err
			}
			out := [2][]float64{make([]float64, 0, rows), make([]float64, 0, rows)}
			var col int16
			var v []float64
			_, err = pgx.ForEachRow(r, []any{&col, &v}, func() error { out[col] = append(out[col], v...); return nil })
			return len(out[0]), err
		}},
		{"bytea", "layout_bytea", func(id uuid.UUID) error {
			var chunks []int32
			var data [][]byte
			for from, k := 0, 0; from < rows; from, k = from+dataseries.ChunkRows, k+1 {
				to := min(rows, from+dataseries.ChunkRows)
				chunks = append(chunks, int32(k))
				data = append(data, dataseries.AppendFloats(dataseries.AppendFloats(nil, x[from:to]), y[from:to]))
			}
			_, err := db.Pool().Exec(ctx, `INSERT INTO layout_bytea SELECT $1, * FROM unnest($2::integer[], $3::bytea[])`, id, chunks, data)
			return err
		}, func(id uuid.UUID) (int, error) {
			r, err := db.Pool().Query(ctx, `SELECT data FROM layout_bytea WHERE series_id = $1 ORDER BY chunk`, id)
			if err != nil {
				return 0, err
			}
			xs, ys := make([]float64, 0, rows), make([]float64, 0, rows)
			var data []byte
			_, err = pgx.ForEachRow(r, []any{&data}, func() error {
				half := len(data) / 2
				var err error
				if xs, err = dataseries.AppendDecoded(xs, data[:half]); err != nil {
					return err
				}
				ys, err = dataseries.AppendDecoded(ys, data[half:])
				return err
			})
			return len(xs), err
		}},
	}
	for _, l := range layouts {
		var last uuid.UUID
		b.Run("write "+l.name, func(b *testing.B) {
			for b.Loop() {
				last = uuid.New()
				if err := l.write(last); err != nil {
					b.Fatal(err)
				}
			}
			var size int64
			var n int
			if err := db.Pool().QueryRow(ctx, fmt.Sprintf(`SELECT pg_total_relation_size('%s'), (SELECT count(DISTINCT series_id) FROM %s)`, l.table, l.table)).Scan(&size, &n); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(size)/float64(n)/1e6, "MB/series")
		})
		b.Run("read "+l.name, func(b *testing.B) {
			for b.Loop() {
				n, err := l.read(last)
				if err != nil || n != rows {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
		})
	}
}
