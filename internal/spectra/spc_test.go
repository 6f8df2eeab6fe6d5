package spectra

import (
	"math"
	"reflect"
	"testing"
)

func TestWesternElectric(t *testing.T) {
	const c, s = 10.0, 1.0
	cases := []struct {
		name   string
		values []float64
		want   map[string][]int // rule → point indexes
	}{
		{"empty", nil, map[string][]int{}},
		{"in control", []float64{10, 10.5, 9.5, 10.2, 9.8}, map[string][]int{}},
		{"one beyond 3σ above", []float64{10, 13.5}, map[string][]int{"WE1": {1}}},
		{"one beyond 3σ below", []float64{7.5, 6.9}, map[string][]int{"WE1": {1}, "WE2": {0, 1}}},
		{"exactly at 3σ is not beyond", []float64{13}, map[string][]int{}},
		{"two of three beyond 2σ", []float64{12.5, 10, 12.2}, map[string][]int{"WE2": {0, 2}}},
		{"two beyond 2σ on opposite sides", []float64{12.5, 10, 7.5}, map[string][]int{}},
		{"two of three, newest inside", []float64{12.5, 12.5, 10}, map[string][]int{}},
		{"four of five beyond 1σ", []float64{11.5, 11.2, 9, 11.4, 11.1}, map[string][]int{"WE3": {0, 1, 3, 4}}},
		{"three of five beyond 1σ", []float64{11.5, 9, 9, 11.4, 11.1}, map[string][]int{}},
		{"eight on one side", []float64{9, 10.1, 10.2, 10.1, 10.3, 10.1, 10.2, 10.4, 10.1},
			map[string][]int{"WE4": {1, 2, 3, 4, 5, 6, 7, 8}}},
		{"seven on one side", []float64{9, 9, 10.1, 10.2, 10.1, 10.3, 10.1, 10.2, 10.4}, map[string][]int{}},
		{"on the centre line breaks a run", []float64{10.1, 10.2, 10.1, 10, 10.1, 10.2, 10.4, 10.1}, map[string][]int{}},
	}
	for _, tc := range cases {
		got := map[string][]int{}
		for _, v := range WesternElectric(tc.values, c, s) {
			got[v.Rule] = v.Points
			if v.Message == "" {
				t.Errorf("%s: %s has no message", tc.name, v.Rule)
			}
		}
		// A nil entry in want means "raised, whatever the points".
		for rule, pts := range tc.want {
			if _, ok := got[rule]; !ok {
				t.Errorf("%s: %s not raised (got %v)", tc.name, rule, got)
			} else if pts != nil && !reflect.DeepEqual(got[rule], pts) {
				t.Errorf("%s: %s points %v, want %v", tc.name, rule, got[rule], pts)
			}
		}
		for rule := range got {
			if _, ok := tc.want[rule]; !ok {
				t.Errorf("%s: %s raised unexpectedly (%v)", tc.name, rule, got[rule])
			}
		}
	}
}

func TestBaseline(t *testing.T) {
	c, s, err := Baseline([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if err != nil || c != 5 || math.Abs(s-2.138089935) > 1e-6 {
		t.Fatalf("baseline = %v, %v, %v", c, s, err)
	}
	for _, bad := range [][]float64{nil, {1}, {3, 3, 3}} {
		if _, _, err := Baseline(bad); ErrorCode(err) != CodeInvalid {
			t.Errorf("Baseline(%v) = %v, want invalid", bad, err)
		}
	}
}
