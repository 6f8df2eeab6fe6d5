// Package dataseries holds what a run's data series needs besides storage:
// the compact encoding of its values, their digest, downsampling for plots
// (largest-triangle-three-buckets) and the parsers of instrument files.
package dataseries

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
)

// ChunkRows is the rows of one stored chunk: 16,384 rows of each column,
// 128 KiB per column, so a 1,000,000-row series is 62 chunks and a zoomed
// plot reads only the chunks its x range touches.
const ChunkRows = 16384

// OverviewPoints is the size of the downsampled copy of each y column kept
// beside the values, from which plots of the whole series are drawn
// without reading every row.
const OverviewPoints = 4096

// AppendFloats appends vs as 8-byte little-endian IEEE 754 values: the
// stored form of a column (no per-value header, no compression attempt).
func AppendFloats(b []byte, vs []float64) []byte {
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// errLength is a stored value that is not a whole number of floats.
var errLength = errors.New("series: stored values are not a whole number of 8-byte floats")

// AppendDecoded appends the floats of b (AppendFloats' form) to vs.
func AppendDecoded(vs []float64, b []byte) ([]float64, error) {
	if len(b)%8 != 0 {
		return vs, errLength
	}
	for i := 0; i < len(b); i += 8 {
		vs = append(vs, math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
	}
	return vs, nil
}

// Digest is the SHA-256, in hex, of the values: each column in order, each
// value in AppendFloats' form. It is stored with the series (and so in the
// audit log), and a full read recomputes it.
func Digest(columns [][]float64) string {
	h := sha256.New()
	var buf []byte
	for _, c := range columns {
		for from := 0; from < len(c); from += ChunkRows {
			buf = AppendFloats(buf[:0], c[from:min(len(c), from+ChunkRows)])
			h.Write(buf)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Bounds returns the least and greatest of vs (0, 0 for none).
func Bounds(vs []float64) (lo, hi float64) {
	if len(vs) == 0 {
		return 0, 0
	}
	lo, hi = vs[0], vs[0]
	for _, v := range vs[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}
