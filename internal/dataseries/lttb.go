package dataseries

import "math"

// LTTB chooses at most n of the points (x[i], y[i]) that keep the curve's
// shape, by largest-triangle-three-buckets (Steinarsson, 2013): the first
// and last points, and from each of n-2 equal buckets of the rest the
// point forming the largest triangle with the point chosen before it and
// the mean of the next bucket. It returns the chosen indexes, ascending;
// all of them when there are no more than n points (or n < 3).
func LTTB(x, y []float64, n int) []int {
	total := min(len(x), len(y))
	if n >= total || n < 3 {
		idx := make([]int, total)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := make([]int, 0, n)
	idx = append(idx, 0)
	every := float64(total-2) / float64(n-2)
	a := 0
	for i := 0; i < n-2; i++ {
		// The mean of the next bucket (the last point for the last one).
		nextFrom := int(float64(i+1)*every) + 1
		nextTo := min(int(float64(i+2)*every)+1, total)
		if i == n-3 {
			nextFrom, nextTo = total-1, total
		}
		var mx, my float64
		for j := nextFrom; j < nextTo; j++ {
			mx += x[j]
			my += y[j]
		}
		k := float64(nextTo - nextFrom)
		mx, my = mx/k, my/k

		from := int(float64(i)*every) + 1
		to := min(int(float64(i+1)*every)+1, total-1)
		best, bestArea := from, -1.0
		for j := from; j < to; j++ {
			area := math.Abs((x[a]-mx)*(y[j]-y[a]) - (x[a]-x[j])*(my-y[a]))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		idx = append(idx, best)
		a = best
	}
	return append(idx, total-1)
}

// Pick returns vs at the indexes idx.
func Pick(vs []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = vs[j]
	}
	return out
}
